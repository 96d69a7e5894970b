//! The chat namespace's handlers: extract, call the registry, write to the store, emit.
//!
//! Every handler follows the same order: spend from the socket's request budget, decode the payload (a wrong shape
//! is answered with `bad_request`, never ignored), lock the registry for one decision, unlock, then write and
//! emit. Failed emits are logged; nothing a client sends can make a handler panic or affect another socket's
//! requests.
//!
//! socketioxide runs every handler in a task of its own, so two requests from one socket could be handled in either
//! order. Those whose order matters (posts, joins, leaves) take an `InOrder` ticket and wait for their turn
//! (`turns.rs`).

mod actions;
mod files;
mod messages;
mod rooms;
mod search;
mod session;

use std::time::Instant;

use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;

pub use rooms::push_room_list_soon;
pub(crate) use session::reap;
pub use session::Refusal;

use super::Hub;
use crate::protocol::{Ack, ErrorBody, ErrorKind, CHAT_NAMESPACE};

/// Registers the chat namespace; a remote adapter's answer says when it is ready to broadcast.
pub fn register<A: Adapter + socketioxide_core::adapter::DefinedAdapter>(io: &SocketIo<A>) -> A::InitRes {
    io.ns(CHAT_NAMESPACE, session::on_connect.with(session::check_handshake))
}

/// Registers the handlers of an admitted socket.
fn listen<A: Adapter>(socket: &SocketRef<A>) {
    session::listen(socket);
    rooms::listen(socket);
    messages::listen(socket);
    actions::listen(socket);
    files::listen(socket);
    search::listen(socket);
}

fn budget(hub: &Hub, connection: &str) -> Result<(), ErrorBody> {
    hub.registry().spend_request(&connection.to_owned(), Instant::now())
}

fn bad_request(error: impl std::fmt::Display) -> ErrorBody {
    ErrorBody::new(ErrorKind::BadRequest, format!("The payload does not have the expected shape: {error}"))
}

/// A room a connection reads a page of (`history:page`, `history:changes`): its key and name, if the connection is in
/// it, and the page's size, at most `limits.historyPage`.
fn room_to_read(
    hub: &Hub,
    connection: &str,
    room: &str,
    limit: Option<u32>,
) -> Result<(crate::keys::RoomKey, String, usize), ErrorBody> {
    let registry = hub.registry();
    let (key, name) = registry.is_in(&connection.to_owned(), room)?;
    let limit = limit.map_or(usize::MAX, |limit| limit as usize).min(registry.limits().history_page);
    Ok((key, name, limit))
}

/// The answer to a read of a room deleted since the registry let it through.
fn room_gone(room: &str) -> ErrorBody {
    ErrorBody::new(ErrorKind::NotFound, format!("There is no room called “{room}” any more."))
}

/// Answers a request with `{data}` or `{error}`; a client that asked for no ack gets nothing.
pub(super) fn reply<A: Adapter, T: Serialize>(ack: AckSender<A>, result: Result<T, ErrorBody>) {
    if let Err(error) = ack.send(&Ack::from(result)) {
        tracing::warn!(%error, "could not send an ack");
    }
}

fn emit_to_socket<A: Adapter, T: Serialize + ?Sized>(socket: &SocketRef<A>, name: &str, data: &T) {
    if let Err(error) = socket.emit(name, data) {
        tracing::warn!(socket = %socket.id, event = name, %error, "emit failed");
    }
}

async fn broadcast<A: Adapter, T: Serialize + ?Sized>(
    operators: socketioxide::operators::BroadcastOperators<A>,
    name: &str,
    data: &T,
) {
    if let Err(error) = operators.emit(name, data).await {
        super::delivery::report_broadcast_failure(name, &error);
    }
}

/// Broadcasts to these Socket.IO rooms of the chat namespace, unless the host has closed it.
async fn broadcast_to<A: Adapter, T: Serialize + ?Sized>(io: &SocketIo<A>, rooms: Vec<String>, name: &str, data: &T) {
    match super::hub::to_rooms(io, rooms) {
        Some(operators) => broadcast(operators, name, data).await,
        None => tracing::debug!(event = name, "not broadcast: the host has closed"),
    }
}
