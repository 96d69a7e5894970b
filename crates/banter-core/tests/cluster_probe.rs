//! What a host learns of a Valkey or Redis server before it relies on it, against real servers the tests start:
//! the durability it reports, a password missing or wrong, nothing listening, and something that is no Redis.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::cluster::{probe, ClusterDurability, ProbeError};
use common::valkey::Valkey;

const LIMIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_durability_a_server_gives_is_read_from_it() {
    let always = Valkey::start(&[]).await;
    let (_, info) = probe(&always.url(), LIMIT).await.unwrap();
    assert_eq!(info.durability, ClusterDurability::EveryWrite, "{info:?}");
    assert!(["Redis", "Valkey"].contains(&info.software.as_str()), "{info:?}");
    let every_second = Valkey::start(&["--appendfsync", "everysec"]).await;
    assert_eq!(probe(&every_second.url(), LIMIT).await.unwrap().1.durability, ClusterDurability::EverySecond);
    let snapshots = Valkey::start(&["--appendonly", "no"]).await;
    let (_, info) = probe(&snapshots.url(), LIMIT).await.unwrap();
    assert_eq!(info.durability, ClusterDurability::Snapshots);
    assert!(info.durability.describe().contains("set appendonly yes"));
}

#[tokio::test]
async fn a_password_is_asked_for_and_a_wrong_one_refused() {
    let server = Valkey::start(&["--requirepass", "open-sesame"]).await;
    let address = format!("127.0.0.1:{}", server.port);
    assert_eq!(probe(&server.url(), LIMIT).await.err(), Some(ProbeError::NeedsPassword(address.clone())));
    let wrong = format!("redis://:nope@127.0.0.1:{}", server.port);
    let refused = probe(&wrong, LIMIT).await.err().unwrap();
    assert_eq!(refused, ProbeError::WrongPassword(address));
    assert!(refused.to_string().contains("refused the password"), "{refused}");
    let right = format!("redis://:open-sesame@127.0.0.1:{}", server.port);
    assert_eq!(probe(&right, LIMIT).await.unwrap().1.durability, ClusterDurability::EveryWrite);
}

#[tokio::test]
async fn nothing_listening_and_something_that_is_not_redis_are_told_apart() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nobody = probe(&format!("redis://127.0.0.1:{port}"), LIMIT).await.err().unwrap();
    assert!(matches!(nobody, ProbeError::Unreachable { .. }), "{nobody:?}");
    assert!(nobody.to_string().contains(&format!("127.0.0.1:{port}")), "{nobody}");

    // An HTTP server where Valkey was expected: it answers, but nothing Banter can use.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
        }
    });
    let other = probe(&format!("redis://127.0.0.1:{port}"), LIMIT).await.err().unwrap();
    assert!(matches!(other, ProbeError::Unexpected { .. }), "{other:?}");
    assert!(other.to_string().contains("answered what Banter cannot use"), "{other}");
    assert!(probe("http://127.0.0.1:6379", LIMIT).await.err().unwrap().to_string().contains("redis://HOST:PORT"));
}
