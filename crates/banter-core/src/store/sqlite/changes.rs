//! Changes to room messages in SQL: edits, deletions, reactions and the count of replies, each numbered in its
//! room (`rooms.last_rev`), and the reading back of messages as they are now.
//!
//! A change gives the message the room's next change number (`messages.rev`), so a client that was away asks for
//! the messages whose number is past the last it saw (`room_changes`), and of two states of one message the one
//! with the higher number is the newer. A change that would change nothing (an edit to the same text, a second
//! deletion, a reaction that is already there) is answered as a duplicate and takes no number.

use rusqlite::{params, Connection, OptionalExtension};

use super::messages::{message_row, MESSAGE_COLUMNS, MESSAGE_FROM};
use super::{failure, int, uint};
use crate::keys::{RoomKey, Seq, UserId};
use crate::protocol::{ErrorBody, ErrorKind, Message, Reaction};
use crate::store::{Action, Appended, ChangesPage, Kept, RoomChange, StoreError};

/// A message of a room as it is now, reactions included; `None` if there is none with that number.
pub(super) fn room_message(connection: &Connection, room: &RoomKey, seq: Seq) -> Result<Option<Message>, StoreError> {
    let message = connection
        .prepare_cached(&format!("SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.room = ?1 AND m.seq = ?2"))
        .and_then(|mut statement| statement.query_row(params![room.as_str(), int(seq)], message_row).optional())
        .map_err(failure)?;
    let Some(mut message) = message else { return Ok(None) };
    fill_reactions(connection, room, std::slice::from_mut(&mut message))?;
    Ok(Some(message))
}

/// Puts their reactions on messages of one room. Only a message that ever changed can have any.
pub(super) fn fill_reactions(
    connection: &Connection,
    room: &RoomKey,
    messages: &mut [Message],
) -> Result<(), StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT emoji, user_name FROM reactions WHERE room = ?1 AND seq = ?2 ORDER BY id")
        .map_err(failure)?;
    for message in messages.iter_mut().filter(|message| message.rev > 0 && !message.deleted) {
        let rows = statement
            .query_map(params![room.as_str(), int(message.seq)], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<(String, String)>>>)
            .map_err(failure)?;
        message.reactions = group(rows);
    }
    Ok(())
}

/// Reactions by emoji, each emoji where it was first used and its users in the order they reacted.
fn group(rows: Vec<(String, String)>) -> Vec<Reaction> {
    let mut reactions: Vec<Reaction> = Vec::new();
    for (emoji, user) in rows {
        match reactions.iter_mut().find(|reaction| reaction.emoji == emoji) {
            Some(reaction) => reaction.users.push(user),
            None => reactions.push(Reaction { emoji, users: vec![user] }),
        }
    }
    reactions
}

/// Gives a message its room's next change number.
fn renumber(connection: &Connection, room: &RoomKey, seq: Seq) -> Result<(), StoreError> {
    let rev: i64 = connection
        .prepare_cached("UPDATE rooms SET last_rev = last_rev + 1 WHERE key = ?1 RETURNING last_rev")
        .and_then(|mut statement| statement.query_row([room.as_str()], |row| row.get(0)))
        .map_err(failure)?;
    connection
        .prepare_cached("UPDATE messages SET rev = ?3 WHERE room = ?1 AND seq = ?2")
        .and_then(|mut statement| statement.execute(params![room.as_str(), int(seq), rev]))
        .map_err(failure)?;
    Ok(())
}

/// Counts one more (or one fewer) reply on the message `parent`, and renumbers it; returns it as it is now.
pub(super) fn count_reply(
    connection: &Connection,
    room: &RoomKey,
    parent: Seq,
    delta: i64,
) -> Result<Option<Message>, StoreError> {
    let changed = connection
        .prepare_cached("UPDATE messages SET replies = max(replies + ?3, 0) WHERE room = ?1 AND seq = ?2")
        .and_then(|mut statement| statement.execute(params![room.as_str(), int(parent), delta]))
        .map_err(failure)?;
    if changed == 0 {
        return Ok(None);
    }
    renumber(connection, room, parent)?;
    room_message(connection, room, parent)
}

/// What the store knows of a message that a change needs.
struct Target {
    author: UserId,
    deleted: bool,
    reply_to: Option<Seq>,
    text: String,
}

fn target(connection: &Connection, room: &RoomKey, seq: Seq) -> Result<Option<Target>, StoreError> {
    connection
        .prepare_cached("SELECT author_id, deleted, reply_to, text FROM messages WHERE room = ?1 AND seq = ?2")
        .and_then(|mut statement| {
            statement
                .query_row(params![room.as_str(), int(seq)], |row| {
                    Ok(Target {
                        author: UserId::from_stored(row.get(0)?),
                        deleted: row.get(1)?,
                        reply_to: row.get::<_, Option<i64>>(2)?.map(uint),
                        text: row.get(3)?,
                    })
                })
                .optional()
        })
        .map_err(failure)
}

fn refused(kind: ErrorKind, message: impl Into<String>) -> Result<Result<Appended, ErrorBody>, StoreError> {
    Ok(Err(ErrorBody::new(kind, message)))
}

/// Applies one change, or says why not. A database error stops the whole transaction; a refusal is this change's
/// answer alone.
pub(super) fn apply(
    connection: &Connection,
    change: RoomChange,
    now: u64,
) -> Result<Result<Appended, ErrorBody>, StoreError> {
    if let Err(refusal) = change.permitted {
        return Ok(Err(refusal));
    }
    let RoomChange { room, seq, by, action, .. } = change;
    let Some(found) = target(connection, &room, seq)? else {
        return refused(ErrorKind::NotFound, format!("There is no message {seq} in this room."));
    };
    let mut touched = Vec::new();
    let is_delete = matches!(action, Action::Delete { .. });
    let changed = match action {
        Action::Edit { text } => {
            if found.author != by.id {
                return refused(ErrorKind::Forbidden, "Only its author can edit a message.");
            }
            if found.deleted {
                return refused(ErrorKind::NotFound, "That message was deleted.");
            }
            let changed = found.text != text;
            if changed {
                connection
                    .prepare_cached("UPDATE messages SET text = ?3, edited_at = ?4 WHERE room = ?1 AND seq = ?2")
                    .and_then(|mut statement| statement.execute(params![room.as_str(), int(seq), text, int(now)]))
                    .map_err(failure)?;
            }
            Ok(changed)
        }
        Action::Delete { by_owner } => {
            if found.author != by.id && !by_owner {
                return refused(ErrorKind::Forbidden, "Only its author or the host's owner can delete a message.");
            }
            if !found.deleted {
                // The text goes from the row itself (and, with `secure_delete`, from the pages it was on), not
                // only from what clients are shown.
                connection
                    .prepare_cached(
                        "UPDATE messages SET text = '', attachment_id = NULL, attachment_mime = NULL, \
                         attachment_size = NULL, edited_at = NULL, deleted = 1 WHERE room = ?1 AND seq = ?2",
                    )
                    .and_then(|mut statement| statement.execute(params![room.as_str(), int(seq)]))
                    .map_err(failure)?;
                connection
                    .prepare_cached("DELETE FROM reactions WHERE room = ?1 AND seq = ?2")
                    .and_then(|mut statement| statement.execute(params![room.as_str(), int(seq)]))
                    .map_err(failure)?;
            }
            Ok(!found.deleted)
        }
        Action::React { emoji, on, max_different } => {
            if found.deleted {
                return refused(ErrorKind::NotFound, "That message was deleted.");
            }
            if on {
                react(connection, &room, seq, &by.id, &by.name, &emoji, max_different)?
            } else {
                let removed = connection
                    .prepare_cached(
                        "DELETE FROM reactions WHERE room = ?1 AND seq = ?2 AND emoji = ?3 AND user_id = ?4",
                    )
                    .and_then(|mut statement| {
                        statement.execute(params![room.as_str(), int(seq), emoji, by.id.as_str()])
                    })
                    .map_err(failure)?;
                Ok(removed > 0)
            }
        }
    };
    // A refusal found while reacting (too many different emoji) is this change's answer.
    let changed = match changed {
        Ok(changed) => changed,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if changed {
        renumber(connection, &room, seq)?;
        // After the message itself, so that change numbers go out in order: the deleted reply, then what it
        // answered, one reply fewer.
        if let (Some(parent), true) = (found.reply_to, is_delete) {
            touched.extend(count_reply(connection, &room, parent, -1)?);
        }
    }
    let Some(message) = room_message(connection, &room, seq)? else {
        return refused(ErrorKind::NotFound, format!("There is no message {seq} in this room."));
    };
    Ok(Ok(Appended { kept: Kept::Changed(message), duplicate: !changed, touched }))
}

/// Adds a reaction unless it is there already (`Ok(false)`) or would be one different emoji too many.
fn react(
    connection: &Connection,
    room: &RoomKey,
    seq: Seq,
    user: &UserId,
    name: &str,
    emoji: &str,
    max_different: usize,
) -> Result<Result<bool, ErrorBody>, StoreError> {
    let (mine, used, different): (bool, bool, i64) = connection
        .prepare_cached(
            "SELECT coalesce(max(emoji = ?3 AND user_id = ?4), 0), coalesce(max(emoji = ?3), 0), \
             count(DISTINCT emoji) FROM reactions WHERE room = ?1 AND seq = ?2",
        )
        .and_then(|mut statement| {
            statement.query_row(params![room.as_str(), int(seq), emoji, user.as_str()], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
        })
        .map_err(failure)?;
    if mine {
        return Ok(Ok(false));
    }
    if !used && uint(different) >= max_different as u64 {
        return Ok(Err(ErrorBody::new(
            ErrorKind::TooLarge,
            format!("A message can carry at most {max_different} different reactions."),
        )));
    }
    connection
        .prepare_cached("INSERT INTO reactions (room, seq, emoji, user_id, user_name) VALUES (?1, ?2, ?3, ?4, ?5)")
        .and_then(|mut statement| statement.execute(params![room.as_str(), int(seq), emoji, user.as_str(), name]))
        .map_err(failure)?;
    Ok(Ok(true))
}

/// The messages of a room that changed after `after_rev`, oldest change first.
pub(super) fn room_changes(
    connection: &Connection,
    room: &RoomKey,
    after_rev: u64,
    limit: usize,
) -> Result<Option<ChangesPage>, StoreError> {
    let latest: Option<i64> = connection
        .prepare_cached("SELECT last_rev FROM rooms WHERE key = ?1 AND deleted = 0")
        .and_then(|mut statement| statement.query_row([room.as_str()], |row| row.get(0)).optional())
        .map_err(failure)?;
    let Some(latest) = latest else { return Ok(None) };
    let mut messages = connection
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.room = ?1 AND m.rev > ?2 ORDER BY m.rev LIMIT ?3"
        ))
        .and_then(|mut statement| {
            statement
                .query_map(
                    params![room.as_str(), int(after_rev), i64::try_from(limit).unwrap_or(i64::MAX)],
                    message_row,
                )?
                .collect::<rusqlite::Result<Vec<Message>>>()
        })
        .map_err(failure)?;
    fill_reactions(connection, room, &mut messages)?;
    Ok(Some(ChangesPage { messages, latest_rev: uint(latest) }))
}
