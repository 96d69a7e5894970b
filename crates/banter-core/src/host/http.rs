//! The host's plain HTTP routes beside Socket.IO: health and attachments.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
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
