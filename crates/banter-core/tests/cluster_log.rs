//! The cluster's ordering point against a real redis-server: posts from several hosts at once (each a connection
//! of its own, several writers each) get every number of a room once, in a log that holds every room's posts in
//! `seq` order, and a resend gets its first number back. Seeded; the seed is printed.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use banter_core::cluster::log::{Entry, Log};
use banter_core::cluster::probe;
use common::valkey::Valkey;
use rand::{Rng, SeedableRng};

const HOSTS: usize = 3;
const WRITERS_PER_HOST: usize = 4;
const POSTS_PER_WRITER: usize = 50;
const ROOMS: [&str; 3] = ["lobby", "design", "ops"];

async fn log_on(server: &Valkey) -> Log {
    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    Log::open(&client).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_from_several_hosts_at_once_are_numbered_once_and_logged_in_order() {
    let seed: u64 = rand::random();
    eprintln!("seed {seed}");
    let server = Valkey::start(&[]).await;
    let mut writers = Vec::new();
    for host in 0..HOSTS {
        let log = log_on(&server).await;
        for writer in 0..WRITERS_PER_HOST {
            let log = log.clone();
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ ((host * 16 + writer) as u64));
            writers.push(tokio::spawn(async move {
                let author = format!("h{host}w{writer}");
                let mut numbered = Vec::new();
                for index in 0..POSTS_PER_WRITER {
                    let room = ROOMS[rng.gen_range(0..ROOMS.len())];
                    let client_id = format!("c{index}");
                    let body = format!("{author} {index}");
                    let first = log.post(room, &author, Some(&client_id), &body).await.unwrap();
                    assert!(!first.duplicate);
                    // Now and then the ack is lost and the writer sends again: the same number comes back.
                    if rng.gen_bool(0.2) {
                        let again = log.post(room, &author, Some(&client_id), &body).await.unwrap();
                        assert_eq!((again.seq, again.duplicate), (first.seq, true), "seed {seed}");
                    }
                    numbered.push((room, first.seq, body));
                }
                numbered
            }));
        }
    }
    let mut kept: HashMap<&str, Vec<(u64, String)>> = HashMap::new();
    for writer in writers {
        for (room, seq, body) in writer.await.unwrap() {
            kept.entry(room).or_default().push((seq, body));
        }
    }

    // Every room's numbers are 1..=n, each once; each number holds the post that got it.
    let reader = log_on(&server).await;
    let total: usize = kept.values().map(Vec::len).sum();
    assert_eq!(total, HOSTS * WRITERS_PER_HOST * POSTS_PER_WRITER);
    for (room, posts) in &kept {
        let mut numbers: Vec<u64> = posts.iter().map(|(seq, _)| *seq).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=posts.len() as u64).collect::<Vec<_>>(), "{room}, seed {seed}");
        for (seq, body) in posts {
            assert_eq!(reader.kept(room, *seq).await.unwrap().as_deref(), Some(body.as_str()));
        }
    }

    // The log, read in pieces as a host's delivery reads it: every post once, each room's in `seq` order.
    let mut entries: Vec<Entry> = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let piece = reader.read(&after, 97, 0).await.unwrap();
        let Some(last) = piece.last() else { break };
        after = last.id.clone();
        entries.extend(piece);
    }
    assert_eq!(entries.len(), total, "no resend was logged, nothing is missing; seed {seed}");
    let mut last: HashMap<&str, u64> = HashMap::new();
    let mut seen = HashSet::new();
    for entry in &entries {
        let room = ROOMS.iter().find(|room| **room == entry.room).unwrap();
        let before = last.insert(room, entry.seq).unwrap_or(0);
        assert_eq!(entry.seq, before + 1, "{room} in the log's order, seed {seed}");
        assert!(seen.insert((entry.room.clone(), entry.seq)));
    }

    // A reader waiting at the end is woken by the next post.
    let waiting = {
        let reader = reader.clone();
        let after = after.clone();
        tokio::spawn(async move { reader.read(&after, 10, 5_000).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let next = reader.post("ops", "late", None, "late news").await.unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
    assert_eq!(woken.iter().map(|entry| (entry.room.as_str(), entry.seq)).collect::<Vec<_>>(), [("ops", next.seq)]);
}
