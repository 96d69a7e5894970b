//! Direct messages on the wire: sending, the actions on a sent message (reply, edit, delete, react) as in rooms,
//! the pages that bring a conversation back, and how far each user has read it.
//!
//! A conversation is named by its id (`conversation`), never by the other person's name: a name can change hands,
//! and an edit or a read mark must land in the conversation it was made in.

use serde::{Deserialize, Serialize};

use super::messages::{is_zero_u32, is_zero_u64};
use super::{Attachment, Quote, Reaction};

/// `dm:send`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendDirect {
    /// The recipient's display name.
    pub to: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// The `seq` of the message in the same conversation that this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
    /// The `id` of a file this user uploaded, as in `message:send`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// `dm:new`, `dm:changed`, and the ack of `dm:send`, `dm:edit`, `dm:delete` and `dm:react`: a direct message as
/// it is now. Reaches every connection of both users. The fields after `attachment` mean what they mean in a room's
/// [`super::Message`], numbered within the conversation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectMessage {
    pub id: String,
    /// The conversation's id on this host: the same for every message between these two people, and never
    /// another's, even if a name changes hands.
    pub conversation: String,
    /// 1, 2, 3… within the conversation.
    pub seq: u64,
    pub ts: u64,
    pub from: String,
    pub to: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<super::FileInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub replies: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The conversation's change number of this state (see [`super::Message::rev`]).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rev: u64,
}

/// `dm:history`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectHistoryRequest {
    /// The other person's name.
    pub with: String,
    /// A conversation's id (from a [`DirectMessage`]): page exactly that one, whoever has the name `with` now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// The messages before this number (scrolling up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<u64>,
    /// The messages after this number (catching up); the newest ones when neither is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The ack of `dm:history`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectHistoryPage {
    pub with: String,
    /// Oldest first.
    pub messages: Vec<DirectMessage>,
    pub latest_seq: u64,
    /// The conversation's newest change number (0 if it has none, or there is no conversation yet).
    #[serde(default)]
    pub latest_rev: u64,
}

/// `dm:edit`: the author replaces the text of their direct message.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditDirect {
    pub conversation: String,
    pub seq: u64,
    pub text: String,
}

/// `dm:delete`: the author deletes their direct message.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectRef {
    pub conversation: String,
    pub seq: u64,
}

/// `dm:react`: either person adds their reaction to a direct message (`on`) or takes it back.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactDirect {
    pub conversation: String,
    pub seq: u64,
    pub emoji: String,
    pub on: bool,
}

/// `dm:changes`: the messages of a conversation that changed after `afterRev`, for a client that was away.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectChangesRequest {
    pub conversation: String,
    pub after_rev: u64,
    /// At most this many (and at most `limits.historyPage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The ack of `dm:changes`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectChangesPage {
    pub conversation: String,
    /// In the order of their `rev`, each as it is now.
    pub messages: Vec<DirectMessage>,
    pub latest_rev: u64,
}

/// `dm:read:set` (client → host, acked with the mark kept) and `dm:read:changed` (host → the user's connections):
/// how far this user has read a conversation, on any of their devices.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectReadMark {
    pub conversation: String,
    /// The `seq` of the last message read. Marks only move forward.
    pub seq: u64,
}
