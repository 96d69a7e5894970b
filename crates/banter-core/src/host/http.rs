//! The host's plain HTTP routes beside Socket.IO: health and attachments.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::Hub;
use crate::protocol::PROTOCOL_VERSION;

pub fn routes(hub: Hub) -> Router {
    Router::new().route("/health", get(health)).route("/attachments/{id}", get(attachment)).with_state(hub)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    status: &'static str,
    protocol: u32,
    users: usize,
    rooms: usize,
}

/// Refuses Socket.IO requests (WebSocket upgrades and long-polling) that carry an `Origin` other than the host's
/// own: a page on another site must not be able to chat in the visitor's name (cross-site WebSocket hijacking).
/// Native clients send no `Origin` and are accepted, as is the host's own web client.
pub async fn refuse_foreign_origins(request: Request, next: Next) -> Response {
    let is_socket_io =
        request.uri().path().starts_with("/socket.io/") && request.uri().path() != "/socket.io/socket.io.js";
    if is_socket_io {
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            if !is_same_origin(origin, request.headers().get(header::HOST)) {
                tracing::warn!(origin = ?origin, host = ?request.headers().get(header::HOST), "refused a cross-origin Socket.IO request");
                return (
                    StatusCode::FORBIDDEN,
                    "Cross-origin requests are refused: open the chat from this host's own page.",
                )
                    .into_response();
            }
        }
    }
    next.run(request).await
}

/// Whether `Origin` (`scheme://host[:port]`) names the same host and port as the `Host` header.
fn is_same_origin(origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), host.map(HeaderValue::to_str)) else { return false };
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let default_port = match scheme {
        "http" => "80",
        "https" => "443",
        _ => return false,
    };
    let with_port = |authority: &str| {
        let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| !port.contains(']'));
        if has_port {
            authority.to_ascii_lowercase()
        } else {
            format!("{}:{default_port}", authority.to_ascii_lowercase())
        }
    };
    with_port(authority.trim_end_matches('/')) == with_port(host)
}

async fn health(State(hub): State<Hub>) -> Json<Health> {
    let registry = hub.registry();
    Json(Health {
        status: "ok",
        protocol: PROTOCOL_VERSION,
        users: registry.users().len(),
        rooms: registry.room_list().len(),
    })
}

async fn attachment(State(hub): State<Hub>, Path(id): Path<String>) -> Response {
    match hub.attachments().get(&id) {
        Some((mime, bytes)) => (
            [
                (header::CONTENT_TYPE, mime),
                // An id names one immutable image forever.
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such attachment").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(origin: &str, host: &str) -> bool {
        is_same_origin(
            &HeaderValue::from_str(origin).unwrap_or(HeaderValue::from_static("")),
            Some(&HeaderValue::from_str(host).unwrap_or(HeaderValue::from_static(""))),
        )
    }

    #[test]
    fn only_the_hosts_own_origin_passes() {
        assert!(same("http://192.168.1.20:7878", "192.168.1.20:7878"));
        assert!(same("http://chat.lan", "chat.lan:80"));
        assert!(same("http://[fe80::1]:7878", "[fe80::1]:7878"));
        assert!(same("http://Chat.LAN:7878", "chat.lan:7878"));
        assert!(!same("http://evil.example", "192.168.1.20:7878"));
        assert!(!same("http://192.168.1.20:9999", "192.168.1.20:7878"));
        assert!(!same("null", "192.168.1.20:7878"));
        assert!(!same("file://", "192.168.1.20:7878"));
        assert!(!is_same_origin(&HeaderValue::from_static("http://a:1"), None));
    }
}
