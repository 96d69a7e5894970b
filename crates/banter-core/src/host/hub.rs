//! The state one host shares between its handlers, behind named locks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::operators::BroadcastOperators;
use socketioxide::SocketIo;

use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use super::access::AccessCode;
use super::delivery::{Answer, Delivery, Outcome, Queue};
use super::files::Files;
use super::gate::Gate;
use super::registry::{Admitted, ConnectionId, Dialect, Registry};
use super::turns::Queues;
use crate::keys::{RoomKey, UserId};
use crate::protocol::{ErrorBody, ErrorKind, Message, SendDirect, SendMessage, CHAT_NAMESPACE};
use crate::store::{Post, RoomChange, Store, StoreError};

/// The Socket.IO room of every socket that speaks Banter's protocol: notices go there, not to tutorial pages.
pub const BANTER_SOCKETS: &str = "~banter";
/// The Socket.IO room of every socket that speaks only the tutorial's events.
pub const PLAIN_SOCKETS: &str = "~plain";

/// The Socket.IO room that carries a chat room's events. Prefixed so that no user-chosen room name can collide
/// with a socket id, a user room or the dialect rooms.
pub fn socket_room_of_room(room: &RoomKey) -> String {
    format!("room:{room}")
}

/// The Socket.IO room holding every connection of a user (the tutorial's per-user room), by the user's id.
pub fn socket_room_of_user(user: &UserId) -> String {
    format!("user:{user}")
}

/// The Socket.IO room of the lobby.
pub fn lobby_socket_room() -> String {
    socket_room_of_room(&RoomKey::lobby())
}

/// The chat namespace's operators for these Socket.IO rooms, or `None` once the host has closed it: work that
/// finishes during a shutdown (a departure, a delayed room list) must not reach `SocketIo::to`, which panics then.
pub fn to_rooms<A: Adapter>(io: &SocketIo<A>, rooms: Vec<String>) -> Option<BroadcastOperators<A>> {
    io.of(CHAT_NAMESPACE).map(|chat| chat.to(rooms))
}

/// What a client hears when the store could not keep something.
pub fn storage_refusal(error: &StoreError, what: &str) -> ErrorBody {
    match error {
        StoreError::Full => ErrorBody::new(
            ErrorKind::StorageFull,
            format!("The host's disk is full, so {what} could not be kept. Try again once its owner has made room."),
        ),
        StoreError::Unavailable(reason) => {
            tracing::warn!(%reason, "the chat's server cannot be reached");
            ErrorBody::new(
                ErrorKind::StorageUnavailable,
                format!(
                    "The host cannot reach the chat's server right now, so {what} was not kept. Try again in a \
                     moment: it is kept once the server is back."
                ),
            )
        }
        other => {
            tracing::error!(error = %other, "the store failed");
            ErrorBody::new(ErrorKind::Internal, format!("The host could not keep {what}; its log says why."))
        }
    }
}

/// What a host asks of people before letting them in.
#[derive(Debug)]
pub struct Secrets {
    /// The `/admin` namespace's token.
    pub admin_token: String,
    /// The chat's access code, if it has one.
    pub access_code: Option<AccessCode>,
}

/// Shared state of one host: cheap to clone, every clone the same host.
#[derive(Debug, Clone)]
pub struct Hub(Arc<HubInner>);

#[derive(Debug)]
struct HubInner {
    registry: Mutex<Registry>,
    store: Arc<dyn Store>,
    /// Shared files and the uploads under way (see `files`).
    files: Arc<Files>,
    host_id: String,
    secrets: Secrets,
    /// Posts on their way to the store and then out (see `delivery`).
    deliveries: Queue,
    /// Whether a `room:list` push is scheduled (see `chat::rooms::push_room_list_soon`).
    room_list_push_pending: AtomicBool,
    /// Each socket's requests in the order they arrived (see `turns`).
    turns: Queues,
    /// Admissions made by the connect middleware, waiting for their socket's connect handler.
    admissions: Mutex<HashMap<ConnectionId, Admitted>>,
    /// What each source address may open (see `gate`).
    gate: Arc<Gate>,
}

impl Hub {
    pub fn new(
        registry: Registry,
        store: Arc<dyn Store>,
        files: Arc<Files>,
        host_id: String,
        secrets: Secrets,
        deliveries: Queue,
        gate: Arc<Gate>,
    ) -> Self {
        Hub(Arc::new(HubInner {
            registry: Mutex::new(registry),
            store,
            files,
            host_id,
            secrets,
            deliveries,
            room_list_push_pending: AtomicBool::new(false),
            turns: Queues::default(),
            admissions: Mutex::default(),
            gate,
        }))
    }

    /// The registry, locked. Never held across an `.await`, and no storage is touched under it: handlers lock,
    /// decide, unlock, then write and emit.
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock would poison it; the registry's methods leave it consistent at every
        // return, so carrying on with the inner value is safe and keeps the host serving everyone else.
        self.0.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn store(&self) -> &dyn Store {
        self.0.store.as_ref()
    }

    pub fn files(&self) -> &Arc<Files> {
        &self.0.files
    }

    pub fn host_id(&self) -> &str {
        &self.0.host_id
    }

    pub fn turns(&self) -> &Queues {
        &self.0.turns
    }

    /// Leaves an admission for the socket's connect handler.
    pub fn admitted(&self, connection: &str, admitted: Admitted) {
        self.0
            .admissions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(connection.to_owned(), admitted);
    }

    pub fn take_admitted(&self, connection: &str) -> Option<Admitted> {
        self.0.admissions.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(connection)
    }

    /// Queues a room message for the store and then the room. The ack goes with it: the author hears it only once
    /// the message is kept and the room has it.
    pub fn post_room<A: Adapter>(
        &self,
        connection: &ConnectionId,
        request: &SendMessage,
        ack: &mut Option<AckSender<A>>,
    ) -> Result<(), ErrorBody> {
        let (post, author_is_plain) = {
            let registry = self.registry();
            (registry.room_post(connection, request)?, registry.dialect(connection) == Some(Dialect::Plain))
        };
        self.queue(Post::Room(post), author_is_plain, ack)
    }

    /// Queues a direct message, as [`Hub::post_room`] does.
    pub fn post_direct<A: Adapter>(
        &self,
        connection: &ConnectionId,
        request: &SendDirect,
        ack: &mut Option<AckSender<A>>,
    ) -> Result<(), ErrorBody> {
        let post = self.registry().direct_post(connection, request)?;
        self.queue(Post::Direct(post), false, ack)
    }

    /// Queues a change to a message behind the posts before it, so that it never overtakes the message it changes.
    pub fn post_change<A: Adapter>(
        &self,
        change: impl Into<Post>,
        ack: &mut Option<AckSender<A>>,
    ) -> Result<(), ErrorBody> {
        self.queue(change.into(), false, ack)
    }

    /// Queues a change made in process (the desktop app's owner), and waits for its answer.
    pub async fn change_locally(&self, change: RoomChange) -> Result<Message, ErrorBody> {
        let (local, answer) = oneshot::channel();
        let delivery = Delivery { post: Post::Change(change), author_is_plain: false, ack: None, local: Some(local) };
        let stopped = || ErrorBody::new(ErrorKind::Internal, "The host is shutting down; nothing was changed.");
        self.0.deliveries.send(delivery).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    fn queue<A: Adapter>(
        &self,
        post: Post,
        author_is_plain: bool,
        ack: &mut Option<AckSender<A>>,
    ) -> Result<(), ErrorBody> {
        let delivery = Delivery { post, author_is_plain, ack: ack.take().map(Answer::new), local: None };
        if let Err(unsent) = self.0.deliveries.send(delivery) {
            // Only while the host shuts down: the author hears that the message was not kept, from here (the ack
            // went with the post).
            tracing::warn!("the delivery task has stopped; a posted message was not kept");
            let refusal = ErrorBody::new(ErrorKind::Internal, "The host is shutting down; the message was not sent.");
            if let Some(answer) = unsent.0.ack {
                answer.send(Outcome::Refused(refusal.clone()));
            }
            return Err(refusal);
        }
        Ok(())
    }

    /// Claims the one pending `room:list` push; false if another is scheduled already.
    pub fn claim_room_list_push(&self) -> bool {
        !self.0.room_list_push_pending.swap(true, Ordering::AcqRel)
    }

    pub fn release_room_list_push(&self) {
        self.0.room_list_push_pending.store(false, Ordering::Release);
    }

    pub fn admin_token(&self) -> &str {
        &self.0.secrets.admin_token
    }

    pub fn access_code(&self) -> Option<&AccessCode> {
        self.0.secrets.access_code.as_ref()
    }

    /// Whether a presented admin token is the host's, compared in time independent of where they differ.
    pub fn admin_token_matches(&self, presented: &str) -> bool {
        bool::from(self.0.secrets.admin_token.as_bytes().ct_eq(presented.as_bytes()))
    }

    pub fn gate(&self) -> &Arc<Gate> {
        &self.0.gate
    }

    /// The address a socket's session came from, which no longer counts as unfinished: it has asked to join a
    /// namespace, and whatever the answer, a refusal ends it.
    pub fn session_joined<A: Adapter>(&self, socket: &SocketRef<A>) -> Option<IpAddr> {
        let peer = super::listen::peer_of(&socket.req_parts().extensions)?;
        self.0.gate.session_joined(peer.ip());
        Some(peer.ip())
    }

    /// Counts a secret (`what`: "admin tokens", "access codes") presented from `from`, `right` or not. While the
    /// address is out of guesses every attempt is refused as `rate_limited`, the right one included; otherwise
    /// the answer is whether it was right, and a wrong one spends a guess and is logged.
    pub fn try_secret(&self, from: Option<IpAddr>, right: bool, what: &str) -> Result<bool, ErrorBody> {
        let Some(from) = from else { return Ok(right) };
        let now = std::time::Instant::now();
        if let Err(wait) = self.0.gate.may_try_secret(from, now) {
            let seconds = wait.as_secs() + 1;
            return Err(ErrorBody::new(
                ErrorKind::RateLimited,
                format!("Too many wrong {what} from your address; try again in {seconds} s."),
            ));
        }
        if !right {
            self.0.gate.secret_failed(from, now);
            if let Some(unlogged) = self.0.gate.log_refusal(from, now) {
                tracing::warn!(%from, unlogged, "refused wrong {what}");
            }
        }
        Ok(right)
    }
}
