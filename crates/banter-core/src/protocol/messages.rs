//! Room messages on the wire: posting, the actions on a posted message (reply, edit, delete, react), the pages
//! that bring history back, read marks and notification settings. Direct messages are in `direct`.

use serde::{Deserialize, Serialize};

/// `history:page`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRequest {
    pub room: String,
    /// The messages before this number; the newest ones without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<u64>,
    /// At most this many (and at most `limits.historyPage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The ack of `history:page`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub room: String,
    /// Oldest first.
    pub messages: Vec<Message>,
    pub latest_seq: u64,
}

/// An image staged by `attachment:upload` and referenced by a message; its bytes are served by the host at
/// `GET /attachments/{id}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`, read from the bytes, not taken from the client.
    pub mime: String,
    pub size: u32,
}

/// `message:send`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessage {
    pub room: String,
    #[serde(default)]
    pub text: String,
    /// Chosen by the client, unique per user: a resent message with a known id is acknowledged again, not posted
    /// twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The id from `attachment:staged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// The `seq` of the message in the same room that this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
    /// The `id` of a file this user uploaded (see `file:begin`), not sent with any other message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// `message:new`, `message:changed`, and the ack of `message:send`, `message:edit`, `message:delete` and
/// `message:react`: a message as it is now. `Default` is a message nobody touched, with every field empty.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Unique on this host.
    pub id: String,
    pub room: String,
    /// 1, 2, 3… within the room, in the order the host accepted the messages.
    pub seq: u64,
    /// Milliseconds since the Unix epoch, by the host's clock.
    pub ts: u64,
    pub from: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// A shared file, served at `GET /files/{id}`; gone with the message when it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<super::FileInfo>,
    /// The message this one answers, as that message is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// How many messages answer this one (deleted answers are not counted).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub replies: u32,
    /// When its author last edited it, by the host's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<u64>,
    /// Deleted by its author or the host's owner: its text, attachment and reactions are gone from the host, and
    /// clients show a tombstone in its place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Each emoji people reacted with, in the order it was first used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// 0 until the message first changes (an edit, a deletion, a reaction, a reply to it); then the number, within
    /// the room, of its latest change. Changes are numbered 1, 2, 3… per room, apart from `seq`: of two states
    /// of one message, the one with the higher `rev` is the newer.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rev: u64,
}

// Serde's `skip_serializing_if` takes a function of a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
pub(super) fn is_zero_u32(value: &u32) -> bool {
    *value == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
pub(super) fn is_zero_u64(value: &u64) -> bool {
    *value == 0
}

/// What a reply shows of the message it answers.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub seq: u64,
    pub from: String,
    /// The start of its text, at most `limits.quoteChars` characters; empty once it is deleted.
    pub snippet: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// One emoji on a message and who reacted with it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    /// Display names, in the order they reacted.
    pub users: Vec<String>,
}

/// `message:edit`: the author replaces the text of their message.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditMessage {
    pub room: String,
    pub seq: u64,
    pub text: String,
}

/// `message:delete` (by the author) and the admin's `message:delete` (by the host's owner).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub room: String,
    pub seq: u64,
}

/// `message:react`: adds this user's reaction (`on`) or takes it back. It says which, rather than toggling, so
/// that a resend after a reconnect changes nothing.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactMessage {
    pub room: String,
    pub seq: u64,
    pub emoji: String,
    pub on: bool,
}

/// `history:changes`: the messages of a room that changed after `afterRev`, for a client that was away.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangesRequest {
    pub room: String,
    pub after_rev: u64,
    /// At most this many (and at most `limits.historyPage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The ack of `history:changes`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangesPage {
    pub room: String,
    /// In the order of their `rev`, each as it is now.
    pub messages: Vec<Message>,
    /// The room's newest change number when this was answered.
    pub latest_rev: u64,
}

/// Which messages of a room raise a notification for a user. Direct messages always do.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyLevel {
    /// Every message from someone else.
    All,
    /// Only messages that mention the user (`@name`): the default, as in other chats.
    #[default]
    Mentions,
    /// None, mentions included: the room only counts as unread.
    Nothing,
}

impl NotifyLevel {
    /// Whether a message from someone else notifies, given whether it mentions the user.
    #[must_use]
    pub fn notifies(self, mentioned: bool) -> bool {
        match self {
            Self::All => true,
            Self::Mentions => mentioned,
            Self::Nothing => false,
        }
    }
}

/// `notify:set` (client → host, acked with the setting kept), `notify:changed` (host → the user's connections),
/// and each of the welcome's `notify`: a user's notification setting for a room, the same on all their devices.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySetting {
    pub room: String,
    pub level: NotifyLevel,
}

/// `read:set` (client → host), `read:changed` (host → the user's connections), and each of the welcome's
/// `reads`: how far this user has read a room, on any of their devices.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    pub room: String,
    /// The `seq` of the last message read. Marks only move forward.
    pub seq: u64,
}
