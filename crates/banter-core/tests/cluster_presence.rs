//! Presence across hosts against a real redis-server: everyone on a live host is online, counted by connections;
//! a host that stops renewing its heartbeat takes its people offline once the heartbeat expires.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use banter_core::cluster::presence::Presence;
use banter_core::cluster::probe;
use common::valkey::Valkey;

async fn host(server: &Valkey, id: &str) -> Presence {
    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    Presence::new(client.get_multiplexed_async_connection().await.unwrap(), id)
}

#[tokio::test]
async fn the_people_of_a_host_whose_heartbeat_lapsed_go_offline() {
    let server = Valkey::start(&[]).await;
    let (a, b) = (host(&server, "host-a").await, host(&server, "host-b").await);
    let ttl = Duration::from_millis(400);
    a.beat(Duration::from_secs(30)).await.unwrap();
    b.beat(ttl).await.unwrap();
    a.connected("a1", "ann").await.unwrap();
    a.connected("a2", "ann").await.unwrap();
    b.connected("b1", "bert").await.unwrap();
    b.connected("b2", "ann").await.unwrap();
    let everyone = BTreeMap::from([("ann".to_owned(), 3), ("bert".to_owned(), 1)]);
    assert_eq!(a.online().await.unwrap(), everyone);
    assert_eq!(b.online().await.unwrap(), everyone, "both hosts see the same");
    a.disconnected("a2").await.unwrap();
    assert_eq!(a.online().await.unwrap()["ann"], 2);

    // Host B dies (it stops renewing): within its heartbeat's time its people are offline, and its traces gone.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(a.online().await.unwrap(), BTreeMap::from([("ann".to_owned(), 1)]));
    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let left: bool = redis::cmd("EXISTS").arg("banter:host:host-b:online").query_async(&mut connection).await.unwrap();
    assert!(!left, "the dead host's connections were cleared");
}
