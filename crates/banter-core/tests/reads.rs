//! Read state kept for the user on the host: a mark set on one device reaches the others, never moves back or past
//! the room's last message, and comes back in the welcome of the next connection.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::client::{Client, ClientConfig, ClientEvent, ConnectionState, ServerKind};
use banter_core::protocol::ReadMark;
use common::*;

fn ann(address: std::net::SocketAddr) -> ClientConfig {
    let mut config = fast_config(address, "ann");
    config.user_key = Some("ann-reads-key-0001".into());
    config
}

#[tokio::test]
async fn a_room_read_on_one_device_is_read_on_the_others_and_after_a_restart_of_the_app() {
    let host = start_host().await;
    let (laptop, _laptop_events) = join_with(ann(host.local_addr())).await;
    let (phone, mut phone_events) = join_with(ann(host.local_addr())).await;
    let (bert, _bert_events) = join(host.local_addr(), "bert").await;
    for client in [&laptop, &phone, &bert] {
        client.join_room("ops").await.unwrap();
    }
    for n in 1..=3 {
        bert.send_message("ops", &format!("ops {n}")).await.unwrap();
    }
    bert.flush().await.unwrap();

    assert_eq!(laptop.mark_read("ops", 3).await.unwrap(), ReadMark { room: "ops".into(), seq: 3 });
    let heard = expect(&mut phone_events, |event| match event {
        ClientEvent::Read(mark) => Some(mark.clone()),
        _ => None,
    })
    .await;
    assert_eq!(heard, ReadMark { room: "ops".into(), seq: 3 });
    // Never back, and never past the last message.
    assert_eq!(phone.mark_read("ops", 1).await.unwrap().seq, 3);
    assert_eq!(phone.mark_read("ops", 99).await.unwrap().seq, 3);
    assert_eq!(bert.mark_read("nowhere", 1).await.err().map(|error| error.kind()), Some("forbidden"));

    // Another connection of the same user is welcomed with the mark.
    let (_tablet, mut tablet_events) = Client::connect(ann(host.local_addr())).unwrap();
    let welcome = expect(&mut tablet_events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.clone()),
        ClientEvent::State(ConnectionState::Connected { server: ServerKind::Plain }) => panic!("not a Banter host"),
        _ => None,
    })
    .await;
    assert_eq!(welcome.reads, vec![ReadMark { room: "ops".into(), seq: 3 }]);
    // Bert's marks are his own.
    let (_bert_again, mut bert_events) = Client::connect(fast_config(host.local_addr(), "bert2")).unwrap();
    let theirs = expect(&mut bert_events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.reads.clone()),
        _ => None,
    })
    .await;
    assert!(theirs.is_empty());
}
