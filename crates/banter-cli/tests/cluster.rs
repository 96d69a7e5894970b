//! A cluster of real `banter-cli serve --cluster` processes on one real redis-server, with Banter clients spread
//! over them, each given every host's address. One host is killed with SIGKILL while writers on all three send;
//! its clients go on through the others. Afterwards every receiver has seen each room in `seq` order with nothing
//! missing and nothing twice, and a fresh reader finds every acknowledged message once, in each sender's order.
//!
//! The same holds when the links between clients and hosts flap: a TCP proxy in front of each host cuts its
//! connections every 1 to 5 s for a bounded time.
//!
//! Seeded: each test prints its seed, and BANTER_CLUSTER_SEED repeats a run.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

#[path = "../../banter-core/tests/common/proxy.rs"]
mod proxy;
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
/// The link flap test writes for longer, about the ten seconds the links flap for.
const FLAPPING_PER_WRITER: usize = 250;
const FLAPPING_PACE: Duration = Duration::from_millis(40);
const FLAPPING_FOR: Duration = Duration::from_secs(10);

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

/// The test's seed, from BANTER_CLUSTER_SEED or new, printed under `what`.
fn seed(what: &str) -> u64 {
    let seed = std::env::var("BANTER_CLUSTER_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("{what} seed: {seed} (BANTER_CLUSTER_SEED={seed} repeats this run)");
    seed
}

/// `count` hosts of the cluster on `url`, each keeping nothing of its own, with request budgets raised so that a
/// run takes seconds: the faults do the damage.
async fn cluster_hosts(url: &str, count: usize) -> Vec<Served> {
    let mut hosts = Vec::new();
    for _ in 0..count {
        let args = ["--ephemeral", "--cluster", url, "--requests-per-second", "2000", "--request-burst", "2000"];
        hosts.push(Served::start_with(Home::new(), &args).await);
    }
    hosts
}

/// What one writer sent, what the hosts acknowledged, and what it received of each room, in arrival order.
#[derive(Debug, Default)]
struct Writer {
    index: HashMap<String, usize>,
    acked: HashSet<String>,
    received: BTreeMap<String, Vec<u64>>,
    /// How long the client was without a host, from losing one to being connected to another.
    away: Vec<Duration>,
    /// Sends the host could not keep at first (`storage_unavailable`), which the client sent again.
    held: usize,
}

async fn write(addresses: String, name: &'static str, seed: u64, count: usize, pace: Duration) -> Writer {
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
        ClientEvent::Held { error, .. } => {
            assert_eq!(error.kind, banter_core::protocol::ErrorKind::StorageUnavailable, "{}", error.message);
            writer.held += 1;
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
    for index in 0..count {
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
        tokio::time::sleep(pace.mul_f64(rng.gen_range(0.5..1.5))).await;
    }
    let deadline = tokio::time::Instant::now() + RUN_LIMIT;
    while writer.acked.len() < count {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => note(event, &mut writer),
            Ok(None) | Err(_) => panic!("{name}: only {} of {count} acknowledged in time", writer.acked.len()),
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
    let seed = seed("cluster crash test");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = valkey::Valkey::start(&[]).await;
    let url = server.url();
    let mut hosts = cluster_hosts(&url, 3).await;
    let addresses: Vec<String> = hosts.iter().map(|host| host.address.clone()).collect();

    // Each writer starts on a host of its own and knows every host.
    let writers: Vec<_> = WRITERS
        .iter()
        .enumerate()
        .map(|(position, name)| {
            let mut mine = addresses.clone();
            mine.rotate_left(position);
            tokio::spawn(write(mine.join(","), name, rng.gen(), PER_WRITER, PACE))
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
    let living: Vec<String> =
        addresses.iter().enumerate().filter(|(n, _)| *n != victim).map(|(_, a)| a.clone()).collect();
    let stored = read_everything(&living.join(",")).await;
    check(&stored, &done, seed);
    drop(server);
}

/// One stored message as a fresh reader found it: where (a room, or `dm A B`), from whom, its client id, its `seq`.
type Stored = (String, String, String, u64);

/// A fresh reader pages every room, and each writer anew (the same key) its conversations.
async fn read_everything(addresses: &str) -> Vec<Stored> {
    let (reader, _events) = Client::connect(config(addresses, "reader")).unwrap();
    let mut stored = Vec::new();
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
    reader.close().await;
    for (position, name) in WRITERS.iter().enumerate() {
        let (client, _events) = Client::connect(config(addresses, name)).unwrap();
        for peer in &WRITERS[position + 1..] {
            let page = client.direct_history(peer, None, 200).await.unwrap();
            for message in page.messages {
                let place = format!("dm {name} {peer}");
                stored.push((place, message.from, message.client_id.unwrap_or_default(), message.seq));
            }
        }
        client.close().await;
    }
    stored
}

/// Nothing acknowledged is missing, nothing is stored twice, each sender's messages are in the order sent, and
/// every receiver got each room whole and in `seq` order.
fn check(stored: &[Stored], done: &BTreeMap<&str, Writer>, seed: u64) {
    let mut ids = HashSet::new();
    for (_, _, id, _) in stored {
        assert!(ids.insert(id.clone()), "{id} is stored twice; seed {seed}");
    }
    for (name, writer) in done {
        let missing: Vec<&String> = writer.acked.iter().filter(|id| !ids.contains(*id)).collect();
        assert!(missing.is_empty(), "{name}: {} acknowledged messages missing; seed {seed}", missing.len());
        let mut by_place: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
        for (place, from, id, seq) in stored {
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
            "{name}: {} sent, {} acknowledged, without a host for {:?}",
            writer.index.len(),
            writer.acked.len(),
            writer.away
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_that_flap_lose_nothing_and_duplicate_nothing() {
    let seed = seed("link flap test");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = valkey::Valkey::start(&[]).await;
    let url = server.url();
    let hosts = cluster_hosts(&url, 3).await;
    let mut proxies = Vec::new();
    for host in &hosts {
        proxies.push(proxy::Proxy::start(host.address.parse().unwrap()).await);
    }
    let addresses: Vec<String> = proxies.iter().map(|proxy| proxy.address.to_string()).collect();
    let writers: Vec<_> = WRITERS
        .iter()
        .enumerate()
        .map(|(position, name)| {
            let mut mine = addresses.clone();
            mine.rotate_left(position);
            tokio::spawn(write(mine.join(","), name, rng.gen(), FLAPPING_PER_WRITER, FLAPPING_PACE))
        })
        .collect();
    // Every 1 to 5 s, for a bounded time, one link is cut (every connection through it closed) and, a moment
    // later, plugged back in.
    let flapping_until = Instant::now() + FLAPPING_FOR;
    let mut cuts = 0;
    while Instant::now() < flapping_until {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(1000..5000))).await;
        let link = rng.gen_range(0..proxies.len());
        proxies[link].cut();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await;
        proxies[link].restore();
        cuts += 1;
    }
    let mut done = BTreeMap::new();
    for (name, writer) in WRITERS.iter().zip(writers) {
        done.insert(*name, writer.await.unwrap());
    }
    let stored = read_everything(&addresses.join(",")).await;
    check(&stored, &done, seed);
    let mut away: Vec<Duration> = done.values().flat_map(|writer| writer.away.iter().copied()).collect();
    away.sort_unstable();
    eprintln!(
        "{cuts} cuts; {} reconnects, time to recover: median {:?}, longest {:?}",
        away.len(),
        away.get(away.len() / 2),
        away.last()
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_holds_sends_and_loses_nothing() {
    let seed = seed("server restart test");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut server = valkey::Valkey::start(&[]).await;
    let url = server.url();
    let hosts = cluster_hosts(&url, 2).await;
    let addresses: Vec<String> = hosts.iter().map(|host| host.address.clone()).collect();
    let writers: Vec<_> = WRITERS
        .iter()
        .enumerate()
        .map(|(position, name)| {
            // One host each, and no other: the hosts themselves must come through the outage.
            let address = addresses[position % addresses.len()].clone();
            tokio::spawn(write(address, name, rng.gen(), PER_WRITER, PACE))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(rng.gen_range(500..1500))).await;
    server.kill();
    eprintln!("the server was killed; it comes back in 2 s");
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.restart().await;
    let back = Instant::now();

    let mut done = BTreeMap::new();
    for (name, writer) in WRITERS.iter().zip(writers) {
        done.insert(*name, writer.await.unwrap());
    }
    eprintln!("writers done {:?} after the server came back", back.elapsed());
    let held: usize = done.values().map(|writer| writer.held).sum();
    assert!(held > 0, "sends during the outage were held with storage_unavailable");
    eprintln!("{held} sends held during the outage, and sent again");
    let stored = read_everything(&addresses.join(",")).await;
    check(&stored, &done, seed);

    // Broadcasts between the hosts (typing) work again: the adapter's pub/sub came back with the server.
    let (typist, _typist_events) = Client::connect(config(&addresses[0], "typist")).unwrap();
    let (_listener, mut listener_events) = Client::connect(config(&addresses[1], "listener")).unwrap();
    let crossed = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let _ = typist.set_typing("lobby", true).await;
            let heard = tokio::time::timeout(Duration::from_millis(500), async {
                loop {
                    match listener_events.recv().await {
                        Some(ClientEvent::Typing(update)) if update.user == "typist" => return,
                        Some(_) => {}
                        None => std::future::pending::<()>().await,
                    }
                }
            });
            if heard.await.is_ok() {
                return;
            }
        }
    })
    .await;
    assert!(crossed.is_ok(), "a typing notice crossed hosts again after the restart");
    drop(server);
}

/// What `banter-cli serve --cluster` prints of its server, and the servers it refuses to start against, each with
/// its reason; then `banter-cli join A,B` goes on to the host that answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_says_what_the_server_keeps_refuses_what_will_not_do_and_join_takes_several_addresses() {
    let refused = async |url: &str| {
        let home = Home::new();
        let output = tokio::time::timeout(
            Duration::from_secs(30),
            banter_cli(&home)
                .args(["serve", "--bind", "127.0.0.1", "--port", "0", "--ephemeral", "--cluster", url])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .output(),
        )
        .await
        .expect("a refusal comes quickly")
        .unwrap();
        assert!(!output.status.success(), "{url} was refused");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let said = refused(&format!("redis://127.0.0.1:{dead}")).await;
    assert!(said.contains("could not reach Valkey/Redis at 127.0.0.1"), "{said}");
    let locked = valkey::Valkey::start(&["--requirepass", "sesame-0001"]).await;
    let said = refused(&locked.url()).await;
    assert!(said.contains("needs a password"), "{said}");
    let said = refused(&format!("redis://:wrong@127.0.0.1:{}", locked.port)).await;
    assert!(said.contains("refused the password"), "{said}");
    let evicting = valkey::Valkey::start(&["--maxmemory-policy", "allkeys-lru"]).await;
    let said = refused(&evicting.url()).await;
    assert!(said.contains("maxmemory-policy noeviction"), "{said}");

    // A server that keeps every write, and one that keeps about the last second: each host says which it got.
    let every_second = valkey::Valkey::start(&["--appendfsync", "everysec"]).await;
    let mut weak = Served::start_with(Home::new(), &["--ephemeral", "--cluster", &every_second.url()]).await;
    let line = wait_for(&mut weak.stdout, |line| line.starts_with("Durability:")).await;
    assert!(line.contains("about the last second"), "{line}");
    let server = valkey::Valkey::start(&[]).await;
    let url = format!("redis://:sesame-0001@127.0.0.1:{}", locked.port);
    let mut host = Served::start_with(Home::new(), &["--ephemeral", "--cluster", &url]).await;
    let data = wait_for(&mut host.stdout, |line| line.starts_with("Data:")).await;
    assert!(data.contains(&format!("at 127.0.0.1:{}", locked.port)) && !data.contains("sesame"), "{data}");
    let durability = wait_for(&mut host.stdout, |line| line.starts_with("Durability:")).await;
    assert!(durability.contains("appendfsync always"), "{durability}");
    drop(server);

    // `join` with a dead address first goes on to the host that answers.
    let mut cli = Joined::start(&format!("127.0.0.1:{dead},{}", host.address), &["--name", "terminal"]).await;
    let mut other = Joined::start(&host.address, &["--name", "other"]).await;
    cli.say("through the second address").await;
    wait_for(&mut other.stdout, |line| line.contains("terminal: through the second address")).await;
    drop(weak);
}
