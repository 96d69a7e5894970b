//! The wire, declared once: every event name and every payload that crosses a Banter socket.
//!
//! The host, the client, the CLI and (later) the UI bindings all use these types, and docs/PROTOCOL.md describes
//! them for outsiders. Event names follow `noun:verb`, except the two that come from the Socket.IO chat tutorial
//! (`chat message`, `private message`), which keep their names so that stock tutorial pages interoperate.
//!
//! Field names are camelCase on the wire because most Socket.IO peers are JavaScript.

mod direct;
mod files;
mod messages;
mod search;

use serde::{Deserialize, Serialize};

pub use direct::*;
pub use files::*;
pub use messages::*;
pub use search::*;

/// The version of Banter's own protocol, announced in [`Welcome`]. Bumped when the wire changes; a host admits
/// every client that sends any version as a Banter client, and new fields are only ever added.
pub const PROTOCOL_VERSION: u32 = 2;

/// The namespace of the chat itself: the one the Socket.IO tutorial uses.
pub const CHAT_NAMESPACE: &str = "/";
/// The namespace of the host's own moderation tools, closed without the host token.
pub const ADMIN_NAMESPACE: &str = "/admin";
/// The room every Banter socket is in from connect to disconnect; it cannot be left.
pub const LOBBY: &str = "lobby";

/// Event names. Requests are sent by clients and answered with an [`Ack`]; notices are pushed by the host.
pub mod event {
    /// Tutorial: a plain string, relayed to every plain socket of the namespace and posted to the lobby.
    pub const CHAT_MESSAGE: &str = "chat message";
    /// Tutorial: `(toSocketId, msg)` from a client becomes `(fromSocketId, msg)` at the target socket.
    pub const PRIVATE_MESSAGE: &str = "private message";

    /// Notice: the first event a Banter socket receives after connecting ([`super::Welcome`]).
    pub const SESSION_WELCOME: &str = "session:welcome";
    /// Notice: the host is about to close this socket ([`super::Closing`]).
    pub const SESSION_CLOSING: &str = "session:closing";
    /// Request: a liveness probe; the ack carries the host's clock ([`super::Pong`]).
    pub const SESSION_PING: &str = "session:ping";

    /// Notice: a user's first connection arrived ([`super::UserNotice`]).
    pub const USER_ONLINE: &str = "user:online";
    /// Notice: a user's last connection left ([`super::UserNotice`]).
    pub const USER_OFFLINE: &str = "user:offline";

    /// Notice: the list of rooms with their member counts changed ([`super::RoomList`]).
    pub const ROOM_LIST: &str = "room:list";
    /// Request: create a room that does not exist yet, and join it ([`super::RoomRequest`] → [`super::RoomJoined`]).
    pub const ROOM_CREATE: &str = "room:create";
    /// Request: join a room, creating it when missing ([`super::RoomRequest`] → [`super::RoomJoined`]); with
    /// `afterSeq`, the answer carries what came after it, a page at a time.
    pub const ROOM_JOIN: &str = "room:join";
    /// Request: leave a room ([`super::RoomRequest`] → [`super::RoomLeft`]).
    pub const ROOM_LEAVE: &str = "room:leave";
    /// Notice: the host's owner deleted a room, and its history with it ([`super::RoomDeleted`]).
    pub const ROOM_DELETED: &str = "room:deleted";
    /// Request: older messages of a room one is in ([`super::HistoryRequest`] → [`super::HistoryPage`]).
    pub const HISTORY_PAGE: &str = "history:page";

    /// Notice: a user entered a room ([`super::MemberJoined`]).
    pub const MEMBER_JOINED: &str = "member:joined";
    /// Notice: a user left one or more rooms ([`super::MemberLeft`]).
    pub const MEMBER_LEFT: &str = "member:left";

    /// Request: post to a room ([`super::SendMessage`] → [`super::Message`]).
    pub const MESSAGE_SEND: &str = "message:send";
    /// Notice: a message posted to a room the socket is in ([`super::Message`]).
    pub const MESSAGE_NEW: &str = "message:new";
    /// Client → host, acked with the message: the author replaces its text.
    pub const MESSAGE_EDIT: &str = "message:edit";
    /// Client → host, acked with the tombstone: the author deletes a message (on `/admin`: the host's owner).
    pub const MESSAGE_DELETE: &str = "message:delete";
    /// Client → host, acked with the message: add or take back a reaction.
    pub const MESSAGE_REACT: &str = "message:react";
    /// Host → the room: a message changed (edited, deleted, reacted to, replied to); carries it as it is now.
    pub const MESSAGE_CHANGED: &str = "message:changed";
    /// Client → host, acked: the messages of a room that changed after a change number.
    pub const HISTORY_CHANGES: &str = "history:changes";
    /// Client → host, acked: full-text search over the rooms and the user's own direct messages.
    pub const SEARCH_QUERY: &str = "search:query";
    /// Client → host, acked with the mark kept: this user has read a room up to a message.
    pub const READ_SET: &str = "read:set";
    /// Host → every connection of the user: how far they have read a room now (from any device).
    pub const READ_CHANGED: &str = "read:changed";
    /// Client → host, acked with the setting kept: which messages of a room notify this user (on every device).
    pub const NOTIFY_SET: &str = "notify:set";
    /// Host → every connection of the user: a room's notification setting now (set from any device).
    pub const NOTIFY_CHANGED: &str = "notify:changed";

    /// Request: a direct message to a user ([`super::SendDirect`] → [`super::DirectMessage`]).
    pub const DM_SEND: &str = "dm:send";
    /// Notice: a direct message to or from this socket's user ([`super::DirectMessage`]).
    pub const DM_NEW: &str = "dm:new";
    /// Request: a page of one direct conversation ([`super::DirectHistoryRequest`] → [`super::DirectHistoryPage`]).
    pub const DM_HISTORY: &str = "dm:history";
    /// Request: the author edits a direct message ([`super::EditDirect`] → [`super::DirectMessage`]).
    pub const DM_EDIT: &str = "dm:edit";
    /// Request: the author deletes a direct message ([`super::DirectRef`] → [`super::DirectMessage`]).
    pub const DM_DELETE: &str = "dm:delete";
    /// Request: either person reacts to a direct message, or takes it back ([`super::ReactDirect`] →
    /// [`super::DirectMessage`]).
    pub const DM_REACT: &str = "dm:react";
    /// Notice to every connection of both people: a direct message as a change left it ([`super::DirectMessage`]).
    pub const DM_CHANGED: &str = "dm:changed";
    /// Request: what changed in a conversation after a change number ([`super::DirectChangesRequest`] →
    /// [`super::DirectChangesPage`]).
    pub const DM_CHANGES: &str = "dm:changes";
    /// Request: marks a conversation read up to a number, for every device of the user ([`super::DirectReadMark`]
    /// → the mark kept).
    pub const DM_READ_SET: &str = "dm:read:set";
    /// Notice to every connection of the user: how far they have read a conversation ([`super::DirectReadMark`]).
    pub const DM_READ_CHANGED: &str = "dm:read:changed";

    /// Request: begins (or takes up again) the upload of a shared file ([`super::BeginUpload`] →
    /// [`super::UploadTicket`]); the bytes go over HTTP.
    pub const FILE_BEGIN: &str = "file:begin";

    /// Request without an answer: this socket's user starts or stops typing in a room ([`super::TypingSet`]).
    pub const TYPING_SET: &str = "typing:set";
    /// Notice: someone else in the room started or stopped typing ([`super::TypingUpdate`]).
    pub const TYPING_UPDATE: &str = "typing:update";

    /// Request: one binary argument, an image, staged for the next message ([`super::Attachment`]).
    pub const ATTACHMENT_UPLOAD: &str = "attachment:upload";
    /// Notice: the answer to an upload, an [`super::Ack`] of [`super::Attachment`], also sent as the
    /// upload's ack when one was asked for.
    pub const ATTACHMENT_STAGED: &str = "attachment:staged";

    /// Admin request: every user with their connections ([`super::AdminUser`] list).
    pub const ADMIN_USERS_LIST: &str = "users:list";
    /// Admin request: disconnect every connection of a user ([`super::KickRequest`] → [`super::Kicked`]).
    pub const ADMIN_USER_KICK: &str = "user:kick";
    /// Admin request: delete a room and its history ([`super::RoomRequest`] → [`super::RoomDeleted`]).
    pub const ADMIN_ROOM_DELETE: &str = "room:delete";
    /// Admin request: free a name for anyone to take ([`super::NameRequest`] → [`super::NameReleased`]).
    pub const ADMIN_NAME_RELEASE: &str = "name:release";
    /// Admin → host, acked with the tombstone: delete one message in any room.
    pub const ADMIN_MESSAGE_DELETE: &str = "message:delete";
    /// Admin request: ban the user who holds a name, for some minutes or for good, and disconnect them
    /// ([`super::BanRequest`] → [`super::Banned`]).
    pub const ADMIN_USER_BAN: &str = "user:ban";
    /// Admin request: lift a ban ([`super::NameRequest`] → [`super::NameReleased`]).
    pub const ADMIN_USER_UNBAN: &str = "user:unban";
    /// Admin request: the bans that hold ([`super::BanInfo`] list).
    pub const ADMIN_BANS_LIST: &str = "bans:list";
}

/// What a client gives in the Socket.IO handshake (`auth`). Every field is optional: the tutorial's page sends
/// nothing and is admitted under a generated guest name.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The display name to appear under; validated by [`crate::validate::display_name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An opaque key the client keeps. The first user to take a name binds it to their key, and afterwards only
    /// that key may use the name; connections with the same name and key are the same user. Without a key the
    /// name is used for this connection only (a guest), and must not be bound to anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key: Option<String>,
    /// Set by clients that speak Banter's protocol; the others get the tutorial's events only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
    /// A guest: the name is not bound to the user key, which then only lets the host recognise this client's
    /// resends across its reconnects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<bool>,
    /// The host's access code, when it requires one (case, spaces and dashes do not count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_code: Option<String>,
}

/// What `GET /health` answers: enough for a client to know, before it joins, which host answers at an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub protocol: u32,
    /// The host's id: the same across restarts, another one for another host (or a wiped data folder).
    pub host_id: String,
    pub users: usize,
    pub rooms: usize,
    /// Whether joining needs the host's access code.
    pub access_code: bool,
}

/// What a client gives in the `/admin` handshake.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminHandshake {
    pub token: String,
}

/// A user as others see them.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub name: String,
    /// How many sockets this user has open (tabs, devices).
    pub connections: u32,
}

/// A room as the room list shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomInfo {
    pub name: String,
    /// Distinct users in the room now, not sockets.
    pub members: u32,
    /// When the room's last message was posted (or the room was created), in milliseconds since the Unix epoch.
    pub last_active: u64,
}

/// The limits a client should respect; the host enforces them whatever the client does.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnouncedLimits {
    pub max_message_chars: u32,
    pub max_name_chars: u32,
    pub max_room_chars: u32,
    pub max_attachment_bytes: u32,
    /// The most messages one history answer carries.
    pub history_page: u32,
    /// The most different emoji on one message (0 from a host older than reactions).
    #[serde(default)]
    pub max_reactions_per_message: u32,
    /// Characters a reply quotes of the message it answers.
    #[serde(default)]
    pub quote_chars: u32,
    /// The most hits one search answer carries.
    #[serde(default)]
    pub search_page: u32,
    /// The largest file the host takes (0 from a host older than shared files).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_file_bytes: u64,
}

/// `session:welcome`: who this socket is and what the host looks like right now.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Welcome {
    pub protocol: u32,
    /// Made when the host first started with its data, and kept: a different id at a known address (a wiped or
    /// another host) means what the client remembers of it (rooms, `seq` numbers) no longer applies.
    pub host_id: String,
    /// This socket's id: Rust clients cannot read it from the connection itself.
    pub socket_id: String,
    /// The user this socket was admitted as (the generated guest name when none was given).
    pub user: UserInfo,
    pub users: Vec<UserInfo>,
    pub rooms: Vec<RoomInfo>,
    /// The lobby's most recent messages, oldest first.
    pub history: Vec<Message>,
    /// The lobby's newest change number: a client that has the lobby from before asks `history:changes` for what
    /// changed after the last one it saw.
    #[serde(default)]
    pub lobby_rev: u64,
    /// The rooms this user has joined (on any device) and not left, the lobby excepted.
    pub member_of: Vec<String>,
    /// This user's direct conversations, most recent first, each with its last message.
    pub conversations: Vec<Conversation>,
    /// How far this user has read each room they marked (on any device).
    #[serde(default)]
    pub reads: Vec<ReadMark>,
    /// This user's notification settings, for the rooms where they chose other than the default (mentions).
    #[serde(default)]
    pub notify: Vec<NotifySetting>,
    pub limits: AnnouncedLimits,
}

/// One of a user's direct conversations.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// The other person's name.
    pub with: String,
    pub last_message: DirectMessage,
    /// How far this user has read it, on any device.
    #[serde(default)]
    pub read_seq: u64,
    /// Its newest change number, to catch up on edits, deletions and reactions from.
    #[serde(default)]
    pub latest_rev: u64,
}

/// Why the host is closing a socket.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosingReason {
    /// The host is stopping.
    Shutdown,
    /// The host's moderator removed this user.
    Kicked,
    /// The host refused this connection after all; the message starts with the error kind, as in a connect error:
    /// `name_taken: …`. This host refuses every handshake before the socket is connected, and sends it no more;
    /// clients keep treating it as final.
    Refused,
}

/// `session:closing`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    pub reason: ClosingReason,
    pub message: String,
}

/// The ack of `session:ping`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pong {
    pub server_time: u64,
}

/// `user:online` and `user:offline`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserNotice {
    pub user: UserInfo,
}

/// `room:list`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomList {
    pub rooms: Vec<RoomInfo>,
}

/// `room:create`, `room:join`, `room:leave`, and the admin's `room:delete`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomRequest {
    pub room: String,
    /// `room:join` only: answer with the messages after this number instead of the newest ones. A client that
    /// was away gives the last `seq` it has and repeats with the last one it got until `latestSeq` is reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<u64>,
    /// `room:join` only: fail with `not_found` instead of creating a room that does not exist. Clients rejoining
    /// after a reconnect set it, so that a room the host's owner deleted meanwhile stays deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_exist: bool,
    /// `room:join` only, with `afterSeq`: also answer the messages up to `afterSeq` that changed after this change
    /// number (`changed`); a client continues with `history:changes` until `latestRev` is reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_rev: Option<u64>,
}

/// The ack of `room:create` and `room:join`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomJoined {
    pub room: String,
    /// Names of the users in the room, this one included.
    pub members: Vec<String>,
    /// Oldest first: the room's newest messages, or with `afterSeq` the ones after it, at most a page.
    pub history: Vec<Message>,
    /// The room's newest `seq` when this was answered (0 if it has no messages).
    pub latest_seq: u64,
    /// With `afterRev`: the messages that changed after it, in `rev` order, at most a page (some may be in
    /// `history` too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<Message>,
    /// The room's newest change number when this was answered (0 if nothing in it ever changed).
    #[serde(default)]
    pub latest_rev: u64,
}

/// `room:deleted`, and the ack of the admin's `room:delete`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomDeleted {
    pub room: String,
}

/// The ack of `room:leave`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomLeft {
    pub room: String,
}

/// `member:joined`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberJoined {
    pub room: String,
    pub user: String,
}

/// Why a member left.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// The user left the room on purpose.
    Left,
    /// The user's last connection in the room closed.
    Disconnected,
}

/// `member:left`. One notice names every room the user left at once (a disconnect leaves them all), and each
/// socket receives it once even when it shares several of those rooms.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLeft {
    pub rooms: Vec<String>,
    pub user: String,
    pub reason: LeaveReason,
}

/// `typing:set`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingSet {
    pub room: String,
    pub active: bool,
}

/// `typing:update`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingUpdate {
    pub room: String,
    pub user: String,
    pub active: bool,
}

/// One connection of a user, for the moderator.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminConnection {
    pub socket_id: String,
    pub rooms: Vec<String>,
}

/// A user, for the moderator.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub name: String,
    pub connections: Vec<AdminConnection>,
}

/// `user:kick`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The admin's `name:release`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameRequest {
    pub name: String,
}

/// The ack of `name:release`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameReleased {
    /// The name as it was bound.
    pub name: String,
}

/// `user:ban`: `minutes` absent bans until the ban is lifted.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The ack of `user:ban`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banned {
    /// The name as it was bound.
    pub name: String,
    /// When the ban ends (milliseconds since the epoch), or absent for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    /// Connections of theirs that were disconnected.
    pub connections: u32,
}

/// One ban, in `bans:list`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BanInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub banned_at: u64,
}

/// The ack of `user:kick`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kicked {
    pub name: String,
    pub connections: u32,
}

/// What went wrong with a request, by kind: clients switch on `kind`, never on `message`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The payload does not have the shape the event takes.
    BadRequest,
    /// A display name, room name or text broke a rule (length, forbidden characters).
    Invalid,
    /// Another user holds this display name, or one that looks the same.
    NameTaken,
    /// No such room, user or attachment.
    NotFound,
    /// The room exists already (`room:create`).
    AlreadyExists,
    /// The request is not allowed (leaving the lobby, posting to a room one is not in, admin without token).
    Forbidden,
    /// Too large: a message over the length limit, an attachment over the size limit.
    TooLarge,
    /// Too many requests from this socket (or wrong secrets from this address); retry later.
    RateLimited,
    /// The host's owner banned this user (a handshake refusal).
    Banned,
    /// The host's disk is full: nothing new can be kept (messages, rooms, names, attachments) until room is made.
    /// Reading goes on.
    StorageFull,
    /// One of several hosts sharing a chat cannot reach the chat's server (Valkey or Redis): nothing new can be kept
    /// until it is back. Reading goes on, and the same request sent again later is kept once.
    StorageUnavailable,
    /// Something failed inside the host; it is logged there.
    Internal,
}

impl ErrorKind {
    /// The wire spelling, also used as the prefix of connect-error messages (`name_taken: …`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Invalid => "invalid",
            ErrorKind::NameTaken => "name_taken",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Banned => "banned",
            ErrorKind::StorageFull => "storage_full",
            ErrorKind::StorageUnavailable => "storage_unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// The inverse of [`ErrorKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [
            ErrorKind::BadRequest,
            ErrorKind::Invalid,
            ErrorKind::NameTaken,
            ErrorKind::NotFound,
            ErrorKind::AlreadyExists,
            ErrorKind::Forbidden,
            ErrorKind::TooLarge,
            ErrorKind::RateLimited,
            ErrorKind::Banned,
            ErrorKind::StorageFull,
            ErrorKind::StorageUnavailable,
            ErrorKind::Internal,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// An error as it crosses the wire: `{kind, message}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ErrorBody {
    pub kind: ErrorKind,
    pub message: String,
}

impl ErrorBody {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorBody { kind, message: message.into() }
    }
}

/// Every acknowledgement: `{"data": …}` on success, `{"error": {kind, message}}` on failure.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Ack<T> {
    Data(T),
    Error(ErrorBody),
}

impl<T> From<Result<T, ErrorBody>> for Ack<T> {
    fn from(result: Result<T, ErrorBody>) -> Self {
        match result {
            Ok(data) => Ack::Data(data),
            Err(error) => Ack::Error(error),
        }
    }
}

impl<T> From<Ack<T>> for Result<T, ErrorBody> {
    fn from(ack: Ack<T>) -> Self {
        match ack {
            Ack::Data(data) => Ok(data),
            Ack::Error(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_have_the_documented_shape() {
        let ok: Ack<RoomLeft> = Ack::Data(RoomLeft { room: "general".into() });
        assert_eq!(serde_json::to_string(&ok).ok().as_deref(), Some(r#"{"data":{"room":"general"}}"#));
        let error: Ack<RoomLeft> = Ack::Error(ErrorBody::new(ErrorKind::NameTaken, "taken"));
        assert_eq!(
            serde_json::to_string(&error).ok().as_deref(),
            Some(r#"{"error":{"kind":"name_taken","message":"taken"}}"#)
        );
    }

    #[test]
    fn error_kinds_round_trip_through_their_wire_spelling() {
        for kind in [
            ErrorKind::BadRequest,
            ErrorKind::NameTaken,
            ErrorKind::RateLimited,
            ErrorKind::StorageFull,
            ErrorKind::StorageUnavailable,
            ErrorKind::Internal,
        ] {
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
        }
    }
}
