//! Users: names, several connections of one user, guests, and direct messages.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::client::{Client, ClientEvent, ConnectionState};
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_taken_name_is_refused_with_a_clear_reason() {
    let host = start_host().await;
    let (_alice, _events) = join(host.local_addr(), "alice").await;
    let (_impostor, mut events) = Client::connect(fast_config(host.local_addr(), "ALICE")).unwrap();
    let reason = expect(&mut events, |event| match event {
        ClientEvent::State(ConnectionState::Closed { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("already called “alice”"), "{reason}");

    let refusal = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("Alice", "another-key"))).await.err();
    let refusal = refusal.expect("refused");
    assert!(refusal.contains("name_taken"), "{refusal}");
}

#[tokio::test]
async fn invalid_names_are_refused_before_connecting() {
    let host = start_host().await;
    let error = Client::connect(fast_config(host.local_addr(), "zero\u{200B}width")).err();
    assert_eq!(error.map(|e| e.kind()), Some("invalid"));
    let refusal =
        RawSocket::connect(host.local_addr(), "/", Some(json!({ "name": "x".repeat(33), "protocol": 1 }))).await.err();
    assert!(refusal.unwrap_or_default().contains("invalid: The display name has 33 characters"));
    let refusal = RawSocket::connect(host.local_addr(), "/", Some(json!({ "name": 42 }))).await.err();
    assert!(refusal.unwrap_or_default().contains("bad_request"));
}

#[tokio::test]
async fn one_user_may_be_connected_several_times() {
    let host = start_host().await;
    let mut config = fast_config(host.local_addr(), "dana");
    config.user_key = Some("dana-shared-key".into());
    let (_laptop, mut laptop_events) = join_with(config.clone()).await;
    let (_phone, _phone_events) = join_with(config).await;
    assert_eq!(host.hub().registry().users().iter().find(|u| u.name == "dana").map(|u| u.connections), Some(2));
    // The second connection is not a new arrival.
    expect_none(&mut laptop_events, Duration::from_millis(300), |event| matches!(event, ClientEvent::UserOnline(_)))
        .await;
}

#[tokio::test]
async fn pages_without_a_name_become_guests() {
    let host = start_host().await;
    let (_watcher, mut events) = join(host.local_addr(), "watcher").await;
    let _page = RawSocket::connect(host.local_addr(), "/", None).await.unwrap();
    let guest = expect(&mut events, |event| match event {
        ClientEvent::UserOnline(user) => Some(user.name.clone()),
        _ => None,
    })
    .await;
    assert!(guest.starts_with("guest-") && guest.len() == "guest-0000".len(), "{guest}");
}

#[tokio::test]
async fn a_direct_message_reaches_every_connection_of_both_users() {
    let host = start_host().await;
    let mut alice_config = fast_config(host.local_addr(), "alice");
    alice_config.user_key = Some("alice-shared-key".into());
    let (alice, mut alice_events) = join_with(alice_config.clone()).await;
    let (_alice_phone, mut alice_phone_events) = join_with(alice_config).await;
    let mut bob_config = fast_config(host.local_addr(), "bob");
    bob_config.user_key = Some("bob-shared-key".into());
    let (_bob_laptop, mut bob_laptop_events) = join_with(bob_config.clone()).await;
    let (_bob_phone, mut bob_phone_events) = join_with(bob_config).await;
    let (_carol, mut carol_events) = join(host.local_addr(), "carol").await;

    alice.send_direct("Bob", "lunch?").await.unwrap();
    for events in [&mut bob_laptop_events, &mut bob_phone_events, &mut alice_phone_events, &mut alice_events] {
        let direct = expect(events, |event| match event {
            ClientEvent::Direct(direct) if direct.text == "lunch?" => Some(direct.clone()),
            _ => None,
        })
        .await;
        assert_eq!((direct.from.as_str(), direct.to.as_str()), ("alice", "bob"));
    }
    // Each of alice's connections got it once.
    expect_none(&mut alice_events, Duration::from_millis(300), |event| matches!(event, ClientEvent::Direct(_))).await;
    expect_none(&mut carol_events, Duration::from_millis(100), |event| matches!(event, ClientEvent::Direct(_))).await;

    let client_id = alice.send_direct("nobody", "hello?").await.unwrap();
    let error = expect(&mut alice_events, |event| match event {
        ClientEvent::SendFailed { client_id: failed, error } if *failed == client_id => Some(error.clone()),
        _ => None,
    })
    .await;
    assert_eq!(error.kind.as_str(), "not_found");
}
