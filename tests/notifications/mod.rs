//! The desktop's side of notifications, for the end-to-end tests: a private D-Bus session bus, and a notification
//! server on it that takes the `org.freedesktop.Notifications` name and records what it is asked to show, as a
//! desktop's notification daemon would show it. The app's notification plugin talks to it exactly as to GNOME's.

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;
use zbus::OwnedVariant;

use crate::harness::WAIT;

/// A private D-Bus session bus, for as long as it lives: a bare X server has none, and the single-instance check
/// and notifications both go through it.
pub struct SessionBus {
    _daemon: tokio::process::Child,
    pub address: String,
}

pub async fn session_bus() -> SessionBus {
    let mut daemon = tokio::process::Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("dbus-daemon runs (make test installs dbus)");
    let mut lines = tokio::io::BufReader::new(daemon.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(WAIT, lines.next_line()).await.unwrap().unwrap().expect("a bus address");
    SessionBus { _daemon: daemon, address }
}

/// A notification as the app asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub summary: String,
    pub body: String,
}

struct Server {
    shown: mpsc::UnboundedSender<Shown>,
    last_id: u32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    /// The specification's `Notify`: its arguments are all positional, so they are all here.
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let _ = self.shown.send(Shown { summary, body });
        self.last_id += 1;
        self.last_id
    }

    fn close_notification(&self, _id: u32) {}

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("banter-e2e".to_owned(), "Banter".to_owned(), "1".to_owned(), "1.2".to_owned())
    }
}

/// The server, serving for as long as this lives.
pub struct NotificationServer {
    _connection: zbus::Connection,
    shown: mpsc::UnboundedReceiver<Shown>,
}

impl NotificationServer {
    pub async fn start(bus: &SessionBus) -> NotificationServer {
        let (sender, shown) = mpsc::unbounded_channel();
        let connection = zbus::connection::Builder::address(bus.address.as_str())
            .name("org.freedesktop.Notifications")
            .serve_at("/org/freedesktop/Notifications", Server { shown: sender, last_id: 0 })
            .build()
            .await
            .expect("the notification server is on the test's bus");
        NotificationServer { _connection: connection, shown }
    }

    /// The next notification shown, waiting at most [`WAIT`].
    pub async fn next(&mut self) -> Shown {
        tokio::time::timeout(WAIT, self.shown.recv())
            .await
            .expect("a notification was shown in time")
            .expect("the server is running")
    }

    /// Asserts that nothing was shown in the last while: the app decides at once, so a short grace is enough.
    pub async fn nothing_shown(&mut self) {
        tokio::time::sleep(Duration::from_millis(700)).await;
        if let Ok(shown) = self.shown.try_recv() {
            panic!("no notification was expected, but one was shown: {shown:?}");
        }
    }
}
