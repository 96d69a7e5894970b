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
/// Native clients send no `Origin` and are accepted, as is the host's own web client. A browser request must also
/// name the host by an address or a local name, so that a public domain rebound to a LAN address (DNS rebinding)
/// does not pass as "the host's own origin".
pub async fn refuse_foreign_origins(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // The same paths engineioxide answers: `/socket.io` itself and everything below it.
    let is_socket_io = path.strip_prefix("/socket.io").is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        && path != "/socket.io/socket.io.js";
    if is_socket_io {
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            let host = request.headers().get(header::HOST);
            if !is_same_origin(origin, host) || !host.is_some_and(is_local_host_name) {
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

/// Whether a `Host` header names this machine the way people on a LAN do: an IP address, `localhost`, a single-label
/// name (`alice-laptop`) or a name under a local-only suffix (`.local`, `.lan`, `.home.arpa`, `.internal`).
fn is_local_host_name(host: &HeaderValue) -> bool {
    let Ok(host) = host.to_str() else { return false };
    let name = match host.strip_prefix('[') {
        Some(bracketed) => {
            return bracketed.split(']').next().is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
        }
        None => host.rsplit_once(':').map_or(host, |(name, _)| name).to_ascii_lowercase(),
    };
    name.parse::<std::net::Ipv4Addr>().is_ok()
        || name == "localhost"
        || !name.contains('.')
        || [".local", ".lan", ".home.arpa", ".internal", ".localhost"].iter().any(|suffix| name.ends_with(suffix))
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
    match hub.store().attachment(&id).await {
        Ok(Some((mime, bytes))) => (
            [
                (header::CONTENT_TYPE, mime.as_str()),
                // An id names one immutable image forever.
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        // Evicted past the quota, or never kept: clients show that the image is no longer available.
        Ok(None) => (StatusCode::NOT_FOUND, "This image is no longer on the host.").into_response(),
        Err(error) => {
            tracing::warn!(%error, "could not read an attachment");
            (StatusCode::SERVICE_UNAVAILABLE, "The host could not read this image right now.").into_response()
        }
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

    #[test]
    fn public_names_do_not_count_as_the_host() {
        let local = |host: &'static str| is_local_host_name(&HeaderValue::from_static(host));
        for host in [
            "192.168.1.20:7878",
            "127.0.0.1:7878",
            "[fe80::1]:7878",
            "localhost:7878",
            "alice-laptop:7878",
            "alice.local:7878",
            "chat.home.arpa",
        ] {
            assert!(local(host), "{host}");
        }
        for host in ["evil.example:7878", "rebind.attacker.com", "[not-an-ip]:1"] {
            assert!(!local(host), "{host}");
        }
    }
}
