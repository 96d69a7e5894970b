//! A download of a file whose bytes are on another host of the cluster (docs/SCALING.md): this host asks that one,
//! with the client's `Range`, and streams its answer through, headers and all, so that every client downloads any
//! file from whichever host it is connected to, resuming as it would from the holder itself.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};

use super::http::RELAYED;
use crate::protocol::{ErrorBody, ErrorKind};

/// How long the holder has to start answering; the bytes then take as long as they take.
const HOLDER_ANSWERS_WITHIN: Duration = Duration::from_secs(10);

/// What the client asked that the holder needs to answer the same way.
const ASKED: [HeaderName; 3] = [header::RANGE, header::IF_RANGE, header::IF_NONE_MATCH];
/// What the holder answered that the client needs.
const ANSWERED: [HeaderName; 10] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_RANGE,
    header::ACCEPT_RANGES,
    header::ETAG,
    header::LAST_MODIFIED,
    header::CONTENT_DISPOSITION,
    header::CACHE_CONTROL,
    header::CONTENT_SECURITY_POLICY,
    header::X_CONTENT_TYPE_OPTIONS,
];

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(HOLDER_ANSWERS_WITHIN)
            // The holder's own answer is passed on as it is: a redirect is not followed to somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// Streams file `id` from the host at `holder` (a base URL), as asked in `headers`.
pub(super) async fn relay(holder: &str, id: &str, headers: &HeaderMap) -> Response {
    let url = format!("{}/files/{id}", holder.trim_end_matches('/'));
    let mut asking = client().get(&url).header(RELAYED, "1");
    for name in ASKED {
        if let Some(value) = headers.get(&name) {
            asking = asking.header(name, value);
        }
    }
    let answer = match tokio::time::timeout(HOLDER_ANSWERS_WITHIN, asking.send()).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => return unreachable(holder, &error.to_string()),
        Err(_) => return unreachable(holder, "no answer in time"),
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for name in ANSWERED {
        if let Some(value) = answer.headers().get(&name) {
            response = response.header(name, value);
        }
    }
    response.body(Body::from_stream(answer.bytes_stream())).unwrap_or_else(|error| {
        tracing::warn!(%error, "could not pass on a file from another host");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

fn unreachable(holder: &str, why: &str) -> Response {
    tracing::warn!(%holder, %why, "the host that has a file's bytes cannot be reached");
    let error = ErrorBody::new(
        ErrorKind::NotFound,
        format!(
            "This file was sent through another host of this chat, which cannot be reached now ({why}); try again \
             later."
        ),
    );
    (StatusCode::BAD_GATEWAY, axum::Json(crate::protocol::Ack::<()>::Error(error))).into_response()
}
