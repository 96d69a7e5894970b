//! End to end through the real app: Xvfb for a display, tauri-driver + WebKitWebDriver to drive the real webview,
//! and the real `banter-cli` as the other people in the chat. Saves screenshots of the main screens to
//! target/screenshots/; `make screenshots` copies them to docs/screenshots/, which the README shows.
//!
//! Needs what `make test` installs: Xvfb, WebKitWebDriver (webkit2gtk-driver) and tauri-driver.
#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod e2e_actions;
mod e2e_files;
mod e2e_settings;
mod harness;
mod notifications;
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::*;
use webdriver::WebDriver;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The app under test, built by cargo for this test.
fn banter_app() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_banter"))
}

/// The CLI binary, built beside the app by `cargo test --workspace` for the CLI's own tests.
fn banter_cli() -> PathBuf {
    let path = banter_app().with_file_name("banter-cli");
    assert!(path.exists(), "{} is missing: run `cargo build -p banter-cli` (make test does)", path.display());
    path
}

fn screenshot_path(name: &str) -> PathBuf {
    let folder = root().join("target/screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    folder.join(name)
}

async fn host_a_room(display: &Display) {
    let data = tempdir("host");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    app.wait_for("[data-testid=host-name]").await;
    display.screenshot(&screenshot_path("start.png"), 1100, 720);
    let room_port = fill_host_form(&app, "Hostess").await;
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    app.wait_for(&format!("[data-address='127.0.0.1:{room_port}']")).await;
    app.wait_for(&format!("[data-guest-url='http://127.0.0.1:{room_port}/']")).await;
    app.wait_for("[data-testid=guest-qr]").await;

    // A terminal guest and the app chat in the lobby.
    let mut guest = Cli::join(&banter_cli(), &format!("127.0.0.1:{room_port}"), "guest").await;
    app.wait_for_text("[data-testid=messages]", "guest joined").await;
    app_says(&app, "hello from the app").await;
    guest.expect_line("[lobby] Hostess: hello from the app").await;
    guest.say("hello from the terminal").await;
    app.wait_for_text("[data-testid=messages]", "hello from the terminal").await;

    // …and in a room the app creates.
    let room_input = app.find("[data-testid=room-new-input]").await;
    app.type_into(&room_input, "e2e").await;
    app.click_on("[data-testid=room-new-submit]").await;
    app.wait_for_text("[data-testid=conversation-title]", "# e2e").await;
    guest.say("/join e2e").await;
    app.wait_for_text("[data-testid=messages]", "guest joined").await;
    guest.say("in the room").await;
    app.wait_for_text("[data-testid=messages]", "in the room").await;
    app_says(&app, "room reply").await;
    guest.expect_line("[e2e] Hostess: room reply").await;

    // A direct message from the guest appears under the guest's name.
    guest.say("/dm Hostess psst, over here").await;
    app.click_until_text("[data-testid='conversation-guest']", "[data-testid=conversation-title]", "guest").await;
    app.wait_for_text("[data-testid=messages]", "psst, over here").await;
    app.click_until_text("[data-testid='conversation-lobby']", "[data-testid=conversation-title]", "lobby").await;
    app.wait_for_text("[data-testid=messages]", "hello from the terminal").await;
    // Clicking a conversation scrolled the sidebar to it; the picture shows it from the top, as a user sees it.
    // The pointer goes to the composer, where it shows no tooltip.
    app.execute("document.querySelector('.sidebar').scrollTo(0, 0); return true;").await;
    app.click_on("[data-testid=composer]").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    display.screenshot(&screenshot_path("chat-host.png"), 1100, 720);
    app.resize(420, 720).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    display.screenshot(&screenshot_path("chat-small.png"), 420, 720);
    app.resize(1100, 720).await;

    app.wait_for_text("[data-testid=host-data]", "chat.banter.desktop/host").await;

    // Stopping tells the guest.
    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.wait_for("[data-testid=start-screen]").await;

    // Hosting again brings everything back from the app's data folder: the lobby's history, the room and its
    // messages; the guest, who waited, comes back by itself.
    let port_field = app.wait_for("[data-testid=host-port]").await;
    app.clear(&port_field).await;
    app.type_into(&port_field, &room_port.to_string()).await;
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    app.wait_for_text("[data-testid=messages]", "hello from the terminal").await;
    app.click_until_text("[data-testid='conversation-e2e']", "[data-testid=conversation-title]", "e2e").await;
    app.wait_for_text("[data-testid=messages]", "in the room").await;
    app.click_until_text("[data-testid='conversation-lobby']", "[data-testid=conversation-title]", "lobby").await;
    app_says(&app, "back again").await;
    guest.expect_line("[lobby] Hostess: back again").await;

    // The owner bans a troll from the people list: disconnected, refused under any name with the same key,
    // listed in the host panel, and let back in with Lift.
    let address = format!("127.0.0.1:{room_port}");
    let troll_key = ["--user-key", "troll-e2e-key-0001"];
    let mut troll = Cli::join_with(&banter_cli(), &address, "troll", &troll_key).await;
    app.click_on("[data-testid='ban-troll']").await;
    app.wait_for("[data-testid=ban-form]").await;
    display.screenshot(&screenshot_path("ban.png"), 1100, 720);
    app.click_until_gone("[data-testid=ban-confirm]").await;
    app.wait_for_text("[data-testid='banned-troll']", "until").await;
    app.wait_gone("[data-testid='member-troll']").await;
    display.screenshot(&screenshot_path("banned.png"), 1100, 720);
    let ended = tokio::time::timeout(WAIT, troll.child.wait()).await.unwrap().unwrap();
    assert!(!ended.success(), "a banned guest stops");
    let mut disguised = Cli::join_with(&banter_cli(), &address, "not-a-troll", &troll_key).await;
    let ended = tokio::time::timeout(WAIT, disguised.child.wait()).await.unwrap().unwrap();
    assert!(!ended.success(), "the same key under another name is refused");
    app.click_until_gone("[data-testid='unban-troll']").await;
    app.wait_gone("[data-testid='banned-troll']").await;
    let mut forgiven = Cli::join_with(&banter_cli(), &address, "troll", &troll_key).await;
    app.wait_for("[data-testid='member-troll']").await;
    // Kick: disconnected (the guest stops rather than reconnect), but not kept out.
    app.click_on("[data-testid='kick-troll']").await;
    app.wait_gone("[data-testid='member-troll']").await;
    let ended = tokio::time::timeout(WAIT, forgiven.child.wait()).await.unwrap().unwrap();
    assert!(!ended.success(), "a kicked guest stops");
    let _back = Cli::join_with(&banter_cli(), &address, "troll", &troll_key).await;
    app.wait_for("[data-testid='member-troll']").await;

    // The owner deletes a room, asked first; its history goes with it.
    app.click_until_text("[data-testid='conversation-e2e']", "[data-testid=conversation-title]", "e2e").await;
    app.click_until_gone("[data-testid=delete-room]").await;
    app.wait_for("[data-testid=delete-room-form]").await;
    display.screenshot(&screenshot_path("delete-room.png"), 1100, 720);
    app.click_until_gone("[data-testid=delete-room-confirm]").await;
    app.wait_gone("[data-testid='conversation-e2e']").await;
    let history = room_history(&address, "e2e").await;
    assert!(!history.contains("in the room"), "the deleted room's history is gone: {history}");
    // …and frees the guest's name once the guest has gone, so that someone with another key may take it.
    drop(guest);
    app.wait_gone("[data-testid='member-guest']").await;
    app.type_into(&app.find("[data-testid=release-name-input]").await, "guest").await;
    app.click_on("[data-testid=release-name-submit]").await;
    app.wait_for_text("[data-testid=release-name-status]", "is free").await;
    let _newcomer = Cli::join(&banter_cli(), &address, "guest").await;
    app.wait_for("[data-testid='member-guest']").await;

    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.wait_for("[data-testid=start-screen]").await;
    app.close().await;
}

/// What `banter-cli join --room ROOM --history` prints for a newcomer with a home of its own.
async fn room_history(address: &str, room: &str) -> String {
    let home = tempdir(&format!("history-{room}"));
    let output = tokio::process::Command::new(banter_cli())
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("BANTER_DISCOVERY", "off")
        .args(["join", address, "--name", "reader", "--room", room, "--history"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Hosting with "Require an access code": the host panel shows the code, the guest links carry it in their
/// fragment, and a terminal guest gets in with it and not without.
async fn host_with_an_access_code(display: &Display) {
    let data = tempdir("code");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    let room_port = fill_host_form(&app, "Keeper").await;
    app.click_on("[data-testid=host-require-code]").await;
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    let code = app.attribute("[data-access-code]", "data-access-code").await;
    assert_eq!(code.len(), 11, "{code}");
    app.wait_for(&format!("[data-guest-url='http://127.0.0.1:{room_port}/#code={code}']")).await;
    let fingerprint = app.attribute("[data-fingerprint]", "data-fingerprint").await;
    assert_eq!(fingerprint.len(), 9, "{fingerprint}");
    display.screenshot(&screenshot_path("host-code.png"), 1100, 720);

    let address = format!("127.0.0.1:{room_port}");
    let mut refused = Cli::join(&banter_cli(), &address, "stranger").await;
    let ended = tokio::time::timeout(WAIT, refused.child.wait()).await.unwrap().unwrap();
    assert!(!ended.success(), "no code, no entry");
    let mut friend = Cli::join_with(&banter_cli(), &address, "friend", &["--access-code", &code]).await;
    app.wait_for_text("[data-testid=messages]", "friend joined").await;
    app_says(&app, "welcome, friend").await;
    friend.expect_line("[lobby] Keeper: welcome, friend").await;
    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.wait_for("[data-testid=start-screen]").await;
    app.close().await;
}

async fn join_a_host_by_address(display: &Display) {
    let data = tempdir("join");
    let host_home = tempdir("join-host");
    let (host, address) = Cli::serve(&banter_cli(), &host_home).await;
    let mut carol = Cli::join(&banter_cli(), &address, "carol").await;
    let (_driver, port) = start_driver(display, &data, true).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    app.type_into(&app.wait_for("[data-testid=join-address]").await, &address).await;
    app.type_into(&app.find("[data-testid=join-name]").await, "Dora").await;
    app.click_on("[data-testid=join-submit]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    carol.expect_line("* Dora joined lobby").await;
    carol.say("hi Dora").await;
    app.wait_for_text("[data-testid=messages]", "hi Dora").await;
    app_says(&app, "hi carol").await;
    carol.expect_line("[lobby] Dora: hi carol").await;
    app.wait_for("[data-testid='member-carol']").await;
    display.screenshot(&screenshot_path("chat-guest-dark.png"), 1100, 720);

    // The host stops: the app says so in words, and nobody is shown online while nobody can be known to be.
    host.interrupt().await;
    app.wait_for_text("[data-testid=banner]", "The host ended the chat").await;
    app.wait_for_text("[data-testid=presence-unknown]", "unknown until the connection is back").await;
    display.screenshot(&screenshot_path("host-ended-dark.png"), 1100, 720);
    // It comes back with its data: the app reconnects and catches up on what was said meanwhile.
    let port = address.rsplit(':').next().unwrap().parse().unwrap();
    let (_host, _) = Cli::serve_on(&banter_cli(), &host_home, port).await;
    // Carol's terminal waited too; what she says is delivered once she is back.
    carol.say("welcome back").await;
    app.wait_for_text("[data-testid=messages]", "welcome back").await;
    app.wait_for_text("[data-testid=people-title]", "online").await;
    app.close().await;
}

async fn a_wrong_address_is_explained(display: &Display) {
    let data = tempdir("wrong");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    let unused = free_port();
    app.type_into(&app.wait_for("[data-testid=join-address]").await, &format!("127.0.0.1:{unused}")).await;
    app.type_into(&app.find("[data-testid=join-name]").await, "Eve").await;
    app.click_on("[data-testid=join-submit]").await;
    let error = app.wait_for_text("[data-testid=join-error]", "Could not reach that address").await;
    assert!(error.contains("connection refused"), "{error}");
    display.screenshot(&screenshot_path("join-error.png"), 1100, 720);

    let address = app.find("[data-testid=join-address]").await;
    app.clear(&address).await;
    app.type_into(&address, "ftp://somewhere").await;
    app.click_on("[data-testid=join-submit]").await;
    app.wait_for_text("[data-testid=join-error]", "URLs are not supported").await;

    // Several addresses (the hosts of one chat): the first that answers is joined.
    let host_home = tempdir("several");
    let (_host, live) = Cli::serve_with(&banter_cli(), &host_home, &[]).await;
    app.clear(&address).await;
    app.type_into(&address, &format!("127.0.0.1:{unused}, {live}")).await;
    app.click_on("[data-testid=join-submit]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    app.close().await;
}

/// The host form says in words why the app's data folder cannot be used (another host holds it; its database is
/// not Banter's), leaves the database file as it found it, and hosts once the cause is gone.
async fn the_host_form_explains_a_data_folder_it_cannot_use(display: &Display) {
    let data = tempdir("faults");
    let folder = data.join("data/chat.banter.desktop/host");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;

    let (mut other, _) = Cli::serve_with(&banter_cli(), &data, &["--data", folder.to_str().unwrap()]).await;
    fill_host_form(&app, "Faulty").await;
    app.click_on("[data-testid=host-start]").await;
    let said = app.wait_for_text("[data-testid=host-error]", "Another Banter host is already using").await;
    assert!(said.contains(folder.to_str().unwrap()) && said.contains("Stop it first"), "{said}");
    display.screenshot(&screenshot_path("host-error.png"), 1100, 720);
    other.child.kill().await.unwrap();
    other.child.wait().await.unwrap();

    let database = folder.join("banter.db");
    for beside in ["banter.db-wal", "banter.db-shm"] {
        let _ = std::fs::remove_file(folder.join(beside));
    }
    std::fs::write(&database, b"notes.txt saved here by mistake").unwrap();
    app.click_on("[data-testid=host-start]").await;
    app.wait_for_text("[data-testid=host-error]", "is not a Banter database").await;
    assert_eq!(std::fs::read(&database).unwrap(), b"notes.txt saved here by mistake", "the file was left alone");

    std::fs::remove_file(&database).unwrap();
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.wait_for("[data-testid=start-screen]").await;
    app.close().await;
}

/// A name is bound to the key of whoever took it first; the app takes that key from another device, and is then
/// that person.
async fn a_key_from_another_device_is_the_same_person(display: &Display) {
    let data = tempdir("key");
    let host_home = tempdir("key-host");
    let budget = ["--request-burst", "1000", "--requests-per-second", "1000"];
    let (_host, address) = Cli::serve_with(&banter_cli(), &host_home, &budget).await;
    let key = "frank-carried-key-0001";
    let mut frank = Cli::join_with(&banter_cli(), &address, "frank", &["--user-key", key]).await;
    frank.say("from the terminal").await;
    // More than a page after it, so that the app reaches it by scrolling up.
    for n in 1..=130 {
        frank.say(&format!("later {n}")).await;
    }
    frank.expect_line("[lobby] frank: later 130").await;
    drop(frank);

    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    app.click_until_found("[data-testid=key-panel] summary", "[data-testid=key-panel][open]").await;
    let own = app.wait_for_text("[data-testid=user-key]", "").await;
    assert_eq!(own.len(), 32, "the app made a key of its own: {own:?}");
    let own_qr = app.attribute("[data-testid=user-key-qr]", "src").await;
    assert!(own_qr.starts_with("data:image/"), "the key's QR code is drawn: {}", &own_qr[..own_qr.len().min(40)]);
    app.click_on("[data-testid=user-key-copy]").await;
    app.wait_for_text("[data-testid=user-key-status]", "Copied").await;
    app.type_into(&app.find("[data-testid=user-key-input]").await, key).await;
    app.click_on("[data-testid=user-key-use]").await;
    app.wait_for_text("[data-testid=user-key]", key).await;
    let carried_qr = app.attribute("[data-testid=user-key-qr]", "src").await;
    assert!(carried_qr.starts_with("data:image/") && carried_qr != own_qr, "the QR code follows the key");
    display.screenshot(&screenshot_path("start-key.png"), 1100, 720);
    app.type_into(&app.find("[data-testid=join-address]").await, &address).await;
    app.type_into(&app.find("[data-testid=join-name]").await, "Frank").await;
    app.click_on("[data-testid=join-submit]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    app.wait_for_text("[data-testid=messages]", "later 130").await;

    // The newest page first; scrolling up fetches older pages (through the app's history command), in order.
    let shown = || async {
        let texts = app.execute("return [...document.querySelectorAll('[data-testid=message] .message-text')].map((e) => e.textContent);").await;
        texts.as_array().unwrap().iter().map(|text| text.as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>()
    };
    assert!(!shown().await.contains(&"from the terminal".to_owned()), "the whole history came at once");
    for _ in 0..40 {
        if shown().await.first().map(String::as_str) == Some("from the terminal") {
            break;
        }
        app.execute("document.querySelector('[data-testid=messages]').scrollTo(0, 0);").await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let expected: Vec<String> =
        std::iter::once("from the terminal".to_owned()).chain((1..=130).map(|n| format!("later {n}"))).collect();
    assert_eq!(shown().await, expected, "scrolled back to the first message, each once, in order");
    app.close().await;
}

/// Says which namespaces [`inside_the_guest_namespace`] runs in: `host namespace,host link,guest link`.
const NETWORK_ENV: &str = "BANTER_E2E_NETWORK";

/// Hosts found on the network, one click to join, a remembered host found again at a new address, and a different
/// host at a remembered address told apart. mDNS must stay inside namespaces of the test's own: the app and its
/// drivers run in the guest one, as [`inside_the_guest_namespace`] in a process of this test binary started there,
/// and the hosts in the host one.
async fn finds_and_joins_hosts_on_the_network() {
    let namespaces = match banter_netns::Namespaces::make('e') {
        Ok(namespaces) => namespaces,
        Err(reason) => return println!("the network part did not run: {reason}"),
    };
    let spec = format!("{},{},{}", namespaces.host, namespaces.host_link, namespaces.guest_link);
    let output = tokio::process::Command::from(banter_netns::Namespaces::command_in(
        &namespaces.guest,
        std::env::current_exe().unwrap(),
    ))
    .args(["--exact", "inside_the_guest_namespace", "--ignored", "--nocapture", "--test-threads", "1"])
    .env(NETWORK_ENV, spec)
    .kill_on_drop(true)
    .output();
    let output = tokio::time::timeout(Duration::from_secs(240), output).await.unwrap().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && printed.contains("the network part passed"),
        "the network part failed:\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs inside the guest namespace, started by [`finds_and_joins_hosts_on_the_network`]: alone it has no namespaces
/// to run in, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run inside a network namespace by the_desktop_app_hosts_joins_and_explains_errors"]
async fn inside_the_guest_namespace() {
    let Ok(spec) = std::env::var(NETWORK_ENV) else {
        return println!("nothing to do: the_desktop_app_hosts_joins_and_explains_errors runs this in a namespace");
    };
    let parts: Vec<&str> = spec.split(',').collect();
    let [host_namespace, host_link, guest_link] = parts[..] else { panic!("{NETWORK_ENV}={spec}") };
    let display = start_display().await;
    let data = tempdir("network");
    let looking = [("BANTER_DISCOVERY", "on"), ("BANTER_DISCOVERY_INTERFACES", guest_link)];
    let (_driver, port) = start_driver_with(&display, &data, false, &looking).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    app.type_into(&app.wait_for("[data-testid=join-name]").await, "Nina").await;
    app.wait_for_text("[data-testid=network-empty]", "No hosts found").await;

    // A host appears in the list with its title, address and fingerprint; one click joins it.
    let ip = banter_netns::HOST_IP;
    let (first_port, second_port) = (free_port(), free_port());
    let home = tempdir("network-host");
    let serve = move |home: PathBuf, port: u16, title: Option<&'static str>, extra: &'static [&'static str]| async move {
        let advertise = title.map(|title| (title, host_link));
        let (mut host, _) =
            Cli::serve_in_namespace(&banter_cli(), &home, host_namespace, (ip, port), advertise, extra).await;
        let fingerprint = host.line_after("Fingerprint: ").await;
        (host, fingerprint.split_whitespace().next().unwrap().to_owned())
    };
    let (host, fingerprint) = serve(home.clone(), first_port, Some("Team room"), &[]).await;
    let entry = format!("[data-testid='network-host-{fingerprint}']");
    app.wait_for_text(&entry, &format!("{ip}:{first_port}")).await;
    display.screenshot(&screenshot_path("network.png"), 1100, 720);
    // WebKitWebDriver reads no text from the one-line (ellipsised) title: the entry carries it as an attribute.
    app.wait_for(&format!("{entry}[data-title='Team room']")).await;
    // The entry follows who is online: the host announces its count again within a few seconds.
    let carl = Cli::join(&banter_cli(), &format!("{ip}:{first_port}"), "carl").await;
    app.wait_for_text(&entry, "1 online").await;
    drop(carl);
    app.click_on(&format!("[data-testid='network-join-{fingerprint}']")).await;
    app.wait_for(&format!("[data-joined='{ip}:{first_port}']")).await;
    app.click_until_gone("[data-testid=leave-chat]").await;

    // The host comes back at another port (another address, for DHCP): the list follows it, and the old address,
    // typed, joins it where it is now.
    host.interrupt().await;
    let (host, again) = serve(home.clone(), second_port, Some("Team room"), &[]).await;
    assert_eq!(again, fingerprint, "the same host");
    let listed = app.wait_for_text(&entry, &format!("{ip}:{second_port}")).await;
    assert!(listed.contains("joined before"), "{listed}");
    app.type_into(&app.wait_for("[data-testid=join-address]").await, &format!("{ip}:{first_port}")).await;
    app.click_on("[data-testid=join-submit]").await;
    app.wait_for(&format!("[data-joined='{ip}:{second_port}']")).await;
    app.click_until_gone("[data-testid=leave-chat]").await;

    // Another host at the remembered address: the app says so before joining, and joins only when asked again.
    host.interrupt().await;
    let (_stranger, other) = serve(tempdir("network-other"), second_port, None, &[]).await;
    assert_ne!(other, fingerprint);
    app.wait_gone(&entry).await;
    app.wait_for(&format!("[data-testid='recent-host-{fingerprint}']")).await;
    app.type_into(&app.wait_for("[data-testid=join-address]").await, &format!("{ip}:{second_port}")).await;
    app.click_on("[data-testid=join-submit]").await;
    let warning = app.wait_for_text("[data-testid=join-error]", "is not the one you joined there before").await;
    assert!(warning.contains(&other) && warning.contains(&fingerprint), "{warning}");
    display.screenshot(&screenshot_path("different-host.png"), 1100, 720);
    app.click_on("[data-testid=join-anyway]").await;
    app.wait_for(&format!("[data-joined='{ip}:{second_port}']")).await;
    app.click_until_gone("[data-testid=leave-chat]").await;

    // A host with an access code shows a lock; the code is asked for once, then kept for that host.
    let third_port = free_port();
    let (_locked, locked) =
        serve(tempdir("network-locked"), third_port, Some("Locked room"), &["--access-code", "open-sesame"]).await;
    let entry = format!("[data-testid='network-host-{locked}']");
    app.wait_for(&format!("{entry} [data-testid=host-lock]")).await;
    app.click_on(&format!("[data-testid='network-join-{locked}']")).await;
    app.wait_for_text("[data-testid=join-error]", "This host needs an access code").await;
    app.type_into(&app.find("[data-testid=join-code]").await, "open-sesame").await;
    app.click_on(&format!("[data-testid='network-join-{locked}']")).await;
    app.wait_for(&format!("[data-joined='{ip}:{third_port}']")).await;
    app.click_until_gone("[data-testid=leave-chat]").await;
    let listed = app.wait_for_text(&entry, "joined before").await;
    assert!(listed.contains(&format!("{ip}:{third_port}")), "{listed}");
    app.click_on(&format!("[data-testid='network-join-{locked}']")).await;
    app.wait_for(&format!("[data-joined='{ip}:{third_port}']")).await;
    app.close().await;
    println!("the network part passed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktop_app_hosts_joins_and_explains_errors() {
    let display = start_display().await;
    host_a_room(&display).await;
    host_with_an_access_code(&display).await;
    join_a_host_by_address(&display).await;
    a_wrong_address_is_explained(&display).await;
    the_host_form_explains_a_data_folder_it_cannot_use(&display).await;
    a_key_from_another_device_is_the_same_person(&display).await;
    e2e_actions::replies_reactions_edits_and_deletions(&display).await;
    e2e_files::files_go_both_ways(&display).await;
    e2e_actions::a_second_launch_brings_the_first_window_forward(&display).await;
    e2e_actions::closing_the_window_while_hosting_asks_first(&display).await;
    e2e_actions::a_mention_notifies_while_the_app_is_in_the_background(&display).await;
    e2e_settings::settings_are_kept_and_used(&display).await;
    finds_and_joins_hosts_on_the_network().await;
}
