//! Delivery: message metadata, acks, reconnection, the outbox and exactly-once resends, graceful shutdown.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::client::{ClientEvent, ConnectionState};
use banter_core::protocol::{ClosingReason, LOBBY};
use common::*;
use serde_json::json;

#[tokio::test]
async fn every_message_gets_an_id_a_room_sequence_and_a_timestamp() {
    let host = start_host().await;
    let (alice, mut events) = join(host.local_addr(), "alice").await;
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let first_id = alice.send_message(LOBBY, "first").await.unwrap();
    alice.send_message(LOBBY, "second").await.unwrap();
    let first = expect(&mut events, message_with_text("first")).await;
    expect(&mut events, |event| {
        matches!(event, ClientEvent::Delivered { client_id } if *client_id == first_id).then_some(())
    })
    .await;
    let second = expect(&mut events, message_with_text("second")).await;
    assert_eq!(first.client_id.as_deref(), Some(first_id.as_str()));
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_ne!(first.id, second.id);
    assert!(first.ts >= before && second.ts >= first.ts);
}

#[tokio::test]
async fn requests_are_acknowledged_with_data_or_error() {
    let host = start_host().await;
    let raw = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("rae", "rae-key-001"))).await.unwrap();
    let ok = raw.request("message:send", json!({ "room": "lobby", "text": "hi", "clientId": "c1" })).await;
    assert_eq!(ok["data"]["text"], "hi");
    assert_eq!(ok["data"]["seq"], 1);
    let refused = raw.request("message:send", json!({ "room": "elsewhere", "text": "hi" })).await;
    assert_eq!(refused["error"]["kind"], "forbidden");
    assert!(refused["error"]["message"].as_str().unwrap().contains("Join “elsewhere”"));
    let malformed = raw.request("message:send", json!({ "text": 5 })).await;
    assert_eq!(malformed["error"]["kind"], "bad_request");
    let too_long = raw.request("message:send", json!({ "room": "lobby", "text": "x".repeat(4001) })).await;
    assert_eq!(too_long["error"]["kind"], "too_large");
}

#[tokio::test]
async fn text_the_host_would_refuse_is_refused_before_it_is_queued() {
    let host = start_host().await;
    let (alice, _events) = join(host.local_addr(), "alice").await;
    let error = alice.send_message(LOBBY, &"x".repeat(4001)).await.err().map(|e| e.kind());
    assert_eq!(error, Some("too_large"));
    assert_eq!(alice.send_direct("bob", "  ").await.err().map(|e| e.kind()), Some("invalid"));
    alice.flush().await.unwrap();
}

#[tokio::test]
async fn a_resent_client_id_is_delivered_once() {
    let host = start_host().await;
    let (_watcher, mut watcher_events) = join(host.local_addr(), "watcher").await;
    let raw = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("rae", "rae-key-001"))).await.unwrap();
    let request = json!({ "room": "lobby", "text": "only once", "clientId": "same-id" });
    let first = raw.request("message:send", request.clone()).await;
    let again = raw.request("message:send", request).await;
    assert_eq!(first, again, "the resend is answered with the original message");
    expect(&mut watcher_events, message_with_text("only once")).await;
    expect_none(&mut watcher_events, Duration::from_millis(300), |event| matches!(event, ClientEvent::Message(_)))
        .await;
}

#[tokio::test]
async fn the_client_reconnects_rejoins_and_delivers_what_was_queued_once() {
    let first_host = start_host().await;
    let address = first_host.local_addr();
    let (alice, mut alice_events) = join(address, "alice").await;
    alice.join_room("ops").await.unwrap();

    first_host.shutdown().await.unwrap();
    expect(&mut alice_events, |event| {
        matches!(event, ClientEvent::Closing(closing) if closing.reason == ClosingReason::Shutdown).then_some(())
    })
    .await;
    expect(&mut alice_events, |event| {
        matches!(event, ClientEvent::State(ConnectionState::Reconnecting { .. })).then_some(())
    })
    .await;
    // Sent while no host is there: queued, not lost.
    let queued: Vec<String> = futures_util::future::join_all(
        ["while away 1", "while away 2", "while away 3"].map(|text| alice.send_message("ops", text)),
    )
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();

    let second_host = start_host_at(address).await;
    expect(&mut alice_events, |event| {
        matches!(event, ClientEvent::Joined(joined) if joined.room == "ops").then_some(())
    })
    .await;
    alice.flush().await.unwrap();
    for client_id in &queued {
        expect(&mut alice_events, |event| {
            matches!(event, ClientEvent::Delivered { client_id: id } if id == client_id).then_some(())
        })
        .await;
    }
    assert!(kept_messages(&second_host, "lobby").await.is_empty(), "the queued messages went to ops, not the lobby");
    let ops: Vec<String> = {
        let (bob, _events) = join(address, "bob").await;
        bob.join_room("ops").await.unwrap().history.into_iter().map(|message| message.text).collect()
    };
    assert_eq!(ops, ["while away 1", "while away 2", "while away 3"]);
}

#[tokio::test]
async fn the_first_connection_is_retried_until_a_host_appears() {
    // Reserve a port, release it, and start the host there only after the client began trying.
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (client, mut events) = banter_core::client::Client::connect(fast_config(address, "early")).unwrap();
    expect(&mut events, |event| {
        matches!(event, ClientEvent::State(ConnectionState::Connecting { attempt: 2 })).then_some(())
    })
    .await;
    let _host = start_host_at(address).await;
    expect(&mut events, |event| matches!(event, ClientEvent::State(ConnectionState::Connected { .. })).then_some(()))
        .await;
    client.send_message(LOBBY, "made it").await.unwrap();
    expect(&mut events, message_with_text("made it")).await;
}

#[tokio::test]
async fn an_unreachable_host_is_given_up_on_when_asked() {
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut config = fast_config(address, "patient");
    config.give_up_after = Some(Duration::from_millis(500));
    let (client, mut events) = banter_core::client::Client::connect(config).unwrap();
    let reason = expect(&mut events, |event| match event {
        ClientEvent::State(ConnectionState::Closed { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("connection refused"), "{reason}");
    assert_eq!(client.send_message(LOBBY, "too late").await.err().map(|e| e.kind()), Some("closed"));
}

#[tokio::test]
async fn a_silent_host_is_noticed_by_the_watchdog() {
    // A TCP proxy that can be frozen: the host stays up, but nothing gets through any more.
    let host = start_host().await;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_address = proxy.local_addr().unwrap();
    let (freeze, frozen) = tokio::sync::watch::channel(false);
    let upstream = host.local_addr();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = proxy.accept().await {
            let mut frozen = frozen.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    () = async {
                        while !*frozen.borrow() {
                            if frozen.changed().await.is_err() {
                                break;
                            }
                        }
                    } => {
                        // Hold both sockets open and silent, like a cable pulled mid-conversation.
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            });
        }
    });
    let (_client, mut events) = join(proxy_address, "watched").await;
    freeze.send(true).unwrap();
    let reason = expect(&mut events, |event| match event {
        ClientEvent::State(ConnectionState::Reconnecting { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("stopped answering"), "{reason}");
}

/// Messages leave the host in the order of their `seq`, even when several people post at the same moment: each
/// receiver sees a room's `seq` strictly increasing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_are_delivered_in_seq_order() {
    let host = start_host().await;
    let (carol, mut events) = join(host.local_addr(), "carol").await;
    let senders: Vec<_> =
        futures_util::future::join_all(["alice", "bob", "dave"].into_iter().map(|name| join(host.local_addr(), name)))
            .await;
    // Within the default burst of 30 requests per socket.
    let sends = senders.iter().map(|(client, _)| async move {
        for number in 0..25 {
            client.send_message(LOBBY, &format!("{number}")).await.unwrap();
        }
    });
    futures_util::future::join_all(sends).await;
    let mut seqs = Vec::new();
    while seqs.len() < 75 {
        let message = expect(&mut events, |event| match event {
            ClientEvent::Message(message) if message.from != "carol" => Some(message.clone()),
            _ => None,
        })
        .await;
        seqs.push(message.seq);
    }
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "out of order: {seqs:?}");
    drop(carol);
}

/// A client that sends many messages without waiting for each ack (a stock client resending what it queued) has
/// them kept in the order it sent them: socketioxide runs each handler in a task of its own, and the host puts the
/// socket's requests back in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sockets_burst_is_kept_in_the_order_it_was_sent() {
    let host = start_host_with(banter_core::limits::Limits {
        request_burst: 10_000,
        requests_per_second: 10_000,
        ..banter_core::limits::Limits::default()
    })
    .await;
    let raw = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("rae", "rae-key-001"))).await.unwrap();
    for number in 1..=200 {
        raw.emit(
            "message:send",
            json!({ "room": "lobby", "text": format!("m{number}"), "clientId": format!("c{number}") }),
        )
        .await;
    }
    // The host handles a socket's requests in order: once this is answered, the burst is kept.
    let last = raw.request("message:send", json!({ "room": "lobby", "text": "last", "clientId": "c-last" })).await;
    assert_eq!(last["data"]["seq"], 201);
    let texts: Vec<String> = kept_messages(&host, "lobby").await.into_iter().map(|message| message.text).collect();
    let expected: Vec<String> = (1..=200).map(|number| format!("m{number}")).chain(["last".to_owned()]).collect();
    assert_eq!(texts, expected);
}
