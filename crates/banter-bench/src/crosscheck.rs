//! The cross-check: a stock `socket.io-client` (Node.js, pinned by tests/interop/package-lock.json) listens in the
//! S1 room beside the generator's receivers, so that what the generator counts can be compared with what the
//! reference client sees.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::{Child, Command};

#[derive(Debug)]
pub struct JsReceiver {
    child: Child,
}

/// What the stock client counted, per step.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JsCounts {
    /// Deliveries per step, by step number.
    pub steps: Vec<u64>,
    /// Messages it saw twice.
    pub duplicates: u64,
    /// Messages whose `seq` did not follow the one before in the room.
    pub out_of_order: u64,
}

impl JsReceiver {
    /// Starts the client and waits until it has joined room `bench`.
    pub async fn start(repo: &Path, address: std::net::SocketAddr) -> anyhow::Result<Self> {
        let script = repo.join("tests/interop/bench-crosscheck.js");
        let mut child = Command::new("node")
            .arg(script)
            .arg(format!("http://{address}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting node for the cross-check")?;
        let stdout = child.stdout.as_mut().context("no stdout")?;
        let mut first = String::new();
        tokio::time::timeout(Duration::from_secs(30), BufReader::new(stdout).read_line(&mut first))
            .await
            .context("the stock client did not join within 30 s")??;
        if first.trim() != "ready" {
            bail!("the stock client said {first:?}");
        }
        Ok(JsReceiver { child })
    }

    /// Tells the client to stop (by closing its input) and reads its counts.
    pub async fn finish(mut self) -> anyhow::Result<JsCounts> {
        drop(self.child.stdin.take());
        let mut output = String::new();
        let stdout = self.child.stdout.as_mut().context("no stdout")?;
        tokio::time::timeout(Duration::from_secs(30), stdout.read_to_string(&mut output))
            .await
            .context("the stock client did not report within 30 s")??;
        let _ = self.child.wait().await;
        serde_json::from_str(output.trim()).with_context(|| format!("the stock client's report: {output:?}"))
    }
}
