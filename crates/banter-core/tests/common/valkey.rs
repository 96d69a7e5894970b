//! A real Valkey or Redis server for a test: a process of its own on 127.0.0.1 at a free port, with its data in a
//! temporary folder, killed when dropped. Never a system service. `make test` installs `redis-server`.
#![allow(dead_code, clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Valkey {
    child: Child,
    pub port: u16,
    pub folder: tempfile::TempDir,
    extra: Vec<String>,
}

/// `valkey-server` where the distribution has it, else `redis-server`.
pub fn program() -> &'static str {
    let found = |name: &str| {
        Command::new("sh").args(["-c", &format!("command -v {name}")]).output().is_ok_and(|o| o.status.success())
    };
    if found("valkey-server") {
        "valkey-server"
    } else {
        "redis-server"
    }
}

impl Valkey {
    /// A server keeping every write on disk before it answers (`appendfsync always`), with `extra` settings after
    /// (which win).
    pub async fn start(extra: &[&str]) -> Valkey {
        let extra: Vec<String> = extra.iter().map(|setting| (*setting).to_owned()).collect();
        for _ in 0..5 {
            let folder = tempfile::tempdir().unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut child = spawn(port, folder.path(), &extra);
            if ready(port, &mut child).await {
                return Valkey { child, port, folder, extra };
            }
            // Another process took the port between the check and the start: another one.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{} did not start on a free port in five tries", program());
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port and folder, with what it kept; after [`Valkey::kill`].
    pub async fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            self.child = spawn(self.port, self.folder.path(), &self.extra);
            if ready(self.port, &mut self.child).await {
                return;
            }
            // The old process's port may take a moment to be free.
            let _ = self.child.kill();
            let _ = self.child.wait();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} did not start again on port {}", program(), self.port);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

fn spawn(port: u16, folder: &std::path::Path, extra: &[String]) -> Child {
    Command::new(program())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no"])
        .args(["--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"])
        .arg("--dir")
        .arg(folder)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("{} runs (make test installs redis-server): {error}", program()))
}

/// Whether the server answers a PING (or asks for a password, which is an answer too) within a few seconds.
async fn ready(port: u16, child: &mut Child) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let mut answer = [0u8; 64];
            if stream.write_all(b"PING\r\n").await.is_ok() {
                if let Ok(Ok(read)) = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut answer)).await {
                    let said = String::from_utf8_lossy(&answer[..read]);
                    if said.starts_with("+PONG") || said.starts_with("-NOAUTH") {
                        return true;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

impl Drop for Valkey {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
