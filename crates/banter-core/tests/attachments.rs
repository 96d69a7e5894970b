//! Image attachments: uploaded as a binary payload, referenced by a message, served over HTTP.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::client::ClientEvent;
use banter_core::limits::Limits;
use banter_core::protocol::LOBBY;
use bytes::Bytes;
use common::*;

/// A valid 1×1 PNG.
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn an_image_travels_from_one_user_to_another() {
    let host = start_host().await;
    let (alice, _alice_events) = join(host.local_addr(), "alice").await;
    let (_bob, mut bob_events) = join(host.local_addr(), "bob").await;
    let attachment = alice.upload_image(Bytes::from_static(PIXEL_PNG)).await.unwrap();
    assert_eq!((attachment.mime.as_str(), attachment.size as usize), ("image/png", PIXEL_PNG.len()));
    alice.send_message_with(LOBBY, "look", Some(&attachment)).await.unwrap();
    let message = expect(&mut bob_events, message_with_text("look")).await;
    assert_eq!(message.attachment.as_ref(), Some(&attachment));

    let url = format!("http://{}/attachments/{}", host.local_addr(), attachment.id);
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/png");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(response.bytes().await.unwrap().as_ref(), PIXEL_PNG);
    let missing = reqwest::get(format!("http://{}/attachments/nope", host.local_addr())).await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn oversized_and_non_image_uploads_are_refused_and_the_socket_stays_usable() {
    let host = start_host_with(Limits { max_attachment_bytes: 64, ..Limits::default() }).await;
    let (alice, mut events) = join(host.local_addr(), "alice").await;
    let big = [PIXEL_PNG, &[0u8; 64]].concat();
    let error = alice.upload_image(Bytes::from(big)).await.err().map(|e| e.kind());
    assert_eq!(error, Some("too_large"));
    let error = alice.upload_image(Bytes::from_static(b"<svg onload=alert(1)></svg>")).await.err().map(|e| e.kind());
    assert_eq!(error, Some("invalid"));
    let missing = banter_core::protocol::Attachment { id: "nope".into(), mime: "image/png".into(), size: 1 };
    let client_id = alice.send_message_with(LOBBY, "ghost", Some(&missing)).await.unwrap();
    let failure = expect(&mut events, |event| match event {
        ClientEvent::SendFailed { client_id: id, error } if *id == client_id => Some(error.kind),
        _ => None,
    })
    .await;
    assert_eq!(failure.as_str(), "not_found");
    alice.send_message(LOBBY, "still here").await.unwrap();
    expect(&mut events, message_with_text("still here")).await;
}
