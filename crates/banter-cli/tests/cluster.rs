//! A cluster of real `banter-cli serve --cluster` processes on one real redis-server, with Banter clients spread
//! over them, each given every host's address. One host is killed with SIGKILL while writers on all three send;
//! its clients go on through the others. Afterwards every receiver has seen each room in `seq` order with nothing
//! missing and nothing twice, and a fresh reader finds every acknowledged message once, in each sender's order.
//!
//! Seeded: it prints its seed, and BANTER_CLUSTER_SEED repeats a run.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;
#[path = "../../banter-core/tests/common/valkey.rs"]
mod valkey;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use banter_core::client::{Client, ClientConfig, ClientEvent, ConnectionState};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::*;

const ROOMS: [&str; 2] = ["lobby", "ops"];
const WRITERS: [&str; 3] = ["w0", "w1", "w2"];
const PER_WRITER: usize = 150;
const PACE: Duration = Duration::from_millis(20);
const RUN_LIMIT: Duration = Duration::from_secs(120);

fn config(addresses: &str, name: &str) -> ClientConfig {
    let mut config = ClientConfig::new(addresses, name);
    config.user_key = Some(format!("{name}-cluster-test-key"));
    config.backoff_min = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(300);
    config.ping_interval = Duration::from_secs(1);
    config.request_timeout = Duration::from_secs(3);
    config.outbox_limit = 2 * PER_WRITER;
    config
}

/// What one writer sent, what the hosts acknowledged, and what it received of each room, in arrival order.
#[derive(Debug, Default)]
struct Writer {
    index: HashMap<String, usize>,
    acked: HashSet<String>,
    received: BTreeMap<String, Vec<u64>>,
    /// How long the client was without a host, from losing one to being connected to another.
    away: Vec<Duration>,
}

async fn write(addresses: String, name: &'static str, seed: u64) -> Writer {
    let (client, mut events) = Client::connect(config(&addresses, name)).unwrap();
    for room in ROOMS {
        client.join_room(room).await.unwrap();
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut writer = Writer::default();
    let mut lost_at: Option<Instant> = None;
    let mut note = |event: ClientEvent, writer: &mut Writer| match event {
        ClientEvent::Delivered { client_id } => {
            writer.acked.insert(client_id);
        }
        ClientEvent::Message(message) => writer.received.entry(message.room).or_default().push(message.seq),
        // A new session's welcome carries what it brings of the lobby.
        ClientEvent::Welcome(welcome) => {
            writer.received.entry("lobby".to_owned()).or_default().extend(welcome.history.iter().map(|m| m.seq));
        }
        ClientEvent::MissedMessages { room, messages, .. } => {
            writer.received.entry(room).or_default().extend(messages.iter().map(|message| message.seq));
        }
        ClientEvent::Joined(joined) => {
            let room = writer.received.entry(joined.room.clone()).or_default();
            let last = room.last().copied().unwrap_or(0);
            room.extend(joined.history.iter().map(|message| message.seq).filter(|seq| *seq > last));
        }
        ClientEvent::State(ConnectionState::Reconnecting { .. }) => {
            lost_at.get_or_insert_with(Instant::now);
        }
        ClientEvent::State(ConnectionState::Connected { .. }) => {
            if let Some(lost) = lost_at.take() {
                writer.away.push(lost.elapsed());
            }
        }
        _ => {}
    };
    for index in 0..PER_WRITER {
        let text = format!("{name} {index}");
        let client_id = if index % 5 == 4 {
            let peer = WRITERS[(WRITERS.iter().position(|w| *w == name).unwrap() + 1 + index % 2) % WRITERS.len()];
            client.send_direct(peer, &text).await.unwrap()
        } else {
            client.send_message(ROOMS[index % ROOMS.len()], &text).await.unwrap()
        };
        writer.index.insert(client_id, index);
        while let Ok(event) = events.try_recv() {
            note(event, &mut writer);
        }
        tokio::time::sleep(PACE.mul_f64(rng.gen_range(0.5..1.5))).await;
    }
    let deadline = tokio::time::Instant::now() + RUN_LIMIT;
    while writer.acked.len() < PER_WRITER {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => note(event, &mut writer),
            Ok(None) | Err(_) => panic!("{name}: only {} of {PER_WRITER} acknowledged in time", writer.acked.len()),
        }
    }
    // What is still on its way to this receiver from the others.
    let quiet = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(event)) = tokio::time::timeout_at(quiet, events.recv()).await {
        note(event, &mut writer);
    }
    client.close().await;
    writer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_killed_mid_chat_loses_nothing_and_its_people_go_on_through_the_others() {
    let seed = std::env::var("BANTER_CLUSTER_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("cluster crash test seed: {seed} (BANTER_CLUSTER_SEED={seed} repeats this run)");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = valkey::Valkey::start(&[]).await;
    let url = server.url();
    let limits = ["--requests-per-second", "2000", "--request-burst", "2000"];
    let mut hosts = Vec::new();
    for _ in 0..3 {
        hosts.push(Served::start_with(Home::new(), &[&["--ephemeral", "--cluster", &url], &limits[..]].concat()).await);
    }
    let addresses: Vec<String> = hosts.iter().map(|host| host.address.clone()).collect();

    // Each writer starts on a host of its own and knows every host.
    let writers: Vec<_> = WRITERS
        .iter()
        .enumerate()
        .map(|(position, name)| {
            let mut mine = addresses.clone();
            mine.rotate_left(position);
            tokio::spawn(write(mine.join(","), name, rng.gen()))
        })
        .collect();
    // Someone who knows only the host that will die, and someone on another host who sees them go.
    let victim = rng.gen_range(0..hosts.len());
    let (_solo, _solo_events) = Client::connect(config(&addresses[victim], "solo")).unwrap();
    let watcher_address = addresses[(victim + 1) % addresses.len()].clone();
    let (_watcher, mut watcher_events) = Client::connect(config(&watcher_address, "watcher")).unwrap();
    tokio::time::sleep(Duration::from_millis(rng.gen_range(800..2000))).await;
    hosts[victim].child.start_kill().unwrap();
    let status = hosts[victim].child.wait().await.unwrap();
    let killed_at = Instant::now();
    eprintln!("killed host {victim} ({}): {status}", addresses[victim]);
    // Within the heartbeat (5 s) and a beat (1 s) as docs/SCALING.md states; 10 s on a loaded machine.
    let offline = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match watcher_events.recv().await {
                Some(ClientEvent::UserOffline(user)) if user.name == "solo" => return killed_at.elapsed(),
                Some(_) => {}
                None => panic!("the watcher's events ended"),
            }
        }
    })
    .await
    .expect("the dead host's user went offline for the others");
    eprintln!("solo, on the dead host only, went offline for the others {offline:?} after the kill");

    let mut done = BTreeMap::new();
    for (name, writer) in WRITERS.iter().zip(writers) {
        done.insert(*name, writer.await.unwrap());
    }

    // A fresh reader on a host that lived pages every room, and each writer anew its conversations.
    let living: Vec<String> =
        addresses.iter().enumerate().filter(|(n, _)| *n != victim).map(|(_, a)| a.clone()).collect();
    let (reader, _events) = Client::connect(config(&living.join(","), "reader")).unwrap();
    let mut stored: Vec<(String, String, String, u64)> = Vec::new();
    for room in ROOMS {
        reader.join_room(room).await.unwrap();
        let mut before = None;
        loop {
            let page = reader.history(room, before, 100).await.unwrap();
            let Some(oldest) = page.messages.first().map(|message| message.seq) else { break };
            for message in page.messages {
                stored.push((room.to_owned(), message.from, message.client_id.unwrap_or_default(), message.seq));
            }
            if oldest <= 1 {
                break;
            }
            before = Some(oldest);
        }
    }
    for (position, name) in WRITERS.iter().enumerate() {
        let (client, _events) = Client::connect(config(&living.join(","), name)).unwrap();
        for peer in &WRITERS[position + 1..] {
            let page = client.direct_history(peer, None, 200).await.unwrap();
            for message in page.messages {
                stored.push((
                    format!("dm {name} {peer}"),
                    message.from,
                    message.client_id.unwrap_or_default(),
                    message.seq,
                ));
            }
        }
        client.close().await;
    }

    let mut ids = HashSet::new();
    for (_, _, id, _) in &stored {
        assert!(ids.insert(id.clone()), "{id} is stored twice; seed {seed}");
    }
    for (name, writer) in &done {
        let missing: Vec<&String> = writer.acked.iter().filter(|id| !ids.contains(*id)).collect();
        assert!(missing.is_empty(), "{name}: {} acknowledged messages missing; seed {seed}", missing.len());
        let mut by_place: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
        for (place, from, id, seq) in &stored {
            if from == name {
                by_place.entry(place).or_default().push((*seq, writer.index[id]));
            }
        }
        for (place, mut entries) in by_place {
            entries.sort_unstable();
            assert!(entries.windows(2).all(|pair| pair[0].1 < pair[1].1), "{name}: out of order in {place}");
        }
        for (room, seqs) in &writer.received {
            let newest = stored.iter().filter(|(place, ..)| place == room).map(|(.., seq)| *seq).max().unwrap_or(0);
            assert_eq!(seqs, &(1..=newest).collect::<Vec<_>>(), "{name} received {room} in order, whole; seed {seed}");
        }
        eprintln!(
            "{name}: {PER_WRITER} sent, {} acknowledged, without a host for {:?}",
            writer.acked.len(),
            writer.away
        );
    }
    drop(server);
}
