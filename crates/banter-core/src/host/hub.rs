//! The state one host shares between its handlers, behind named locks.

use std::sync::{Arc, Mutex, MutexGuard};

use super::attachments::AttachmentStore;
use super::registry::Registry;
use crate::limits::Limits;
use crate::protocol::LOBBY;
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
}

impl Hub {
    pub fn new(limits: Limits, admin_token: String) -> Self {
        let attachments = AttachmentStore::new(limits.max_attachment_bytes, limits.attachment_store_bytes);
        Hub(Arc::new(HubInner {
            registry: Mutex::new(Registry::new(limits)),
            attachments: Mutex::new(attachments),
            admin_token,
        }))
    }

    /// The registry, locked. Never held across an `.await`: handlers lock, decide, unlock, then emit.
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock would poison it; the registry's methods leave it consistent at every
        // return, so carrying on with the inner value is safe and keeps the host serving everyone else.
        self.0.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn attachments(&self) -> MutexGuard<'_, AttachmentStore> {
        self.0.attachments.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
