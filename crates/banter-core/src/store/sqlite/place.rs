//! Where a message is kept, for the SQL that rooms and direct conversations share: their tables have the same
//! shape (`messages` and `directs`, `reactions` and `direct_reactions`), keyed by a room's key or a thread's id.

use rusqlite::types::ToSqlOutput;
use rusqlite::ToSql;

use crate::keys::RoomKey;

/// Where a message is kept: in a room, or in a direct conversation (its thread's row id).
#[derive(Debug, Clone, Copy)]
pub(super) enum Place<'a> {
    Room(&'a RoomKey),
    Thread(i64),
}

impl Place<'_> {
    /// The table of its messages.
    pub(super) fn messages(self) -> &'static str {
        match self {
            Self::Room(_) => "messages",
            Self::Thread(_) => "directs",
        }
    }

    /// The column that says which room or conversation a row belongs to, in the messages and the reactions.
    pub(super) fn column(self) -> &'static str {
        match self {
            Self::Room(_) => "room",
            Self::Thread(_) => "thread",
        }
    }

    /// The column of a message's author's user id.
    pub(super) fn author(self) -> &'static str {
        match self {
            Self::Room(_) => "author_id",
            Self::Thread(_) => "from_id",
        }
    }

    pub(super) fn reactions(self) -> &'static str {
        match self {
            Self::Room(_) => "reactions",
            Self::Thread(_) => "direct_reactions",
        }
    }

    /// The row that numbers its changes: its table and key column.
    pub(super) fn counter(self) -> (&'static str, &'static str) {
        match self {
            Self::Room(_) => ("rooms", "key"),
            Self::Thread(_) => ("threads", "id"),
        }
    }

    /// Where a message of it is not found.
    pub(super) fn here(self) -> &'static str {
        match self {
            Self::Room(_) => "this room",
            Self::Thread(_) => "this conversation",
        }
    }
}

impl ToSql for Place<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Self::Room(room) => room.as_str().to_sql(),
            Self::Thread(thread) => thread.to_sql(),
        }
    }
}
