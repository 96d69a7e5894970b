//! The crash test: a real `banter-cli serve --data` is killed with SIGKILL at random moments and started again on
//! the same port and folder, while three Banter clients and one stock socket.io-client write across rooms and
//! direct messages. Afterwards fresh readers page every room and every conversation, and nothing the host
//! acknowledged may be missing, nothing may be there twice, and each sender's order must hold.
//!
//! Seeded: it prints its seed, and BANTER_CRASH_SEED repeats a run.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use banter_core::client::{Client, ClientConfig, ClientEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

const ROOMS: [&str; 3] = ["r0", "r1", "r2"];
const WRITERS: [&str; 3] = ["w0", "w1", "w2"];
const STOCK_WRITER: &str = "js";
const PER_WRITER: usize = 300;
const KILLS: usize = 3;
/// Between one writer's messages, so that the kills fall while messages are on their way.
const PACE: Duration = Duration::from_millis(25);
/// The whole run's limit: writers that are still busy then fail the test.
const RUN_LIMIT: Duration = Duration::from_secs(150);

fn key_of(name: &str) -> String {
    format!("{name}-crash-test-key")
}

fn config(address: &str, name: &str) -> ClientConfig {
    let mut config = ClientConfig::new(address, name);
    config.user_key = Some(key_of(name));
    config.backoff_min = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(300);
    config.ping_interval = Duration::from_secs(1);
    config.request_timeout = Duration::from_secs(3);
    config.outbox_limit = 2 * PER_WRITER;
    config
}

/// What one writer meant to say and what the host acknowledged.
#[derive(Debug, Default)]
struct Sent {
    /// Client id → the writer's own index of the message.
    index: HashMap<String, usize>,
    acked: HashSet<String>,
    refused: usize,
}

/// One stored message, as a reader found it.
#[derive(Debug, Clone)]
struct Found {
    from: String,
    client_id: Option<String>,
    conversation: String,
    seq: u64,
}

fn peer_of(writer: &str, index: usize) -> String {
    let everyone: Vec<&str> = WRITERS.iter().copied().chain([STOCK_WRITER]).filter(|name| *name != writer).collect();
    everyone[index % everyone.len()].to_owned()
}

async fn rust_writer(address: String, name: &'static str, seed: u64, mut go: watch::Receiver<bool>) -> Sent {
    let (client, mut events) = Client::connect(config(&address, name)).unwrap();
    for room in ROOMS {
        client.join_room(room).await.unwrap();
    }
    // Every writer's name is taken (and so can be written to) before anyone writes.
    go.wait_for(|go| *go).await.unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sent = Sent::default();
    for index in 0..PER_WRITER {
        let text = format!("{name} {index}");
        let client_id = if index % 5 == 4 {
            client.send_direct(&peer_of(name, index), &text).await.unwrap()
        } else {
            client.send_message(ROOMS[index % ROOMS.len()], &text).await.unwrap()
        };
        sent.index.insert(client_id, index);
        tokio::time::sleep(PACE.mul_f64(rng.gen_range(0.5..1.5))).await;
    }
    let deadline = tokio::time::Instant::now() + RUN_LIMIT;
    while sent.acked.len() + sent.refused < PER_WRITER {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(ClientEvent::Delivered { client_id })) => {
                sent.acked.insert(client_id);
            }
            Ok(Some(ClientEvent::SendFailed { client_id, error })) => {
                eprintln!("{name}: {client_id} was given up: {}", error.message);
                sent.refused += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("{name}: only {} of {PER_WRITER} answered in time", sent.acked.len()),
        }
    }
    client.close().await;
    sent
}

async fn stock_writer(address: String, ready: watch::Sender<bool>) -> Sent {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/crash-writer.js");
    let peers = WRITERS.join(",");
    let mut child = tokio::process::Command::new("node")
        .arg(script)
        .args([&format!("http://{address}"), STOCK_WRITER, &key_of(STOCK_WRITER), &PER_WRITER.to_string()])
        .args([&ROOMS.join(","), &peers, &PACE.as_millis().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (make test installs it)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut sent = Sent::default();
    for index in 0..PER_WRITER {
        sent.index.insert(format!("{STOCK_WRITER}-{index}"), index);
    }
    let finished = tokio::time::timeout(RUN_LIMIT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line == "done" {
                return true;
            }
            if line == "ready" {
                ready.send_replace(true);
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            sent.acked.insert(value["acked"].as_str().unwrap().to_owned());
        }
        false
    })
    .await;
    assert_eq!(finished, Ok(true), "the stock writer finished ({} acknowledged)", sent.acked.len());
    sent
}

/// Every message of a room, paged from the newest back to the first.
async fn page_room(client: &Client, room: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut before = None;
    loop {
        let page = client.history(room, before, 100).await.unwrap();
        let Some(oldest) = page.messages.first().map(|message| message.seq) else { break };
        for message in page.messages {
            found.push(Found {
                from: message.from,
                client_id: message.client_id,
                conversation: room.into(),
                seq: message.seq,
            });
        }
        if oldest <= 1 {
            break;
        }
        before = Some(oldest);
    }
    found
}

/// Every direct message between `name` and `peer`, paged back to the first.
async fn page_conversation(client: &Client, name: &str, peer: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut before = None;
    let conversation = {
        let mut pair = [name, peer];
        pair.sort_unstable();
        format!("dm:{}:{}", pair[0], pair[1])
    };
    loop {
        let Ok(page) = client.direct_history(peer, before, 100).await else { break };
        let Some(oldest) = page.messages.first().map(|message| message.seq) else { break };
        for message in page.messages {
            found.push(Found {
                from: message.from,
                client_id: message.client_id,
                conversation: conversation.clone(),
                seq: message.seq,
            });
        }
        if oldest <= 1 {
            break;
        }
        before = Some(oldest);
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_kill_minus_nine() {
    let seed =
        std::env::var("BANTER_CRASH_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(rand::random::<u64>);
    eprintln!("crash test seed: {seed} (BANTER_CRASH_SEED={seed} repeats this run)");
    let mut rng = StdRng::seed_from_u64(seed);
    // Limits raised so that the run takes seconds, not minutes; the kills do the damage.
    let limits = ["--requests-per-second", "2000", "--request-burst", "2000"];
    let home = Home::new();
    let data = home.data().to_string_lossy().into_owned();
    let mut host = Served::start_with(home, &[&["--data", &data], &limits[..]].concat()).await;
    let address = host.address.clone();
    let port = address.rsplit(':').next().unwrap().to_owned();

    // The Rust writers hold their names before the stock writer sends them direct messages, and wait for it to
    // hold its own before they write to it.
    let (go, going) = watch::channel(false);
    let writers: Vec<_> =
        WRITERS.iter().map(|name| tokio::spawn(rust_writer(address.clone(), name, rng.gen(), going.clone()))).collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stock = tokio::spawn(stock_writer(address.clone(), go));

    for kill in 1..=KILLS {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(1200..3500))).await;
        host.child.start_kill().unwrap();
        let status = host.child.wait().await.unwrap();
        eprintln!("kill {kill}: the host ended with {status}");
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..400))).await;
        host = Served::start_with(host.home, &[&["--data", &data, "--port", &port], &limits[..]].concat()).await;
    }

    let mut sent: BTreeMap<String, Sent> = BTreeMap::new();
    for (name, writer) in WRITERS.iter().zip(writers) {
        sent.insert((*name).to_owned(), writer.await.unwrap());
    }
    sent.insert(STOCK_WRITER.to_owned(), stock.await.unwrap());

    // Fresh readers: a newcomer for the rooms, and each writer anew (a new process, the same key) for its own
    // conversations.
    let (reader, _events) = Client::connect(config(&address, "reader")).unwrap();
    let mut found = Vec::new();
    for room in ROOMS {
        reader.join_room(room).await.unwrap();
        found.extend(page_room(&reader, room).await);
    }
    let everyone: Vec<&str> = WRITERS.iter().copied().chain([STOCK_WRITER]).collect();
    for (position, name) in everyone.iter().enumerate() {
        let (client, _events) = Client::connect(config(&address, name)).unwrap();
        for peer in &everyone[position + 1..] {
            found.extend(page_conversation(&client, name, peer).await);
        }
        client.close().await;
    }

    let mut seen_ids = HashSet::new();
    for message in &found {
        if let Some(id) = &message.client_id {
            assert!(seen_ids.insert(id.clone()), "{id} is stored twice");
        }
    }
    for (name, writer) in &sent {
        let missing: Vec<&String> = writer.acked.iter().filter(|id| !seen_ids.contains(*id)).collect();
        assert!(missing.is_empty(), "{name}: {} acknowledged messages are missing: {missing:?}", missing.len());
        let mut by_conversation: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
        for message in found.iter().filter(|message| &message.from == name) {
            let index = message.client_id.as_ref().and_then(|id| writer.index.get(id)).copied();
            let index = index.unwrap_or_else(|| panic!("{name}: a stored message with an unknown client id"));
            by_conversation.entry(&message.conversation).or_default().push((message.seq, index));
        }
        for (conversation, mut entries) in by_conversation {
            entries.sort_unstable();
            assert!(
                entries.windows(2).all(|pair| pair[0].1 < pair[1].1),
                "{name}: out of order in {conversation}: {entries:?}"
            );
        }
        eprintln!("{name}: {} sent, {} acknowledged, {} given up", PER_WRITER, writer.acked.len(), writer.refused);
    }
    let acknowledged: usize = sent.values().map(|writer| writer.acked.len()).sum();
    assert!(acknowledged >= 4 * PER_WRITER * 9 / 10, "only {acknowledged} acknowledged: the test did not really run");
    eprintln!("{} stored, {acknowledged} acknowledged, {KILLS} kills", found.len());
}
