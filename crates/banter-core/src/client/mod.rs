//! The client: joins a Banter host (or any Socket.IO v4 server) and keeps the conversation going.
//!
//! [`Client::connect`] returns at once with a handle and a typed stream of [`ClientEvent`]s; a supervisor task owns
//! the rust_socketio connection. It retries the first connection and reconnects after a drop with backoff, and
//! after each connect it follows the contract docs/PROTOCOL.md writes down for every Banter client:
//!
//! 1. rejoin the rooms it was in, each with the last `seq` it has, and page through what it missed;
//! 2. then send what is queued, in order, one request at a time.
//!
//! Every message gets a client id and stays queued until the host acknowledges it (which the host does only once
//! the message is kept), so a message sent while disconnected is delivered after the reconnect, once: the host
//! answers a resent client id with the original. Every message is reported once and in its conversation's order
//! ([`cursor`]). Requests go out one at a time, because rust_socketio picks ack ids at random from 0..999 and two
//! in flight could share one.
//!
//! Against a plain Socket.IO server that never sends `session:welcome`, the client falls back to the tutorial's
//! `chat message`: lobby messages go out as plain strings and plain strings come in as [`ClientEvent::Plain`].

mod connection;
mod cursor;
mod direct;
mod inbound;
mod revisions;
mod supervisor;
pub mod transfer;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::Rng;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};
use url::Url;

use crate::address::{self, AddressError};
use crate::keys::Seq;
use crate::limits::Limits;
use crate::protocol::{
    Attachment, BeginUpload, ChangesRequest, Closing, DirectChangesRequest, DirectHistoryRequest, DirectMessage,
    DirectReadMark, DirectRef, EditDirect, EditMessage, ErrorBody, ErrorKind, FileInfo, HistoryPage, HistoryRequest,
    MemberJoined, MemberLeft, Message, MessageRef, NotifyLevel, NotifySetting, ReactDirect, ReactMessage, ReadMark,
    RoomInfo, RoomJoined, RoomLeft, RoomRequest, SearchRequest, SearchResults, SendDirect, SendMessage, TypingUpdate,
    UploadTicket, UserInfo, Welcome,
};
use crate::validate;

/// How a client connects and how patient it is.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// What the user typed: `host`, `host:port` or an `http://` URL; or several, separated by commas, for the hosts
    /// of one cluster: the client connects to the first that answers, and to the next when that one is lost.
    pub address: String,
    pub name: String,
    /// Identifies this user across connections, and holds the name on the host: the first user to take a name
    /// binds it to their key. Without one the client joins as a guest, whose name is its own only while it is
    /// connected (and is refused if someone holds it); keep a key to stay the same person after a restart.
    pub user_key: Option<String>,
    /// The host's access code, for hosts that require one.
    pub access_code: Option<String>,
    /// How long one connection attempt may take, transport and namespace together.
    pub connect_timeout: Duration,
    /// Stop retrying the first connection after this long (`None`: keep trying). Reconnects after a drop keep
    /// trying until the client is closed.
    pub give_up_after: Option<Duration>,
    /// How long a request may wait for its ack before the connection is considered dead.
    pub request_timeout: Duration,
    /// How long to wait for `session:welcome` before treating the server as a plain Socket.IO server.
    pub welcome_timeout: Duration,
    /// How often an idle connection is probed with `session:ping`, to notice a host that vanished silently.
    pub ping_interval: Duration,
    /// Delay before the first retry, doubled up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Messages and requests that may wait for a connection; past it, sending fails at once.
    pub outbox_limit: usize,
}

impl ClientConfig {
    pub fn new(address: impl Into<String>, name: impl Into<String>) -> Self {
        ClientConfig {
            address: address.into(),
            name: name.into(),
            user_key: None,
            access_code: None,
            connect_timeout: Duration::from_secs(5),
            give_up_after: None,
            request_timeout: Duration::from_secs(10),
            welcome_timeout: Duration::from_secs(2),
            ping_interval: Duration::from_secs(10),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
            outbox_limit: 1000,
        }
    }
}

/// What kind of server the client is talking to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// A Banter host: rooms, presence, direct messages.
    Banter,
    /// A plain Socket.IO server that knows only the tutorial's `chat message`.
    Plain,
}

/// The connection's state, reported as it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Trying to connect for the first time (attempt 1, 2, …).
    Connecting {
        attempt: u32,
    },
    Connected {
        server: ServerKind,
    },
    /// The connection dropped; the next attempt starts after `retry_in`.
    Reconnecting {
        attempt: u32,
        retry_in: Duration,
        reason: String,
        /// The host said it was ending the chat (it stopped on purpose): the client waits quietly for it to come
        /// back rather than reporting every attempt as a failure.
        ended_by_host: bool,
    },
    /// The client stopped for good: closed by its owner (no `error`), kicked, refused, or given up.
    Closed {
        reason: String,
        error: Option<ClientError>,
    },
}

/// Everything a client hears, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    State(ConnectionState),
    /// The host admitted this connection (on every connect and reconnect). Its `history` holds only the lobby
    /// messages not reported before. A `host_id` other than the last one means a different host (or a wiped
    /// one): what was shown of the old one no longer exists.
    Welcome(Welcome),
    /// A message in a room this client is in (its own included).
    Message(Message),
    /// A message of a room this client is in changed (edited, deleted, reacted to, replied to), as it happened or
    /// fetched after a reconnect: it carries the message as it is now. Keep it only if its `rev` is higher than
    /// that of the copy shown; a message not shown can be ignored (a page that brings it brings it as it is).
    Changed(Message),
    /// A direct message to or from this user (its own included, from any of its connections).
    Direct(DirectMessage),
    /// A direct message changed, as [`ClientEvent::Changed`] says of a room's.
    DirectChanged(DirectMessage),
    /// How far this user has read a direct conversation now, marked on this device or another.
    DirectRead(DirectReadMark),
    /// Messages of a room that this client missed (while away, or lost on the way), oldest first, fetched after
    /// a join: each is reported once, before any later message of the room.
    MissedMessages {
        room: String,
        messages: Vec<Message>,
    },
    /// Direct messages this client missed in a conversation, oldest first.
    MissedDirects {
        with: String,
        messages: Vec<DirectMessage>,
    },
    /// The host's owner deleted a room and its history; this client is no longer in it.
    RoomDeleted(String),
    /// How far this user has read a room now, marked on this device or another.
    Read(ReadMark),
    /// Which messages of a room notify this user now, set on this device or another.
    NotifyChanged(NotifySetting),
    /// The host acknowledged one of this client's sends.
    Delivered {
        client_id: String,
    },
    /// The host could not keep one of this client's sends now (a cluster's host that cannot reach its server:
    /// `storage_unavailable`); the client sends it again by itself, and [`ClientEvent::Delivered`] follows once it
    /// is kept. Reported once per send, and again after it is delivered.
    Held {
        client_id: String,
        error: ErrorBody,
    },
    /// The host refused one of this client's sends; it will not be retried.
    SendFailed {
        client_id: String,
        error: ErrorBody,
    },
    /// The client (re)joined a room; carries the room's members and the history it had not reported yet (the
    /// newest messages on a first join; what came after its last one on a rejoin, continued by
    /// [`ClientEvent::MissedMessages`]).
    Joined(RoomJoined),
    MemberJoined(MemberJoined),
    MemberLeft(MemberLeft),
    UserOnline(UserInfo),
    UserOffline(UserInfo),
    Rooms(Vec<RoomInfo>),
    Typing(TypingUpdate),
    /// A tutorial `chat message` string (only from plain servers; a Banter host sends [`ClientEvent::Message`]).
    Plain(String),
    /// A tutorial `private message` sent to this socket's id.
    PrivateMessage {
        from_socket: String,
        text: String,
    },
    /// The host is closing this connection, and why.
    Closing(Closing),
}

/// What went wrong, classified so that a UI can switch on [`ClientError::kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The host refused this client (name taken, invalid name) or a request (with its reason).
    #[error("{0}")]
    Refused(ErrorBody),
    #[error("Could not reach the host: {0}")]
    Unreachable(String),
    #[error("The host did not answer in time.")]
    Timeout,
    #[error("The server is a plain Socket.IO server; it does not support {0}.")]
    Unsupported(&'static str),
    #[error("{0} messages are already waiting to be sent; wait for the connection to come back.")]
    OutboxFull(usize),
    #[error("The client is closed.")]
    Closed,
}

impl ClientError {
    /// A stable name for the kind of error, for UIs and logs: the wire's [`ErrorKind`] for refusals.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Address(_) => "invalid_address",
            ClientError::Refused(body) => body.kind.as_str(),
            ClientError::Unreachable(_) => "unreachable",
            ClientError::Timeout => "timeout",
            ClientError::Unsupported(_) => "unsupported",
            ClientError::OutboxFull(_) => "outbox_full",
            ClientError::Closed => "closed",
        }
    }
}

/// A request waiting in the outbox.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub request: Request,
    /// Who is waiting for the answer, if anyone; sends report through events instead.
    pub reply: Option<oneshot::Sender<Result<serde_json::Value, ClientError>>>,
    pub origin: Origin,
    /// Sessions that dropped while this was in flight.
    pub attempts: u32,
}

#[derive(Debug, Clone)]
pub(crate) enum Request {
    Send(SendMessage),
    Direct(SendDirect),
    /// `after_seq` and `after_rev` are filled in from the room's cursors when the request goes out.
    Join {
        room: String,
        create: bool,
        after_seq: Option<Seq>,
        after_rev: Option<u64>,
    },
    Leave {
        room: String,
    },
    History(HistoryRequest),
    DirectHistory(DirectHistoryRequest),
    /// What changed in a room after a change number (only the supervisor, catching up).
    Changes(ChangesRequest),
    Edit(EditMessage),
    Delete(MessageRef),
    React(ReactMessage),
    Search(SearchRequest),
    Read(ReadMark),
    Notify(NotifySetting),
    DirectEdit(EditDirect),
    DirectDelete(DirectRef),
    DirectReact(ReactDirect),
    /// What changed in a conversation after a change number (only the supervisor, catching up).
    DirectChanges(DirectChangesRequest),
    DirectRead(DirectReadMark),
    FileBegin(BeginUpload),
}

/// Who queued a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The client's owner.
    User,
    /// The supervisor, rejoining a room after a reconnect.
    Rejoin,
    /// The supervisor, joining a room this client was in on a host that does not know it (a wiped or ephemeral
    /// host at the same address): the room is made again, so that what was queued for it is delivered.
    Recreate,
    /// The supervisor, fetching what a conversation missed.
    CatchUp,
}

#[derive(Debug)]
pub(crate) enum Command {
    Enqueue(Outgoing),
    Typing { room: String, active: bool },
    Upload { bytes: Bytes, reply: oneshot::Sender<Result<Attachment, ClientError>> },
    Flush { done: oneshot::Sender<Result<(), ClientError>> },
    Close { done: oneshot::Sender<()> },
}

/// A handle on a running client; cheap to clone. The connection closes when [`Client::close`] is called or the
/// last handle is dropped.
#[derive(Debug, Clone)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    /// The host this client is connected to, or last tried.
    host: Arc<std::sync::Mutex<Url>>,
    /// How long a request waits for its answer, disconnections included.
    request_limit: Duration,
}

/// The stream of [`ClientEvent`]s of one client.
pub type ClientEvents = mpsc::Receiver<ClientEvent>;

impl Client {
    /// Checks the address and name, then starts connecting in the background.
    pub fn connect(config: ClientConfig) -> Result<(Client, ClientEvents), ClientError> {
        let urls = address::parse_host_addresses(&config.address)?;
        let host = Arc::new(std::sync::Mutex::new(urls[0].clone()));
        let limits = Limits::default();
        let name = validate::display_name(&config.name, limits.max_name_chars).map_err(ClientError::Refused)?;
        // A guest still sends a key, made for this client's lifetime and marked as a guest's: it binds no name, but
        // lets the host recognise this client's resends after a reconnect.
        let (user_key, guest) = match &config.user_key {
            Some(key) => (key.clone(), false),
            None => (format!("{:032x}", rand::thread_rng().gen::<u128>()), true),
        };
        let (commands, command_receiver) = mpsc::channel(256);
        let (event_sender, events) = mpsc::channel(4096);
        // Long enough to ride out a reconnect, short enough that a caller is never stuck.
        let request_limit = config.request_timeout.saturating_mul(3);
        let settings = supervisor::Settings { urls, host: Arc::clone(&host), name, user_key, guest, config };
        tokio::spawn(supervisor::run(settings, command_receiver, event_sender));
        Ok((Client { commands, host, request_limit }, events))
    }

    /// The base URL of the host this client is connected to (or last tried): where its uploads go, since a host
    /// takes uploads from its own sessions only.
    pub fn host_url(&self) -> Url {
        self.host.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Queues a message to a room and returns its client id; [`ClientEvent::Delivered`] or
    /// [`ClientEvent::SendFailed`] with that id follows.
    pub async fn send_message(&self, room: &str, text: &str) -> Result<String, ClientError> {
        self.send_message_with(room, text, None).await
    }

    /// Like [`Client::send_message`], with an attachment from [`Client::upload_image`].
    pub async fn send_message_with(
        &self,
        room: &str,
        text: &str,
        attachment: Option<&Attachment>,
    ) -> Result<String, ClientError> {
        self.post(room, text, attachment.map(|attachment| attachment.id.clone()), None, None).await
    }

    /// Queues a message that carries a shared file this user uploaded (see [`Client::begin_upload`]); reports like
    /// [`Client::send_message`]. `text` may be empty.
    pub async fn send_file(&self, room: &str, text: &str, file: &FileInfo) -> Result<String, ClientError> {
        self.post(room, text, None, None, Some(file.id.clone())).await
    }

    /// Begins (or takes up again) the upload of a file; the bytes go over HTTP to the ticket's path.
    pub async fn begin_upload(&self, request: BeginUpload) -> Result<UploadTicket, ClientError> {
        self.request(Request::FileBegin(request)).await
    }

    /// Queues a reply to message `reply_to` of a room; reports like [`Client::send_message`].
    pub async fn send_reply(&self, room: &str, reply_to: Seq, text: &str) -> Result<String, ClientError> {
        self.post(room, text, None, Some(reply_to), None).await
    }

    /// Queues a `message:send` under a new client id, which it returns.
    async fn post(
        &self,
        room: &str,
        text: &str,
        attachment: Option<String>,
        reply_to: Option<Seq>,
        file: Option<String>,
    ) -> Result<String, ClientError> {
        check_text(text, attachment.is_some() || file.is_some())?;
        let client_id = new_client_id();
        let request = SendMessage {
            room: room.to_owned(),
            text: text.to_owned(),
            client_id: Some(client_id.clone()),
            attachment,
            reply_to,
            file,
        };
        self.enqueue(Request::Send(request), None).await?;
        Ok(client_id)
    }

    /// Replaces the text of one of this user's messages; answers the message as it is now. Queued like a message,
    /// so it never overtakes the message it edits.
    pub async fn edit_message(&self, room: &str, seq: Seq, text: &str) -> Result<Message, ClientError> {
        check_text(text, false)?;
        self.request(Request::Edit(EditMessage { room: room.to_owned(), seq, text: text.to_owned() })).await
    }

    /// Deletes one of this user's messages; answers its tombstone.
    pub async fn delete_message(&self, room: &str, seq: Seq) -> Result<Message, ClientError> {
        self.request(Request::Delete(MessageRef { room: room.to_owned(), seq })).await
    }

    /// Adds this user's reaction to a message (`on`), or takes it back; answers the message as it is now.
    pub async fn react(&self, room: &str, seq: Seq, emoji: &str, on: bool) -> Result<Message, ClientError> {
        let request = ReactMessage { room: room.to_owned(), seq, emoji: emoji.to_owned(), on };
        self.request(Request::React(request)).await
    }

    /// Tells the host this user has read `room` up to message `seq`; their other devices hear it as
    /// [`ClientEvent::Read`]. Queued like a message; answers the mark the host kept (marks never move back).
    pub async fn mark_read(&self, room: &str, seq: Seq) -> Result<ReadMark, ClientError> {
        self.request(Request::Read(ReadMark { room: room.to_owned(), seq })).await
    }

    /// Sets which messages of `room` notify this user, on all their devices (they hear it as
    /// [`ClientEvent::NotifyChanged`]). Answers the setting the host kept.
    pub async fn set_notify(&self, room: &str, level: NotifyLevel) -> Result<NotifySetting, ClientError> {
        self.request(Request::Notify(NotifySetting { room: room.to_owned(), level })).await
    }

    /// Searches every room and this user's direct messages (see [`SearchRequest`]); newest first.
    pub async fn search(&self, request: SearchRequest) -> Result<SearchResults, ClientError> {
        self.request(Request::Search(request)).await
    }

    /// Joins a room (creating it if needed) and returns its members and history. The room is rejoined after
    /// every reconnect.
    pub async fn join_room(&self, room: &str) -> Result<RoomJoined, ClientError> {
        self.request(Request::Join { room: room.to_owned(), create: false, after_seq: None, after_rev: None }).await
    }

    /// Creates a room that must not exist yet, and joins it.
    pub async fn create_room(&self, room: &str) -> Result<RoomJoined, ClientError> {
        self.request(Request::Join { room: room.to_owned(), create: true, after_seq: None, after_rev: None }).await
    }

    /// Up to `limit` messages of a room this client is in, before `before_seq` (the newest without it), oldest
    /// first: for scrolling back.
    pub async fn history(&self, room: &str, before_seq: Option<Seq>, limit: u32) -> Result<HistoryPage, ClientError> {
        let request = HistoryRequest { room: room.to_owned(), before_seq, limit: Some(limit) };
        self.request(Request::History(request)).await
    }

    pub async fn leave_room(&self, room: &str) -> Result<RoomLeft, ClientError> {
        self.request(Request::Leave { room: room.to_owned() }).await
    }

    /// Tells the room this user is typing, or stopped. Dropped while disconnected: it is stale by the reconnect.
    pub async fn set_typing(&self, room: &str, active: bool) -> Result<(), ClientError> {
        self.command(Command::Typing { room: room.to_owned(), active }).await
    }

    /// Uploads an image for a following message; fails while disconnected.
    pub async fn upload_image(&self, bytes: Bytes) -> Result<Attachment, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.command(Command::Upload { bytes, reply }).await?;
        answer.await.map_err(|_| ClientError::Closed)?
    }

    /// Waits until every queued message and request has been answered by the host.
    pub async fn flush(&self) -> Result<(), ClientError> {
        let (done, finished) = oneshot::channel();
        self.command(Command::Flush { done }).await?;
        finished.await.map_err(|_| ClientError::Closed)?
    }

    /// Disconnects and stops the client; queued messages that were not acknowledged are dropped.
    pub async fn close(&self) {
        let (done, finished) = oneshot::channel();
        if self.command(Command::Close { done }).await.is_ok() {
            // An error here means the supervisor already stopped, which is what was asked.
            let _ = finished.await;
        }
    }

    pub(crate) async fn request<T: DeserializeOwned>(&self, request: Request) -> Result<T, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.enqueue(request, Some(reply)).await?;
        let value = tokio::time::timeout(self.request_limit, answer)
            .await
            .map_err(|_| ClientError::Timeout)?
            .map_err(|_| ClientError::Closed)??;
        serde_json::from_value(value).map_err(|error| {
            ClientError::Refused(ErrorBody::new(
                ErrorKind::BadRequest,
                format!("Unexpected answer from the host: {error}"),
            ))
        })
    }

    pub(crate) async fn enqueue(
        &self,
        request: Request,
        reply: Option<oneshot::Sender<Result<serde_json::Value, ClientError>>>,
    ) -> Result<(), ClientError> {
        self.command(Command::Enqueue(Outgoing { request, reply, origin: Origin::User, attempts: 0 })).await
    }

    async fn command(&self, command: Command) -> Result<(), ClientError> {
        self.commands.send(command).await.map_err(|_| ClientError::Closed)
    }
}

/// Waits until a new client is connected (returning the kind of server) or has stopped (returning why), with every
/// event seen meanwhile, so that the caller can still show them.
pub async fn wait_until_connected(
    events: &mut ClientEvents,
    limit: Duration,
) -> (Result<ServerKind, ClientError>, Vec<ClientEvent>) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let event = match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => return (Err(ClientError::Closed), seen),
            Err(_) => return (Err(ClientError::Timeout), seen),
        };
        let outcome = match &event {
            ClientEvent::State(ConnectionState::Connected { server }) => Some(Ok(*server)),
            ClientEvent::State(ConnectionState::Closed { reason, error }) => {
                Some(Err(error.clone().unwrap_or_else(|| ClientError::Unreachable(reason.clone()))))
            }
            _ => None,
        };
        seen.push(event);
        if let Some(outcome) = outcome {
            return (outcome, seen);
        }
    }
}

/// Refuses text the host would refuse, before it is queued: an oversized message would otherwise be resent after
/// every reconnect.
pub(crate) fn check_text(text: &str, has_attachment: bool) -> Result<(), ClientError> {
    let limits = Limits::default();
    validate::message_text(text, limits.max_message_chars, has_attachment).map(|_| ()).map_err(ClientError::Refused)
}

pub(crate) fn new_client_id() -> String {
    // Random, not a counter: a user key outlives the process, and the host remembers ids per user key.
    format!("{:032x}", rand::thread_rng().gen::<u128>())
}

impl RoomRequest {
    pub(crate) fn named(room: &str) -> Self {
        RoomRequest { room: room.to_owned(), after_seq: None, must_exist: false, after_rev: None }
    }
}
