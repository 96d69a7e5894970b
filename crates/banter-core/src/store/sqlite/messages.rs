//! Room messages in SQL: keeping posts (numbering them, recognising resends) and reading pages of rooms, and what
//! direct messages (`directs`) share with them.

use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::changes::{self, Place};
use super::directs::{self, direct_row, DIRECT_COLUMNS, DIRECT_FROM};
use super::{failure, int, uint};
use crate::keys::{RoomKey, UserId};
use crate::limits::QUOTE_CHARS;
use crate::protocol::{Attachment, ErrorBody, ErrorKind, FileInfo, Message, Quote};
use crate::store::{Appended, Kept, Page, PageRequest, Post, RoomPost, StoreError};

/// A room message's columns, read by [`message_row`] from [`MESSAGE_FROM`]: the message, its room's name, and
/// the message it answers (`p`).
pub(super) const MESSAGE_COLUMNS: &str = "m.id, r.name, m.seq, m.ts, m.author_name, m.text, m.client_id, \
     m.attachment_id, m.attachment_mime, m.attachment_size, m.replies, m.edited_at, m.deleted, m.rev, \
     p.seq, p.author_name, p.text, p.deleted, m.room, f.id, f.name, f.size, f.mime, f.sha256";
pub(super) const MESSAGE_FROM: &str = "FROM messages m JOIN rooms r ON r.key = m.room \
     LEFT JOIN messages p ON p.room = m.room AND p.seq = m.reply_to LEFT JOIN files f ON f.id = m.file_id";
/// Where new messages' ids come from: chance, for one host; for a cluster's copies, the log entry that made them,
/// so that every host's copy gives a message the same id.
#[derive(Debug, Clone, Copy)]
pub struct MessageIds {
    seed: u64,
    drawn: u64,
}

impl MessageIds {
    pub fn random() -> MessageIds {
        MessageIds::seeded(rand::thread_rng().gen())
    }

    pub fn seeded(seed: u64) -> MessageIds {
        MessageIds { seed, drawn: 0 }
    }

    /// The next id: 16 hex digits of SplitMix64, which spreads neighbouring seeds over the whole range.
    pub(super) fn next_id(&mut self) -> String {
        self.drawn += 1;
        let mut mixed = self.seed.wrapping_add(self.drawn.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        format!("{:016x}", mixed ^ (mixed >> 31))
    }
}

pub(super) fn attachment_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<Attachment>> {
    let id: Option<String> = row.get(first)?;
    let mime: Option<String> = row.get(first + 1)?;
    let size: Option<i64> = row.get(first + 2)?;
    Ok(match (id, mime, size) {
        (Some(id), Some(mime), Some(size)) => Some(Attachment { id, mime, size: u32::try_from(size).unwrap_or(0) }),
        _ => None,
    })
}

/// A shared file from five columns starting at `first` (id, name, size, type, hash), all null without one.
pub(super) fn file_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<FileInfo>> {
    let Some(id) = row.get::<_, Option<String>>(first)? else { return Ok(None) };
    Ok(Some(FileInfo {
        id,
        name: row.get(first + 1)?,
        size: uint(row.get(first + 2)?),
        mime: row.get(first + 3)?,
        sha256: row.get(first + 4)?,
    }))
}

/// The file a post carries, checked: kept, the author's own, and not sent with another message.
pub(super) fn file_for(
    connection: &Connection,
    id: Option<&str>,
    author: &UserId,
) -> Result<Result<Option<FileInfo>, ErrorBody>, StoreError> {
    let Some(id) = id else { return Ok(Ok(None)) };
    let Some(record) = super::files::file(connection, id)? else {
        return Ok(Err(ErrorBody::new(ErrorKind::NotFound, "That file is not on the host: upload it again.")));
    };
    if &record.uploader != author {
        return Ok(Err(ErrorBody::new(ErrorKind::Forbidden, "You can send only files you uploaded.")));
    }
    if super::files::is_sent(connection, id)? {
        let refusal = "That file was sent with another message already; upload it again to send it again.";
        return Ok(Err(ErrorBody::new(ErrorKind::Invalid, refusal)));
    }
    Ok(Ok(Some(record.info)))
}

/// The quote of the message a row answers, from four columns starting at `first` (its seq, author, text and
/// whether it is deleted), all null if it answers none.
pub(super) fn quote_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<Quote>> {
    let Some(seq) = row.get::<_, Option<i64>>(first)? else { return Ok(None) };
    let deleted: bool = row.get(first + 3)?;
    let text: String = row.get(first + 2)?;
    let snippet = if deleted { String::new() } else { text.chars().take(QUOTE_CHARS).collect() };
    Ok(Some(Quote { seq: uint(seq), from: row.get(first + 1)?, snippet, deleted }))
}

/// A room message from [`MESSAGE_COLUMNS`], without its reactions (`changes::fill_reactions` adds them).
pub(super) fn message_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let reply_to = quote_at(row, 14)?;
    Ok(Message {
        id: row.get(0)?,
        room: row.get(1)?,
        seq: uint(row.get(2)?),
        ts: uint(row.get(3)?),
        from: row.get(4)?,
        text: row.get(5)?,
        client_id: row.get(6)?,
        attachment: attachment_at(row, 7)?,
        file: file_at(row, 19)?,
        reply_to,
        replies: u32::try_from(row.get::<_, i64>(10)?).unwrap_or(0),
        edited_at: row.get::<_, Option<i64>>(11)?.map(uint),
        deleted: row.get(12)?,
        reactions: Vec::new(),
        rev: uint(row.get(13)?),
    })
}

/// A room message and its room's key.
fn keyed_message_row(row: &Row<'_>) -> rusqlite::Result<(Message, RoomKey)> {
    Ok((message_row(row)?, RoomKey::from_stored(row.get(18)?)))
}

/// Keeps posts in order. A database error stops everything (the transaction is not committed); a refusal is that
/// post's answer alone.
pub(super) fn append(
    connection: &Connection,
    posts: Vec<Post>,
    now: u64,
    mut ids: MessageIds,
) -> Result<Vec<Result<Appended, ErrorBody>>, StoreError> {
    posts
        .into_iter()
        .map(|post| {
            let (user, client_id) = match &post {
                Post::Room(post) => (&post.author.id, post.client_id.as_deref()),
                Post::Direct(post) => (&post.from.id, post.client_id.as_deref()),
                Post::Change(change) => (&change.by.id, None),
                Post::DirectChange(change) => (&change.by.id, None),
            };
            if let Some(client_id) = client_id {
                if let Some(original) = resent(connection, user, client_id)? {
                    return Ok(original.map(|kept| Appended {
                        kept,
                        duplicate: true,
                        touched: Vec::new(),
                        freed: Vec::new(),
                    }));
                }
            }
            match post {
                Post::Room(post) => append_room(connection, post, now, &mut ids),
                Post::Direct(post) => directs::append_direct(connection, post, now, &mut ids),
                Post::Change(change) => changes::apply(connection, change, now),
                Post::DirectChange(change) => changes::apply_direct(connection, change, now),
            }
        })
        .collect()
}

/// The message a user already sent under this client id, if any.
fn resent(
    connection: &Connection,
    user: &UserId,
    client_id: &str,
) -> Result<Option<Result<Kept, ErrorBody>>, StoreError> {
    let found: Option<(String, String)> = connection
        .prepare_cached("SELECT kind, message_id FROM sent WHERE user_id = ?1 AND client_id = ?2")
        .and_then(|mut statement| {
            statement.query_row(params![user.as_str(), client_id], |row| Ok((row.get(0)?, row.get(1)?))).optional()
        })
        .map_err(failure)?;
    let Some((kind, message_id)) = found else { return Ok(None) };
    let gone = || ErrorBody::new(ErrorKind::NotFound, "That message was deleted with its room.");
    let kept = if kind == "room" {
        let found = connection
            .prepare_cached(&format!("SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.id = ?1"))
            .and_then(|mut statement| statement.query_row([&message_id], keyed_message_row).optional())
            .map_err(failure)?;
        match found {
            Some((mut message, room)) => {
                changes::fill_reactions(connection, &room, std::slice::from_mut(&mut message))?;
                Some(Kept::Room(message))
            }
            None => None,
        }
    } else {
        let found = connection
            .prepare_cached(&format!("SELECT {DIRECT_COLUMNS} {DIRECT_FROM} WHERE d.id = ?1"))
            .and_then(|mut statement| {
                statement.query_row([&message_id], |row| Ok((direct_row(row)?, row.get::<_, i64>(12)?))).optional()
            })
            .map_err(failure)?;
        match found {
            Some(((mut message, from, to), thread)) => {
                changes::fill_direct_reactions(connection, thread, std::slice::from_mut(&mut message))?;
                Some(Kept::Direct { message, from, to })
            }
            None => None,
        }
    };
    Ok(Some(kept.ok_or_else(gone)))
}

/// An attachment's description, if the store keeps it.
fn stored_attachment(connection: &Connection, id: &str) -> Result<Option<Attachment>, StoreError> {
    connection
        .prepare_cached("SELECT id, mime, size FROM attachments WHERE id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([id], |row| {
                    Ok(Attachment {
                        id: row.get(0)?,
                        mime: row.get(1)?,
                        size: u32::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    })
                })
                .optional()
        })
        .map_err(failure)
}

pub(super) fn attachment_for(
    connection: &Connection,
    id: Option<&str>,
) -> Result<Result<Option<Attachment>, ErrorBody>, StoreError> {
    let Some(id) = id else { return Ok(Ok(None)) };
    Ok(stored_attachment(connection, id)?.map(Some).ok_or_else(|| {
        ErrorBody::new(ErrorKind::NotFound, "That attachment is no longer on the host; attach it again.")
    }))
}

pub(super) fn remember_sent(
    connection: &Connection,
    user: &UserId,
    client_id: Option<&str>,
    kind: &str,
    id: &str,
) -> Result<(), StoreError> {
    let Some(client_id) = client_id else { return Ok(()) };
    connection
        .prepare_cached("INSERT INTO sent (user_id, client_id, kind, message_id) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut statement| statement.execute(params![user.as_str(), client_id, kind, id]))
        .map_err(failure)?;
    Ok(())
}

fn append_room(
    connection: &Connection,
    post: RoomPost,
    now: u64,
    ids: &mut MessageIds,
) -> Result<Result<Appended, ErrorBody>, StoreError> {
    if let Err(refusal) = post.permitted {
        return Ok(Err(refusal));
    }
    let attachment = match attachment_for(connection, post.attachment.as_deref())? {
        Ok(attachment) => attachment,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let file = match file_for(connection, post.file.as_deref(), &post.author.id)? {
        Ok(file) => file,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // A room the host knows but the store does not yet (its creation is a moment behind) is created here.
    connection
        .prepare_cached(
            "INSERT INTO rooms (key, name, created_at, last_active) VALUES (?1, ?2, ?3, ?3) ON CONFLICT (key) DO NOTHING",
        )
        .and_then(|mut statement| statement.execute(params![post.room.as_str(), post.room_name, int(now)]))
        .map_err(failure)?;
    let (name, last_seq, deleted): (String, i64, bool) = connection
        .prepare_cached("SELECT name, last_seq, deleted FROM rooms WHERE key = ?1")
        .and_then(|mut statement| {
            statement.query_row([post.room.as_str()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        })
        .map_err(failure)?;
    if deleted {
        return Ok(Err(ErrorBody::new(ErrorKind::NotFound, format!("The room “{name}” was deleted."))));
    }
    if let Some(parent) = post.reply_to {
        let parent_deleted: Option<bool> = connection
            .prepare_cached("SELECT deleted FROM messages WHERE room = ?1 AND seq = ?2")
            .and_then(|mut statement| {
                statement.query_row(params![post.room.as_str(), int(parent)], |row| row.get(0)).optional()
            })
            .map_err(failure)?;
        match parent_deleted {
            None => {
                let refusal = format!("There is no message {parent} in “{name}” to reply to.");
                return Ok(Err(ErrorBody::new(ErrorKind::NotFound, refusal)));
            }
            Some(true) => {
                let refusal = "The message you reply to was deleted.";
                return Ok(Err(ErrorBody::new(ErrorKind::NotFound, refusal)));
            }
            Some(false) => {}
        }
    }
    let message = Message {
        id: ids.next_id(),
        room: name,
        seq: uint(last_seq) + 1,
        ts: now,
        from: post.author.name,
        text: post.text,
        client_id: post.client_id,
        attachment,
        file,
        ..Message::default()
    };
    connection
        .prepare_cached(
            "INSERT INTO messages (room, seq, id, ts, author_name, author_id, text, client_id, attachment_id, \
             attachment_mime, attachment_size, reply_to, file_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                post.room.as_str(),
                int(message.seq),
                message.id,
                int(message.ts),
                message.from,
                post.author.id.as_str(),
                message.text,
                message.client_id,
                message.attachment.as_ref().map(|a| a.id.as_str()),
                message.attachment.as_ref().map(|a| a.mime.as_str()),
                message.attachment.as_ref().map(|a| i64::from(a.size)),
                post.reply_to.map(int),
                message.file.as_ref().map(|f| f.id.as_str()),
            ])
        })
        .map_err(failure)?;
    connection
        .prepare_cached("UPDATE rooms SET last_seq = ?2, last_active = ?3 WHERE key = ?1")
        .and_then(|mut statement| statement.execute(params![post.room.as_str(), int(message.seq), int(now)]))
        .map_err(failure)?;
    remember_sent(connection, &post.author.id, message.client_id.as_deref(), "room", &message.id)?;
    let Some(parent) = post.reply_to else {
        return Ok(Ok(Appended {
            kept: Kept::Room(message),
            duplicate: false,
            touched: Vec::new(),
            freed: Vec::new(),
        }));
    };
    // A reply is read back for its quote, and the message it answers counts one more reply.
    let touched = changes::count_reply(connection, Place::Room(&post.room), parent, 1)?.into_iter().collect();
    let message = changes::room_message(connection, &post.room, message.seq)?.unwrap_or(message);
    Ok(Ok(Appended { kept: Kept::Room(message), duplicate: false, touched, freed: Vec::new() }))
}

/// The SQL condition and order of a page, and whether its rows come newest first (to be reversed).
pub(super) fn page_clause(page: PageRequest) -> (&'static str, &'static str, i64, bool) {
    match page {
        PageRequest::Latest => ("seq > ?2", "DESC", 0, true),
        PageRequest::Before(seq) => ("seq < ?2", "DESC", int(seq), true),
        PageRequest::After(seq) => ("seq > ?2", "ASC", int(seq), false),
    }
}

pub(super) fn room_page(
    connection: &Connection,
    room: &RoomKey,
    page: PageRequest,
    limit: usize,
) -> Result<Option<Page<Message>>, StoreError> {
    let latest: Option<(i64, i64)> = connection
        .prepare_cached("SELECT last_seq, last_rev FROM rooms WHERE key = ?1 AND deleted = 0")
        .and_then(|mut statement| statement.query_row([room.as_str()], |row| Ok((row.get(0)?, row.get(1)?))).optional())
        .map_err(failure)?;
    let Some((latest, latest_rev)) = latest else { return Ok(None) };
    let (condition, order, bound, newest_first) = page_clause(page);
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.room = ?1 AND m.{condition} ORDER BY m.seq {order} LIMIT ?3"
    );
    let mut messages = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement
                .query_map(params![room.as_str(), bound, i64::try_from(limit).unwrap_or(i64::MAX)], message_row)?
                .collect::<rusqlite::Result<Vec<Message>>>()
        })
        .map_err(failure)?;
    if newest_first {
        messages.reverse();
    }
    changes::fill_reactions(connection, room, &mut messages)?;
    Ok(Some(Page { messages, latest_seq: uint(latest), latest_rev: uint(latest_rev) }))
}
