//! Search on the wire: `search:query` and its answer.

use serde::{Deserialize, Serialize};

/// `search:query`: messages of every room and of the user's own direct conversations that hold every word of `q`
/// (the last one also as the start of a word), newest first.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// Words, as typed: quotes, operators and punctuation are not query syntax, only word boundaries.
    pub q: String,
    /// Only this room (no direct messages then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Only messages by the person with this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Only messages older than this time (milliseconds since the epoch): the `ts` of the last hit of the page
    /// before, to page on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// At most this many (and at most `limits.searchPage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A piece of a hit's text: the words that matched are marked.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marked {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hit: bool,
}

/// One message found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub id: String,
    /// The room it is in; `None` for a direct message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The other person, for a direct message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// Its number in its room or conversation, to open it in context.
    pub seq: u64,
    pub ts: u64,
    pub from: String,
    /// The part of its text around what matched (cut with "…"), the matching words marked.
    pub snippet: Vec<Marked>,
}

/// The ack of `search:query`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Newest first.
    pub hits: Vec<SearchHit>,
    /// Older hits remain: ask again with `before` set to the last hit's `ts`.
    pub more: bool,
}
