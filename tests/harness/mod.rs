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
    /// WebKitWebDriver's own screenshots of WebKitGTK can show an earlier frame. The X server shows a frame a while
    /// after the DOM has it, so pictures are taken until two in a row are the same but for a blinking caret (after
    /// four tries the last one is kept). The webview may not have painted its first frame yet when
    /// the page is ready, so a blank picture is taken again, for a while, and then fails the test: a blank
    /// screenshot is a bug.
    pub fn screenshot(&self, path: &Path, width: u32, height: u32) {
        let deadline = std::time::Instant::now() + WAIT;
        let previous = path.with_extension("previous.png");
        let _ = std::fs::remove_file(&previous);
        let mut alike_tries = 0;
        loop {
            std::thread::sleep(Duration::from_millis(400));
            let status = std::process::Command::new("/usr/bin/import")
                .args(["-display", &self.name, "-window", "root", "-crop", &format!("{width}x{height}+0+0"), "+repage"])
                .arg(path)
                .status()
                .expect("ImageMagick's import runs (make test installs it)");
            assert!(status.success(), "the screenshot failed");
            let spread = std::process::Command::new("/usr/bin/convert")
                .arg(path)
                .args(["-format", "%[fx:standard_deviation]", "info:"])
                .output()
                .expect("ImageMagick's convert runs");
            let spread: f64 = String::from_utf8_lossy(&spread.stdout).trim().parse().unwrap_or(0.0);
            if spread <= 0.02 {
                assert!(std::time::Instant::now() < deadline, "{} stayed blank (spread {spread})", path.display());
                continue;
            }
            // `compare -metric AE` writes how many pixels differ by more than the fuzz (which hides the slight
            // shading differences compositing makes between two frames). A blinking caret is a few dozen; a change
            // of content is far more.
            let same = previous.exists()
                && std::process::Command::new("/usr/bin/compare")
                    .args(["-metric", "AE", "-fuzz", "15%"])
                    .arg(&previous)
                    .arg(path)
                    .arg("null:")
                    .output()
                    .ok()
                    .and_then(|output| {
                        // ImageMagick 6 prints the count alone, 7 adds a normalised value after it.
                        let said = String::from_utf8_lossy(&output.stderr).into_owned();
                        said.split_whitespace().next().and_then(|count| count.parse::<f64>().ok())
                    })
                    .is_some_and(|differing| differing < 200.0);
            alike_tries += 1;
            if same || alike_tries >= 4 || std::time::Instant::now() >= deadline {
                let _ = std::fs::remove_file(&previous);
                return;
            }
            std::fs::copy(path, &previous).expect("the screenshot is copied");
        }
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

/// A running tauri-driver and what it started. tauri-driver starts WebKitWebDriver, which outlives it when only
/// tauri-driver is killed: the driver runs in a process group of its own, and the whole group goes when this is
/// dropped.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(pid) = self.0.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// tauri-driver on free ports, for this display, with the app's data in a folder of its own; `dark` asks GTK,
/// and through it the webview's `prefers-color-scheme`, for the dark theme.
pub async fn start_driver(display: &Display, data: &Path, dark: bool) -> (Driver, u16) {
    start_driver_with(display, data, dark, &[]).await
}

/// As [`start_driver`], with more environment for the app (which wins over the defaults).
pub async fn start_driver_with(display: &Display, data: &Path, dark: bool, env: &[(&str, &str)]) -> (Driver, u16) {
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
        .env("BANTER_DISCOVERY", "off")
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env("XDG_CACHE_HOME", data.join("cache"))
        // The embedded host stays on loopback in tests.
        .env("BANTER_HOST_BIND", "127.0.0.1")
        .env("NO_AT_BRIDGE", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .process_group(0)
        .spawn()
        .expect("tauri-driver runs (make test installs it with cargo install)");
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "tauri-driver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (Driver(driver), port)
}

/// A `banter-cli` process: a host (`serve`) or a guest (`join`), with its config and data in a folder of its own,
/// never the user's.
pub struct Cli {
    pub child: Child,
    pub stdout: Lines<BufReader<ChildStdout>>,
}

/// `banter-cli` with its config (the user key) and data folders in `home`.
fn cli_in(program: &Path, home: &Path) -> Command {
    with_home(Command::new(program), home)
}

fn with_home(mut command: Command, home: &Path) -> Command {
    // Discovery stays off: tests never send multicast on the machine's real interfaces.
    command
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("BANTER_DISCOVERY", "off")
        .kill_on_drop(true);
    command
}

impl Cli {
    /// A host on a free port, keeping its data in `home`.
    pub async fn serve(program: &Path, home: &Path) -> (Cli, String) {
        Cli::serve_on(program, home, 0).await
    }

    /// A host on a free port, with `extra` arguments for `serve` (`--data FOLDER`, for one).
    pub async fn serve_with(program: &Path, home: &Path, extra: &[&str]) -> (Cli, String) {
        let mut command = cli_in(program, home);
        command.args(["serve", "--bind", "127.0.0.1", "--port", "0"]).args(extra);
        Cli::started(command).await
    }

    /// A host on `port` (0: a free one), keeping its data in `home`: a second one on the same home and port is
    /// the same host started again.
    pub async fn serve_on(program: &Path, home: &Path, port: u16) -> (Cli, String) {
        let mut command = cli_in(program, home);
        command.args(["serve", "--bind", "127.0.0.1", "--port", &port.to_string()]);
        Cli::started(command).await
    }

    /// A host inside the network namespace `namespace`, on `ip:port`, announcing itself as `title` on `link`
    /// only (`None`: not at all), with `extra` arguments for `serve`.
    pub async fn serve_in_namespace(
        program: &Path,
        home: &Path,
        namespace: &str,
        address: (&str, u16),
        advertise: Option<(&str, &str)>,
        extra: &[&str],
    ) -> (Cli, String) {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", namespace]).arg(program);
        let mut command = with_home(command, home);
        command.args(["serve", "--bind", address.0, "--port", &address.1.to_string()]);
        if let Some((title, link)) = advertise {
            command.args(["--title", title]).env("BANTER_DISCOVERY", "on").env("BANTER_DISCOVERY_INTERFACES", link);
        }
        command.args(extra);
        Cli::started(command).await
    }

    async fn started(mut command: Command) -> (Cli, String) {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(WAIT, stdout.next_line()).await.unwrap().unwrap().unwrap();
        let address = first.trim_start_matches("Banter host listening on ").to_owned();
        (Cli { child, stdout }, address)
    }

    /// Reads lines until one starts with `prefix`, and returns the rest of it.
    pub async fn line_after(&mut self, prefix: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.stdout.next_line()).await {
                Ok(Ok(Some(line))) if line.starts_with(prefix) => return line[prefix.len()..].to_owned(),
                Ok(Ok(Some(_))) => {}
                other => panic!("no line starting {prefix:?} ({other:?})"),
            }
        }
    }

    /// Stops a host the way Ctrl-C does, and waits for it.
    pub async fn interrupt(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let status = Command::new("kill").args(["-INT", &pid]).status().await.unwrap();
        assert!(status.success());
        tokio::time::timeout(WAIT, self.child.wait()).await.unwrap().unwrap();
    }

    pub async fn join(program: &Path, address: &str, name: &str) -> Cli {
        Cli::join_with(program, address, name, &[]).await
    }

    /// A guest with more arguments (`--user-key`…).
    pub async fn join_with(program: &Path, address: &str, name: &str, extra: &[&str]) -> Cli {
        let home = tempdir(&format!("cli-{name}"));
        let mut child = cli_in(program, &home)
            .args(["join", address, "--name", name])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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

/// Fills the start screen's host form with `name` and a free port, and returns the port; the caller presses
/// *Start hosting* (after setting anything else on the form).
pub async fn fill_host_form(app: &WebDriver, name: &str) -> u16 {
    app.type_into(&app.wait_for("[data-testid=host-name]").await, name).await;
    let port = free_port();
    let field = app.find("[data-testid=host-port]").await;
    app.clear(&field).await;
    app.type_into(&field, &port.to_string()).await;
    port
}

/// Sends a message from the app's composer.
pub async fn app_says(app: &WebDriver, text: &str) {
    let composer = app.wait_for("[data-testid=composer]").await;
    app.type_into(&composer, text).await;
    app.click_on("[data-testid=send]").await;
}

pub fn tempdir(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("banter-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

impl Display {
    /// The app's windows: every mapped top-level window whose title ends in "Banter", with an X connection of
    /// their own to act on them with.
    fn app_windows(&self) -> (x11rb::rust_connection::RustConnection, Vec<u32>) {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ConnectionExt, MapState};

        let (connection, screen) = x11rb::connect(Some(&self.name)).expect("the test's X display");
        let root = connection.setup().roots[screen].root;
        let atom = |name: &[u8]| connection.intern_atom(false, name).unwrap().reply().unwrap().atom;
        let (utf8, net_name) = (atom(b"UTF8_STRING"), atom(b"_NET_WM_NAME"));
        let mut windows = Vec::new();
        for window in connection.query_tree(root).unwrap().reply().unwrap().children {
            let mapped = connection.get_window_attributes(window).unwrap().reply().unwrap().map_state;
            let title = connection.get_property(false, window, net_name, utf8, 0, 256).unwrap().reply().unwrap().value;
            if mapped == MapState::VIEWABLE && String::from_utf8_lossy(&title).ends_with("Banter") {
                windows.push(window);
            }
        }
        (connection, windows)
    }

    /// Asks the app's window to close as a window manager does when its close button is pressed: a
    /// `WM_DELETE_WINDOW` message from the `WM_PROTOCOLS` the window takes part in. (WebDriver's Close Window
    /// destroys the webview instead, and this display runs no window manager.)
    pub fn close_app_window(&self) {
        use x11rb::protocol::xproto::{AtomEnum, ClientMessageEvent, ConnectionExt, EventMask};
        use x11rb::CURRENT_TIME;

        let (connection, windows) = self.app_windows();
        let atom = |name: &[u8]| connection.intern_atom(false, name).unwrap().reply().unwrap().atom;
        let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
        let mut asked = 0;
        for window in windows {
            let takes_delete = connection
                .get_property(false, window, protocols, AtomEnum::ATOM, 0, 32)
                .unwrap()
                .reply()
                .unwrap()
                .value32()
                .is_some_and(|mut atoms| atoms.any(|each| each == delete));
            if !takes_delete {
                continue;
            }
            let message = ClientMessageEvent::new(32, window, protocols, [delete, CURRENT_TIME, 0, 0, 0]);
            connection.send_event(false, window, EventMask::NO_EVENT, message).unwrap();
            asked += 1;
        }
        // A round trip before the connection closes: the server drops what a closing client sent but it had not yet
        // handled, and then the window never hears it was asked to close (one run in three, before this).
        connection.get_input_focus().unwrap().reply().unwrap();
        assert!(asked > 0, "no Banter window on {} to close", self.name);
    }

    /// Gives the keyboard focus to the app's window (`true`), as a click on it would, or takes it away from every
    /// window (`false`), as switching to another program does. Without a window manager, only the test decides.
    pub fn focus_app_window(&self, focused: bool) {
        use x11rb::protocol::xproto::{ConnectionExt, InputFocus};
        use x11rb::{CURRENT_TIME, NONE};

        let (connection, windows) = self.app_windows();
        let target = if focused { *windows.first().expect("the app's window is mapped") } else { NONE };
        connection.set_input_focus(InputFocus::NONE, target, CURRENT_TIME).unwrap().check().unwrap();
    }
}
