//! Rooms: create, join, leave, the pushed room list, typing notices and the announcement of departures.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::client::ClientEvent;
use banter_core::protocol::{ErrorKind, LeaveReason, LOBBY};
use common::*;

fn room_list_with(name: &'static str, members: u32) -> impl FnMut(&ClientEvent) -> Option<()> {
    move |event| match event {
        ClientEvent::Rooms(rooms) if rooms.iter().any(|room| room.name == name && room.members == members) => Some(()),
        _ => None,
    }
}

#[tokio::test]
async fn a_room_message_reaches_its_members_only() {
    let host = start_host().await;
    let (alice, mut alice_events) = join(host.local_addr(), "alice").await;
    let (bob, mut bob_events) = join(host.local_addr(), "bob").await;
    let (_carol, mut carol_events) = join(host.local_addr(), "carol").await;

    let created = alice.create_room("design").await.unwrap();
    assert_eq!(created.members, vec!["alice".to_owned()]);
    let joined = bob.join_room("Design").await.unwrap();
    assert_eq!((joined.room.as_str(), joined.members.len()), ("design", 2));
    expect(&mut alice_events, |event| {
        matches!(event, ClientEvent::MemberJoined(j) if j.user == "bob" && j.room == "design").then_some(())
    })
    .await;

    alice.send_message("design", "mockups are up").await.unwrap();
    let seen = expect(&mut bob_events, message_with_text("mockups are up")).await;
    assert_eq!((seen.room.as_str(), seen.from.as_str(), seen.seq), ("design", "alice", 1));
    expect(&mut alice_events, message_with_text("mockups are up")).await;
    expect_none(
        &mut carol_events,
        Duration::from_millis(300),
        |event| matches!(event, ClientEvent::Message(m) if m.room == "design"),
    )
    .await;
}

#[tokio::test]
async fn the_room_list_is_pushed_to_everyone_on_every_change() {
    let host = start_host().await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    let (bob, _bob_events) = join(host.local_addr(), "bob").await;
    let (_watcher, mut watcher_events) = join(host.local_addr(), "watcher").await;

    alice.create_room("ops").await.unwrap();
    expect(&mut watcher_events, room_list_with("ops", 1)).await;
    bob.join_room("ops").await.unwrap();
    expect(&mut watcher_events, room_list_with("ops", 2)).await;
    bob.leave_room("ops").await.unwrap();
    expect(&mut watcher_events, room_list_with("ops", 1)).await;
    alice.leave_room("ops").await.unwrap();
    // The last member left: the room stays, with its history, for whoever comes next.
    expect(&mut watcher_events, room_list_with("ops", 0)).await;
}

#[tokio::test]
async fn joining_returns_the_recent_history() {
    let host = start_host().await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    alice.join_room("log").await.unwrap();
    for text in ["one", "two", "three"] {
        alice.send_message("log", text).await.unwrap();
    }
    alice.flush().await.unwrap();
    let (bob, _bob_events) = join(host.local_addr(), "bob").await;
    let joined = bob.join_room("log").await.unwrap();
    let texts: Vec<&str> = joined.history.iter().map(|message| message.text.as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    let seqs: Vec<u64> = joined.history.iter().map(|message| message.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
}

fn kind<T>(result: Result<T, banter_core::client::ClientError>) -> Option<&'static str> {
    result.err().map(|error| error.kind())
}

#[tokio::test]
async fn room_requests_are_validated() {
    let host = start_host().await;
    let (alice, _events) = join(host.local_addr(), "alice").await;
    assert_eq!(kind(alice.join_room("bad\u{202E}name").await), Some("invalid"));
    assert_eq!(kind(alice.join_room(&"x".repeat(49)).await), Some("invalid"));
    assert_eq!(kind(alice.leave_room(LOBBY).await), Some("forbidden"));
    assert_eq!(kind(alice.leave_room("never-joined").await), Some("not_found"));
    alice.create_room("once").await.unwrap();
    assert_eq!(kind(alice.create_room("ONCE").await), Some(ErrorKind::AlreadyExists.as_str()));
}

#[tokio::test]
async fn typing_notices_reach_the_room_except_the_sender() {
    let host = start_host().await;
    let (alice, mut alice_events) = join(host.local_addr(), "alice").await;
    let (bob, mut bob_events) = join(host.local_addr(), "bob").await;
    alice.join_room("chat").await.unwrap();
    bob.join_room("chat").await.unwrap();
    alice.set_typing("chat", true).await.unwrap();
    let update = expect(&mut bob_events, |event| match event {
        ClientEvent::Typing(update) => Some(update.clone()),
        _ => None,
    })
    .await;
    assert_eq!((update.room.as_str(), update.user.as_str(), update.active), ("chat", "alice", true));
    expect_none(&mut alice_events, Duration::from_millis(300), |event| matches!(event, ClientEvent::Typing(_))).await;
}

#[tokio::test]
async fn a_departure_is_announced_once_to_every_room_it_leaves() {
    let host = start_host().await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    let (bob, mut bob_events) = join(host.local_addr(), "bob").await;
    for room in ["red", "blue"] {
        alice.join_room(room).await.unwrap();
        bob.join_room(room).await.unwrap();
    }
    alice.close().await;
    let left = expect(&mut bob_events, |event| match event {
        ClientEvent::MemberLeft(left) if left.user == "alice" => Some(left.clone()),
        _ => None,
    })
    .await;
    let mut rooms = left.rooms.clone();
    rooms.sort();
    assert_eq!(rooms, ["blue", "lobby", "red"]);
    assert_eq!(left.reason, LeaveReason::Disconnected);
    // Bob shares three of those rooms with alice and still hears it once.
    expect_none(&mut bob_events, Duration::from_millis(300), |event| matches!(event, ClientEvent::MemberLeft(_))).await;
}

/// Anna posts in `ops`, leaves, and the room empties; Bert comes into `ops`, Anna returns, and Bert posts. Every
/// one of Bert's messages must reach her: her client must not take them for the ones it reported before she left.
#[tokio::test]
async fn a_room_that_emptied_loses_nothing_for_a_returning_member() {
    let host = start_host().await;
    let (anna, mut anna_events) = join(host.local_addr(), "anna").await;
    anna.join_room("ops").await.unwrap();
    for n in 1..=5 {
        anna.send_message("ops", &format!("anna {n}")).await.unwrap();
    }
    anna.flush().await.unwrap();
    expect(&mut anna_events, message_with_text("anna 5")).await;
    anna.leave_room("ops").await.unwrap();

    let (bert, _bert_events) = join(host.local_addr(), "bert").await;
    bert.join_room("ops").await.unwrap();
    anna.join_room("ops").await.unwrap();
    for n in 1..=7 {
        bert.send_message("ops", &format!("bert {n}")).await.unwrap();
    }
    bert.flush().await.unwrap();
    for n in 1..=7 {
        expect(&mut anna_events, message_with_text(&format!("bert {n}"))).await;
    }
}

/// Guests without a user key are somebody new on every connection, and keys cost nothing to make up, so a few
/// sockets from one machine once filled the host's 500 rooms and an honest `room:create` was refused. Rooms are now
/// counted per address as well: the flood stops at its address's share, and someone at another address (here
/// 127.0.0.2, through a proxy) still creates rooms.
#[tokio::test]
async fn a_few_guest_sockets_cannot_fill_the_room_directory() {
    let host = start_host().await;
    let limits = banter_core::limits::Limits::default();
    let per_address = limits.network.max_rooms_per_address;
    // Enough sockets, each creating as many rooms as one user may, to fill the whole directory.
    let sockets = limits.max_rooms / limits.max_rooms_per_user + 1;
    let mut created = 0;
    let mut refused = 0;
    for n in 0..sockets {
        let auth =
            serde_json::json!({ "name": format!("guest {n}"), "protocol": banter_core::protocol::PROTOCOL_VERSION });
        let guest = RawSocket::connect(host.local_addr(), "/", Some(auth)).await.unwrap();
        for room in 0..limits.max_rooms_per_user {
            let answer = guest.request("room:create", serde_json::json!({ "room": format!("flood {n}-{room}") })).await;
            if answer["error"].is_null() {
                created += 1;
            } else {
                assert_eq!(answer["error"]["kind"], "too_large", "{answer}");
                refused += 1;
            }
        }
        guest.socket.disconnect().await.unwrap();
    }
    assert_eq!(created, per_address, "one address creates its share and no more");
    assert_eq!(refused, sockets * limits.max_rooms_per_user - per_address);

    let elsewhere = proxy::Proxy::start_from(host.local_addr(), Some("127.0.0.2".parse().unwrap())).await;
    let (honest, _events) = join(elsewhere.address, "hanna").await;
    let room = honest.create_room("planning").await.unwrap();
    assert_eq!(room.room, "planning");
}

/// Typing notices have a budget of their own: a burst of them (one per key press, at 7 messages a second, is
/// about that) must not make the next message `rate_limited`; past their own budget they are dropped, and the
/// room hears no more than that budget's worth.
#[tokio::test]
async fn typing_notices_do_not_spend_the_budget_of_messages() {
    let host = start_host().await;
    let typist =
        RawSocket::connect(host.local_addr(), "/", Some(banter_auth("typist", "typist-key-0001"))).await.unwrap();
    let (_reader, mut reader_events) = join(host.local_addr(), "reader").await;
    let limits = banter_core::limits::Limits::default();
    let sent = limits.request_burst + 10;
    for n in 0..sent {
        typist.emit("typing:set", serde_json::json!({ "room": LOBBY, "active": n % 2 == 0 })).await;
    }
    let answer = typist
        .request("message:send", serde_json::json!({ "room": LOBBY, "text": "typed", "clientId": "after-typing" }))
        .await;
    assert!(answer["data"].is_object(), "the message is kept, not rate_limited: {answer}");
    let mut heard = 0;
    let mut typed = false;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(500), reader_events.recv()).await {
        heard += u32::from(matches!(event, ClientEvent::Typing(_)));
        typed |= matches!(&event, ClientEvent::Message(message) if message.text == "typed");
    }
    assert!(typed, "the message reached the room");
    assert!(
        heard <= limits.typing_burst + 2,
        "{heard} of {sent} typing notices went out: their own budget bounds them"
    );
    assert!(heard >= 1, "typing notices still go out");
}
