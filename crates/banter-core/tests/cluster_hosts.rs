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

/// How long presence may take to reach another host: one beat to publish, one to read, and some slack.
const PRESENCE_TIME: std::time::Duration = std::time::Duration::from_secs(4);

/// Retries `check` until it holds, for at most [`PRESENCE_TIME`].
async fn within_presence_time(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PRESENCE_TIME;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "{what} did not hold within {PRESENCE_TIME:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_the_room_list_names_and_kicks_cross_hosts() {
    use banter_core::client::ConnectionState;
    use banter_core::protocol::{ClosingReason, ErrorKind};
    use serde_json::json;

    let server = Valkey::start(&[]).await;
    let (a, b) = (start_cluster_host(&server.url()).await, start_cluster_host(&server.url()).await);
    let (_bert, mut bert_events) = person(b.local_addr(), "bert").await;
    bert_events_room(&_bert).await;
    within_presence_time("bert online on host A", || a.hub().registry().users().iter().any(|u| u.name == "bert")).await;

    // Ann, on host A, is told who is here on every host, and bert hears that she came.
    let (ann, mut ann_events) = person(a.local_addr(), "ann").await;
    let welcome_users = a.hub().registry().users();
    assert_eq!(welcome_users.iter().map(|user| user.name.as_str()).collect::<Vec<_>>(), ["ann", "bert"]);
    expect(&mut bert_events, |event| {
        matches!(event, ClientEvent::UserOnline(user) if user.name == "ann").then_some(())
    })
    .await;

    // The room list counts bert in ops, though he is on the other host; joining ops, ann finds him among its
    // members.
    within_presence_time("ops counted on host A", || {
        a.hub().registry().room_list().iter().any(|room| room.name == "ops" && room.members == 1)
    })
    .await;
    let joined = ann.join_room("ops").await.unwrap();
    assert_eq!(joined.members, ["ann", "bert"]);

    // A guest cannot take the name of someone online on another host.
    let (_gus, _gus_events) = join(b.local_addr(), "gus").await;
    within_presence_time("gus online on host A", || a.hub().registry().users().iter().any(|u| u.name == "gus")).await;
    let mut impostor = fast_config(a.local_addr(), "Gus");
    impostor.give_up_after = Some(std::time::Duration::from_secs(3));
    let (_impostor, mut impostor_events) = banter_core::client::Client::connect(impostor).unwrap();
    let refused = expect(&mut impostor_events, |event| match event {
        ClientEvent::State(ConnectionState::Closed { error: Some(error), .. }) => Some(error.clone()),
        _ => None,
    })
    .await;
    assert_eq!(refused.kind(), ErrorKind::NameTaken.as_str(), "{refused}");

    // The moderator on host A lists and kicks people on host B.
    let admin = RawSocket::connect(a.local_addr(), "/admin", Some(json!({ "token": a.admin_token() }))).await.unwrap();
    let users = admin.request("users:list", json!({})).await;
    let names: Vec<&str> = users["data"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ann", "bert", "gus"]);
    let kicked = admin.request("user:kick", json!({ "name": "bert", "reason": "Cool off." })).await;
    assert_eq!(kicked["data"], json!({ "name": "bert", "connections": 1 }));
    let closing = expect(&mut bert_events, |event| match event {
        ClientEvent::Closing(closing) => Some(closing.clone()),
        _ => None,
    })
    .await;
    assert_eq!((closing.reason, closing.message.as_str()), (ClosingReason::Kicked, "Cool off."));
    expect(&mut ann_events, |event| {
        matches!(event, ClientEvent::UserOffline(user) if user.name == "bert").then_some(())
    })
    .await;

    // A third host agrees with the first on who is here and on the room list.
    let c = start_cluster_host(&server.url()).await;
    within_presence_time("three hosts agree", || {
        let (on_a, on_c) = (a.hub().registry(), c.hub().registry());
        on_a.users() == on_c.users() && on_a.room_list() == on_c.room_list()
    })
    .await;
    c.shutdown().await.unwrap();

    // A host that stops takes its people out of the others' lists.
    b.shutdown().await.unwrap();
    within_presence_time("gus gone from host A", || a.hub().registry().users().iter().all(|u| u.name != "gus")).await;
    a.shutdown().await.unwrap();
}

async fn bert_events_room(bert: &Client) {
    bert.join_room("ops").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_through_one_host_downloads_from_another_with_range() {
    use common::uploads::{begin, hex, member, request, ticket, upload_whole};
    use sha2::{Digest, Sha256};

    let server = Valkey::start(&[]).await;
    let (a, b) = (start_cluster_host(&server.url()).await, start_cluster_host(&server.url()).await);
    let bytes: Vec<u8> = (0..300_000u32).map(|n| (n * 7 % 251) as u8).collect();
    let ann = member(a.local_addr(), "ann").await;
    let (path, _) = ticket(&begin(&ann, "report.pdf", bytes.len() as u64, &hex(&Sha256::digest(&bytes))).await);
    let info = upload_whole(a.local_addr(), &path, &bytes).await;
    let file = format!("/files/{}", info.id);

    // Host B has the file's record from the log in a moment, and its bytes from host A, through B.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let whole = loop {
        let answer = request(b.local_addr(), "GET", &file, "").await;
        if answer.status == 200 || tokio::time::Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(whole.status, 200, "{}", String::from_utf8_lossy(&whole.body));
    assert!(whole.body == bytes, "the same bytes, whole");
    assert!(whole.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_eq!(whole.header("etag").map(str::to_owned), Some(format!("\"sha256:{}\"", info.sha256)));
    let part = request(b.local_addr(), "GET", &file, "Range: bytes=100000-100009\r\n").await;
    assert_eq!((part.status, part.body.as_slice()), (206, &bytes[100_000..100_010]), "a resumed download");
    assert_eq!(part.header("content-range"), Some("bytes 100000-100009/300000"));

    // With host A gone, host B says that the file's host cannot be reached.
    a.shutdown().await.unwrap();
    let away = request(b.local_addr(), "GET", &file, "").await;
    assert_eq!(away.status, 502);
    assert!(String::from_utf8_lossy(&away.body).contains("another host of this chat"), "{away:?}");
    b.shutdown().await.unwrap();
}
