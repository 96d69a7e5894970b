//! What a host does with a data folder that is not fit to use, run as a real `banter-cli serve`: it refuses to start,
//! says why in words, and exits non-zero, touching nothing. A full disk is different: the host stays up, refuses
//! only what it cannot keep (with the `storage_full` error kind), keeps serving reads, and loses nothing it
//! acknowledged. Read-only folders and full disks are real: tmpfs mounts in a mount namespace of the test's own
//! (`unshare -m`), which needs root, as `make test` runs on CI.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use banter_core::client::{Client, ClientConfig, ClientError, ClientEvent};
use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Runs `serve` on a folder that should be refused, and returns what it printed and how it ended.
async fn serve_refused(home: &Home, data: &Path) -> (Option<i32>, String) {
    let output = tokio::time::timeout(
        WAIT,
        banter_cli(home)
            .args(["serve", "--bind", "127.0.0.1", "--port", "0", "--data"])
            .arg(data)
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("a refused host exits at once")
    .unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn a_file_that_is_not_a_banter_database_is_refused_and_left_alone() {
    let home = Home::new();
    let data = home.path().join("corrupt");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("banter.db"), b"garbage that was once a database, or never was").unwrap();
    let (code, stderr) = serve_refused(&home, &data).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not a Banter database"), "{stderr}");
    assert!(std::fs::read(data.join("banter.db")).unwrap().starts_with(b"garbage"), "the file is untouched");

    let foreign = home.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    let other = rusqlite::Connection::open(foreign.join("banter.db")).unwrap();
    other.execute_batch("CREATE TABLE photos (path TEXT); INSERT INTO photos VALUES ('/beach.jpg');").unwrap();
    drop(other);
    let (code, stderr) = serve_refused(&home, &foreign).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("another program's SQLite database"), "{stderr}");
}

#[tokio::test]
async fn a_database_from_a_newer_banter_is_refused() {
    let home = Home::new();
    let data = home.data();
    let mut host = Served::start_with(home, &[]).await;
    host.child.start_kill().unwrap();
    host.child.wait().await.unwrap();
    let database = rusqlite::Connection::open(data.join("banter.db")).unwrap();
    database.execute_batch("PRAGMA user_version = 999;").unwrap();
    drop(database);
    let (code, stderr) = serve_refused(&host.home, &data).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("was written by a newer Banter (data format 999"), "{stderr}");
}

#[tokio::test]
async fn a_second_host_cannot_use_a_folder_in_use_and_the_first_goes_on() {
    let home = Home::new();
    let data = home.data();
    let first = Served::start_with(home, &[]).await;
    let (code, stderr) = serve_refused(&Home::new(), &data).await;
    assert_eq!(code, Some(1));
    let pid = first.child.id().unwrap();
    assert!(
        stderr.contains(&format!("Another Banter host is already using {} (process {pid})", data.display())),
        "{stderr}"
    );
    let mut guest = Joined::start(&first.address, &["--name", "still-here"]).await;
    guest.say("the first host serves on").await;
    assert_eq!(guest.finish().await, Some(0));
}

/// `banter-cli serve` in a mount namespace of its own, where `folder` is a fresh tmpfs mounted with `options`.
fn serve_on_tmpfs(home: &Home, folder: &Path, options: &str, extra: &[&str]) -> tokio::process::Command {
    std::fs::create_dir_all(folder).unwrap();
    let mut command = tokio::process::Command::new("unshare");
    command
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("mount -t tmpfs -o \"$1\" banter-test \"$0\" && shift && exec \"$@\"")
        .arg(folder)
        .arg(options)
        .arg(env!("CARGO_BIN_EXE_banter-cli"))
        .args(["serve", "--bind", "127.0.0.1", "--port", "0", "--data"])
        .arg(folder.join("data"))
        .args(extra)
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("BANTER_LOG", "warn")
        .env("BANTER_DISCOVERY", "off")
        .kill_on_drop(true);
    command
}

fn root_hint(output: &Output) -> String {
    format!(
        "unshare could not make a mount namespace (this test needs root, as make test has on CI): {}",
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn a_folder_that_cannot_be_written_is_refused() {
    let home = Home::new();
    let folder = home.path().join("read-only");
    let output = tokio::time::timeout(WAIT, serve_on_tmpfs(&home, &folder, "ro,size=1m", &[]).output())
        .await
        .expect("a refused host exits at once")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("unshare:"), "{}", root_hint(&output));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Banter cannot write to") && stderr.contains("Read-only file system"), "{stderr}");
}

fn client_config(address: &str, name: &str) -> ClientConfig {
    let mut config = ClientConfig::new(address, name);
    config.user_key = Some(format!("{name}-full-disk-key"));
    config.backoff_min = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(300);
    config
}

/// A host on a tmpfs of `size` (`4m`), and its address.
async fn host_on_a_small_disk(home: &Home, folder: &Path, size: &str) -> (tokio::process::Child, String) {
    let options = format!("size={size}");
    let mut host =
        serve_on_tmpfs(home, folder, &options, &["--requests-per-second", "1000", "--request-burst", "1000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let mut stdout = BufReader::new(host.stdout.take().unwrap()).lines();
    let Some(first) = next_line(&mut stdout).await else {
        let mut stderr = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut host.stderr.take().unwrap(), &mut stderr).await.unwrap();
        panic!("the host did not start: {stderr}");
    };
    let address = first.strip_prefix("Banter host listening on ").expect("the listening line").to_owned();
    (host, address)
}

/// Waits for the outcome of the message sent as `client_id`: delivered, or refused with the host's error.
async fn outcome(
    events: &mut banter_core::client::ClientEvents,
    client_id: &str,
) -> Result<(), banter_core::protocol::ErrorBody> {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Some(ClientEvent::Delivered { client_id: id }) if id == client_id => return Ok(()),
                Some(ClientEvent::SendFailed { client_id: id, error }) if id == client_id => return Err(error),
                Some(_) => {}
                None => panic!("the client stopped"),
            }
        }
    })
    .await
    .expect("every message is answered")
}

#[tokio::test]
async fn a_full_disk_refuses_new_messages_keeps_serving_reads_and_loses_nothing() {
    let home = Home::new();
    let folder = home.path().join("small-disk");
    let (mut host, address) = host_on_a_small_disk(&home, &folder, "4m").await;
    // The host's own view of the tmpfs, from outside its namespace: fill most of it with a ballast file, to be
    // deleted later as an owner making room would.
    let inside = format!("/proc/{}/root{}", host.id().unwrap(), folder.display());
    let ballast = Path::new(&inside).join("ballast");
    let filled = std::process::Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", ballast.display()), "bs=64k", "count=56", "status=none"])
        .status()
        .unwrap();
    assert!(filled.success());

    let (writer, mut events) = Client::connect(client_config(&address, "writer")).unwrap();
    let text = "x".repeat(3900);
    let mut acked = Vec::new();
    let mut refusal = None;
    for index in 0..400 {
        let client_id = writer.send_message("lobby", &format!("{index} {text}")).await.unwrap();
        match outcome(&mut events, &client_id).await {
            Ok(()) => acked.push(index),
            Err(error) => {
                refusal = Some(error);
                break;
            }
        }
    }
    let refusal = refusal.expect("the disk filled up within 400 messages");
    assert_eq!(refusal.kind.as_str(), "storage_full", "{refusal:?}");
    assert!(refusal.message.contains("disk is full"), "{}", refusal.message);
    assert!(acked.len() > 3, "some messages were kept before the disk filled ({})", acked.len());
    eprintln!("{} messages kept before the disk filled: {}", acked.len(), refusal.message);

    // Reads go on, and what was acknowledged is all there.
    let (reader, _reader_events) = Client::connect(client_config(&address, "writer")).unwrap();
    let mut kept = Vec::new();
    let mut before = None;
    loop {
        let page = reader.history("lobby", before, 100).await.unwrap();
        let Some(oldest) = page.messages.first().map(|message| message.seq) else { break };
        kept.splice(0..0, page.messages);
        if oldest <= 1 {
            break;
        }
        before = Some(oldest);
    }
    let kept_indices: Vec<usize> =
        kept.iter().map(|message| message.text.split(' ').next().unwrap().parse().unwrap()).collect();
    assert_eq!(kept_indices, acked, "everything acknowledged, nothing else");
    let health = reqwest::get(format!("http://{address}/health")).await.unwrap();
    assert!(health.status().is_success(), "the host is up");

    let image = [&b"\x89PNG\r\n\x1a\n"[..], &[7u8; 200_000]].concat();
    let upload = writer.upload_image(bytes::Bytes::from(image)).await.err().map(|error| error.kind());
    assert_eq!(upload, Some("storage_full"), "images are refused the same way");

    // Once there is room again, it keeps messages again.
    std::fs::remove_file(&ballast).unwrap();
    let client_id = writer.send_message("lobby", "room again").await.unwrap();
    assert_eq!(outcome(&mut events, &client_id).await, Ok(()), "kept once the disk has room");
    host.start_kill().unwrap();
}

/// Free bytes of the filesystem `path` is on, as `stat -f` reads them.
fn free_bytes(path: &Path) -> u64 {
    let output = std::process::Command::new("stat").args(["-f", "-c", "%a %S"]).arg(path).output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    let mut numbers = said.split_whitespace().map(|number| number.parse::<u64>().unwrap());
    numbers.next().unwrap() * numbers.next().unwrap()
}

fn random_file(path: &Path, seed: u64, size: usize) {
    use rand::{RngCore, SeedableRng};
    let mut bytes = vec![0u8; size];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    std::fs::write(path, bytes).unwrap();
}

/// Files on a full disk (a real tmpfs): a file larger than the disk's room is refused before a byte is sent; one
/// that meets a disk something else filled meanwhile is refused with `storage_full` and dropped, which gives the
/// room back, so that others' messages are kept; and once there is room it is sent whole.
#[tokio::test]
async fn a_full_disk_refuses_files_up_front_or_drops_them_and_chat_goes_on() {
    use banter_core::client::transfer::{upload_file, Progress, TransferError};
    use banter_core::protocol::BeginUpload;

    let seed: u64 = rand::random();
    eprintln!("seed {seed}");
    let home = Home::new();
    let folder = home.path().join("files-disk");
    let (mut host, address) = host_on_a_small_disk(&home, &folder, "24m").await;
    let inside = format!("/proc/{}/root{}", host.id().unwrap(), folder.display());
    let base: url::Url = format!("http://{address}").parse().unwrap();
    let (sender, _sender_events) = Client::connect(client_config(&address, "sender")).unwrap();
    let (other, mut other_events) = Client::connect(client_config(&address, "other")).unwrap();
    let quiet: Progress = std::sync::Arc::new(|_, _| {});

    // Larger than the disk: refused up front.
    let big = home.path().join("big.bin");
    random_file(&big, seed, 30 << 20);
    // Refused at `file:begin` (over the socket) or by the upload (over HTTP): the host's error either way.
    let refusal = |outcome: Result<banter_core::protocol::FileInfo, TransferError>| match outcome {
        Err(TransferError::Refused(error) | TransferError::Client(ClientError::Refused(error))) => error,
        other => panic!("not refused: {other:?}"),
    };
    let error = refusal(upload_file(&sender, &base, &big, quiet.clone()).await);
    assert_eq!(error.kind.as_str(), "storage_full", "{error:?}");
    assert!(error.message.contains("disk has room for"), "{}", error.message);

    // Begun while there was room; then something else fills the disk to 3 MiB of free space.
    let video = home.path().join("video.bin");
    random_file(&video, seed + 1, 10 << 20);
    let (size, sha256) = banter_core::client::transfer::size_and_sha256(&video).await.unwrap();
    sender.begin_upload(BeginUpload { name: "video.bin".into(), size, sha256 }).await.unwrap();
    let ballast = Path::new(&inside).join("ballast");
    let keep_free = 3 << 20;
    let fill = free_bytes(Path::new(&inside)).saturating_sub(keep_free);
    let filled =
        std::process::Command::new("fallocate").args(["-l", &fill.to_string()]).arg(&ballast).status().unwrap();
    assert!(filled.success());
    let error = refusal(upload_file(&sender, &base, &video, quiet.clone()).await);
    assert_eq!(error.kind.as_str(), "storage_full", "{error:?}");
    assert!(error.message.contains("disk is full"), "{}", error.message);
    // Dropped, and the room it took is free again: someone else's message is kept.
    let uploads = Path::new(&inside).join("data/files/uploads");
    let left: Vec<_> = std::fs::read_dir(&uploads).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the refused upload left {left:?}");
    assert!(free_bytes(Path::new(&inside)) >= keep_free / 2, "the room came back");
    let client_id = other.send_message("lobby", "still talking").await.unwrap();
    assert_eq!(outcome(&mut other_events, &client_id).await, Ok(()));

    // Room again: the same file goes whole, and comes back with its hash.
    std::fs::remove_file(&ballast).unwrap();
    let file = upload_file(&sender, &base, &video, quiet.clone()).await.unwrap();
    let got = home.path().join("got.bin");
    let url = base.join(&format!("files/{}", file.id)).unwrap();
    banter_core::client::transfer::download_file(&url, &got, quiet).await.unwrap();
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&video).unwrap(), "seed {seed}");
    host.start_kill().unwrap();
}
