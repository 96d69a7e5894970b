//! The `/admin` namespace and graceful shutdown.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::client::{ClientEvent, ConnectionState};
use banter_core::host::{self, HostConfig, StartError};
use banter_core::protocol::ClosingReason;
use common::*;
use serde_json::json;

#[tokio::test]
async fn the_admin_namespace_needs_the_host_token() {
    let host = start_host().await;
    for auth in [None, Some(json!({ "token": "wrong" })), Some(json!({ "token": 7 }))] {
        let refusal = RawSocket::connect(host.local_addr(), "/admin", auth).await.err().expect("refused");
        assert!(refusal.contains("forbidden"), "{refusal}");
    }
    assert!(RawSocket::connect(host.local_addr(), "/admin", Some(json!({ "token": host.admin_token() })))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_weak_admin_token_is_refused_at_start() {
    for weak in ["", "short", "fifteen-chars!!"] {
        let config = HostConfig { admin_token: Some(weak.into()), ..HostConfig::default() };
        let started = host::spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), config).await;
        assert!(matches!(started, Err(StartError::WeakAdminToken)), "{weak:?}");
    }
    let config = HostConfig { admin_token: Some("sixteen-chars!!!".into()), ..HostConfig::default() };
    assert!(host::spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), config).await.is_ok());
}

/// Five wrong tokens, then even the right one waits: guessing runs at the budget's rate (five a minute), not at
/// the hundreds a second one socket could try.
#[tokio::test]
async fn wrong_admin_tokens_run_into_the_limit() {
    let host = start_host().await;
    for _ in 0..5 {
        let refusal = RawSocket::connect(host.local_addr(), "/admin", Some(json!({ "token": "guess-guess-guess" })))
            .await
            .err()
            .expect("refused");
        assert!(refusal.contains("forbidden"), "{refusal}");
    }
    let right = Some(json!({ "token": host.admin_token() }));
    let refusal = RawSocket::connect(host.local_addr(), "/admin", right).await.err().expect("refused while locked out");
    assert!(refusal.contains("rate_limited") && refusal.contains("try again in"), "{refusal}");
}

#[tokio::test]
async fn the_moderator_lists_users_and_kicks_one_with_every_connection() {
    let host = start_host().await;
    let mut config = fast_config(host.local_addr(), "troll");
    config.user_key = Some("troll-key-01".into());
    let (_troll, mut troll_events) = join_with(config.clone()).await;
    let (_troll_again, mut troll_again_events) = join_with(config).await;
    let (_alice, mut alice_events) = join(host.local_addr(), "alice").await;
    let admin =
        RawSocket::connect(host.local_addr(), "/admin", Some(json!({ "token": host.admin_token() }))).await.unwrap();

    let users = admin.request("users:list", json!({})).await;
    let names: Vec<&str> =
        users["data"].as_array().unwrap().iter().map(|user| user["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "troll"]);
    assert_eq!(users["data"][1]["connections"].as_array().unwrap().len(), 2);

    let kicked = admin.request("user:kick", json!({ "name": "Troll", "reason": "Be kind." })).await;
    assert_eq!(kicked["data"], json!({ "name": "Troll", "connections": 2 }));
    for events in [&mut troll_events, &mut troll_again_events] {
        let closing = expect(events, |event| match event {
            ClientEvent::Closing(closing) => Some(closing.clone()),
            _ => None,
        })
        .await;
        assert_eq!((closing.reason, closing.message.as_str()), (ClosingReason::Kicked, "Be kind."));
        // A kicked client stops instead of coming straight back.
        expect(events, |event| matches!(event, ClientEvent::State(ConnectionState::Closed { .. })).then_some(())).await;
    }
    expect(&mut alice_events, |event| {
        matches!(event, ClientEvent::UserOffline(user) if user.name == "troll").then_some(())
    })
    .await;

    let missing = admin.request("user:kick", json!({ "name": "nobody" })).await;
    assert_eq!(missing["error"]["kind"], "not_found");
    let malformed = admin.request("user:kick", json!({ "who": "troll" })).await;
    assert_eq!(malformed["error"]["kind"], "bad_request");
}

#[tokio::test]
async fn shutdown_tells_every_guest_then_disconnects_them() {
    let host = start_host().await;
    let (_alice, mut alice_events) = join(host.local_addr(), "alice").await;
    let page = RawSocket::connect(host.local_addr(), "/", None).await.unwrap();
    let address = host.local_addr();
    host.shutdown().await.unwrap();
    let closing = expect(&mut alice_events, |event| match event {
        ClientEvent::Closing(closing) => Some(closing.clone()),
        _ => None,
    })
    .await;
    assert_eq!(closing.reason, ClosingReason::Shutdown);
    // A tutorial page is not told (it knows no such event) but its connection is closed: its emits start failing.
    let mut closed = false;
    for _ in 0..50 {
        if page.socket.emit("chat message", json!("anyone?")).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(closed, "the page's connection stayed open after the shutdown");
    assert!(tokio::net::TcpStream::connect(address).await.is_err(), "the host still accepts connections");
}

/// The refusal a fresh client gets at its handshake, or `None` if it was admitted.
async fn handshake_refusal(config: banter_core::client::ClientConfig) -> Option<banter_core::protocol::ErrorBody> {
    let (client, mut events) = banter_core::client::Client::connect(config).unwrap();
    let (outcome, _) = banter_core::client::wait_until_connected(&mut events, WAIT).await;
    client.close().await;
    match outcome {
        Ok(_) => None,
        Err(banter_core::client::ClientError::Refused(body)) => Some(body),
        Err(other) => panic!("neither admitted nor refused: {other}"),
    }
}

/// A kick is not enough against someone who comes straight back: a ban, by user key, disconnects them, refuses
/// them under any name for its duration, survives a restart of the host, and can be lifted.
#[tokio::test]
async fn a_banned_user_stays_out_under_any_name_across_a_restart_until_the_ban_is_lifted() {
    let folder = tempfile::tempdir().unwrap();
    let host = start_durable_host(folder.path(), None).await;
    let address = host.local_addr();
    let troll = |name: &str| {
        let mut config = fast_config(address, name);
        config.user_key = Some("troll-key-02".into());
        config
    };
    let (_troll, mut troll_events) = join_with(troll("troll")).await;
    let admin = RawSocket::connect(address, "/admin", Some(json!({ "token": host.admin_token() }))).await.unwrap();

    let banned = admin.request("user:ban", json!({ "name": "TROLL", "minutes": 60, "reason": "spam" })).await;
    assert_eq!((banned["data"]["name"].as_str(), banned["data"]["connections"].as_u64()), (Some("troll"), Some(1)));
    let until = banned["data"]["until"].as_u64().unwrap();
    let closing = expect(&mut troll_events, |event| match event {
        ClientEvent::Closing(closing) => Some(closing.clone()),
        _ => None,
    })
    .await;
    assert_eq!(closing.reason, ClosingReason::Kicked);
    assert!(closing.message.contains("banned") && closing.message.contains("spam"), "{}", closing.message);

    for name in ["troll", "innocent-newcomer"] {
        let refusal = handshake_refusal(troll(name)).await.expect("refused");
        assert_eq!(refusal.kind, banter_core::protocol::ErrorKind::Banned, "{name}");
        assert!(refusal.message.contains("60 minutes") && refusal.message.contains("spam"), "{}", refusal.message);
    }
    let bans = admin.request("bans:list", json!({})).await;
    assert_eq!(
        bans["data"],
        json!([{ "name": "troll", "until": until, "reason": "spam", "bannedAt": bans["data"][0]["bannedAt"] }])
    );

    // Someone else is not affected, and the ban outlives the host.
    assert!(handshake_refusal(fast_config(address, "alice")).await.is_none());
    drop(admin);
    host.shutdown().await.unwrap();
    let host = start_durable_host(folder.path(), Some(address)).await;
    assert_eq!(
        handshake_refusal(troll("troll")).await.map(|refusal| refusal.kind),
        Some(banter_core::protocol::ErrorKind::Banned)
    );

    let admin = RawSocket::connect(address, "/admin", Some(json!({ "token": host.admin_token() }))).await.unwrap();
    let lifted = admin.request("user:unban", json!({ "name": "troll" })).await;
    assert_eq!(lifted["data"], json!({ "name": "troll" }));
    assert!(handshake_refusal(troll("troll")).await.is_none(), "admitted once the ban is lifted");
    assert_eq!(admin.request("user:unban", json!({ "name": "troll" })).await["error"]["kind"], "not_found");
}

#[tokio::test]
async fn only_a_name_bound_to_a_key_can_be_banned() {
    let host = start_host().await;
    let mut guest = fast_config(host.local_addr(), "visitor");
    guest.user_key = None;
    let (_guest, _events) = join_with(guest).await;
    let admin =
        RawSocket::connect(host.local_addr(), "/admin", Some(json!({ "token": host.admin_token() }))).await.unwrap();
    assert_eq!(admin.request("user:ban", json!({ "name": "visitor" })).await["error"]["kind"], "invalid");
    assert_eq!(admin.request("user:ban", json!({ "name": "nobody" })).await["error"]["kind"], "not_found");
    assert_eq!(admin.request("user:ban", json!({ "who": "x" })).await["error"]["kind"], "bad_request");
}
