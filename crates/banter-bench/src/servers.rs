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
    /// One Banter host of a cluster, on a Valkey or Redis server of its own (`appendfsync always`): the chat kept
    /// there rather than in SQLite.
    BanterCluster,
    /// Two Banter hosts on one such server, every room's members spread over both: every delivery crosses hosts.
    BanterCluster2,
}

impl ServerKind {
    pub const ALL: [ServerKind; 7] = [
        ServerKind::Banter,
        ServerKind::BanterEphemeral,
        ServerKind::Node,
        ServerKind::NodeTuned,
        ServerKind::Ceiling,
        ServerKind::BanterCluster,
        ServerKind::BanterCluster2,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Banter => "banter",
            ServerKind::BanterEphemeral => "banter-ephemeral",
            ServerKind::Node => "node",
            ServerKind::NodeTuned => "node-tuned",
            ServerKind::Ceiling => "ceiling",
            ServerKind::BanterCluster => "banter-cluster",
            ServerKind::BanterCluster2 => "banter-cluster-2",
        }
    }

    /// How many Banter hosts this server is.
    pub fn hosts(self) -> usize {
        match self {
            ServerKind::BanterCluster2 => 2,
            _ => 1,
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        ServerKind::ALL.into_iter().find(|kind| kind.label() == text).with_context(|| {
            format!(
                "unknown server “{text}”: banter, banter-ephemeral, node, node-tuned, ceiling, banter-cluster or \
                     banter-cluster-2"
            )
        })
    }

    /// Whether this server takes part in a scenario. The in-memory host is compared with the durable one where
    /// messages are kept (S1, S2); idle connections and a connection storm keep nothing, so it sits those out.
    pub fn runs(self, scenario: &str) -> bool {
        match scenario {
            // A cluster is measured where it matters, in many rooms with people on every host.
            _ if matches!(self, ServerKind::BanterCluster | ServerKind::BanterCluster2) => scenario == "s2",
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
    /// Every address clients may use: a cluster's hosts, in turn.
    pub addresses: Vec<SocketAddr>,
    pub pid: u32,
    child: Child,
    /// A cluster's other processes (its further hosts, and the Valkey or Redis server), whose CPU and memory count
    /// as the server's.
    others: Vec<Child>,
    /// The durable host's data folder, removed with it.
    data: Option<PathBuf>,
    /// A cluster's Valkey or Redis server, for what the messages cost it.
    pub valkey_port: Option<u16>,
}

impl Launcher {
    /// Starts `kind` on 127.0.0.1:`port` (0 for any) and waits until it says where it listens. A cluster starts its
    /// Valkey or Redis server first, then its hosts on free ports.
    pub async fn start(&self, kind: ServerKind, port: u16) -> anyhow::Result<Server> {
        if !matches!(kind, ServerKind::BanterCluster | ServerKind::BanterCluster2) {
            return self.start_one(kind, port, None).await;
        }
        let folder = self.data_dir.join(format!("valkey-{}-{}", std::process::id(), next_folder()));
        std::fs::create_dir_all(&folder)?;
        let (valkey, port) = start_valkey(&folder, self.server_core).await?;
        let url = format!("redis://127.0.0.1:{port}");
        let mut hosts = Vec::new();
        for _ in 0..kind.hosts() {
            hosts.push(self.start_one(kind, 0, Some(&url)).await?);
        }
        let mut first = hosts.remove(0);
        first.addresses.extend(hosts.iter().map(|host| host.address));
        first.others.push(valkey);
        for mut host in hosts {
            first.others.push(std::mem::replace(&mut host.child, placeholder()?));
        }
        first.data = Some(folder);
        first.valkey_port = Some(port);
        Ok(first)
    }

    async fn start_one(&self, kind: ServerKind, port: u16, cluster: Option<&str>) -> anyhow::Result<Server> {
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
            ServerKind::BanterCluster | ServerKind::BanterCluster2 => {
                command.arg(&self.exe).args(["serve", kind.label(), "--port", &port.to_string()]);
                command.arg("--cluster").arg(cluster.context("a cluster's host needs its server")?);
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
        Ok(Server { kind, address, addresses: vec![address], pid, child, others: Vec::new(), data, valkey_port: None })
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

/// A process that has already ended, to take the place of a child moved out of a [`Server`].
fn placeholder() -> anyhow::Result<Child> {
    Ok(Command::new("true").stdin(Stdio::null()).stdout(Stdio::null()).spawn()?)
}

/// Starts `valkey-server` (or `redis-server`) on a free port on 127.0.0.1, keeping its files in `folder`, every
/// write on disk before it answers (`appendfsync always`, the durability a Banter host alone gives); answers the
/// process and its port.
async fn start_valkey(folder: &Path, core: Option<usize>) -> anyhow::Result<(Child, u16)> {
    let program = if which("valkey-server") { "valkey-server" } else { "redis-server" };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut command = match core {
        Some(core) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(core.to_string()).arg(program);
            command
        }
        None => Command::new(program),
    };
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no"])
        .args(["--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"])
        .arg("--dir")
        .arg(folder)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let child = command.spawn().with_context(|| format!("starting {program} (make bench installs it)"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if tokio::time::Instant::now() > deadline {
            bail!("{program} did not listen on port {port} within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((child, port))
}

/// A Valkey or Redis server's `total_commands_processed`, `total_net_input_bytes` and `total_net_output_bytes`, from
/// `INFO stats` spoken as an inline command (this harness has no client library of its own).
pub async fn valkey_stats(port: u16) -> anyhow::Result<[u64; 3]> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream.write_all(b"INFO stats\r\n").await?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 8192];
    let read = async {
        // A bulk string: `$LENGTH\r\n` then the text; read until the fields are all there.
        while !String::from_utf8_lossy(&answer).contains("total_net_output_bytes:") || !answer.ends_with(b"\r\n") {
            let count = stream.read(&mut buffer).await?;
            if count == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..count]);
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.context("INFO stats did not answer")??;
    let text = String::from_utf8_lossy(&answer);
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':')?.trim().parse::<u64>().ok())
            .with_context(|| format!("INFO stats has no {name}"))
    };
    Ok([field("total_commands_processed")?, field("total_net_input_bytes")?, field("total_net_output_bytes")?])
}

fn which(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// A number for each data folder this process makes.
fn next_folder() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Server {
    fn pids(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.pid).chain(self.others.iter().filter_map(Child::id))
    }

    /// CPU time the server has used, user and system, all threads (of all its processes, for a cluster).
    pub fn cpu(&self) -> Duration {
        self.pids().map(|pid| cpu_time(pid).unwrap_or_default()).sum()
    }

    /// Proportional set size (of all its processes, for a cluster).
    pub fn pss_bytes(&self) -> u64 {
        self.pids().map(|pid| pss_bytes(pid).unwrap_or(0)).sum()
    }

    /// Kills the server (SIGKILL, as a crash or a power cut would) and waits for it.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        for mut other in std::mem::take(&mut self.others) {
            let _ = other.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(10), other.wait()).await;
        }
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
