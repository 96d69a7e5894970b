//! The Socket.IO tutorial's behaviour, with tutorial-style clients (no auth, plain events) beside Banter clients.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::client::ClientEvent;
use banter_core::protocol::LOBBY;
use common::*;
use serde_json::json;

#[tokio::test]
async fn chat_message_reaches_every_plain_socket_including_the_sender() {
    let host = start_host().await;
    let mut first = RawSocket::connect(host.local_addr(), "/", None).await.unwrap();
    let mut second = RawSocket::connect(host.local_addr(), "/", None).await.unwrap();
    first.emit("chat message", json!("hello from the tutorial")).await;
    for socket in [&mut first, &mut second] {
        let (_, args) = socket.next_named(&["chat message"]).await;
        assert_eq!(args, vec![json!("hello from the tutorial")]);
    }
}

#[tokio::test]
async fn tutorial_pages_and_banter_users_see_each_others_lobby_messages() {
    let host = start_host().await;
    let mut page = RawSocket::connect(host.local_addr(), "/", None).await.unwrap();
    let (alice, mut alice_events) = join(host.local_addr(), "alice").await;

    page.emit("chat message", json!("hi from the page")).await;
    let seen = expect(&mut alice_events, message_with_text("hi from the page")).await;
    assert_eq!(seen.room, LOBBY);
    assert!(seen.from.starts_with("guest-"), "a page without a name is a guest: {}", seen.from);

    alice.send_message(LOBBY, "hi from banter").await.unwrap();
    // The page first hears its own message back, as the tutorial's server does.
    let (_, own) = page.next_named(&["chat message"]).await;
    assert_eq!(own, vec![json!("hi from the page")]);
    let (_, args) = page.next_named(&["chat message"]).await;
    assert_eq!(args, vec![json!("alice: hi from banter")]);
    // The Banter client hears its own message once, as a message, never as a plain string.
    expect(&mut alice_events, message_with_text("hi from banter")).await;
    expect_none(&mut alice_events, std::time::Duration::from_millis(300), |event| {
        matches!(event, ClientEvent::Plain(_))
    })
    .await;
}

async fn socket_id_of(socket: &mut RawSocket) -> String {
    let (_, welcome) = socket.next_named(&["session:welcome"]).await;
    welcome[0]["socketId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn private_message_goes_to_one_socket_with_the_senders_id() {
    let host = start_host().await;
    // Both ends announce the Banter protocol only to learn their ids from the welcome; a tutorial page learns
    // them out of band. The bystander is a plain tutorial socket.
    let mut sender = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("sam", "sam-key-001"))).await.unwrap();
    let mut target = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("tia", "tia-key-001"))).await.unwrap();
    let mut bystander = RawSocket::connect(host.local_addr(), "/", None).await.unwrap();
    let sender_id = socket_id_of(&mut sender).await;
    let target_id = socket_id_of(&mut target).await;

    sender.socket.emit("private message", vec![json!(target_id), json!("just for you")]).await.unwrap();
    let (_, args) = target.next_named(&["private message"]).await;
    assert_eq!(args, vec![json!(sender_id), json!("just for you")]);
    let stray =
        tokio::time::timeout(std::time::Duration::from_millis(300), bystander.next_named(&["private message"])).await;
    assert!(stray.is_err(), "the private message reached a bystander");

    let ack = sender.request("private message", vec![json!("no-such-socket"), json!("hello?")]).await;
    assert_eq!(ack["error"]["kind"], "not_found", "{ack}");
}

#[tokio::test]
async fn arrivals_and_departures_are_announced() {
    let host = start_host().await;
    let (_watcher, mut events) = join(host.local_addr(), "watcher").await;
    let page = RawSocket::connect(host.local_addr(), "/", None).await.unwrap();
    let guest = expect(&mut events, |event| match event {
        ClientEvent::UserOnline(user) => Some(user.name.clone()),
        _ => None,
    })
    .await;
    expect(&mut events, |event| {
        matches!(event, ClientEvent::MemberJoined(joined) if joined.user == guest && joined.room == LOBBY).then_some(())
    })
    .await;
    page.socket.disconnect().await.unwrap();
    expect(&mut events, |event| {
        matches!(event, ClientEvent::MemberLeft(left) if left.user == guest && left.rooms == vec![LOBBY.to_owned()])
            .then_some(())
    })
    .await;
    expect(&mut events, |event| matches!(event, ClientEvent::UserOffline(user) if user.name == guest).then_some(()))
        .await;
}
