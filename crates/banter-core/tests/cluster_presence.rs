//! Presence across hosts against a real redis-server: each host sees what the others share; a host that stops
//! renewing its heartbeat takes its people offline once the heartbeat expires, and one that leaves takes them at
//! once.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use banter_core::cluster::presence::{Presence, Shared};
use banter_core::cluster::probe;
use banter_core::keys::UserId;
use banter_core::validate;
use common::valkey::Valkey;

async fn host(server: &Valkey, id: &str) -> Presence {
    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    Presence::open(&client, id, Duration::from_secs(2)).await.unwrap()
}

fn shared(name: &str, rooms: &[&str]) -> Shared {
    Shared {
        name: name.into(),
        user: UserId::of_key(&format!("{name}-key")),
        rooms: rooms.iter().map(|room| validate::room_key(room)).collect(),
    }
}

#[tokio::test]
async fn hosts_see_each_others_people_until_a_host_dies_or_leaves() {
    let server = Valkey::start(&[]).await;
    let (a, b, c) = (host(&server, "host-a").await, host(&server, "host-b").await, host(&server, "host-c").await);
    let ttl = Duration::from_millis(400);
    a.beat(Duration::from_secs(30)).await.unwrap();
    b.beat(ttl).await.unwrap();
    c.beat(Duration::from_secs(30)).await.unwrap();
    let on_a = BTreeMap::from([("a1".to_owned(), shared("ann", &["lobby", "ops"]))]);
    let on_b =
        BTreeMap::from([("b1".to_owned(), shared("bert", &["lobby"])), ("b2".to_owned(), shared("ann", &["lobby"]))]);
    a.publish(&on_a).await.unwrap();
    b.publish(&on_b).await.unwrap();
    let seen_by_c = c.others().await.unwrap();
    assert_eq!(seen_by_c, BTreeMap::from([("host-a".to_owned(), on_a.clone()), ("host-b".to_owned(), on_b)]));
    assert!(!a.others().await.unwrap().contains_key("host-a"), "a host's own people are its own to know");

    // What a host shares is replaced whole.
    b.publish(&BTreeMap::from([("b1".to_owned(), shared("bert", &["lobby", "ops"]))])).await.unwrap();
    assert_eq!(c.others().await.unwrap()["host-b"].len(), 1);

    // Host B dies (it stops renewing): once its heartbeat lapses, its people are gone, and its traces too.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(c.others().await.unwrap(), BTreeMap::from([("host-a".to_owned(), on_a)]));
    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let left: bool = redis::cmd("EXISTS").arg("banter:host:host-b:online").query_async(&mut connection).await.unwrap();
    assert!(!left, "the dead host's connections were cleared");

    // Host A leaves on purpose: gone at once.
    a.leave().await.unwrap();
    assert!(c.others().await.unwrap().is_empty());
}
