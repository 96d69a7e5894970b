//! The host's plain HTTP routes beside Socket.IO (health and attachments), and the screen every request passes.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use std::sync::Arc;
use std::time::Instant;

use super::gate::Gate;
use super::{listen, Hub};
use crate::protocol::{Health, PROTOCOL_VERSION};

pub fn routes(hub: Hub) -> Router {
    Router::new().route("/health", get(health)).route("/attachments/{id}", get(attachment)).with_state(hub)
}

/// Looks at every request before anything else does:
/// - its `Host` must name this machine the way people on a LAN do, so that a public domain rebound to a LAN
///   address (DNS rebinding) cannot make a visitor's browser read the host's pages or files;
/// - a Socket.IO request (a WebSocket upgrade or long-polling) carrying an `Origin` must come from the host's own
///   pages: a page on another site must not chat in the visitor's name (cross-site WebSocket hijacking, against
///   which browsers apply no CORS). Native clients send no `Origin`;
/// - a Socket.IO request that opens a session (one without `sid`) is counted by the [`Gate`].
///
/// Refusals are logged at most once an interval per address, with a count of the rest.
pub async fn screen(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let peer = listen::peer_of(request.extensions());
    let refuse = |status: StatusCode, what: &str, why: String| {
        if let Some(peer) = peer {
            if let Some(unlogged) = gate.log_refusal(peer.ip(), Instant::now()) {
                tracing::warn!(%peer, host = ?request.headers().get(header::HOST), unlogged, "refused {what}: {why}");
            }
        }
        (status, why).into_response()
    };
    let host = request.headers().get(header::HOST);
    // HTTP/1.1 requires `Host`; a request without one cannot come from a browser, which is what this guards
    // against, so it is let through.
    if host.is_some_and(|host| !is_local_host_name(host)) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "a request for a foreign name",
            "This host answers only to its own addresses: open it by its IP address or its .local name.".into(),
        );
    }
    let path = request.uri().path();
    // The same paths engineioxide answers: `/socket.io` itself and everything below it.
    let is_socket_io = path.strip_prefix("/socket.io").is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        && path != "/socket.io/socket.io.js";
    if !is_socket_io {
        return next.run(request).await;
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        if !is_same_origin(origin, host) {
            return refuse(
                StatusCode::FORBIDDEN,
                "a cross-origin Socket.IO request",
                "Cross-origin requests are refused: open the chat from this host's own page.".into(),
            );
        }
    }
    let opens_session = !request.uri().query().unwrap_or_default().split('&').any(|pair| pair.starts_with("sid="));
    if opens_session {
        if let Some(peer) = peer {
            if let Err(refusal) = gate.open_session(peer.ip(), Instant::now()) {
                return refuse(StatusCode::TOO_MANY_REQUESTS, "a new session", refusal.to_string());
            }
        }
    }
    next.run(request).await
}

/// A `Host` header (or an origin's authority) split into its name and port. Only what a URL may hold is
/// accepted: a bracketed IPv6 address, or a name of letters, digits, dots and hyphens, then an optional numeric
/// port. `127.0.0.1:80.evil.com` and `[::1]evil.com` are not hosts.
fn parse_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, rest) = bracketed.split_once(']')?;
            ip.parse::<std::net::Ipv6Addr>().ok()?;
            let port = match rest {
                "" => None,
                _ => Some(rest.strip_prefix(':')?),
            };
            (format!("[{}]", ip.to_ascii_lowercase()), port)
        }
        None => {
            let (name, port) = match authority.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (authority, None),
            };
            let name = name.strip_suffix('.').unwrap_or(name);
            let label_ok = |label: &str| {
                !label.is_empty() && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            };
            if !name.split('.').all(label_ok) {
                return None;
            }
            (name.to_ascii_lowercase(), port)
        }
    };
    let port = match port {
        None => None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) => {
            Some(digits.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    Some((name, port))
}

/// Whether a `Host` header names this machine the way people on a LAN do: an IP address, `localhost`, a single-label
/// name (`alice-laptop`) or a name under a local-only suffix (`.local`, `.lan`, `.home.arpa`, `.internal`).
fn is_local_host_name(host: &HeaderValue) -> bool {
    let Some((name, _)) = host.to_str().ok().and_then(parse_authority) else { return false };
    name.starts_with('[')
        || name.parse::<std::net::Ipv4Addr>().is_ok()
        || name == "localhost"
        || !name.contains('.')
        || [".local", ".lan", ".home.arpa", ".internal", ".localhost"].iter().any(|suffix| name.ends_with(suffix))
}

/// Whether `Origin` (`scheme://host[:port]`) names the same host and port as the `Host` header.
fn is_same_origin(origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), host.map(HeaderValue::to_str)) else { return false };
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    let (Some((origin_name, origin_port)), Some((host_name, host_port))) =
        (parse_authority(authority.trim_end_matches('/')), parse_authority(host))
    else {
        return false;
    };
    origin_name == host_name && origin_port.unwrap_or(default_port) == host_port.unwrap_or(default_port)
}

async fn health(State(hub): State<Hub>) -> Json<Health> {
    let registry = hub.registry();
    Json(Health {
        status: "ok".to_owned(),
        protocol: PROTOCOL_VERSION,
        host_id: hub.host_id().to_owned(),
        users: registry.users().len(),
        rooms: registry.room_list().len(),
        access_code: hub.access_code().is_some(),
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
        for host in [
            "evil.example:7878",
            "rebind.attacker.com",
            "[not-an-ip]:1",
            "127.0.0.1:80.evil.com",
            "[::1]evil.com",
            "[::1]:80evil.com",
            "alice-laptop:",
            "alice-laptop:99999",
            "a..local",
            "a_b.local",
            "",
        ] {
            assert!(!local(host), "{host}");
        }
    }
}
