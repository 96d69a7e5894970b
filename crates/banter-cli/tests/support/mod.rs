//! Runs the real `banter-cli` binary: hosts on 127.0.0.1:0 and clients fed through stdin.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

/// How long one expected line may take on a loaded CI machine.
pub const WAIT: Duration = Duration::from_secs(15);

/// A home of its own for one `banter-cli` process: its config (the user key) and data folders, deleted with it.
/// Every process is then a different person, as on different machines, unless given the same `--user-key`.
pub struct Home(tempfile::TempDir);

impl Home {
    pub fn new() -> Home {
        Home(tempfile::tempdir().unwrap())
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// The host's data folder in this home.
    pub fn data(&self) -> PathBuf {
        self.0.path().join("data/banter-cli/host")
    }
}

/// `banter-cli` with its config and data in `home`, never the user's own.
pub fn banter_cli(home: &Home) -> Command {
    in_home(Command::new(env!("CARGO_BIN_EXE_banter-cli")), home)
}

/// `banter-cli` as [`banter_cli`], with its open-file limit (soft and hard) set to `files` by `prlimit`, which
/// then becomes the program (the child's pid is banter-cli's).
pub fn banter_cli_with_open_files(home: &Home, files: u64) -> Command {
    let mut command = Command::new("prlimit");
    command.arg(format!("--nofile={files}:{files}")).arg("--").arg(env!("CARGO_BIN_EXE_banter-cli"));
    in_home(command, home)
}

/// `banter-cli` run inside the network namespace `namespace` (`ip netns exec`), otherwise as [`banter_cli`].
pub fn banter_cli_in_namespace(home: &Home, namespace: &str) -> Command {
    let mut command = Command::new("ip");
    command.args(["netns", "exec", namespace]).arg(env!("CARGO_BIN_EXE_banter-cli"));
    in_home(command, home)
}

/// Every process is kept off the machine's real networks' mDNS: only `tests/discovery.rs`, inside network
/// namespaces of its own, turns discovery on.
fn in_home(mut command: Command, home: &Home) -> Command {
    command
        .env("BANTER_DISCOVERY", "off")
        .kill_on_drop(true)
        .env("BANTER_LOG", "warn")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env_remove("BANTER_USER_KEY")
        .env_remove("BANTER_ADMIN_TOKEN");
    command
}

/// A running `banter-cli serve` on 127.0.0.1 and a free port.
pub struct Served {
    pub child: Child,
    pub address: String,
    pub stdout: Lines<BufReader<ChildStdout>>,
    pub home: Home,
}

impl Served {
    /// A host that keeps its data in the default folder of a home of its own.
    pub async fn start() -> Served {
        Served::start_with(Home::new(), &[]).await
    }

    /// A host in `home`, with more arguments (`--port`, `--data`, `--ephemeral`…).
    pub async fn start_with(home: Home, args: &[&str]) -> Served {
        let mut command = banter_cli(&home);
        command.stderr(Stdio::null());
        Served::start_command(command, home, args).await
    }

    /// A host started by `command` (a [`banter_cli`] whose stderr is already set), with more arguments.
    pub async fn start_command(mut command: Command, home: Home, args: &[&str]) -> Served {
        let mut arguments = vec!["serve"];
        if !args.contains(&"--bind") {
            arguments.extend(["--bind", "127.0.0.1"]);
        }
        if !args.contains(&"--port") {
            arguments.extend(["--port", "0"]);
        }
        arguments.extend(args);
        let mut child = command.args(arguments).stdout(Stdio::piped()).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = next_line(&mut stdout).await.expect("the host prints where it listens");
        let address = first.strip_prefix("Banter host listening on ").expect("listening line").to_owned();
        Served { child, address, stdout, home }
    }
}

/// A running `banter-cli join` with its stdin open.
pub struct Joined {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Lines<BufReader<ChildStdout>>,
    pub stderr: Lines<BufReader<ChildStderr>>,
    pub home: Home,
}

impl Joined {
    pub async fn start(address: &str, args: &[&str]) -> Joined {
        Joined::start_in(Home::new(), address, args).await
    }

    /// A terminal user whose key lives in `home` (the same home twice is the same person).
    pub async fn start_in(home: Home, address: &str, args: &[&str]) -> Joined {
        let mut child = banter_cli(&home)
            .arg("join")
            .arg(address)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        wait_for(&mut stderr, |line| line.starts_with("* connected")).await;
        Joined { child, stdin, stdout, stderr, home }
    }

    pub async fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// Closes stdin and returns the exit code.
    pub async fn finish(self) -> Option<i32> {
        self.finish_keeping_home().await.0
    }

    /// Closes stdin and returns the exit code, with the home for another run as the same person.
    pub async fn finish_keeping_home(mut self) -> (Option<i32>, Home) {
        drop(self.stdin.take());
        let code = tokio::time::timeout(WAIT, self.child.wait()).await.expect("exits in time").unwrap().code();
        (code, self.home)
    }
}

pub async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut Lines<R>) -> Option<String> {
    tokio::time::timeout(WAIT, lines.next_line()).await.expect("a line in time").unwrap()
}

/// Reads lines until one matches; panics with what was read if the stream ends or time runs out.
pub async fn wait_for<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Lines<R>,
    mut matches: impl FnMut(&str) -> bool,
) -> String {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, lines.next_line()).await {
            Ok(Ok(Some(line))) if matches(&line) => return line,
            Ok(Ok(Some(line))) => seen.push(line),
            other => panic!("no matching line ({other:?}); read: {seen:#?}"),
        }
    }
}
