//! The real `banter-cli` binary, end to end on 127.0.0.1.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::*;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn help_is_available_everywhere() {
    for args in [&["--help"][..], &["serve", "--help"], &["join", "--help"], &["backup", "--help"]] {
        let output = banter_cli(&Home::new()).args(args).output().await.unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage: banter-cli"), "{args:?}");
    }
}

#[tokio::test]
async fn two_terminal_users_chat_in_the_lobby_and_a_room() {
    let host = Served::start().await;
    let mut bob = Joined::start(&host.address, &["--name", "bob"]).await;
    let mut alice = Joined::start(&host.address, &["--name", "alice"]).await;
    wait_for(&mut bob.stdout, |line| line == "* alice joined lobby").await;

    alice.say("hello bob").await;
    wait_for(&mut bob.stdout, |line| line == "[lobby] alice: hello bob").await;
    bob.say("/join ops").await;
    wait_for(&mut bob.stderr, |line| line == "* now sending to ops").await;
    alice.say("/join ops").await;
    wait_for(&mut bob.stdout, |line| line == "* alice joined ops").await;
    alice.say("deploy at noon").await;
    wait_for(&mut bob.stdout, |line| line == "[ops] alice: deploy at noon").await;
    alice.say("/dm bob psst").await;
    wait_for(&mut bob.stdout, |line| line == "[dm] alice → bob: psst").await;
    alice.say("//etc/hosts is a path").await;
    wait_for(&mut bob.stdout, |line| line == "[ops] alice: /etc/hosts is a path").await;

    assert_eq!(alice.finish().await, Some(0));
    wait_for(&mut bob.stdout, |line| {
        line == "* alice left lobby, ops (disconnected)" || line == "* alice left ops, lobby (disconnected)"
    })
    .await;
    assert_eq!(bob.finish().await, Some(0));
}

#[tokio::test]
async fn piped_input_is_all_delivered_before_exit() {
    let host = Served::start().await;
    let mut reader = Joined::start(&host.address, &["--name", "reader", "--room", "log"]).await;
    let home = Home::new();
    let mut writer = banter_cli(&home)
        .args(["join", &host.address, "--name", "writer", "--room", "log"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: String = (1..=40).map(|n| format!("line {n}\n")).collect();
    let mut stdin = writer.stdin.take().unwrap();
    stdin.write_all(lines.as_bytes()).await.unwrap();
    drop(stdin);
    // 40 lines exceed the burst the host allows one socket; the client slows down and still delivers all.
    let status = tokio::time::timeout(WAIT, writer.wait()).await.expect("exits in time").unwrap();
    assert!(status.success());
    for n in 1..=40 {
        let expected = format!("[log] writer: line {n}");
        wait_for(&mut reader.stdout, |line| line == expected).await;
    }
    assert_eq!(reader.finish().await, Some(0));
}

#[tokio::test]
async fn json_output_is_one_object_per_line() {
    let host = Served::start().await;
    let mut reader = Joined::start(&host.address, &["--name", "reader", "--json"]).await;
    let mut writer = Joined::start(&host.address, &["--name", "writer"]).await;
    writer.say("structured").await;
    let line = wait_for(&mut reader.stdout, |line| line.contains("structured")).await;
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value["type"], "message");
    assert_eq!(value["message"]["from"], "writer");
    assert_eq!(value["message"]["room"], "lobby");
    assert!(value["message"]["seq"].as_u64().is_some());
    assert_eq!(writer.finish().await, Some(0));
}

#[tokio::test]
async fn an_unreachable_host_fails_fast_with_the_reason() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let output = banter_cli(&Home::new())
        .args(["join", &format!("127.0.0.1:{port}"), "--name", "nobody", "--connect-timeout", "2"])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("could not join") && stderr.contains("connection refused"), "{stderr}");
}

#[tokio::test]
async fn bad_addresses_names_and_taken_names_are_explained() {
    let host = Served::start().await;
    let run = |args: Vec<String>| async move {
        let output = banter_cli(&Home::new()).args(args).stdin(Stdio::null()).output().await.unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (code, stderr) = run(vec!["join".into(), "ftp://x".into(), "--name".into(), "a".into()]).await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("URLs are not supported"), "{stderr}");
    let (code, stderr) = run(vec!["join".into(), host.address.clone(), "--name".into(), "a\u{202E}b".into()]).await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("invisible formatting character (U+202E)"), "{stderr}");

    let _taken = Joined::start(&host.address, &["--name", "alice"]).await;
    let (code, stderr) = run(vec!["join".into(), host.address.clone(), "--name".into(), "Alice".into()]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("“Alice” looks the same as “alice”, which belongs to someone else"), "{stderr}");
}

#[tokio::test]
async fn serve_refuses_a_port_in_use_and_stops_on_interrupt() {
    let host = Served::start().await;
    let port = host.address.rsplit(':').next().unwrap().to_owned();
    let output =
        banter_cli(&Home::new()).args(["serve", "--bind", "127.0.0.1", "--port", &port]).output().await.unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already in use"));

    let mut guest = Joined::start(&host.address, &["--name", "guest"]).await;
    let mut host = host;
    let pid = host.child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill").args(["-INT", &pid]).status().await.unwrap();
    assert!(killed.success());
    wait_for(&mut host.stdout, |line| line == "Stopped.").await;
    let status = tokio::time::timeout(WAIT, host.child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    wait_for(&mut guest.stderr, |line| line.contains("The host ended the chat. Waiting for it to come back")).await;
}

/// An empty or short admin token would open `/admin` to anyone who guesses it: the host does not start.
#[tokio::test]
async fn serve_refuses_a_weak_admin_token() {
    let serve = ["serve", "--bind", "127.0.0.1", "--port", "0", "--ephemeral"];
    for (flag, env) in [(Some(""), None), (Some("hunter2"), None), (None, Some("")), (None, Some("short-token"))] {
        let mut command = banter_cli(&Home::new());
        command.args(serve).stdin(Stdio::null());
        if let Some(token) = flag {
            command.args(["--admin-token", token]);
        }
        if let Some(token) = env {
            command.env("BANTER_ADMIN_TOKEN", token);
        }
        let output = tokio::time::timeout(WAIT, command.output()).await.unwrap().unwrap();
        assert_eq!(output.status.code(), Some(1), "{flag:?} {env:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("at least 16 characters"), "{flag:?} {env:?}");
    }
}

/// `serve --access-code random` prints the code and puts it in the guest URL's fragment; `join` needs it.
#[tokio::test]
async fn a_host_with_an_access_code_lets_in_those_who_give_it() {
    let mut host = Served::start_with(Home::new(), &["--ephemeral", "--access-code", "random"]).await;
    let mut code = None;
    let mut browser_url = None;
    for _ in 0..12 {
        let Some(line) = next_line(&mut host.stdout).await else { break };
        if let Some(shown) = line.strip_prefix("Access code: ") {
            code = Some(shown.to_owned());
        }
        if let Some((_, url)) = line.split_once("in a browser: ") {
            browser_url = Some(url.to_owned());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let code = code.expect("the code is printed");
    assert_eq!(browser_url.expect("a browser URL"), format!("http://{}/#code={code}", host.address));

    let without = banter_cli(&Home::new())
        .args(["join", &host.address, "--name", "ann"])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_ne!(without.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&without.stderr).contains("needs an access code"), "{without:?}");
    let (status, _) =
        join_and_read(&Home::new(), &host.address, &["--name", "ann", "--access-code", &code.to_lowercase()]).await;
    assert_eq!(status, Some(0));
    let mut from_env = banter_cli(&Home::new());
    from_env.env("BANTER_ACCESS_CODE", &code).args(["join", &host.address, "--name", "bo"]).stdin(Stdio::null());
    assert_eq!(from_env.output().await.unwrap().status.code(), Some(0));
}

/// The fingerprint `serve` prints is the host's: the same after a restart on the same data, another for another.
#[tokio::test]
async fn serve_prints_a_fingerprint_that_stays_with_the_data() {
    async fn fingerprint_of(home: Home) -> (String, Home) {
        let mut host = Served::start_with(home, &[]).await;
        let line = wait_for(&mut host.stdout, |line| line.starts_with("Fingerprint: ")).await;
        let fingerprint = line["Fingerprint: ".len()..].split_whitespace().next().unwrap().to_owned();
        host.child.kill().await.unwrap();
        (fingerprint, host.home)
    }
    let (first, home) = fingerprint_of(Home::new()).await;
    assert_eq!(first.len(), 9, "{first}");
    let (again, _) = fingerprint_of(home).await;
    assert_eq!(first, again);
    let (other, _) = fingerprint_of(Home::new()).await;
    assert_ne!(first, other);
}

/// Runs `join` with stdin closed at once and returns its output, for reading history.
async fn join_and_read(home: &Home, address: &str, args: &[&str]) -> (Option<i32>, Vec<String>) {
    let output = banter_cli(home).arg("join").arg(address).args(args).stdin(Stdio::null()).output().await.unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect())
}

#[tokio::test]
async fn history_is_printed_for_the_lobby_and_for_rooms() {
    let budget = ["--request-burst", "1000", "--requests-per-second", "1000"];
    let host = Served::start_with(Home::new(), &budget).await;
    let mut writer = Joined::start(&host.address, &["--name", "writer"]).await;
    // More than one page (100), so that a long --history takes several.
    for n in 1..=130 {
        writer.say(&format!("lobby {n}")).await;
    }
    writer.say("/join ops").await;
    wait_for(&mut writer.stderr, |line| line == "* now sending to ops").await;
    for n in 1..=3 {
        writer.say(&format!("ops {n}")).await;
    }
    assert_eq!(writer.finish().await, Some(0));

    let (code, lines) = join_and_read(&Home::new(), &host.address, &["--name", "reader", "--history", "3"]).await;
    assert_eq!(code, Some(0));
    assert_eq!(lines, ["[lobby] writer: lobby 128", "[lobby] writer: lobby 129", "[lobby] writer: lobby 130"]);
    let (code, lines) = join_and_read(&Home::new(), &host.address, &["--name", "long", "--history", "120"]).await;
    assert_eq!(code, Some(0));
    let expected: Vec<String> = (11..=130).map(|n| format!("[lobby] writer: lobby {n}")).collect();
    assert_eq!(lines, expected, "the last 120, in order, over two pages");
    let (code, lines) =
        join_and_read(&Home::new(), &host.address, &["--name", "other", "--room", "ops", "--history"]).await;
    assert_eq!(code, Some(0));
    assert_eq!(lines, ["[ops] writer: ops 1", "[ops] writer: ops 2", "[ops] writer: ops 3"]);
}

#[tokio::test]
async fn a_name_is_kept_for_its_first_user_across_runs() {
    let host = Served::start().await;
    let alice = Joined::start(&host.address, &["--name", "alice"]).await;
    let (code, home) = alice.finish_keeping_home().await;
    assert_eq!(code, Some(0));
    // The same person again (the key kept in their config folder), after being away.
    let again = Joined::start_in(home, &host.address, &["--name", "Alice"]).await;
    assert_eq!(again.finish().await, Some(0));
    let output = banter_cli(&Home::new())
        .args(["join", &host.address, "--name", "alice"])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("“alice” belongs to someone else on this host"));
}

#[tokio::test]
async fn a_backup_taken_while_the_host_runs_is_a_data_folder_of_its_own() {
    let home = Home::new();
    let data = home.data();
    let mut host = Served::start_with(home, &[]).await;
    let said = next_line(&mut host.stdout).await.unwrap();
    assert_eq!(said, format!("Data: {}", data.display()), "the host says where its data is");
    let mut writer = Joined::start(&host.address, &["--name", "writer"]).await;
    writer.say("worth keeping").await;
    let plan = host.home.path().join("plan.txt");
    std::fs::write(&plan, "step one: back up").unwrap();
    writer.say(&format!("/send \"{}\" the plan", plan.display())).await;
    assert_eq!(writer.finish().await, Some(0));

    let copy = host.home.path().join("backup");
    let output = banter_cli(&host.home).arg("backup").arg(&copy).arg("--data").arg(&data).output().await.unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with(&format!("Backed up to {}", copy.display())));
    let again = banter_cli(&host.home).arg("backup").arg(&copy).arg("--data").arg(&data).output().await.unwrap();
    assert_eq!(again.status.code(), Some(1), "a backup never overwrites one");

    let copy_arg = copy.to_string_lossy().into_owned();
    let restored = Served::start_with(Home::new(), &["--data", &copy_arg]).await;
    let (code, lines) = join_and_read(&Home::new(), &restored.address, &["--name", "reader", "--history", "5"]).await;
    assert_eq!(code, Some(0));
    assert_eq!(lines[0], "[lobby] writer: worth keeping");
    // The shared file came along: the restored host serves its bytes.
    assert!(lines[1].starts_with("[lobby] writer: the plan [file plan.txt, 17 bytes: http://"), "{lines:?}");
    let url = lines[1].rsplit(": ").next().unwrap().trim_end_matches(']').to_owned();
    let saved = restored.home.path().join("plan again.txt");
    let output = banter_cli(&Home::new()).args(["get", &url, "-o"]).arg(&saved).output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "step one: back up");
}

/// `/send` shares a file from one terminal, the other prints its line with an absolute URL, and `get` saves it: the
/// same bytes, under the name it was sent with. A host that takes smaller files refuses a bigger one up front.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_from_one_terminal_is_saved_by_another_with_get() {
    let host = Served::start_with(Home::new(), &["--max-file-size", "3MiB"]).await;
    let mut bob = Joined::start(&host.address, &["--name", "bob"]).await;
    let mut alice = Joined::start(&host.address, &["--name", "alice"]).await;
    wait_for(&mut bob.stdout, |line| line == "* alice joined lobby").await;
    let folder = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..2_500_000u32).map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let source = folder.path().join("Quarterly report.pdf");
    std::fs::write(&source, &bytes).unwrap();
    std::fs::write(folder.path().join("too big.iso"), vec![0u8; 4 << 20]).unwrap();

    alice.say(&format!("/send \"{}\" the report", source.display())).await;
    let line = wait_for(&mut bob.stdout, |line| line.starts_with("[lobby] alice: the report [file")).await;
    assert!(line.contains("[file Quarterly report.pdf, 2.4 MiB: http://"), "{line}");
    let url = line.rsplit(": ").next().unwrap().trim_end_matches(']').to_owned();
    let output = banter_cli(&Home::new()).current_dir(folder.path()).args(["get", &url]).output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let saved = folder.path().join("Quarterly report.pdf");
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);
    let copy = folder.path().join("copy.pdf");
    let output = banter_cli(&Home::new()).args(["get", &url, "-o"]).arg(&copy).output().await.unwrap();
    assert!(output.status.success());
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    // In JSON, the file carries the same absolute URL.
    let mut reader = Joined::start(&host.address, &["--name", "carol", "--json", "--history", "5"]).await;
    let said = wait_for(&mut reader.stdout, |line| line.contains("Quarterly report.pdf")).await;
    let said: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(said["message"]["file"]["url"], serde_json::Value::String(url.clone()), "{said}");
    // The same in a direct message, with no text: the line ends with the file.
    alice.say(&format!("/dmfile bob \"{}\"", source.display())).await;
    let line = wait_for(&mut bob.stdout, |line| line.starts_with("[dm] alice → bob: ")).await;
    assert!(line.starts_with("[dm] alice → bob: [file Quarterly report.pdf, 2.4 MiB: http://"), "{line}");

    alice.say(&format!("/send \"{}\"", folder.path().join("too big.iso").display())).await;
    let refused = wait_for(&mut alice.stderr, |line| line.starts_with("! ")).await;
    assert!(refused.contains("too big.iso was not sent") && refused.contains("up to 3.0 MiB"), "{refused}");
    let output = banter_cli(&Home::new()).args(["get", "http://127.0.0.1:9/elsewhere"]).output().await.unwrap();
    assert!(!output.status.success());
    assert_eq!(alice.finish().await, Some(1), "the refused file counts as a failed send");
    assert_eq!(bob.finish().await, Some(0));
}
