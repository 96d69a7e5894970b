//! The servers under test, each a child process on 127.0.0.1, and what /proc says about them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// A server the harness compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum ServerKind {
    /// The Banter host: the real engine and handlers (release build), keeping its data on disk as it does by
    /// default.
    Banter,
    /// The same host with `--ephemeral`: everything in memory.
    BanterEphemeral,
    /// Node.js Socket.IO 4 with handlers that do the same work, ws without its native add-ons.
    Node,
    /// The same, with bufferutil and utf-8-validate, as Socket.IO's performance-tuning page advises.
    NodeTuned,
    /// A raw tokio-tungstenite broadcast server with no Socket.IO: the ceiling.
    Ceiling,
}

impl ServerKind {
    pub const ALL: [ServerKind; 5] =
        [ServerKind::Banter, ServerKind::BanterEphemeral, ServerKind::Node, ServerKind::NodeTuned, ServerKind::Ceiling];

    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Banter => "banter",
            ServerKind::BanterEphemeral => "banter-ephemeral",
            ServerKind::Node => "node",
            ServerKind::NodeTuned => "node-tuned",
            ServerKind::Ceiling => "ceiling",
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        ServerKind::ALL
            .into_iter()
            .find(|kind| kind.label() == text)
            .with_context(|| format!("unknown server “{text}”: banter, banter-ephemeral, node, node-tuned or ceiling"))
    }

    /// Whether this server takes part in a scenario. The in-memory host is compared with the durable one where
    /// messages are kept (S1, S2); idle connections and a connection storm keep nothing, so it sits those out.
    pub fn runs(self, scenario: &str) -> bool {
        match scenario {
            // Shared files are Banter's own, and kept on disk.
            "s5" => self == ServerKind::Banter,
            _ => self != ServerKind::BanterEphemeral || matches!(scenario, "s1" | "s2"),
        }
    }
}

/// Where the harness finds what it starts.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// This program, which also serves `banter` and `ceiling`.
    pub exe: PathBuf,
    /// The repository, for the Node.js server in tests/interop.
    pub repo: PathBuf,
    /// The core servers are pinned to (with taskset), if any.
    pub server_core: Option<usize>,
    /// Where servers' standard error goes.
    pub log_dir: PathBuf,
    /// Where the durable host keeps its data: a new folder under it for every start, on the disk the repository
    /// is on (not a tmpfs), removed when the server is killed.
    pub data_dir: PathBuf,
}

/// A running server. Dropping it kills the process.
#[derive(Debug)]
pub struct Server {
    pub kind: ServerKind,
    pub address: SocketAddr,
    pub pid: u32,
    child: Child,
    /// The durable host's data folder, removed with it.
    data: Option<PathBuf>,
}

impl Launcher {
    /// Starts `kind` on 127.0.0.1:`port` (0 for any) and waits until it says where it listens.
    pub async fn start(&self, kind: ServerKind, port: u16) -> anyhow::Result<Server> {
        let mut command = match self.server_core {
            Some(core) => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(core.to_string());
                command
            }
            None => Command::new("env"),
        };
        let mut data = None;
        match kind {
            ServerKind::Banter => {
                let folder = self.data_dir.join(format!("banter-{}-{}", std::process::id(), next_folder()));
                command
                    .arg(&self.exe)
                    .args(["serve", kind.label(), "--port", &port.to_string(), "--data"])
                    .arg(&folder);
                data = Some(folder);
            }
            ServerKind::BanterEphemeral | ServerKind::Ceiling => {
                command.arg(&self.exe).args(["serve", kind.label(), "--port", &port.to_string()]);
            }
            ServerKind::Node | ServerKind::NodeTuned => {
                let script = self.repo.join("tests/interop/bench-server.js");
                command.arg("node").arg(script).args(["--port", &port.to_string()]);
                if kind == ServerKind::Node {
                    // ws loads its native add-ons when they are installed; these variables make it use its
                    // JavaScript fallbacks instead (documented in ws's README).
                    command.env("WS_NO_BUFFER_UTIL", "1").env("WS_NO_UTF_8_VALIDATE", "1");
                }
            }
        }
        std::fs::create_dir_all(&self.log_dir)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_dir.join(format!("{}.log", kind.label())))?;
        // The harness's own log filter is not the servers': the Banter host logs at its default level, as
        // `banter-cli serve` does.
        command.env_remove("BANTER_LOG");
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(log).kill_on_drop(true);
        let mut child = command.spawn().with_context(|| format!("starting the {} server", kind.label()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .with_context(|| format!("the {} server did not start within 30 s", kind.label()))??;
        let Some(address) = first.as_deref().and_then(|line| line.strip_prefix("listening on ")) else {
            let _ = child.start_kill();
            bail!("the {} server said {first:?} instead of its address (see {})", kind.label(), self.log_dir.display());
        };
        let address: SocketAddr = address.trim().parse().context("the server's address")?;
        if !address.ip().is_loopback() {
            bail!("the {} server listens on {address}, not on loopback", kind.label());
        }
        // Later lines are not read; keep the pipe drained so that the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { kind, address, pid, child, data })
    }
}

impl Drop for Server {
    /// A server dropped without [`Server::kill`] (an interrupted run) still leaves no data folder behind; the child
    /// itself is killed on drop.
    fn drop(&mut self) {
        if let Some(folder) = self.data.take() {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}

/// A number for each data folder this process makes.
fn next_folder() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Server {
    /// CPU time the server has used, user and system, all threads.
    pub fn cpu(&self) -> Duration {
        cpu_time(self.pid).unwrap_or_default()
    }

    /// Proportional set size.
    pub fn pss_bytes(&self) -> u64 {
        pss_bytes(self.pid).unwrap_or(0)
    }

    /// Kills the server (SIGKILL, as a crash or a power cut would) and waits for it.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        if let Some(folder) = self.data.take() {
            if let Err(error) = std::fs::remove_dir_all(&folder) {
                tracing::warn!(folder = %folder.display(), %error, "could not remove a benchmark's data folder");
            }
        }
    }
}

/// The kernel's clock ticks per second for /proc/<pid>/stat; 100 on every Linux configuration Debian ships.
const CLOCK_TICKS_PER_SECOND: u64 = 100;

/// CPU time of any process, user and system, all threads; zero if it cannot be read.
pub fn process_cpu(pid: u32) -> Duration {
    cpu_time(pid).unwrap_or_default()
}

fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may itself hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the state field.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / CLOCK_TICKS_PER_SECOND))
}

fn pss_bytes(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let line = rollup.lines().find(|line| line.starts_with("Pss:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The repository this program was built from.
pub fn default_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(30) {}
        assert!(cpu_time(pid).is_some());
        assert!(pss_bytes(pid).unwrap() > 0);
        assert!(cpu_time(u32::MAX).is_none());
    }
}
