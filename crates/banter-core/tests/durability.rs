//! What a host keeps: a restart brings everything back, a client that was away catches up on everything once and in
//! order, names stay with their people, and clients are told the truth about the host's life.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::client::{Client, ClientEvent, ClientEvents, ConnectionState};
use banter_core::limits::Limits;
use banter_core::protocol::{ClosingReason, Message, LOBBY};
use common::proxy::Proxy;
use common::*;
use serde_json::json;

/// Limits that let one test client post a thousand messages in seconds.
fn fast_limits() -> Limits {
    Limits { request_burst: 100_000, requests_per_second: 100_000, ..Limits::default() }
}

/// Every message of `room` a client reports, whichever way (a join's history, missed pages, live), until `count`
/// have come; fails after a minute.
async fn reported(events: &mut ClientEvents, room: &str, count: usize) -> Vec<Message> {
    let mut messages = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while messages.len() < count {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("{} of {count} messages of {room} reported", messages.len()))
            .expect("the client runs");
        match event {
            ClientEvent::Joined(joined) if joined.room == room => messages.extend(joined.history),
            ClientEvent::MissedMessages { room: of, messages: missed } if of == room => messages.extend(missed),
            ClientEvent::Message(message) if message.room == room => messages.push(message),
            ClientEvent::Welcome(welcome) if room == LOBBY => messages.extend(welcome.history),
            _ => {}
        }
    }
    messages
}

fn assert_once_in_order(messages: &[Message], expected: usize, prefix: &str) {
    let seqs: Vec<u64> = messages.iter().map(|message| message.seq).collect();
    assert_eq!(seqs.len(), expected);
    assert!(seqs.windows(2).all(|pair| pair[1] == pair[0] + 1), "not once each in order: {seqs:?}");
    for (index, message) in messages.iter().enumerate() {
        assert_eq!(message.text, format!("{prefix} {}", index + 1));
    }
}

async fn wait_for_state(events: &mut ClientEvents, mut wanted: impl FnMut(&ConnectionState) -> bool) {
    expect(events, |event| match event {
        ClientEvent::State(state) if wanted(state) => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_away_while_a_thousand_messages_are_posted_gets_all_of_them_once_in_order() {
    let host = start_host_with(fast_limits()).await;
    let proxy = Proxy::start(host.local_addr()).await;
    let (reader, mut reader_events) = join(proxy.address, "reader").await;
    reader.join_room("log").await.unwrap();
    let (writer, _writer_events) = join(host.local_addr(), "writer").await;
    writer.join_room("log").await.unwrap();
    writer.send_message("log", "log 1").await.unwrap();
    writer.flush().await.unwrap();
    let before = reported(&mut reader_events, "log", 1).await;
    assert_eq!(before[0].text, "log 1");

    proxy.cut();
    wait_for_state(&mut reader_events, |state| matches!(state, ConnectionState::Reconnecting { .. })).await;
    for n in 2..=1000 {
        writer.send_message("log", &format!("log {n}")).await.unwrap();
    }
    // The lobby too, past what its welcome carries, so that the welcome's gap is filled as well.
    for n in 1..=250 {
        writer.send_message(LOBBY, &format!("lobby {n}")).await.unwrap();
    }
    writer.flush().await.unwrap();
    proxy.restore();

    let mut caught_up = before;
    caught_up.extend(reported(&mut reader_events, "log", 999).await);
    assert_once_in_order(&caught_up, 1000, "log");
    // And nothing more arrives twice.
    expect_none(
        &mut reader_events,
        Duration::from_millis(300),
        |event| matches!(event, ClientEvent::Message(message) if message.room == "log"),
    )
    .await;
    drop(reader);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lobby_is_caught_up_past_what_its_welcome_shows() {
    let host = start_host_with(fast_limits()).await;
    let proxy = Proxy::start(host.local_addr()).await;
    let (writer, _writer_events) = join(host.local_addr(), "writer").await;
    writer.send_message(LOBBY, "lobby 1").await.unwrap();
    writer.flush().await.unwrap();
    // Not `join`, which would consume the welcome that shows the first message.
    let (_reader, mut reader_events) = Client::connect(fast_config(proxy.address, "reader")).unwrap();
    let mut lobby = reported(&mut reader_events, LOBBY, 1).await;
    proxy.cut();
    wait_for_state(&mut reader_events, |state| matches!(state, ConnectionState::Reconnecting { .. })).await;
    for n in 2..=350 {
        writer.send_message(LOBBY, &format!("lobby {n}")).await.unwrap();
    }
    writer.flush().await.unwrap();
    proxy.restore();
    lobby.extend(reported(&mut reader_events, LOBBY, 349).await);
    assert_once_in_order(&lobby, 350, "lobby");
}

#[tokio::test]
async fn a_restarted_host_brings_back_rooms_history_names_conversations_and_images() {
    let folder = tempfile::tempdir().unwrap();
    let first = start_durable_host(folder.path(), None).await;
    let address = first.local_addr();
    let host_id = first.host_id().to_owned();
    let mut alice_config = fast_config(address, "alice");
    alice_config.user_key = Some("alice-key-0001".into());
    let (alice, _alice_events) = join_with(alice_config.clone()).await;
    let mut bob_config = fast_config(address, "bob");
    bob_config.user_key = Some("bob-key-00001".into());
    let (bob, _bob_events) = join_with(bob_config.clone()).await;
    alice.join_room("ops").await.unwrap();
    alice.send_message("ops", "deploy at five").await.unwrap();
    let image = alice.upload_image(bytes::Bytes::from_static(b"\x89PNG\r\n\x1a\nkept-image")).await.unwrap();
    alice.send_message_with("ops", "the graph", Some(&image)).await.unwrap();
    alice.send_direct("bob", "lunch?").await.unwrap();
    alice.flush().await.unwrap();
    bob.create_room("quiet").await.unwrap();
    bob.leave_room("quiet").await.unwrap();
    alice.close().await;
    bob.close().await;
    first.shutdown().await.unwrap();

    let second = start_durable_host(folder.path(), Some(address)).await;
    assert_eq!(second.host_id(), host_id, "the same host, by its id");
    let (carol, _carol_events) = join(address, "carol").await;
    let rooms = second.hub().registry().room_list();
    let names: Vec<&str> = rooms.iter().map(|room| room.name.as_str()).collect();
    assert_eq!(names, ["lobby", "ops", "quiet"], "empty rooms are kept too");
    let ops = carol.join_room("ops").await.unwrap();
    let texts: Vec<&str> = ops.history.iter().map(|message| message.text.as_str()).collect();
    assert_eq!(texts, ["deploy at five", "the graph"]);
    let url = format!("http://{address}/attachments/{}", image.id);
    let bytes = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], b"\x89PNG\r\n\x1a\nkept-image");

    let impostor = RawSocket::connect(address, "/", Some(banter_auth("Alice", "someone-elses-key"))).await.err();
    assert!(impostor.unwrap_or_default().contains("belongs to someone else"));

    let (bob, mut bob_events) = Client::connect(bob_config).unwrap();
    let welcome = expect(&mut bob_events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.clone()),
        _ => None,
    })
    .await;
    assert_eq!(welcome.host_id, host_id);
    let threads: Vec<(&str, &str)> = welcome
        .conversations
        .iter()
        .map(|conversation| (conversation.with.as_str(), conversation.last_message.text.as_str()))
        .collect();
    assert_eq!(threads, [("alice", "lunch?")]);
    let (alice, mut alice_events) = Client::connect(alice_config).unwrap();
    let member_of = expect(&mut alice_events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.member_of.clone()),
        _ => None,
    })
    .await;
    assert_eq!(member_of, ["ops"]);
    let dm = bob.direct_history("alice", None, 10).await.unwrap();
    assert_eq!(dm.messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["lunch?"]);
    drop(alice);
}

#[tokio::test]
async fn an_offline_users_name_stays_theirs_and_what_is_sent_to_them_waits() {
    let host = start_host().await;
    let mut alice_config = fast_config(host.local_addr(), "Alice");
    alice_config.user_key = Some("alice-key-0001".into());
    let (alice, _events) = join_with(alice_config.clone()).await;
    let (bob, _bob_events) = join(host.local_addr(), "bob").await;
    alice.close().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refusal = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("alice", "mallory-key-01"))).await.err();
    let refusal = refusal.expect("the name is Alice's");
    assert!(refusal.contains("name_taken") && refusal.contains("belongs to someone else on this host"), "{refusal}");

    bob.send_direct("alice", "for when you are back").await.unwrap();
    bob.flush().await.unwrap();
    let (_alice, mut alice_events) = Client::connect(alice_config).unwrap();
    let welcome = expect(&mut alice_events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.clone()),
        _ => None,
    })
    .await;
    assert_eq!(welcome.conversations.len(), 1);
    assert_eq!(welcome.conversations[0].last_message.text, "for when you are back");
}

#[tokio::test]
async fn the_hosts_owner_releases_names_and_deletes_rooms() {
    let host = start_host().await;
    let mut config = fast_config(host.local_addr(), "alice");
    config.user_key = Some("alice-key-0001".into());
    let (alice, mut alice_events) = join_with(config).await;
    alice.join_room("old-news").await.unwrap();
    alice.send_message("old-news", "stale").await.unwrap();
    alice.flush().await.unwrap();
    let admin =
        RawSocket::connect(host.local_addr(), "/admin", Some(json!({ "token": "test-admin-token" }))).await.unwrap();

    let deleted = admin.request("room:delete", json!({ "room": "OLD-NEWS" })).await;
    assert_eq!(deleted["data"]["room"], "old-news");
    expect(&mut alice_events, |event| {
        matches!(event, ClientEvent::RoomDeleted(room) if room == "old-news").then_some(())
    })
    .await;
    assert!(kept_messages(&host, "old-news").await.is_empty());
    let lobby = admin.request("room:delete", json!({ "room": "lobby" })).await;
    assert_eq!(lobby["error"]["kind"], "forbidden");

    alice.close().await;
    let released = admin.request("name:release", json!({ "name": "Alice" })).await;
    assert_eq!(released["data"]["name"], "alice");
    let taken = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("alice", "new-owner-key"))).await;
    assert!(taken.is_ok(), "the name is free for someone else");
    let again = admin.request("name:release", json!({ "name": "nobody" })).await;
    assert_eq!(again["error"]["kind"], "not_found");
}

#[tokio::test]
async fn a_stopped_host_says_so_and_a_different_host_is_noticed() {
    let folder = tempfile::tempdir().unwrap();
    let first = start_durable_host(folder.path(), None).await;
    let address = first.local_addr();
    let (client, mut events) = join(address, "watcher").await;
    client.send_message(LOBBY, "before the stop").await.unwrap();
    client.flush().await.unwrap();
    first.shutdown().await.unwrap();
    expect(&mut events, |event| {
        matches!(event, ClientEvent::Closing(closing) if closing.reason == ClosingReason::Shutdown
            && closing.message == "The host ended the chat.")
        .then_some(())
    })
    .await;
    wait_for_state(&mut events, |state| matches!(state, ConnectionState::Reconnecting { ended_by_host: true, .. }))
        .await;

    // Another host (nothing kept) answers at the same address: its first message is numbered 1 again, and the
    // client reports it rather than taking it for one it has.
    let second = start_host_at(address).await;
    let welcome = expect(&mut events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.clone()),
        _ => None,
    })
    .await;
    assert_ne!(welcome.host_id, first_host_id(folder.path()).await);
    let (other, _other_events) = join(address, "other").await;
    other.send_message(LOBBY, "fresh start").await.unwrap();
    let message = expect(&mut events, message_with_text("fresh start")).await;
    assert_eq!(message.seq, 1);
    drop(second);
}

/// The id of the host whose data is in `folder`.
async fn first_host_id(folder: &std::path::Path) -> String {
    let config = banter_core::store::StoreConfig {
        location: banter_core::store::Location::Folder(folder.to_owned()),
        durability: banter_core::store::Durability::Normal,
        attachment_quota_bytes: 1 << 20,
    };
    let store = banter_core::store::SqliteStore::open(&config).unwrap();
    let id = store.host_id().to_owned();
    banter_core::store::Store::close(&store).await;
    id
}

#[tokio::test]
async fn a_room_deleted_while_a_member_was_away_stays_deleted_and_its_numbers_are_skipped() {
    let host = start_host_with(fast_limits()).await;
    let proxy = Proxy::start(host.local_addr()).await;
    let (alice, mut alice_events) = join(proxy.address, "alice").await;
    alice.join_room("old").await.unwrap();
    alice.join_room("gone").await.unwrap();
    alice.send_message("old", "old 1").await.unwrap();
    alice.flush().await.unwrap();
    expect(&mut alice_events, message_with_text("old 1")).await;

    proxy.cut();
    wait_for_state(&mut alice_events, |state| matches!(state, ConnectionState::Reconnecting { .. })).await;
    let (bob, _bob_events) = join(host.local_addr(), "bob").await;
    bob.join_room("old").await.unwrap();
    for n in 2..=5 {
        bob.send_message("old", &format!("old {n}")).await.unwrap();
    }
    bob.flush().await.unwrap();
    let admin =
        RawSocket::connect(host.local_addr(), "/admin", Some(json!({ "token": "test-admin-token" }))).await.unwrap();
    for room in ["old", "gone"] {
        assert_eq!(admin.request("room:delete", json!({ "room": room })).await["data"]["room"], room);
    }
    // Made again: its numbers go on after the deleted ones.
    bob.join_room("old").await.unwrap();
    bob.send_message("old", "fresh").await.unwrap();
    bob.flush().await.unwrap();
    proxy.restore();

    // Alice's rejoin brings back neither room: "old" exists again and she is in it, with the new message, though
    // the numbers she missed are gone; "gone" stays deleted, and she hears so.
    // The two rejoins are answered in either order.
    let (mut fresh, mut gone_heard) = (None, false);
    while fresh.is_none() || !gone_heard {
        let heard = expect(&mut alice_events, |event| match event {
            ClientEvent::Joined(joined) if joined.room == "old" => Some(Ok(joined.history.clone())),
            ClientEvent::RoomDeleted(room) if room == "gone" => Some(Err(())),
            _ => None,
        })
        .await;
        match heard {
            Ok(history) => fresh = Some(history.into_iter().find(|m| m.text == "fresh").expect("the new message")),
            Err(()) => gone_heard = true,
        }
    }
    assert_eq!(fresh.map(|message| message.seq), Some(6));
    assert!(host.hub().registry().room_list().iter().all(|room| room.name != "gone"));
    bob.send_message("old", "after").await.unwrap();
    expect(&mut alice_events, message_with_text("after")).await;
}

#[tokio::test]
async fn a_guests_resend_after_a_reconnect_is_recognised() {
    let host = start_host().await;
    let auth = json!({ "name": "visitor", "userKey": "guest-session-0001", "guest": true, "protocol": 2 });
    let first = RawSocket::connect(host.local_addr(), "/", Some(auth.clone())).await.unwrap();
    let request = json!({ "room": "lobby", "text": "only once", "clientId": "g-1" });
    let original = first.request("message:send", request.clone()).await;
    first.socket.disconnect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = RawSocket::connect(host.local_addr(), "/", Some(auth)).await.unwrap();
    let again = second.request("message:send", request).await;
    assert_eq!(original["data"]["id"], again["data"]["id"]);
    assert_eq!(kept_messages(&host, "lobby").await.len(), 1);
    // A guest's key binds no name: someone with a key of their own may take it once the guest has gone.
    second.socket.disconnect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(RawSocket::connect(host.local_addr(), "/", Some(banter_auth("visitor", "real-owner-key"))).await.is_ok());
}

#[tokio::test]
async fn a_name_that_changes_hands_starts_a_new_conversation() {
    let host = start_host().await;
    let mut bob_config = fast_config(host.local_addr(), "bob");
    bob_config.user_key = Some("bob-key-00001".into());
    let (_bob, mut bob_events) = join_with(bob_config).await;
    let mut first = fast_config(host.local_addr(), "alice");
    first.user_key = Some("first-alice-key".into());
    let (alice, _events) = join_with(first).await;
    for text in ["one", "two"] {
        alice.send_direct("bob", text).await.unwrap();
    }
    alice.flush().await.unwrap();
    let earlier = expect(&mut bob_events, |event| match event {
        ClientEvent::Direct(message) if message.text == "two" => Some(message.clone()),
        _ => None,
    })
    .await;
    alice.close().await;
    let admin =
        RawSocket::connect(host.local_addr(), "/admin", Some(json!({ "token": "test-admin-token" }))).await.unwrap();
    assert_eq!(admin.request("name:release", json!({ "name": "alice" })).await["data"]["name"], "alice");

    let mut second = fast_config(host.local_addr(), "alice");
    second.user_key = Some("second-alice-key".into());
    let (new_alice, _new_events) = join_with(second).await;
    new_alice.send_direct("bob", "hello, I am the new alice").await.unwrap();
    let message = expect(&mut bob_events, |event| match event {
        ClientEvent::Direct(message) if message.text == "hello, I am the new alice" => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(message.seq, 1);
    assert_ne!(message.conversation, earlier.conversation);
}
