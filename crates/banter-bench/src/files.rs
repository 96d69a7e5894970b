//! S5, shared files: how fast a large file goes up to the durable host and comes back down over loopback, and what
//! a transfer does to chat meanwhile. Two people chat in the lobby at a steady rate (each message's latency from
//! send to delivery, measured in this process with one clock) while nothing else happens, then while the file is
//! uploaded, then while it is downloaded. The transfers use the engine's own client (`client::transfer`), the same
//! code the app and `banter-cli` run; chat runs on a thread and runtime of its own, so that the transfer's work in
//! this process does not delay the chat's clock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use banter_core::client::transfer::{download_file, size_and_sha256, upload_file, Progress};
use banter_core::client::{Client, ClientConfig, ClientEvent};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::servers::Server;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilesPlan {
    pub bytes: u64,
    /// Chat messages per second while measuring.
    pub chat_rate: f64,
    /// How long chat is measured with nothing else going on.
    pub quiet: Duration,
}

/// Chat latencies over one phase, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatLatency {
    pub messages: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilesResult {
    /// Reading and hashing the file before the upload begins (the client does, to name what it sends).
    pub hash_s: f64,
    /// From `file:begin` to the host's `201`, which includes its own hashing of what arrived.
    pub upload_s: f64,
    pub upload_mib_s: f64,
    /// From the request to the last byte on disk, checked against the host's SHA-256.
    pub download_s: f64,
    pub download_mib_s: f64,
    pub chat_quiet: ChatLatency,
    pub chat_upload: ChatLatency,
    pub chat_download: ChatLatency,
    /// The downloaded bytes equal the uploaded ones.
    pub intact: bool,
}

/// Writes `bytes` of pseudo-random data (incompressible, never sparse: every byte is read from the disk).
fn make_file(path: &Path, bytes: u64) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    let mut written = 0;
    while written < bytes {
        for chunk in block.chunks_exact_mut(8) {
            // xorshift64*: fast, and good enough that no layer can compress it.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            chunk.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let take = usize::try_from((bytes - written).min(block.len() as u64)).unwrap_or(block.len());
        file.write_all(&block[..take])?;
        written += take as u64;
    }
    file.flush()?;
    Ok(())
}

/// The phase chat is in, which each latency is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Phase {
    Quiet,
    Upload,
    Download,
    Done,
}

struct Chat {
    phase: Mutex<Phase>,
    stop: AtomicBool,
    latencies: Mutex<HashMap<Phase, Histogram<u64>>>,
}

fn summary(histogram: Option<&Histogram<u64>>) -> ChatLatency {
    let Some(histogram) = histogram.filter(|histogram| !histogram.is_empty()) else { return ChatLatency::default() };
    let ms = |micros: u64| micros as f64 / 1000.0;
    ChatLatency {
        messages: histogram.len(),
        p50_ms: ms(histogram.value_at_quantile(0.5)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        max_ms: ms(histogram.max()),
    }
}

/// Two clients chatting at `rate` until told to stop; latencies go under the phase a message was sent in.
async fn chat(address: String, rate: f64, shared: Arc<Chat>) -> anyhow::Result<()> {
    let config = |name: &str| {
        let mut config = ClientConfig::new(address.clone(), name);
        config.user_key = Some(format!("{name}-bench-files-key"));
        config
    };
    let (sender, _sender_events) = Client::connect(config("talker"))?;
    let (_listener, mut events) = Client::connect(config("listener"))?;
    let sent: Arc<Mutex<HashMap<String, (Instant, Phase)>>> = Arc::default();
    let receiving = {
        let (sent, shared) = (Arc::clone(&sent), Arc::clone(&shared));
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let ClientEvent::Message(message) = event else { continue };
                let Some((at, phase)) =
                    sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&message.text)
                else {
                    continue;
                };
                let micros = u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
                let mut latencies = shared.latencies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let histogram = latencies.entry(phase).or_insert_with(|| {
                    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
                });
                let _ = histogram.record(micros);
            }
        })
    };
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut index = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        ticks.tick().await;
        let phase = *shared.phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let text = format!("chat {index}");
        index += 1;
        sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(text.clone(), (Instant::now(), phase));
        sender.send_message("lobby", &text).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    receiving.abort();
    Ok(())
}

fn set_phase(chat: &Chat, phase: Phase) {
    *chat.phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = phase;
}

pub async fn files(server: &Server, plan: &FilesPlan, work: &Path) -> anyhow::Result<FilesResult> {
    std::fs::create_dir_all(work)?;
    let source: PathBuf = work.join("upload.bin");
    let target: PathBuf = work.join("download.bin");
    let _ = std::fs::remove_file(&target);
    make_file(&source, plan.bytes).context("writing the file to send")?;
    let address = server.address.to_string();
    let shared =
        Arc::new(Chat { phase: Mutex::new(Phase::Quiet), stop: AtomicBool::new(false), latencies: Mutex::default() });
    let chatting = {
        let (address, shared, rate) = (address.clone(), Arc::clone(&shared), plan.chat_rate);
        std::thread::spawn(move || -> anyhow::Result<()> {
            tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(chat(address, rate, shared))
        })
    };
    tokio::time::sleep(plan.quiet).await;

    let (uploader, _uploader_events) = Client::connect(ClientConfig::new(address.clone(), "uploader"))?;
    let base: url::Url = format!("http://{address}").parse()?;
    let quiet: Progress = Arc::new(|_, _| {});
    let started = Instant::now();
    size_and_sha256(&source).await.context("hashing")?;
    let hash_s = started.elapsed().as_secs_f64();
    set_phase(&shared, Phase::Upload);
    let started = Instant::now();
    let file = upload_file(&uploader, &base, &source, Arc::clone(&quiet)).await.context("the upload")?;
    let upload_s = started.elapsed().as_secs_f64();
    set_phase(&shared, Phase::Quiet);
    tokio::time::sleep(Duration::from_secs(1)).await;
    set_phase(&shared, Phase::Download);
    let started = Instant::now();
    let url = base.join(&format!("files/{}", file.id))?;
    download_file(&url, &target, quiet).await.context("the download")?;
    let download_s = started.elapsed().as_secs_f64();
    set_phase(&shared, Phase::Done);
    shared.stop.store(true, Ordering::Relaxed);
    chatting.join().map_err(|_| anyhow::anyhow!("the chat thread panicked"))??;

    let intact = size_and_sha256(&target).await.context("hashing the download")?.1 == file.sha256;
    let _ = std::fs::remove_file(&source);
    let _ = std::fs::remove_file(&target);
    let mib = plan.bytes as f64 / f64::from(1u32 << 20);
    let latencies = shared.latencies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // The upload's own time, without the client's hashing before it (upload_file hashes first, as every client
    // must to name what it sends).
    let sending = (upload_s - hash_s).max(f64::EPSILON);
    Ok(FilesResult {
        hash_s,
        upload_s,
        upload_mib_s: mib / sending,
        download_s,
        download_mib_s: mib / download_s,
        chat_quiet: summary(latencies.get(&Phase::Quiet)),
        chat_upload: summary(latencies.get(&Phase::Upload)),
        chat_download: summary(latencies.get(&Phase::Download)),
        intact,
    })
}
