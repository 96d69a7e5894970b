//! Runs the real `banter-cli` binary: hosts on 127.0.0.1:0 and clients fed through stdin.
#![allow(dead_code, clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

/// How long one expected line may take on a loaded CI machine.
pub const WAIT: Duration = Duration::from_secs(15);

pub fn banter_cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_banter-cli"));
    command.kill_on_drop(true).env("BANTER_LOG", "warn");
    command
}

/// A running `banter-cli serve` on 127.0.0.1 and a free port.
pub struct Served {
    pub child: Child,
    pub address: String,
    pub stdout: Lines<BufReader<ChildStdout>>,
}

impl Served {
    pub async fn start() -> Served {
        let mut child = banter_cli()
            .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = next_line(&mut stdout).await.expect("the host prints where it listens");
        let address = first.strip_prefix("Banter host listening on ").expect("listening line").to_owned();
        Served { child, address, stdout }
    }
}

/// A running `banter-cli join` with its stdin open.
pub struct Joined {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Lines<BufReader<ChildStdout>>,
    pub stderr: Lines<BufReader<ChildStderr>>,
}

impl Joined {
    pub async fn start(address: &str, args: &[&str]) -> Joined {
        let mut child = banter_cli()
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
        Joined { child, stdin, stdout, stderr }
    }

    pub async fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// Closes stdin and returns the exit code.
    pub async fn finish(mut self) -> Option<i32> {
        drop(self.stdin.take());
        tokio::time::timeout(WAIT, self.child.wait()).await.expect("exits in time").unwrap().code()
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
