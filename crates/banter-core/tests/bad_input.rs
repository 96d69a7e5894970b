//! Hostile and broken input: malformed packets, oversized frames, wrong types and floods. Each case is followed
//! by a check that everyone else is still served.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::client::{Client, ClientEvents};
use banter_core::limits::Limits;
use banter_core::protocol::LOBBY;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type RawWebSocket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket speaking engine.io/Socket.IO by hand, connected to the chat namespace as a tutorial page.
async fn raw_websocket(address: std::net::SocketAddr) -> RawWebSocket {
    let url = format!("ws://{address}/socket.io/?EIO=4&transport=websocket");
    let (mut socket, _) = connect_async(url).await.unwrap();
    let open = next_text(&mut socket).await.expect("engine.io open packet");
    assert!(open.starts_with('0'), "{open}");
    socket.send(Frame::text("40")).await.unwrap();
    let connected = next_text(&mut socket).await.expect("namespace connect");
    assert!(connected.starts_with("40"), "{connected}");
    socket
}

/// The next text frame that is not an engine.io ping (pings are answered), or `None` when the host closed the
/// connection.
async fn next_text(socket: &mut RawWebSocket) -> Option<String> {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await.expect("a frame in time") {
            Some(Ok(Frame::Text(text))) if text.as_str() == "2" => socket.send(Frame::text("3")).await.ok()?,
            Some(Ok(Frame::Text(text))) => return Some(text.to_string()),
            Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Whether the host closes this socket within a few seconds (answering engine.io pings meanwhile is not needed:
/// the ping interval is longer than the wait).
async fn is_closed_by_host(socket: &mut RawWebSocket) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Frame::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Everyone else is still served: a round trip between two well-behaved clients.
async fn others_still_chat(alice: &Client, bob_events: &mut ClientEvents, text: &str) {
    alice.send_message(LOBBY, text).await.unwrap();
    expect(bob_events, message_with_text(text)).await;
}

#[tokio::test]
async fn malformed_packets_close_only_the_sender() {
    let host = start_host().await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    let (_bob, mut bob_events) = join(host.local_addr(), "bob").await;
    let garbage = [
        "42[\"chat message\"",                                           // truncated JSON
        "4zzz",                                                          // unknown Socket.IO packet type
        "9",                                                             // unknown engine.io packet type
        "42[\"chat message\",\"\u{00e9}\u{0301}", // truncated in the middle of a multibyte sequence
        "451-[\"attachment:upload\",{\"_placeholder\":true,\"num\":7}]", // attachment never sent
    ];
    for (index, packet) in garbage.into_iter().enumerate() {
        let mut socket = raw_websocket(host.local_addr()).await;
        socket.send(Frame::text(packet)).await.unwrap();
        // Either the host drops the socket or ignores the packet; either way the others carry on.
        let _ = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;
        others_still_chat(&alice, &mut bob_events, &format!("after garbage {index}")).await;
    }
    let health = reqwest::get(format!("http://{}/health", host.local_addr())).await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn wrong_event_shapes_are_answered_not_ignored() {
    let host = start_host().await;
    let raw = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("rae", "rae-key-001"))).await.unwrap();
    for (event, payload) in [
        ("room:join", json!(["not", "an", "object"])),
        ("room:join", json!({ "room": 12 })),
        ("message:send", json!("just a string")),
        ("dm:send", json!({ "text": "no recipient" })),
        ("typing:set", json!({ "room": "lobby" })),
        ("chat message", json!({ "not": "a string" })),
    ] {
        let answer = raw.request(event, payload.clone()).await;
        assert_eq!(answer["error"]["kind"], "bad_request", "{event} {payload}: {answer}");
    }
    let upload = raw.request("attachment:upload", json!("text, not binary")).await;
    assert_eq!(upload["error"]["kind"], "bad_request");
}

#[tokio::test]
async fn an_oversized_frame_closes_that_socket_only() {
    let limits = Limits { max_payload_bytes: 64 * 1024, max_frame_bytes: 64 * 1024, ..Limits::default() };
    let host = start_host_with(limits).await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    let (_bob, mut bob_events) = join(host.local_addr(), "bob").await;
    let mut socket = raw_websocket(host.local_addr()).await;
    let huge = format!("42[\"chat message\",\"{}\"]", "x".repeat(200 * 1024));
    // The host may cut the connection while the frame is still being written.
    let _ = socket.send(Frame::text(huge)).await;
    assert!(is_closed_by_host(&mut socket).await, "an oversized frame was accepted");
    others_still_chat(&alice, &mut bob_events, "still fine").await;
}

#[tokio::test]
async fn sockets_that_leave_at_once_leave_nobody_behind() {
    let host = start_host().await;
    for _ in 0..20 {
        let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", host.local_addr());
        let (mut socket, _) = connect_async(url).await.unwrap();
        socket.send(Frame::text("40")).await.unwrap();
        drop(socket);
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while !host.hub().registry().users().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "still online: {:?}", host.hub().registry().users());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_repeated_namespace_connect_is_ignored() {
    let host = start_host().await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    let (_bob, mut bob_events) = join(host.local_addr(), "bob").await;
    let mut socket = raw_websocket(host.local_addr()).await;
    for _ in 0..5 {
        socket.send(Frame::text("40")).await.unwrap();
    }
    others_still_chat(&alice, &mut bob_events, "after reconnect spam").await;
    assert_eq!(host.hub().registry().users().len(), 3, "one guest, not six");
}

#[tokio::test]
async fn a_flooding_socket_is_slowed_down_and_others_are_served() {
    let limits = Limits { request_burst: 20, requests_per_second: 10, ..Limits::default() };
    let host = start_host_with(limits).await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    let (_bob, mut bob_events) = join(host.local_addr(), "bob").await;
    // By hand rather than with rust_socketio, whose ack bookkeeping panics with hundreds of acks outstanding.
    let mut flooder = raw_websocket(host.local_addr()).await;

    // A bounded flood: 300 requests written back to back, each asking for an ack.
    for index in 0..300 {
        let packet = format!("42{index}[\"message:send\",{{\"room\":\"lobby\",\"text\":\"spam {index}\"}}]");
        flooder.send(Frame::text(packet)).await.unwrap();
    }
    others_still_chat(&alice, &mut bob_events, "heard through the flood").await;

    let (mut accepted, mut limited) = (0, 0);
    while accepted + limited < 300 {
        let Some(frame) = next_text(&mut flooder).await else { break };
        if !frame.starts_with("43") {
            continue; // lobby messages (its own included) also arrive on this socket
        }
        if frame.contains("\"rate_limited\"") {
            limited += 1;
        } else {
            accepted += 1;
        }
    }
    assert_eq!(accepted + limited, 300, "every request was answered");
    // The burst, plus what the budget refilled while the flood was being read.
    assert!((20..60).contains(&accepted), "accepted {accepted}");
    let stored = kept_messages(&host, "lobby").await.iter().filter(|message| message.text.starts_with("spam")).count();
    assert_eq!(stored, accepted);
}
