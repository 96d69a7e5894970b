//! What the app's end-to-end tests share: an X server of their own, tauri-driver, `banter-cli` processes, bounded
//! waits. Needs what `make test` installs: Xvfb, WebKitWebDriver (webkit2gtk-driver), tauri-driver, ImageMagick.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::webdriver::WebDriver;

pub const WAIT: Duration = Duration::from_secs(20);

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An X server of our own, on a display it picks itself.
pub struct Display {
    _xvfb: Child,
    pub name: String,
}

impl Display {
    /// Saves what the app's window shows (it sits at the top left of the screen) as a PNG. Taken from the X server:
    /// WebKitWebDriver's own screenshots of WebKitGTK can show an earlier frame.
    pub fn screenshot(&self, path: &Path, width: u32, height: u32) {
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

pub async fn start_display() -> Display {
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
pub async fn start_driver(display: &Display, data: &Path, dark: bool) -> (Child, u16) {
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
pub struct Cli {
    pub child: Child,
    pub stdout: Lines<BufReader<ChildStdout>>,
}

impl Cli {
    pub async fn serve(program: &Path) -> (Cli, String) {
        let mut child = Command::new(program)
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

    pub async fn join(program: &Path, address: &str, name: &str) -> Cli {
        let mut child = Command::new(program)
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

    pub async fn say(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    pub async fn expect_line(&mut self, expected: &str) {
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

/// Sends a message from the app's composer.
pub async fn app_says(app: &WebDriver, text: &str) {
    let composer = app.wait_for("[data-testid=composer]").await;
    app.type_into(&composer, text).await;
    app.click(&app.find("[data-testid=send]").await).await;
}

pub fn tempdir(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("banter-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}
