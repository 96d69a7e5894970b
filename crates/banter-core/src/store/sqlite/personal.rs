//! What each user keeps on the host for all their devices, in SQL: how far they have read each room and each
//! direct conversation, and which rooms notify them of what.

use rusqlite::{params, Connection};

use super::{changes, failure, int, uint};
use crate::keys::{RoomKey, Seq, UserId};
use crate::protocol::{NotifyLevel, NotifySetting, ReadMark};
use crate::store::StoreError;

pub(super) fn mark_read(connection: &Connection, user: &UserId, room: &RoomKey, seq: Seq) -> Result<Seq, StoreError> {
    let kept: i64 = connection
        .prepare_cached(
            // No further than the room's last message: a mark past it would hide the next ones.
            "INSERT INTO reads (user_id, room, seq) \
             VALUES (?1, ?2, min(?3, coalesce((SELECT last_seq FROM rooms WHERE key = ?2), 0))) \
             ON CONFLICT (user_id, room) DO UPDATE SET seq = max(seq, excluded.seq) RETURNING seq",
        )
        .and_then(|mut statement| {
            statement.query_row(params![user.as_str(), room.as_str(), int(seq)], |row| row.get(0))
        })
        .map_err(failure)?;
    Ok(uint(kept))
}

/// Moves a user's read mark of a conversation forward, as [`mark_read`] does for a room; `None` if the user is not
/// in a conversation with that id.
pub(super) fn mark_direct_read(
    connection: &Connection,
    user: &UserId,
    conversation: &str,
    seq: Seq,
) -> Result<Option<Seq>, StoreError> {
    let Some(thread) = changes::thread_with(connection, user, conversation)? else { return Ok(None) };
    let kept: i64 = connection
        .prepare_cached(
            "INSERT INTO direct_reads (user_id, thread, seq) \
             VALUES (?1, ?2, min(?3, (SELECT last_seq FROM threads WHERE id = ?2))) \
             ON CONFLICT (user_id, thread) DO UPDATE SET seq = max(seq, excluded.seq) RETURNING seq",
        )
        .and_then(|mut statement| statement.query_row(params![user.as_str(), thread, int(seq)], |row| row.get(0)))
        .map_err(failure)?;
    Ok(Some(uint(kept)))
}

pub(super) fn reads(connection: &Connection, user: &UserId) -> Result<Vec<ReadMark>, StoreError> {
    connection
        .prepare_cached(
            "SELECT r.name, d.seq FROM reads d JOIN rooms r ON r.key = d.room AND r.deleted = 0 WHERE d.user_id = ?1",
        )
        .and_then(|mut statement| {
            statement
                .query_map([user.as_str()], |row| Ok(ReadMark { room: row.get(0)?, seq: uint(row.get(1)?) }))?
                .collect()
        })
        .map_err(failure)
}

/// The words the database keeps a level as (a `CHECK` holds the column to them).
fn level_word(level: NotifyLevel) -> &'static str {
    match level {
        NotifyLevel::All => "all",
        NotifyLevel::Mentions => "mentions",
        NotifyLevel::Nothing => "nothing",
    }
}

fn level_of(word: &str) -> NotifyLevel {
    match word {
        "all" => NotifyLevel::All,
        "nothing" => NotifyLevel::Nothing,
        _ => NotifyLevel::Mentions,
    }
}

/// Keeps a user's notification level for a room. The default (mentions) is kept as no row at all, so the welcome
/// carries only the rooms a user chose something else for.
pub(super) fn set_notify(
    connection: &Connection,
    user: &UserId,
    room: &RoomKey,
    level: NotifyLevel,
) -> Result<(), StoreError> {
    if level == NotifyLevel::default() {
        connection
            .prepare_cached("DELETE FROM notify_levels WHERE user_id = ?1 AND room = ?2")
            .and_then(|mut statement| statement.execute(params![user.as_str(), room.as_str()]))
            .map_err(failure)?;
    } else {
        connection
            .prepare_cached(
                "INSERT INTO notify_levels (user_id, room, level) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (user_id, room) DO UPDATE SET level = excluded.level",
            )
            .and_then(|mut statement| statement.execute(params![user.as_str(), room.as_str(), level_word(level)]))
            .map_err(failure)?;
    }
    Ok(())
}

/// A user's notification settings other than the default, by room name (deleted rooms left out).
pub(super) fn notify_settings(connection: &Connection, user: &UserId) -> Result<Vec<NotifySetting>, StoreError> {
    connection
        .prepare_cached(
            "SELECT r.name, n.level FROM notify_levels n JOIN rooms r ON r.key = n.room AND r.deleted = 0 \
             WHERE n.user_id = ?1 ORDER BY r.name",
        )
        .and_then(|mut statement| {
            statement
                .query_map([user.as_str()], |row| {
                    let word: String = row.get(1)?;
                    Ok(NotifySetting { room: row.get(0)?, level: level_of(&word) })
                })?
                .collect()
        })
        .map_err(failure)
}
