//! Access codes: a host that requires one lets in exactly those who give it, and guessing runs into the limit.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::client::{wait_until_connected, Client, ClientConfig, ClientError};
use banter_core::host::access::AccessCode;
use banter_core::host::{self, HostConfig, HostHandle};
use banter_core::protocol::{ErrorBody, ErrorKind};
use common::*;
use tokio::net::TcpListener;

async fn host_with_code(code: AccessCode, address: Option<std::net::SocketAddr>) -> HostHandle {
    let listener = TcpListener::bind(address.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())).await.unwrap();
    host::spawn(listener, HostConfig { access_code: Some(code), ..HostConfig::default() }).await.unwrap()
}

/// The refusal a client gets at its handshake, or `None` if it was admitted.
async fn refusal(address: std::net::SocketAddr, code: Option<&str>) -> Option<ErrorBody> {
    let mut config: ClientConfig = fast_config(address, "ann");
    config.user_key = Some("ann-access-key-01".into());
    config.access_code = code.map(str::to_owned);
    let (client, mut events) = Client::connect(config).unwrap();
    let (outcome, _) = wait_until_connected(&mut events, WAIT).await;
    client.close().await;
    match outcome {
        Ok(_) => None,
        Err(ClientError::Refused(body)) => Some(body),
        Err(other) => panic!("neither admitted nor refused: {other}"),
    }
}

#[tokio::test]
async fn only_the_right_code_lets_people_in() {
    let host = host_with_code(AccessCode::new("Blue-Kettle-42").unwrap(), None).await;
    let address = host.local_addr();
    let missing = refusal(address, None).await.unwrap();
    assert_eq!(missing.kind, ErrorKind::Forbidden);
    assert!(missing.message.contains("needs an access code"), "{}", missing.message);
    let wrong = refusal(address, Some("blue-kettle-43")).await.unwrap();
    assert_eq!(wrong.kind, ErrorKind::Forbidden);
    assert!(wrong.message.contains("wrong"), "{}", wrong.message);
    assert!(refusal(address, Some("BLUE kettle 42")).await.is_none(), "case, spaces and dashes do not count");

    let health = reqwest::get(format!("http://{address}/health")).await.unwrap().bytes().await.unwrap();
    let health: serde_json::Value = serde_json::from_slice(&health).unwrap();
    assert_eq!(health["accessCode"], true);
    // A host without a code says so too, and lets anyone in.
    let open = start_host().await;
    assert!(refusal(open.local_addr(), None).await.is_none());
}

/// A host started again with a new random code no longer takes the old one.
#[tokio::test]
async fn a_stale_code_is_refused() {
    let old = AccessCode::random();
    let host = host_with_code(old.clone(), None).await;
    let address = host.local_addr();
    assert!(refusal(address, Some(old.as_str())).await.is_none());
    host.shutdown().await.unwrap();
    let new = AccessCode::random();
    let host = host_with_code(new.clone(), Some(address)).await;
    assert_eq!(refusal(address, Some(old.as_str())).await.map(|body| body.kind), Some(ErrorKind::Forbidden));
    assert!(refusal(address, Some(new.as_str())).await.is_none());
    assert_eq!(host.access_code(), Some(new.as_str()));
}

/// Five wrong codes from one address, then every attempt from it waits, the right code included.
#[tokio::test]
async fn guessing_runs_into_the_limit() {
    let host = host_with_code(AccessCode::new("correct horse").unwrap(), None).await;
    let address = host.local_addr();
    for guess in 0..5 {
        let refused = refusal(address, Some(&format!("guess {guess}"))).await.unwrap();
        assert_eq!(refused.kind, ErrorKind::Forbidden, "guess {guess}");
    }
    let limited = refusal(address, Some("correct horse")).await.unwrap();
    assert_eq!(limited.kind, ErrorKind::RateLimited);
    assert!(limited.message.contains("try again in"), "{}", limited.message);
}
