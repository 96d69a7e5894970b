//! The connection scenarios: many idle sessions (S3) and a connection storm with a restart (S4).
//!
//! These sessions connect as the tutorial's page does, with no Banter handshake: a named Banter session hears
//! every other one come online, so n of them cost n² presence notices, which at 10,000 measures the presence
//! protocol rather than the server (docs/BENCHMARKS.md names that limit). The Banter host still admits each one as
//! a guest user, as the Node.js server does.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::StreamExt as _;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use tokio::task::{spawn_local, JoinHandle};

use crate::servers::{Launcher, Server, ServerKind};
use crate::session;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Sessions connecting at once while S3 fills up.
const FILL_CONCURRENCY: usize = 128;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleResult {
    pub pss_empty_bytes: u64,
    pub half: usize,
    pub pss_half_bytes: u64,
    pub full: usize,
    pub pss_full_bytes: u64,
    /// (PSS at `full` − PSS at `half`) / (`full` − `half`).
    pub bytes_per_connection: f64,
}

/// S3: connects `full` idle sessions, reading the server's PSS empty, at `full / 2` and at `full`.
pub async fn idle(server: &Server, full: usize, settle: Duration) -> anyhow::Result<IdleResult> {
    tokio::time::sleep(settle).await;
    let pss_empty_bytes = server.pss_bytes();
    let half = full / 2;
    let mut holders = fill(server.address, half).await?;
    tokio::time::sleep(settle).await;
    let pss_half_bytes = server.pss_bytes();
    holders.extend(fill(server.address, full - half).await?);
    tokio::time::sleep(settle).await;
    let pss_full_bytes = server.pss_bytes();
    let open = holders.iter().filter(|holder| !holder.is_finished()).count();
    for holder in holders {
        holder.abort();
    }
    if open < full {
        bail!("only {open} of {full} idle sessions stayed open");
    }
    let bytes_per_connection = (pss_full_bytes as f64 - pss_half_bytes as f64) / (full - half).max(1) as f64;
    Ok(IdleResult { pss_empty_bytes, half, pss_half_bytes, full, pss_full_bytes, bytes_per_connection })
}

/// Opens `count` idle sessions, a bounded number at a time, each held open by a task that answers pings.
pub async fn fill(address: SocketAddr, count: usize) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let sessions: Vec<anyhow::Result<session::Ws>> = futures_util::stream::iter(0..count)
        .map(|_| session::connect(address, None, CONNECT_TIMEOUT))
        .buffer_unordered(FILL_CONCURRENCY)
        .collect()
        .await;
    let mut holders = Vec::with_capacity(count);
    for ws in sessions {
        let mut ws = ws?;
        holders.push(spawn_local(async move { session::read_until_closed(&mut ws, |_| {}).await }));
    }
    Ok(holders)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StormResult {
    pub clients: usize,
    /// Seconds from the first connect to the last session open, everyone starting at once.
    pub connect_s: f64,
    pub connected: usize,
    /// Seconds from killing the server to every session open again on the restarted one.
    pub reconnect_s: f64,
    pub reconnected: usize,
    /// Seconds the restarted server took to say it was listening (part of `reconnect_s`).
    pub restart_s: f64,
}

impl StormResult {
    /// Seconds from the restarted server listening to every session open again: the server's part of the
    /// reconnection, without its start-up.
    pub fn back_s(&self) -> f64 {
        self.reconnect_s - self.restart_s
    }
}

/// Stops the storm's sessions however the scenario ends, an error included: left running, they would keep
/// reconnecting to whatever next listens on that port.
struct Sessions {
    stop: Rc<Cell<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Sessions {
    fn drop(&mut self) {
        self.stop.set(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// S4: `clients` sessions connect at once; then the server is killed and started again on the same port, and every
/// session reconnects with the same policy as the Socket.IO client's, shortened (see [`retry_delay`]).
pub async fn storm(
    launcher: &Launcher,
    kind: ServerKind,
    clients: usize,
    limit: Duration,
) -> anyhow::Result<StormResult> {
    let server = launcher.start(kind, 0).await?;
    let address = server.address;
    let open = Rc::new(Cell::new(0usize));
    let stop = Rc::new(Cell::new(false));
    let started = Instant::now();
    let tasks: Vec<JoinHandle<()>> = (0..clients)
        .map(|_| {
            let (open, stop) = (open.clone(), stop.clone());
            spawn_local(async move {
                let mut failures = 0u32;
                while !stop.get() {
                    match session::connect(address, None, CONNECT_TIMEOUT).await {
                        Ok(mut ws) => {
                            open.set(open.get() + 1);
                            failures = 0;
                            session::read_until_closed(&mut ws, |_| {}).await;
                            open.set(open.get() - 1);
                        }
                        Err(_) => failures += 1,
                    }
                    if !stop.get() {
                        tokio::time::sleep(retry_delay(failures)).await;
                    }
                }
            })
        })
        .collect();
    let sessions = Sessions { stop, tasks };
    let connected = wait_for_open(&open, clients, limit).await;
    let connect_s = started.elapsed().as_secs_f64();

    let killed = Instant::now();
    server.kill().await;
    let server = start_again(launcher, kind, address.port()).await?;
    let restart_s = killed.elapsed().as_secs_f64();
    // Sessions notice the reset at once; wait until the count has seen them go before counting them back.
    let gone = Instant::now();
    while open.get() == clients && gone.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let reconnected = wait_for_open(&open, clients, limit).await;
    let reconnect_s = killed.elapsed().as_secs_f64();
    drop(sessions);
    server.kill().await;
    Ok(StormResult { clients, connect_s, connected, reconnect_s, reconnected, restart_s })
}

/// The restarted server may find its port still held for a moment by the dying process.
async fn start_again(launcher: &Launcher, kind: ServerKind, port: u16) -> anyhow::Result<Server> {
    let mut attempt = 0;
    loop {
        match launcher.start(kind, port).await {
            Ok(server) => return Ok(server),
            Err(error) if attempt < 50 => {
                tracing::debug!(%error, "restarting the server");
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

async fn wait_for_open(open: &Cell<usize>, target: usize, limit: Duration) -> usize {
    let started = Instant::now();
    while open.get() < target && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    open.get()
}

/// The Socket.IO client waits `reconnectionDelay` (1 s) doubled per failure up to 5 s, ±50%. Here the same shape
/// is scaled down to 100 ms up to 1 s, so that the time to reconnect says how fast the server takes sessions back
/// rather than how long clients wait: a session that lost its connection retries after 50–150 ms.
fn retry_delay(failures: u32) -> Duration {
    let base = (100u64 << failures.min(4)).min(1000) as f64;
    Duration::from_micros((base * rand::thread_rng().gen_range(0.5..1.5) * 1000.0) as u64)
}
