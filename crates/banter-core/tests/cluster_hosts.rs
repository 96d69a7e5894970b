//! Hosts of one cluster, on a real redis-server, with real clients spread over them: they chat in the lobby, in
//! rooms and in direct messages, every receiver sees each room in `seq` order with nothing missing, and typing
//! crosses hosts.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;

use banter_core::client::{Client, ClientEvent, ClientEvents};
use banter_core::protocol::LOBBY;
use common::valkey::Valkey;
use common::*;

async fn person(address: SocketAddr, name: &str) -> (Client, ClientEvents) {
    let mut config = fast_config(address, name);
    config.user_key = Some(format!("{name}-cluster-key"));
    join_with(config).await
}

/// Collects lobby messages until `count` have arrived, as (sender's text, seq) in the order they came.
async fn lobby_messages(events: &mut ClientEvents, count: usize) -> Vec<(String, u64)> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let message = expect(events, |event| match event {
            ClientEvent::Message(message) if message.room == LOBBY => Some(message.clone()),
            _ => None,
        })
        .await;
        seen.push((message.text, message.seq));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_on_three_hosts_chat_in_rooms_and_direct_messages_in_one_order() {
    let server = Valkey::start(&[]).await;
    let hosts = [
        start_cluster_host(&server.url()).await,
        start_cluster_host(&server.url()).await,
        start_cluster_host(&server.url()).await,
    ];
    assert!(hosts.iter().all(|host| host.host_id() == hosts[0].host_id()), "one chat, one id");
    let (ann, mut ann_events) = person(hosts[0].local_addr(), "ann").await;
    let (bert, mut bert_events) = person(hosts[1].local_addr(), "bert").await;
    let (cora, mut cora_events) = person(hosts[2].local_addr(), "cora").await;

    // Everyone writes to the lobby at once, through their own host.
    let writers: Vec<_> = [(ann.clone(), "ann"), (bert.clone(), "bert"), (cora.clone(), "cora")]
        .into_iter()
        .map(|(client, name)| {
            tokio::spawn(async move {
                for n in 0..20 {
                    client.send_message(LOBBY, &format!("{name} {n}")).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let mut orders = Vec::new();
    for events in [&mut ann_events, &mut bert_events, &mut cora_events] {
        let seen = lobby_messages(events, 60).await;
        let numbers: Vec<u64> = seen.iter().map(|(_, seq)| *seq).collect();
        assert_eq!(numbers, (1..=60).collect::<Vec<_>>(), "every receiver: each number once, in order");
        let mut last: HashMap<&str, u32> = HashMap::new();
        for (text, _) in &seen {
            let (name, n) = text.split_once(' ').unwrap();
            let n: u32 = n.parse().unwrap();
            let before = last.insert(name, n);
            assert_eq!(before.map_or(0, |before| before + 1), n, "each writer's messages in the order sent");
        }
        orders.push(seen);
    }
    assert!(orders.windows(2).all(|pair| pair[0] == pair[1]), "the same order on every host");

    // A room made on one host is joined on another, and its messages cross.
    bert.create_room("design").await.unwrap();
    let joined = cora.join_room("design").await.unwrap();
    assert_eq!(joined.room, "design");
    cora.send_message("design", "hello from host three").await.unwrap();
    let heard = expect(&mut bert_events, message_with_text("hello from host three")).await;
    assert_eq!((heard.room.as_str(), heard.seq), ("design", 1));

    // Direct messages reach the other person wherever they are connected.
    ann.send_direct("cora", "psst, cora").await.unwrap();
    let direct = expect(&mut cora_events, |event| match event {
        ClientEvent::Direct(message) if message.text == "psst, cora" => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!((direct.from.as_str(), direct.seq), ("ann", 1));

    // Typing notices cross hosts.
    bert.set_typing(LOBBY, true).await.unwrap();
    expect(&mut ann_events, |event| match event {
        ClientEvent::Typing(update) if update.user == "bert" && update.active => Some(()),
        _ => None,
    })
    .await;
    for host in hosts {
        host.shutdown().await.unwrap();
    }
}
