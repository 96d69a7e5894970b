//! The state one host shares between its handlers, behind named locks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use socketioxide::extract::AckSender;

use super::attachments::AttachmentStore;
use super::fanout::{Queue, RoomDelivery};
use super::registry::{Dialect, Posted, Registry};
use crate::limits::Limits;
use crate::protocol::{ErrorBody, ErrorKind, Message, SendMessage, LOBBY};
use crate::validate;

/// The Socket.IO room of every socket that speaks Banter's protocol: notices go there, not to tutorial pages.
pub const BANTER_SOCKETS: &str = "~banter";
/// The Socket.IO room of every socket that speaks only the tutorial's events.
pub const PLAIN_SOCKETS: &str = "~plain";

/// The Socket.IO room that carries a chat room's events. Prefixed so that no user-chosen room name can collide
/// with a socket id, a user room or the dialect rooms.
pub fn socket_room_of_room(room_name: &str) -> String {
    format!("room:{}", validate::name_key(room_name.trim()))
}

/// The Socket.IO room holding every connection of a user (the tutorial's per-user room), by the user's name key.
pub fn socket_room_of_user(user_name_key: &str) -> String {
    format!("user:{user_name_key}")
}

/// The Socket.IO room of the lobby.
pub fn lobby_socket_room() -> String {
    socket_room_of_room(LOBBY)
}

/// Shared state of one host: cheap to clone, every clone the same host.
#[derive(Debug, Clone)]
pub struct Hub(Arc<HubInner>);

#[derive(Debug)]
struct HubInner {
    registry: Mutex<Registry>,
    attachments: Mutex<AttachmentStore>,
    admin_token: String,
    /// Room messages on their way out (see `fanout`).
    fanout: Queue,
    /// Whether a `room:list` push is scheduled (see `chat::push_room_list_soon`).
    room_list_push_pending: AtomicBool,
}

impl Hub {
    pub fn new(limits: Limits, admin_token: String, fanout: Queue) -> Self {
        let attachments = AttachmentStore::new(limits.max_attachment_bytes, limits.attachment_store_bytes);
        Hub(Arc::new(HubInner {
            registry: Mutex::new(Registry::new(limits)),
            attachments: Mutex::new(attachments),
            admin_token,
            fanout,
            room_list_push_pending: AtomicBool::new(false),
        }))
    }

    /// The registry, locked. Never held across an `.await`: handlers lock, decide, unlock, then emit.
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock would poison it; the registry's methods leave it consistent at every
        // return, so carrying on with the inner value is safe and keeps the host serving everyone else.
        self.0.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Posts a room message and queues it for delivery unless it is a resend. It is queued while the registry is
    /// still locked, so that the queue's order is the order of the room's `seq`. A queued message takes `ack` with
    /// it: the author hears the ack after the room has the message, as when the handler broadcast it itself.
    pub fn post(
        &self,
        connection: &str,
        request: &SendMessage,
        attachment: Option<crate::protocol::Attachment>,
        ack: &mut Option<AckSender>,
    ) -> Result<Posted<Message>, ErrorBody> {
        let connection = connection.to_owned();
        let mut registry = self.registry();
        let posted = registry.post(&connection, request, attachment)?;
        if !posted.duplicate {
            let author_is_plain = registry.dialect(&connection) == Some(Dialect::Plain);
            let delivery = RoomDelivery { message: posted.message.clone(), author_is_plain, ack: ack.take() };
            if let Err(unsent) = self.0.fanout.send(delivery) {
                // Only while the host shuts down: the author hears that the message did not go out.
                tracing::warn!("the delivery task has stopped; a posted message was not delivered");
                *ack = unsent.0.ack;
                return Err(ErrorBody::new(
                    ErrorKind::Internal,
                    "The host is shutting down; the message was not sent.",
                ));
            }
        }
        Ok(posted)
    }

    pub fn attachments(&self) -> MutexGuard<'_, AttachmentStore> {
        self.0.attachments.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Claims the one pending `room:list` push; false if another is scheduled already.
    pub fn claim_room_list_push(&self) -> bool {
        !self.0.room_list_push_pending.swap(true, Ordering::AcqRel)
    }

    pub fn release_room_list_push(&self) {
        self.0.room_list_push_pending.store(false, Ordering::Release);
    }

    pub fn admin_token(&self) -> &str {
        &self.0.admin_token
    }

    /// Whether a presented admin token is the host's, compared in time independent of where they differ.
    pub fn admin_token_matches(&self, presented: &str) -> bool {
        let expected = self.0.admin_token.as_bytes();
        let presented = presented.as_bytes();
        expected.len() == presented.len()
            && expected.iter().zip(presented).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
    }
}
