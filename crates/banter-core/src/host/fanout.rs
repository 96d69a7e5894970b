//! Room messages leave the host through one queue and one task, in the order they were posted.
//!
//! socketioxide runs every event handler in a task of its own, so handlers that broadcast for themselves can
//! overtake each other between numbering a message and sending it: receivers then saw a room's `seq` out of order.
//! Handlers queue while they still hold the registry lock that numbers the message, so the queue's order is the
//! order of `seq`, and this one task broadcasts in that order. It takes whatever has gathered and broadcasts it
//! back to back; docs/BENCHMARKS.md found that neither faster nor slower than broadcasting from each handler.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use socketioxide::extract::AckSender;
use socketioxide::{BroadcastError, SocketIo};
use tokio::sync::mpsc;

use super::hub::{socket_room_of_room, PLAIN_SOCKETS};
use crate::protocol::{event, Ack, Message, LOBBY};
use crate::validate;

/// The most messages broadcast in one batch before the task lets the writers run.
const BATCH: usize = 256;

/// A posted room message on its way out.
pub struct RoomDelivery {
    pub message: Message,
    /// Whether the author speaks only the tutorial's events: their name is then not put in front of the plain
    /// `chat message` text, as the tutorial's own page shows it.
    pub author_is_plain: bool,
    /// The author's ack, sent once the room has the message.
    pub ack: Option<AckSender>,
}

impl std::fmt::Debug for RoomDelivery {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RoomDelivery")
            .field("message", &self.message)
            .field("author_is_plain", &self.author_is_plain)
            .field("ack", &self.ack.is_some())
            .finish()
    }
}

pub type Queue = mpsc::UnboundedSender<RoomDelivery>;

/// The queue, unbounded. What bounds it is the rate messages can be posted at: each socket's request budget
/// (`Limits::requests_per_second`) times the sockets, against a task that broadcasts hundreds of thousands of
/// messages a second; an entry is one message, a few hundred bytes.
pub fn queue() -> (Queue, mpsc::UnboundedReceiver<RoomDelivery>) {
    mpsc::unbounded_channel()
}

/// Broadcasts queued messages until every sender is gone or the task is aborted with its host.
pub async fn run(io: SocketIo, mut queue: mpsc::UnboundedReceiver<RoomDelivery>) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        for delivery in batch.drain(..) {
            deliver(&io, &delivery).await;
            if let Some(ack) = delivery.ack {
                if let Err(error) = ack.send(&Ack::<&Message>::Data(&delivery.message)) {
                    tracing::warn!(%error, "could not send an ack");
                }
            }
        }
    }
}

/// A room message goes to the room's Banter sockets; a lobby message also reaches tutorial pages as the plain
/// `chat message` string they understand, with the author's name in front when the author has one.
async fn deliver(io: &SocketIo, delivery: &RoomDelivery) {
    let message = &delivery.message;
    // The local adapter's broadcast is ready at once: awaiting it does not yield to the writers mid-batch.
    if let Err(error) = io.to(socket_room_of_room(&message.room)).emit(event::MESSAGE_NEW, message).await {
        report_broadcast_failure(event::MESSAGE_NEW, &error);
    }
    if validate::name_key(&message.room) == LOBBY {
        let text =
            if delivery.author_is_plain { message.text.clone() } else { format!("{}: {}", message.from, message.text) };
        if let Err(error) = io.to(PLAIN_SOCKETS).emit(event::CHAT_MESSAGE, &text).await {
            report_broadcast_failure(event::CHAT_MESSAGE, &error);
        }
    }
}

/// Logs that a broadcast missed some sockets (their queues were full or they had just closed), at most once a
/// second: an overloaded host would otherwise write a line naming every lagging socket for every message, and
/// spend its time logging instead of catching up.
pub fn report_broadcast_failure(event: &str, error: &BroadcastError) {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    static LAST_SECOND: AtomicU64 = AtomicU64::new(u64::MAX);
    let second = EPOCH.get_or_init(Instant::now).elapsed().as_secs();
    if LAST_SECOND.swap(second, Ordering::Relaxed) == second {
        return;
    }
    match error {
        BroadcastError::Socket(errors) => {
            tracing::warn!(
                event,
                sockets = errors.len(),
                "a broadcast missed sockets whose queues were full or closed"
            );
        }
        other => tracing::warn!(event, error = %other, "a broadcast failed"),
    }
}
