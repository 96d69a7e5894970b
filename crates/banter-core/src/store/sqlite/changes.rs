//! Changes to messages in SQL: edits, deletions, reactions and the count of replies, each numbered in its room
//! (`rooms.last_rev`) or conversation (`threads.last_rev`), and the reading back of messages as they are now.
//!
//! A change gives the message its place's next change number (`rev`), so a client that was away asks for the
//! messages whose number is past the last it saw (`room_changes`, `direct_changes`), and of two states of one
//! message the one with the higher number is the newer. A change that would change nothing (an edit to the same
//! text, a second deletion, a reaction that is already there) is answered as a duplicate and takes no number.
//!
//! Rooms and conversations keep their messages in tables of the same shape (`messages` and `directs`), so one
//! piece of SQL serves both: [`Place`] names the tables and columns.

use rusqlite::{params, Connection, OptionalExtension};

use super::directs::{direct_message, direct_row, thread_of_conversation, DIRECT_COLUMNS, DIRECT_FROM};
use super::messages::{message_row, MESSAGE_COLUMNS, MESSAGE_FROM};
pub(super) use super::place::Place;
use super::{failure, int, uint};
use crate::keys::{RoomKey, Seq, UserId};
use crate::protocol::{DirectMessage, ErrorBody, ErrorKind, Message, Reaction};
use crate::store::{Action, Appended, Author, ChangesPage, DirectChange, Kept, RoomChange, StoreError};

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

/// A message as it is now, as what a change left: `Kept::Changed` or `Kept::DirectChanged`.
fn as_changed(connection: &Connection, place: Place<'_>, seq: Seq) -> Result<Option<Kept>, StoreError> {
    Ok(match place {
        Place::Room(room) => room_message(connection, room, seq)?.map(Kept::Changed),
        Place::Thread(thread) => direct_message(connection, thread, seq)?
            .map(|(message, from, to)| Kept::DirectChanged { message, from, to }),
    })
}

/// Puts their reactions on messages of one room. Only a message that ever changed can have any.
pub(super) fn fill_reactions(
    connection: &Connection,
    room: &RoomKey,
    messages: &mut [Message],
) -> Result<(), StoreError> {
    for message in messages.iter_mut().filter(|message| message.rev > 0 && !message.deleted) {
        message.reactions = reactions_of(connection, Place::Room(room), message.seq)?;
    }
    Ok(())
}

/// Puts their reactions on messages of one conversation, as [`fill_reactions`] does.
pub(super) fn fill_direct_reactions(
    connection: &Connection,
    thread: i64,
    messages: &mut [DirectMessage],
) -> Result<(), StoreError> {
    for message in messages.iter_mut().filter(|message| message.rev > 0 && !message.deleted) {
        message.reactions = reactions_of(connection, Place::Thread(thread), message.seq)?;
    }
    Ok(())
}

fn reactions_of(connection: &Connection, place: Place<'_>, seq: Seq) -> Result<Vec<Reaction>, StoreError> {
    let (table, column) = (place.reactions(), place.column());
    let rows = connection
        .prepare_cached(&format!("SELECT emoji, user_name FROM {table} WHERE {column} = ?1 AND seq = ?2 ORDER BY id"))
        .and_then(|mut statement| {
            statement
                .query_map(params![place, int(seq)], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<Vec<(String, String)>>>()
        })
        .map_err(failure)?;
    Ok(group(rows))
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

/// Gives a message its place's next change number.
fn renumber(connection: &Connection, place: Place<'_>, seq: Seq) -> Result<(), StoreError> {
    let (counter, key) = place.counter();
    let rev: i64 = connection
        .prepare_cached(&format!("UPDATE {counter} SET last_rev = last_rev + 1 WHERE {key} = ?1 RETURNING last_rev"))
        .and_then(|mut statement| statement.query_row([place], |row| row.get(0)))
        .map_err(failure)?;
    let (table, column) = (place.messages(), place.column());
    connection
        .prepare_cached(&format!("UPDATE {table} SET rev = ?3 WHERE {column} = ?1 AND seq = ?2"))
        .and_then(|mut statement| statement.execute(params![place, int(seq), rev]))
        .map_err(failure)?;
    Ok(())
}

/// Counts one more (or one fewer) reply on the message `parent`, and renumbers it; returns it as it is now.
pub(super) fn count_reply(
    connection: &Connection,
    place: Place<'_>,
    parent: Seq,
    delta: i64,
) -> Result<Option<Kept>, StoreError> {
    let (table, column) = (place.messages(), place.column());
    let changed = connection
        .prepare_cached(&format!("UPDATE {table} SET replies = max(replies + ?3, 0) WHERE {column} = ?1 AND seq = ?2"))
        .and_then(|mut statement| statement.execute(params![place, int(parent), delta]))
        .map_err(failure)?;
    if changed == 0 {
        return Ok(None);
    }
    renumber(connection, place, parent)?;
    as_changed(connection, place, parent)
}

/// What the store knows of a message that a change needs.
struct Target {
    author: UserId,
    deleted: bool,
    reply_to: Option<Seq>,
    text: String,
    file: Option<String>,
}

fn target(connection: &Connection, place: Place<'_>, seq: Seq) -> Result<Option<Target>, StoreError> {
    let (table, column, author) = (place.messages(), place.column(), place.author());
    connection
        .prepare_cached(&format!(
            "SELECT {author}, deleted, reply_to, text, file_id FROM {table} WHERE {column} = ?1 AND seq = ?2"
        ))
        .and_then(|mut statement| {
            statement
                .query_row(params![place, int(seq)], |row| {
                    Ok(Target {
                        author: UserId::from_stored(row.get(0)?),
                        deleted: row.get(1)?,
                        reply_to: row.get::<_, Option<i64>>(2)?.map(uint),
                        text: row.get(3)?,
                        file: row.get(4)?,
                    })
                })
                .optional()
        })
        .map_err(failure)
}

fn refused(kind: ErrorKind, message: impl Into<String>) -> Result<Result<Appended, ErrorBody>, StoreError> {
    Ok(Err(ErrorBody::new(kind, message)))
}

/// Applies one change to a room's message, or says why not. A database error stops the whole transaction; a
/// refusal is this change's answer alone.
pub(super) fn apply(
    connection: &Connection,
    change: RoomChange,
    now: u64,
) -> Result<Result<Appended, ErrorBody>, StoreError> {
    if let Err(refusal) = change.permitted {
        return Ok(Err(refusal));
    }
    let RoomChange { room, seq, by, action, .. } = change;
    apply_at(connection, Place::Room(&room), seq, &by, action, now)
}

/// Applies one change to a direct message, once its author is found to be one of the conversation's two people.
pub(super) fn apply_direct(
    connection: &Connection,
    change: DirectChange,
    now: u64,
) -> Result<Result<Appended, ErrorBody>, StoreError> {
    let DirectChange { conversation, seq, by, action } = change;
    let Some(thread) = thread_with(connection, &by.id, &conversation)? else {
        return refused(ErrorKind::NotFound, "You have no conversation with that id.");
    };
    apply_at(connection, Place::Thread(thread), seq, &by, action, now)
}

/// The thread of a conversation id, if `user` is one of its two people.
pub(super) fn thread_with(
    connection: &Connection,
    user: &UserId,
    conversation: &str,
) -> Result<Option<i64>, StoreError> {
    let Some(thread) = thread_of_conversation(conversation) else { return Ok(None) };
    connection
        .prepare_cached("SELECT id FROM threads WHERE id = ?1 AND (user_a = ?2 OR user_b = ?2)")
        .and_then(|mut statement| statement.query_row(params![thread, user.as_str()], |row| row.get(0)).optional())
        .map_err(failure)
}

fn apply_at(
    connection: &Connection,
    place: Place<'_>,
    seq: Seq,
    by: &Author,
    action: Action,
    now: u64,
) -> Result<Result<Appended, ErrorBody>, StoreError> {
    let Some(found) = target(connection, place, seq)? else {
        return refused(ErrorKind::NotFound, format!("There is no message {seq} in {}.", place.here()));
    };
    let (table, column) = (place.messages(), place.column());
    let mut touched = Vec::new();
    let mut freed = Vec::new();
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
                    .prepare_cached(&format!(
                        "UPDATE {table} SET text = ?3, edited_at = ?4 WHERE {column} = ?1 AND seq = ?2"
                    ))
                    .and_then(|mut statement| statement.execute(params![place, int(seq), text, int(now)]))
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
                    .prepare_cached(&format!(
                        "UPDATE {table} SET text = '', attachment_id = NULL, attachment_mime = NULL, \
                         attachment_size = NULL, file_id = NULL, edited_at = NULL, deleted = 1 \
                         WHERE {column} = ?1 AND seq = ?2"
                    ))
                    .and_then(|mut statement| statement.execute(params![place, int(seq)]))
                    .map_err(failure)?;
                // Its file goes with it: the download answers 404 from now on.
                if let Some(file) = &found.file {
                    freed.extend(super::files::forget(connection, file)?);
                }
                let reactions = place.reactions();
                connection
                    .prepare_cached(&format!("DELETE FROM {reactions} WHERE {column} = ?1 AND seq = ?2"))
                    .and_then(|mut statement| statement.execute(params![place, int(seq)]))
                    .map_err(failure)?;
            }
            Ok(!found.deleted)
        }
        Action::React { emoji, on, max_different } => {
            if found.deleted {
                return refused(ErrorKind::NotFound, "That message was deleted.");
            }
            if on {
                react(connection, place, seq, by, &emoji, max_different)?
            } else {
                let reactions = place.reactions();
                let removed = connection
                    .prepare_cached(&format!(
                        "DELETE FROM {reactions} WHERE {column} = ?1 AND seq = ?2 AND emoji = ?3 AND user_id = ?4"
                    ))
                    .and_then(|mut statement| statement.execute(params![place, int(seq), emoji, by.id.as_str()]))
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
        renumber(connection, place, seq)?;
        // After the message itself, so that change numbers go out in order: the deleted reply, then what it
        // answered, one reply fewer.
        if let (Some(parent), true) = (found.reply_to, is_delete) {
            touched.extend(count_reply(connection, place, parent, -1)?);
        }
    }
    let Some(kept) = as_changed(connection, place, seq)? else {
        return refused(ErrorKind::NotFound, format!("There is no message {seq} in {}.", place.here()));
    };
    Ok(Ok(Appended { kept, duplicate: !changed, touched, freed }))
}

/// Adds a reaction unless it is there already (`Ok(false)`) or would be one different emoji too many.
fn react(
    connection: &Connection,
    place: Place<'_>,
    seq: Seq,
    by: &Author,
    emoji: &str,
    max_different: usize,
) -> Result<Result<bool, ErrorBody>, StoreError> {
    let (reactions, column) = (place.reactions(), place.column());
    let (mine, used, different): (bool, bool, i64) = connection
        .prepare_cached(&format!(
            "SELECT coalesce(max(emoji = ?3 AND user_id = ?4), 0), coalesce(max(emoji = ?3), 0), \
             count(DISTINCT emoji) FROM {reactions} WHERE {column} = ?1 AND seq = ?2"
        ))
        .and_then(|mut statement| {
            statement.query_row(params![place, int(seq), emoji, by.id.as_str()], |row| {
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
        .prepare_cached(&format!(
            "INSERT INTO {reactions} ({column}, seq, emoji, user_id, user_name) VALUES (?1, ?2, ?3, ?4, ?5)"
        ))
        .and_then(|mut statement| statement.execute(params![place, int(seq), emoji, by.id.as_str(), by.name]))
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

/// The messages of one of `me`'s conversations that changed after `after_rev`, oldest change first.
pub(super) fn direct_changes(
    connection: &Connection,
    me: &UserId,
    conversation: &str,
    after_rev: u64,
    limit: usize,
) -> Result<Option<ChangesPage<DirectMessage>>, StoreError> {
    let Some(thread) = thread_with(connection, me, conversation)? else { return Ok(None) };
    let latest: i64 = connection
        .prepare_cached("SELECT last_rev FROM threads WHERE id = ?1")
        .and_then(|mut statement| statement.query_row([thread], |row| row.get(0)))
        .map_err(failure)?;
    let mut messages = connection
        .prepare_cached(&format!(
            "SELECT {DIRECT_COLUMNS} {DIRECT_FROM} WHERE d.thread = ?1 AND d.rev > ?2 ORDER BY d.rev LIMIT ?3"
        ))
        .and_then(|mut statement| {
            statement
                .query_map(params![thread, int(after_rev), i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                    direct_row(row).map(|(message, _, _)| message)
                })?
                .collect::<rusqlite::Result<Vec<DirectMessage>>>()
        })
        .map_err(failure)?;
    fill_direct_reactions(connection, thread, &mut messages)?;
    Ok(Some(ChangesPage { messages, latest_rev: uint(latest) }))
}
