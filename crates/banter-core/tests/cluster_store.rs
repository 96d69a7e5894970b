//! The cluster's store against a real redis-server: several hosts writing at once keep one history that every
//! host's copy agrees on (numbers, ids, times), a resend through another host gets the original, a name asked for
//! on every host at once goes to one person, a host opened later reads it all back, and a server restart refuses
//! writes meanwhile and loses nothing acknowledged. Seeded; the seed is printed.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use banter_core::cluster::probe;
use banter_core::keys::Seq;
use banter_core::protocol::Message;
use banter_core::store::{
    Author, ClusterStore, Durability, Kept, Location, NameBinding, PageRequest, Post, RoomPost, Store, StoreConfig,
    StoreError,
};
use banter_core::{keys::UserId, validate};
use common::valkey::Valkey;
use rand::{Rng, SeedableRng};

const HOSTS: usize = 3;
const WRITERS_PER_HOST: usize = 4;
const POSTS_PER_WRITER: usize = 40;
const ROOMS: [&str; 3] = ["lobby", "design", "ops"];

async fn host_on(server: &Valkey) -> Arc<ClusterStore> {
    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    let config =
        StoreConfig { location: Location::Memory, durability: Durability::Normal, attachment_quota_bytes: 1 << 20 };
    Arc::new(ClusterStore::open(&client, &server.url(), &config, Duration::from_secs(2)).await.unwrap())
}

fn post(room: &str, author: &str, text: &str, client_id: &str) -> Post {
    Post::Room(RoomPost {
        room: validate::room_key(room),
        room_name: room.into(),
        author: Author { name: author.into(), id: UserId::of_key(author) },
        text: text.into(),
        client_id: Some(client_id.into()),
        attachment: None,
        reply_to: None,
        file: None,
        permitted: Ok(()),
    })
}

fn room_message(outcome: &[Result<banter_core::store::Appended, banter_core::protocol::ErrorBody>]) -> (Message, bool) {
    let appended = outcome[0].as_ref().unwrap();
    let Kept::Room(message) = &appended.kept else { panic!("a room message: {appended:?}") };
    (message.clone(), appended.duplicate)
}

/// A room's whole history as one host's copy has it.
async fn history(store: &ClusterStore, room: &str) -> Vec<Message> {
    let page = store.room_page(&validate::room_key(room), PageRequest::After(0), 10_000).await.unwrap();
    page.map(|page| page.messages).unwrap_or_default()
}

/// Waits (bounded) until every host's copy holds `expected` messages in `room`.
async fn settled(hosts: &[Arc<ClusterStore>], room: &str, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    for host in hosts {
        while history(host, room).await.len() < expected {
            assert!(Instant::now() < deadline, "a copy did not catch up with {room}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_writing_at_once_keep_one_history_that_every_copy_agrees_on() {
    let seed: u64 = rand::random();
    eprintln!("seed {seed}");
    let server = Valkey::start(&[]).await;
    let mut hosts = Vec::new();
    for _ in 0..HOSTS {
        hosts.push(host_on(&server).await);
    }
    let mut writers = Vec::new();
    for host in 0..HOSTS {
        for writer in 0..WRITERS_PER_HOST {
            let hosts = hosts.clone();
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ ((host * 16 + writer) as u64));
            writers.push(tokio::spawn(async move {
                let author = format!("h{host}w{writer}");
                let mut kept = Vec::new();
                for index in 0..POSTS_PER_WRITER {
                    let room = ROOMS[rng.gen_range(0..ROOMS.len())];
                    let (text, client_id) = (format!("{author} {index}"), format!("c{index}"));
                    let outcome = hosts[host].append(vec![post(room, &author, &text, &client_id)]).await.unwrap();
                    let (first, duplicate) = room_message(&outcome);
                    assert!(!duplicate, "seed {seed}");
                    // Now and then the ack is lost and the writer sends again, through another host: the original
                    // comes back.
                    if rng.gen_bool(0.2) {
                        let other = &hosts[rng.gen_range(0..HOSTS)];
                        let outcome = other.append(vec![post(room, &author, &text, &client_id)]).await.unwrap();
                        assert_eq!(room_message(&outcome), (first.clone(), true), "seed {seed}");
                    }
                    kept.push((room, first));
                }
                kept
            }));
        }
    }
    let mut kept: HashMap<&str, Vec<Message>> = HashMap::new();
    for writer in writers {
        for (room, message) in writer.await.unwrap() {
            kept.entry(room).or_default().push(message);
        }
    }
    assert_eq!(kept.values().map(Vec::len).sum::<usize>(), HOSTS * WRITERS_PER_HOST * POSTS_PER_WRITER);

    for (room, acknowledged) in &kept {
        settled(&hosts, room, acknowledged.len()).await;
        let first = history(&hosts[0], room).await;
        let numbers: Vec<Seq> = first.iter().map(|message| message.seq).collect();
        assert_eq!(numbers, (1..=acknowledged.len() as Seq).collect::<Vec<_>>(), "{room}: 1..n, seed {seed}");
        for message in acknowledged {
            assert_eq!(first.get(message.seq as usize - 1), Some(message), "as acknowledged; seed {seed}");
        }
        for host in &hosts[1..] {
            assert_eq!(history(host, room).await, first, "every copy agrees, ids and times included; seed {seed}");
        }
    }

    // Thirty people ask for one name on every host at once: one gets it, and everyone else is told who.
    let mut askers = Vec::new();
    for asker in 0..30 {
        let host = Arc::clone(&hosts[asker % HOSTS]);
        askers.push(tokio::spawn(async move {
            let binding = NameBinding {
                key: validate::name_key("Alice"),
                name: "Alice".into(),
                user: UserId::of_key(&format!("asker-{asker}")),
                bound_at: 1,
            };
            (binding.clone(), host.bind_name(binding).await.unwrap())
        }));
    }
    let mut winners = Vec::new();
    let mut holders = HashSet::new();
    for asker in askers {
        match asker.await.unwrap() {
            (binding, Ok(())) => winners.push(binding),
            (_, Err(holder)) => {
                holders.insert(holder.user);
            }
        }
    }
    assert_eq!(winners.len(), 1, "one name, one person");
    assert_eq!(holders, HashSet::from([winners[0].user.clone()]), "everyone else hears who has it");

    // A host opened now reads the whole chat from the log, and agrees.
    let late = host_on(&server).await;
    let (snapshot, seen) = (late.snapshot().await.unwrap(), hosts[0].snapshot().await.unwrap());
    assert_eq!((snapshot.host_id.as_str(), &snapshot.names), (seen.host_id.as_str(), &vec![winners[0].clone()]));
    assert_eq!(snapshot.rooms, seen.rooms);
    for room in ROOMS {
        assert_eq!(history(&late, room).await, history(&hosts[0], room).await, "seed {seed}");
    }
    for host in hosts.iter().chain([&late]) {
        host.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_refuses_writes_meanwhile_and_loses_nothing_acknowledged() {
    let seed: u64 = rand::random();
    eprintln!("seed {seed}");
    let mut server = Valkey::start(&[]).await;
    let hosts = [host_on(&server).await, host_on(&server).await];
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut writers = Vec::new();
    for (index, host) in hosts.iter().enumerate() {
        let (host, refused) = (Arc::clone(host), Arc::clone(&refused));
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ index as u64);
        writers.push(tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut acknowledged = Vec::new();
            for n in 0..120 {
                let text = format!("w{index} {n}");
                // As a client does: the same client id again until the host keeps it.
                loop {
                    assert!(Instant::now() < deadline, "the writer never got through; seed {seed}");
                    match host.append(vec![post("lobby", &format!("w{index}"), &text, &format!("c{n}"))]).await {
                        Ok(outcome) => {
                            acknowledged.push(room_message(&outcome).0);
                            break;
                        }
                        Err(StoreError::Unavailable(_)) => {
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(other) => panic!("only the stated error while the server is away: {other:?}"),
                    }
                }
                tokio::time::sleep(Duration::from_millis(rng.gen_range(0..10))).await;
            }
            acknowledged
        }));
    }
    // Wait for some to be kept, then the crash.
    let deadline = Instant::now() + Duration::from_secs(20);
    while history(&hosts[0], "lobby").await.len() < 40 {
        assert!(Instant::now() < deadline, "nothing was being kept");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let reads = hosts[0].room_page(&validate::room_key("lobby"), PageRequest::Latest, 5).await;
    assert!(matches!(reads, Ok(Some(page)) if page.messages.len() == 5), "reads go on from the copy");
    let restarted = Instant::now();
    server.restart().await;
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    eprintln!(
        "writes refused while the server was away: {}; writers done {:?} after the restart",
        refused.load(std::sync::atomic::Ordering::Relaxed),
        restarted.elapsed()
    );
    assert!(refused.load(std::sync::atomic::Ordering::Relaxed) > 0, "the outage was seen as storage unavailable");

    settled(&hosts, "lobby", acknowledged.len()).await;
    let kept = history(&hosts[0], "lobby").await;
    assert_eq!(kept.len(), 240, "each post once: none lost, no resend kept twice; seed {seed}");
    assert_eq!(kept.iter().map(|m| m.seq).collect::<Vec<_>>(), (1..=240).collect::<Vec<_>>());
    for message in &acknowledged {
        assert_eq!(kept.get(message.seq as usize - 1), Some(message), "as acknowledged; seed {seed}");
    }
    assert_eq!(history(&hosts[1], "lobby").await, kept, "both copies agree");
    // And a host started after it all reads the same.
    let late = host_on(&server).await;
    assert_eq!(history(&late, "lobby").await, kept);
    for host in hosts.iter().chain([&late]) {
        host.close().await;
    }
}
