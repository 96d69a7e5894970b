//! The origin policy: Socket.IO requests from the host's own origin and from native clients (no `Origin`) are
//! accepted; those from any other origin are refused (cross-site WebSocket hijacking).

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use common::*;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn polling_handshake(address: std::net::SocketAddr, origin: Option<&str>) -> u16 {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("http://{address}/socket.io/?EIO=4&transport=polling"));
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn long_polling_from_a_foreign_origin_is_refused() {
    let host = start_host().await;
    let address = host.local_addr();
    assert_eq!(polling_handshake(address, None).await, 200, "native clients send no Origin");
    assert_eq!(polling_handshake(address, Some(&format!("http://{address}"))).await, 200, "the host's own page");
    assert_eq!(polling_handshake(address, Some("http://evil.example")).await, 403);
    assert_eq!(polling_handshake(address, Some(&format!("http://127.0.0.1:{}", address.port() + 1))).await, 403);
}

#[tokio::test]
async fn the_bare_socket_io_path_is_guarded_too() {
    let host = start_host().await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/socket.io?EIO=4&transport=polling", host.local_addr());
    let foreign = client.get(&url).header("Origin", "http://evil.example").send().await.unwrap();
    assert_eq!(foreign.status().as_u16(), 403);
}

#[tokio::test]
async fn a_rebound_public_name_is_refused_even_when_origin_and_host_agree() {
    let host = start_host().await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/socket.io/?EIO=4&transport=polling", host.local_addr());
    let port = host.local_addr().port();
    let rebound = client
        .get(&url)
        .header("Host", format!("rebind.attacker.example:{port}"))
        .header("Origin", format!("http://rebind.attacker.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status().as_u16(), 421);
}

/// A page on a rebound public name (DNS rebinding) must not read anything from the host: not its health, not
/// its pages, not an attachment whose URL it learnt. Loosely formed hosts are not taken for local ones either.
#[tokio::test]
async fn every_route_refuses_a_foreign_host_name() {
    let host = start_host().await;
    let client = reqwest::Client::new();
    let port = host.local_addr().port();
    let foreign =
        [format!("rebind.attacker.example:{port}"), format!("127.0.0.1:{port}.evil.com"), "[::1]evil.com".to_owned()];
    for path in ["/health", "/", "/attachments/0123", "/socket.io/?EIO=4&transport=polling", "/missing"] {
        let url = format!("http://{}{path}", host.local_addr());
        for name in &foreign {
            let answer = client.get(&url).header("Host", name).send().await.unwrap();
            assert_eq!(answer.status().as_u16(), 421, "{path} with Host {name}");
        }
        let own = client.get(&url).send().await.unwrap();
        assert_ne!(own.status().as_u16(), 421, "{path} by its own address");
    }
}

#[tokio::test]
async fn every_answer_says_its_type_is_not_to_be_sniffed() {
    let host = start_host().await;
    let client = reqwest::Client::new();
    let base = format!("http://{}", host.local_addr());
    for (path, status) in
        [("/health", 200), ("/missing", 404), ("/socket.io/?EIO=4&transport=polling", 200), ("/attachments/00", 404)]
    {
        let answer = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{path}");
        assert_eq!(
            answer.headers().get("x-content-type-options").and_then(|value| value.to_str().ok()),
            Some("nosniff"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_websocket_from_a_foreign_origin_is_refused() {
    let host = start_host().await;
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", host.local_addr());
    let mut foreign = url.as_str().into_client_request().unwrap();
    foreign.headers_mut().insert("Origin", "http://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(foreign).await.err().map(|error| error.to_string());
    assert!(refused.is_some_and(|error| error.contains("403")), "a foreign WebSocket was accepted");

    let mut own = url.as_str().into_client_request().unwrap();
    own.headers_mut().insert("Origin", format!("http://{}", host.local_addr()).parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(own).await.unwrap();
    let open = socket.next().await.unwrap().unwrap();
    assert!(open.to_string().starts_with('0'), "engine.io open packet: {open}");
}
