//! Browser guests end to end: `tests/interop/browser.js` drives Debian's chromium (playwright-core) against the
//! real `banter-cli serve`, which serves the embedded web client, with a real `banter-cli join` user beside it.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::path::PathBuf;
use std::process::Stdio;

use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn browser_guests_chat_with_each_other_and_with_the_terminal() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let interop = root.join("tests/interop");
    assert!(
        interop.join("node_modules/playwright-core").is_dir(),
        "the npm packages of tests/interop are missing: run `make test` (or `npm ci --prefix tests/interop`)"
    );
    assert!(std::path::Path::new("/usr/bin/chromium").exists(), "Debian's chromium is missing: run `make test`");
    let host = Served::start().await;
    // Under target/, so that `make test` leaves the work tree clean; `make screenshots` copies them to docs/.
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let mut script = tokio::process::Command::new("node")
        .arg(interop.join("browser.js"))
        .arg(format!("http://{}", host.address))
        .arg(env!("CARGO_BIN_EXE_banter-cli"))
        .arg(&screenshots)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut steps = BufReader::new(script.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Generous: chromium's first start on a cold 2-core machine is slow; each step has its own 15 s limit.
    let finished = tokio::time::timeout(WAIT * 8, async {
        while let Ok(Some(line)) = steps.next_line().await {
            seen.push(line);
        }
        script.wait().await
    })
    .await;
    let status = finished.unwrap_or_else(|_| panic!("the browser test did not finish; it printed {seen:#?}")).unwrap();
    assert!(
        status.success() && seen.last().map(String::as_str) == Some("browser ok"),
        "browser test failed after {seen:#?}"
    );
}

#[path = "../../banter-core/tests/common/proxy.rs"]
mod proxy;

/// The web transport keeps the same reconnect contract as the engine's client (the engine's side is in
/// crates/banter-core/tests/durability.rs and delivery.rs): through a connection this test cuts, a browser guest
/// catches up on 1,000 messages once each and in order, and what it wrote meanwhile is kept once, in the order it
/// was written, after what it wrote before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_guest_catches_up_and_keeps_its_order_through_a_cut_connection() {
    use banter_core::client::{Client, ClientConfig};
    use banter_core::host::{self, HostConfig};
    use banter_core::limits::Limits;
    use tokio::io::AsyncWriteExt;

    let limits = Limits { request_burst: 100_000, requests_per_second: 100_000, ..Limits::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = HostConfig { limits, web: Some(banter_web::client()), ..HostConfig::default() };
    let host = host::spawn(listener, config).await.unwrap();
    let proxy = proxy::Proxy::start(host.local_addr()).await;

    let Script { mut script, mut commands, mut steps } =
        Script::start("browser-catchup.js", &[&format!("http://{}", proxy.address)]);
    steps.expect("step online").await;
    proxy.cut();
    commands.write_all(b"cut\n").await.unwrap();
    steps.expect("step typed").await;

    let mut writer_config = ClientConfig::new(host.local_addr().to_string(), "writer");
    writer_config.outbox_limit = 2000;
    let (writer, _events) = Client::connect(writer_config).unwrap();
    for n in 1..=1000 {
        writer.send_message("lobby", &format!("bulk {n}")).await.unwrap();
    }
    writer.flush().await.unwrap();
    proxy.restore();
    commands.write_all(b"restored\n").await.unwrap();
    steps.expect("step caught-up").await;
    steps.expect("catchup ok").await;

    let lobby = banter_core::keys::RoomKey::lobby();
    let page = host.hub().store().room_page(&lobby, banter_core::store::PageRequest::Latest, 5000).await;
    let kept = page.unwrap().unwrap().messages;
    let own: Vec<&str> = kept.iter().filter(|m| m.from == "Guest").map(|m| m.text.as_str()).collect();
    let expected: Vec<String> =
        (1..=5).map(|n| format!("online {n}")).chain((1..=20).map(|n| format!("offline {n}"))).collect();
    assert_eq!(own, expected, "the guest's messages, kept once each, in the order written");
    let status = tokio::time::timeout(WAIT, script.wait()).await.unwrap().unwrap();
    assert!(status.success());
}

/// Replies, reactions, edits and deletions between two browser guests (`tests/interop/browser-actions.js`), in the
/// lobby and in a direct conversation, and a guest that catches up, after its connection was cut, on changes to
/// more messages than a page holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_guests_reply_react_edit_delete_and_catch_up_on_changes() {
    use banter_core::client::{Client, ClientConfig};
    use banter_core::host::{self, HostConfig};
    use banter_core::limits::Limits;
    use tokio::io::AsyncWriteExt;

    const CARL: usize = 120;
    let limits = Limits { request_burst: 100_000, requests_per_second: 100_000, ..Limits::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = HostConfig { limits, web: Some(banter_web::client()), ..HostConfig::default() };
    let host = host::spawn(listener, config).await.unwrap();
    let proxy = proxy::Proxy::start(host.local_addr()).await;
    // Under target/, so that `make test` leaves the work tree clean; `make screenshots` copies them to docs/.
    let screenshots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let Script { mut script, mut commands, mut steps } = Script::start(
        "browser-actions.js",
        &[
            &format!("http://{}", host.local_addr()),
            &format!("http://{}", proxy.address),
            &screenshots.to_string_lossy(),
        ],
    );
    for step in ["replied", "reacted", "reactors", "edited", "mentioned", "selection-kept"] {
        steps.expect(&format!("step {step}")).await;
    }
    let mut carl_config = ClientConfig::new(host.local_addr().to_string(), "carl");
    carl_config.outbox_limit = 1000;
    let (carl, _events) = Client::connect(carl_config).unwrap();
    for n in 1..=CARL {
        carl.send_message("lobby", &format!("carl {n}")).await.unwrap();
    }
    carl.flush().await.unwrap();
    let lobby = banter_core::keys::RoomKey::lobby();
    let page = host.hub().store().room_page(&lobby, banter_core::store::PageRequest::Latest, 1000).await;
    let messages = page.unwrap().unwrap().messages;
    let seq_of = |text: &str| messages.iter().find(|message| message.text == text).unwrap().seq;
    commands.write_all(b"posted\n").await.unwrap();
    steps.expect("step carl-seen").await;

    proxy.cut();
    commands.write_all(b"cut\n").await.unwrap();
    steps.expect("step cut").await;
    // Changes to more messages than one page (100) holds, while the guest is away.
    for n in 1..=CARL {
        carl.react("lobby", seq_of(&format!("carl {n}")), "👍", true).await.unwrap();
    }
    carl.edit_message("lobby", seq_of("carl 1"), "carl 1, edited").await.unwrap();
    carl.edit_message("lobby", seq_of(&format!("carl {CARL}")), &format!("carl {CARL}, edited")).await.unwrap();
    carl.delete_message("lobby", seq_of("carl 2")).await.unwrap();
    // Past the page the welcome shows, so that Carl's messages come back only through the changes the guest asks
    // for, not among the newest messages.
    for n in 1..=110 {
        carl.send_message("lobby", &format!("filler {n}")).await.unwrap();
    }
    carl.flush().await.unwrap();
    proxy.restore();
    commands.write_all(b"restored\n").await.unwrap();
    steps.expect("step caught-up").await;
    steps.expect("step deleted").await;
    steps.expect("step jump-latest").await;
    steps.expect("step hostile").await;
    steps.expect("step searched").await;
    steps.expect("step read-elsewhere").await;
    steps.expect("step direct").await;
    steps.expect("step notify-level").await;
    steps.expect("step settings").await;
    steps.expect("step accessible").await;
    steps.expect("actions ok").await;
    let status = tokio::time::timeout(WAIT, script.wait()).await.unwrap().unwrap();
    assert!(status.success());
}

/// A script of tests/interop run by node: its stdin for commands, its stdout read as steps.
struct Script {
    script: tokio::process::Child,
    commands: tokio::process::ChildStdin,
    steps: Steps<BufReader<tokio::process::ChildStdout>>,
}

impl Script {
    fn start(name: &str, args: &[&str]) -> Script {
        let interop = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop");
        assert!(
            interop.join("node_modules/playwright-core").is_dir(),
            "run `make test` first: playwright-core is missing"
        );
        let mut script = tokio::process::Command::new("node")
            .arg(interop.join(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let commands = script.stdin.take().unwrap();
        let steps = Steps { lines: BufReader::new(script.stdout.take().unwrap()).lines(), seen: Vec::new() };
        Script { script, commands, steps }
    }
}

/// The lines a test script prints, expected one by one.
struct Steps<R> {
    lines: tokio::io::Lines<R>,
    seen: Vec<String>,
}

impl<R: tokio::io::AsyncBufRead + Unpin> Steps<R> {
    async fn expect(&mut self, wanted: &str) {
        let line = tokio::time::timeout(WAIT * 6, self.lines.next_line()).await;
        let line = line.unwrap_or_else(|_| panic!("no {wanted:?} in time after {:?}", self.seen)).unwrap();
        let line = line.unwrap_or_else(|| panic!("the script ended before {wanted:?}, after {:?}", self.seen));
        self.seen.push(line.clone());
        assert_eq!(line, wanted, "after {:?}", self.seen);
    }
}

/// A host with an access code: a browser guest without it (or with a wrong one) is told so at the join form, and
/// one who opens the guest URL with `#code=` (what the QR code carries) is in without typing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_guest_joins_by_the_link_that_carries_the_access_code() {
    use banter_core::host::access::AccessCode;
    use banter_core::host::{self, HostConfig};

    let code = AccessCode::random();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config =
        HostConfig { web: Some(banter_web::client()), access_code: Some(code.clone()), ..HostConfig::default() };
    let host = host::spawn(listener, config).await.unwrap();
    let Script { mut script, mut steps, .. } =
        Script::start("browser-code.js", &[&format!("http://{}", host.local_addr()), code.as_str()]);
    steps.expect("step refused-without").await;
    steps.expect("step refused-wrong").await;
    steps.expect("step joined-from-link").await;
    steps.expect("code ok").await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), script.wait()).await.unwrap().unwrap();
    assert!(status.success());
}

/// Files between browser guests (`tests/interop/browser-files.js`): a drop whose upload is cut short and goes on
/// from the host's offset, a download by the other guest checked by its SHA-256, a photo by the picker shown to
/// both, a large photo sent smaller, a name that is a path, a paste, Cancel and Retry, and a file in a direct
/// message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_guests_share_files_by_drop_and_picker_and_download_them() {
    use banter_core::host::{self, HostConfig};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = HostConfig { web: Some(banter_web::client()), ..HostConfig::default() };
    let host = host::spawn(listener, config).await.unwrap();
    let screenshots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let photo = std::env::temp_dir().join(format!("banter-browser-photo-{}.png", std::process::id()));
    let made = std::process::Command::new("/usr/bin/convert")
        .args(["-size", "320x200", "gradient:#0ea5e9-#f97316"])
        .arg(&photo)
        .status()
        .expect("ImageMagick's convert runs (make test installs it)");
    assert!(made.success());
    let photo_bytes = std::fs::metadata(&photo).unwrap().len();
    let big = photo.with_extension("big.png");
    let made = std::process::Command::new("/usr/bin/convert")
        .args(["-size", "2400x1600", "xc:", "+noise", "Random"])
        .arg(&big)
        .status()
        .unwrap();
    assert!(made.success());
    let Script { mut script, mut steps, .. } = Script::start(
        "browser-files.js",
        &[
            &format!("http://{}", host.local_addr()),
            &screenshots.to_string_lossy(),
            &photo.to_string_lossy(),
            &big.to_string_lossy(),
        ],
    );
    for step in ["dropped", "downloaded", "photo", "photo-smaller", "path-name", "pasted", "cancel-retry", "direct"] {
        steps.expect(&format!("step {step}")).await;
    }
    steps.expect("files ok").await;
    let status = tokio::time::timeout(WAIT, script.wait()).await.unwrap().unwrap();
    assert!(status.success());
    let _ = std::fs::remove_file(&photo);
    let _ = std::fs::remove_file(&big);
    // What was uploaded is kept once: the files, with the smaller photo's copy (but never its original), and
    // nothing left of the cut upload.
    let kept = host.hub().store().stored_file_bytes().await.unwrap();
    let others = 6 * 1024 * 1024 + photo_bytes + 64 + 100 + 300_000 + 1000;
    assert!(kept > others && kept < others + 1024 * 1024, "bytes kept: {kept}");
}

/// A valid 1×1 PNG followed by `padding` bytes of `fill` (browsers ignore what follows the image's end), so that
/// each one is different content of a chosen size.
fn padded_png(fill: u8, padding: usize) -> bytes::Bytes {
    const PIXEL_PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00,
        0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF,
        0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    [PIXEL_PNG, &vec![fill; padding]].concat().into()
}

/// A browser guest through a host's life (`tests/interop/browser-lifecycle.js`): it pages back through 150
/// messages by scrolling up, sees which image the host evicted past its quota, hears the host stop cleanly (and
/// shows presence as unknown), and drops the old conversation when a host with a wiped data folder answers at the
/// same address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_guest_pages_back_and_follows_the_host_through_a_stop_and_a_reset() {
    use banter_core::client::{Client, ClientConfig};
    use banter_core::host::{self, HostConfig};
    use banter_core::limits::Limits;
    use banter_core::store::Location;
    use tokio::io::AsyncWriteExt;

    let folder = tempfile::tempdir().unwrap();
    let limits = Limits {
        request_burst: 100_000,
        requests_per_second: 100_000,
        // Room for one of the two images below, not both: the older is evicted.
        attachment_store_bytes: 3000,
        ..Limits::default()
    };
    let config = |data: &str| HostConfig {
        limits: limits.clone(),
        web: Some(banter_web::client()),
        location: Location::Folder(folder.path().join(data)),
        ..HostConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let host = host::spawn(listener, config("first")).await.unwrap();

    let (writer, _events) = Client::connect(ClientConfig::new(address.to_string(), "writer")).unwrap();
    for n in 1..=150 {
        writer.send_message("lobby", &format!("old {n}")).await.unwrap();
    }
    writer.flush().await.unwrap();
    for (fill, text) in [(1, "first picture"), (2, "second picture")] {
        let image = writer.upload_image(padded_png(fill, 2000)).await.unwrap();
        writer.send_message_with("lobby", text, Some(&image)).await.unwrap();
        writer.flush().await.unwrap();
    }
    writer.close().await;

    let Script { mut script, mut commands, mut steps } =
        Script::start("browser-lifecycle.js", &[&format!("http://{address}")]);
    steps.expect("step paged").await;
    steps.expect("step evicted").await;

    host.shutdown().await.unwrap();
    commands.write_all(b"stopped\n").await.unwrap();
    steps.expect("step ended").await;

    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let host = host::spawn(listener, config("wiped")).await.unwrap();
    commands.write_all(b"restarted\n").await.unwrap();
    let (writer, _events) = Client::connect(ClientConfig::new(address.to_string(), "writer")).unwrap();
    writer.send_message("lobby", "after the reset").await.unwrap();
    writer.flush().await.unwrap();
    steps.expect("step reset").await;
    steps.expect("lifecycle ok").await;
    let status = tokio::time::timeout(WAIT, script.wait()).await.unwrap().unwrap();
    assert!(status.success());
    host.shutdown().await.unwrap();
}
