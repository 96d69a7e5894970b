//! End to end through the real app: Xvfb for a display, tauri-driver + WebKitWebDriver to drive the real webview,
//! and the real `banter-cli` as the other people in the chat. Saves screenshots of the main screens to
//! docs/screenshots/ (the README shows them).
//!
//! Needs what `make test` installs: Xvfb, WebKitWebDriver (webkit2gtk-driver) and tauri-driver.
#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod webdriver;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use webdriver::WebDriver;

const WAIT: Duration = Duration::from_secs(20);

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An X server of our own, on a display it picks itself.
struct Display {
    _xvfb: Child,
    name: String,
}

impl Display {
    /// Saves what the app's window shows (it sits at the top left of the screen) as a PNG. Taken from the X server:
    /// WebKitWebDriver's own screenshots of WebKitGTK can show an earlier frame.
    fn screenshot(&self, path: &Path, width: u32, height: u32) {
        // The X server shows a frame a moment after the DOM has it.
        std::thread::sleep(Duration::from_millis(400));
        let status = std::process::Command::new("/usr/bin/import")
            .args(["-display", &self.name, "-window", "root", "-crop", &format!("{width}x{height}+0+0"), "+repage"])
            .arg(path)
            .status()
            .expect("ImageMagick's import runs (make test installs it)");
        assert!(status.success(), "the screenshot failed");
    }
}

async fn start_display() -> Display {
    let mut xvfb = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("Xvfb runs (make test installs it)");
    let mut lines = BufReader::new(xvfb.stdout.take().unwrap()).lines();
    let number = tokio::time::timeout(WAIT, lines.next_line()).await.unwrap().unwrap().expect("a display number");
    Display { _xvfb: xvfb, name: format!(":{}", number.trim()) }
}

/// tauri-driver on free ports, for this display, with the app's data in a folder of its own; `dark` asks GTK,
/// and through it the webview's `prefers-color-scheme`, for the dark theme.
async fn start_driver(display: &Display, data: &Path, dark: bool) -> (Child, u16) {
    let port = free_port();
    let native = free_port();
    let mut command = Command::new("tauri-driver");
    if dark {
        command.env("GTK_THEME", "Adwaita:dark");
    }
    let driver = command
        .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .env("DISPLAY", &display.name)
        .env("XDG_DATA_HOME", data.join("data"))
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env("XDG_CACHE_HOME", data.join("cache"))
        // The embedded host stays on loopback in tests.
        .env("BANTER_HOST_BIND", "127.0.0.1")
        .env("NO_AT_BRIDGE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("tauri-driver runs (make test installs it with cargo install)");
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "tauri-driver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, port)
}

/// A `banter-cli` process: a host (`serve`) or a guest (`join`).
struct Cli {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Cli {
    async fn serve() -> (Cli, String) {
        let mut child = Command::new(banter_cli())
            .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(WAIT, stdout.next_line()).await.unwrap().unwrap().unwrap();
        let address = first.trim_start_matches("Banter host listening on ").to_owned();
        (Cli { child, stdout }, address)
    }

    async fn join(address: &str, name: &str) -> Cli {
        let mut child = Command::new(banter_cli())
            .args(["join", address, "--name", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Cli { child, stdout }
    }

    async fn say(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    async fn expect_line(&mut self, expected: &str) {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.stdout.next_line()).await {
                Ok(Ok(Some(line))) if line == expected => return,
                Ok(Ok(Some(line))) => seen.push(line),
                other => panic!("no line {expected:?} ({other:?}); read: {seen:#?}"),
            }
        }
    }
}

fn screenshot_path(name: &str) -> PathBuf {
    let folder = root().join("docs/screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    folder.join(name)
}

/// Sends a message from the app's composer.
async fn app_says(app: &WebDriver, text: &str) {
    let composer = app.wait_for("[data-testid=composer]").await;
    app.type_into(&composer, text).await;
    app.click(&app.find("[data-testid=send]").await).await;
}

async fn host_a_room(display: &Display) {
    let data = tempdir("host");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    let name = app.wait_for("[data-testid=host-name]").await;
    display.screenshot(&screenshot_path("start.png"), 1100, 720);
    app.type_into(&name, "Hostess").await;
    let room_port = free_port();
    let port_field = app.find("[data-testid=host-port]").await;
    app.clear(&port_field).await;
    app.type_into(&port_field, &room_port.to_string()).await;
    app.click(&app.find("[data-testid=host-start]").await).await;
    app.wait_for("[data-testid=chat-screen]").await;
    app.wait_for(&format!("[data-address='127.0.0.1:{room_port}']")).await;
    app.wait_for(&format!("[data-guest-url='http://127.0.0.1:{room_port}/']")).await;
    app.wait_for("[data-testid=guest-qr]").await;

    // A terminal guest and the app chat in the lobby.
    let mut guest = Cli::join(&format!("127.0.0.1:{room_port}"), "guest").await;
    app.wait_for_text("[data-testid=messages]", "guest joined").await;
    app_says(&app, "hello from the app").await;
    guest.expect_line("[lobby] Hostess: hello from the app").await;
    guest.say("hello from the terminal").await;
    app.wait_for_text("[data-testid=messages]", "hello from the terminal").await;

    // …and in a room the app creates.
    let room_input = app.find("[data-testid=room-new-input]").await;
    app.type_into(&room_input, "e2e").await;
    app.click(&app.find("[data-testid=room-new-submit]").await).await;
    app.wait_for_text("[data-testid=conversation-title]", "# e2e").await;
    guest.say("/join e2e").await;
    app.wait_for_text("[data-testid=messages]", "guest joined").await;
    guest.say("in the room").await;
    app.wait_for_text("[data-testid=messages]", "in the room").await;
    app_says(&app, "room reply").await;
    guest.expect_line("[e2e] Hostess: room reply").await;

    // A direct message from the guest appears under the guest's name.
    guest.say("/dm Hostess psst, over here").await;
    let conversation = app.wait_for("[data-testid='conversation-guest']").await;
    app.click(&conversation).await;
    app.wait_for_text("[data-testid=messages]", "psst, over here").await;
    app.click(&app.find("[data-testid='conversation-lobby']").await).await;
    app.wait_for_text("[data-testid=messages]", "hello from the terminal").await;
    display.screenshot(&screenshot_path("chat-host.png"), 1100, 720);
    app.resize(420, 720).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    display.screenshot(&screenshot_path("chat-small.png"), 420, 720);
    app.resize(1100, 720).await;

    // Stopping tells the guest.
    app.click(&app.find("[data-testid=stop-hosting]").await).await;
    app.wait_for("[data-testid=start-screen]").await;
    app.close().await;
    drop(guest);
}

async fn join_a_host_by_address(display: &Display) {
    let data = tempdir("join");
    let (_host, address) = Cli::serve().await;
    let mut carol = Cli::join(&address, "carol").await;
    let (_driver, port) = start_driver(display, &data, true).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    app.type_into(&app.wait_for("[data-testid=join-address]").await, &address).await;
    app.type_into(&app.find("[data-testid=join-name]").await, "Dora").await;
    app.click(&app.find("[data-testid=join-submit]").await).await;
    app.wait_for("[data-testid=chat-screen]").await;
    carol.expect_line("* Dora joined lobby").await;
    carol.say("hi Dora").await;
    app.wait_for_text("[data-testid=messages]", "hi Dora").await;
    app_says(&app, "hi carol").await;
    carol.expect_line("[lobby] Dora: hi carol").await;
    app.wait_for("[data-testid='member-carol']").await;
    display.screenshot(&screenshot_path("chat-guest-dark.png"), 1100, 720);
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
    app.click(&app.find("[data-testid=join-submit]").await).await;
    let error = app.wait_for_text("[data-testid=join-error]", "Could not reach that address").await;
    assert!(error.contains("connection refused"), "{error}");
    display.screenshot(&screenshot_path("join-error.png"), 1100, 720);

    let address = app.find("[data-testid=join-address]").await;
    app.clear(&address).await;
    app.type_into(&address, "ftp://somewhere").await;
    app.click(&app.find("[data-testid=join-submit]").await).await;
    app.wait_for_text("[data-testid=join-error]", "URLs are not supported").await;
    app.close().await;
}

fn tempdir(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("banter-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktop_app_hosts_joins_and_explains_errors() {
    let display = start_display().await;
    host_a_room(&display).await;
    join_a_host_by_address(&display).await;
    a_wrong_address_is_explained(&display).await;
}
