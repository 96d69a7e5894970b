//! Direct messages in SQL: each pair of users has one conversation (a `threads` row, shown to clients as `c` and
//! its number), whose messages are numbered and kept as a room's are.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::changes::{self, Place};
use super::messages::{
    attachment_at, attachment_for, file_at, file_for, page_clause, quote_at, remember_sent, MessageIds,
};
use super::{failure, int, uint};
use crate::keys::{Seq, UserId};
use crate::protocol::{Conversation, DirectMessage, ErrorBody, ErrorKind};
use crate::store::{Appended, ConversationRecord, DirectPost, Kept, Page, PageRequest, StoreError};

/// A direct message's columns, read by [`direct_row`] from [`DIRECT_FROM`]: the message and the one it answers.
pub(super) const DIRECT_COLUMNS: &str = "d.id, d.seq, d.ts, d.from_name, d.to_name, d.text, d.client_id, \
     d.attachment_id, d.attachment_mime, d.attachment_size, d.from_id, d.to_id, d.thread, d.replies, d.edited_at, \
     d.deleted, d.rev, p.seq, p.from_name, p.text, p.deleted, f.id, f.name, f.size, f.mime, f.sha256";
pub(super) const DIRECT_FROM: &str =
    "FROM directs d LEFT JOIN directs p ON p.thread = d.thread AND p.seq = d.reply_to \
     LEFT JOIN files f ON f.id = d.file_id";

/// How a conversation's row id is shown to clients.
fn conversation_id(thread: i64) -> String {
    format!("c{thread}")
}

/// The row id of a conversation id clients gave, if it is one.
pub(super) fn thread_of_conversation(conversation: &str) -> Option<i64> {
    conversation.strip_prefix('c').filter(|digits| digits.len() <= 18).and_then(|digits| digits.parse().ok())
}

/// A direct message from [`DIRECT_COLUMNS`] with both ends' user ids, without its reactions
/// (`changes::fill_direct_reactions` adds them).
pub(super) fn direct_row(row: &Row<'_>) -> rusqlite::Result<(DirectMessage, UserId, UserId)> {
    let message = DirectMessage {
        id: row.get(0)?,
        conversation: conversation_id(row.get(12)?),
        seq: uint(row.get(1)?),
        ts: uint(row.get(2)?),
        from: row.get(3)?,
        to: row.get(4)?,
        text: row.get(5)?,
        client_id: row.get(6)?,
        attachment: attachment_at(row, 7)?,
        replies: u32::try_from(row.get::<_, i64>(13)?).unwrap_or(0),
        edited_at: row.get::<_, Option<i64>>(14)?.map(uint),
        deleted: row.get(15)?,
        rev: uint(row.get(16)?),
        reply_to: quote_at(row, 17)?,
        file: file_at(row, 21)?,
        reactions: Vec::new(),
    };
    Ok((message, UserId::from_stored(row.get(10)?), UserId::from_stored(row.get(11)?)))
}

/// A message of a conversation as it is now, reactions included, with both ends' user ids.
pub(super) fn direct_message(
    connection: &Connection,
    thread: i64,
    seq: Seq,
) -> Result<Option<(DirectMessage, UserId, UserId)>, StoreError> {
    let found = connection
        .prepare_cached(&format!("SELECT {DIRECT_COLUMNS} {DIRECT_FROM} WHERE d.thread = ?1 AND d.seq = ?2"))
        .and_then(|mut statement| statement.query_row(params![thread, int(seq)], direct_row).optional())
        .map_err(failure)?;
    let Some((mut message, from, to)) = found else { return Ok(None) };
    changes::fill_direct_reactions(connection, thread, std::slice::from_mut(&mut message))?;
    Ok(Some((message, from, to)))
}

/// The two users of a conversation in the order its row keeps them.
fn pair<'a>(one: &'a UserId, other: &'a UserId) -> (&'a UserId, &'a UserId) {
    if one <= other {
        (one, other)
    } else {
        (other, one)
    }
}

/// The conversation of two users, created on first use.
fn thread_of(connection: &Connection, one: &UserId, other: &UserId, now: u64) -> Result<(i64, Seq), StoreError> {
    let (a, b) = pair(one, other);
    connection
        .prepare_cached(
            "INSERT INTO threads (user_a, user_b, last_active) VALUES (?1, ?2, ?3) ON CONFLICT (user_a, user_b) DO NOTHING",
        )
        .and_then(|mut statement| statement.execute(params![a.as_str(), b.as_str(), int(now)]))
        .map_err(failure)?;
    let (id, last): (i64, i64) = connection
        .prepare_cached("SELECT id, last_seq FROM threads WHERE user_a = ?1 AND user_b = ?2")
        .and_then(|mut statement| statement.query_row([a.as_str(), b.as_str()], |row| Ok((row.get(0)?, row.get(1)?))))
        .map_err(failure)?;
    Ok((id, uint(last)))
}

pub(super) fn append_direct(
    connection: &Connection,
    post: DirectPost,
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
    let file = match file_for(connection, post.file.as_deref(), &post.from.id)? {
        Ok(file) => file,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (thread, last_seq) = thread_of(connection, &post.from.id, &post.to.id, now)?;
    if let Some(parent) = post.reply_to {
        let parent_deleted: Option<bool> = connection
            .prepare_cached("SELECT deleted FROM directs WHERE thread = ?1 AND seq = ?2")
            .and_then(|mut statement| statement.query_row(params![thread, int(parent)], |row| row.get(0)).optional())
            .map_err(failure)?;
        match parent_deleted {
            None => {
                let refusal = format!("There is no message {parent} in this conversation to reply to.");
                return Ok(Err(ErrorBody::new(ErrorKind::NotFound, refusal)));
            }
            Some(true) => {
                return Ok(Err(ErrorBody::new(ErrorKind::NotFound, "The message you reply to was deleted.")));
            }
            Some(false) => {}
        }
    }
    let message = DirectMessage {
        id: ids.next_id(),
        conversation: conversation_id(thread),
        seq: last_seq + 1,
        ts: now,
        from: post.from.name,
        to: post.to.name,
        text: post.text,
        client_id: post.client_id,
        attachment,
        file,
        ..DirectMessage::default()
    };
    connection
        .prepare_cached(
            "INSERT INTO directs (thread, seq, id, ts, from_name, from_id, to_name, to_id, text, client_id, \
             attachment_id, attachment_mime, attachment_size, reply_to, file_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                thread,
                int(message.seq),
                message.id,
                int(message.ts),
                message.from,
                post.from.id.as_str(),
                message.to,
                post.to.id.as_str(),
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
        .prepare_cached("UPDATE threads SET last_seq = ?2, last_active = ?3 WHERE id = ?1")
        .and_then(|mut statement| statement.execute(params![thread, int(message.seq), int(now)]))
        .map_err(failure)?;
    remember_sent(connection, &post.from.id, message.client_id.as_deref(), "direct", &message.id)?;
    let Some(parent) = post.reply_to else {
        let kept = Kept::Direct { message, from: post.from.id, to: post.to.id };
        return Ok(Ok(Appended { kept, duplicate: false, touched: Vec::new(), freed: Vec::new() }));
    };
    // As in a room: the reply is read back for its quote, and its parent counts one more reply.
    let touched = changes::count_reply(connection, Place::Thread(thread), parent, 1)?.into_iter().collect();
    let message = direct_message(connection, thread, message.seq)?.map_or(message, |(message, _, _)| message);
    let kept = Kept::Direct { message, from: post.from.id, to: post.to.id };
    Ok(Ok(Appended { kept, duplicate: false, touched, freed: Vec::new() }))
}

pub(super) fn direct_page(
    connection: &Connection,
    me: &UserId,
    other: &UserId,
    page: PageRequest,
    limit: usize,
) -> Result<Page<DirectMessage>, StoreError> {
    let (a, b) = pair(me, other);
    let thread: Option<(i64, i64, i64)> = connection
        .prepare_cached("SELECT id, last_seq, last_rev FROM threads WHERE user_a = ?1 AND user_b = ?2")
        .and_then(|mut statement| {
            statement.query_row([a.as_str(), b.as_str()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))).optional()
        })
        .map_err(failure)?;
    let Some((thread, latest, latest_rev)) = thread else {
        return Ok(Page { messages: Vec::new(), latest_seq: 0, latest_rev: 0 });
    };
    let (condition, order, bound, newest_first) = page_clause(page);
    let sql = format!(
        "SELECT {DIRECT_COLUMNS} {DIRECT_FROM} WHERE d.thread = ?1 AND d.{condition} ORDER BY d.seq {order} LIMIT ?3"
    );
    let mut messages = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement
                .query_map(params![thread, bound, i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                    direct_row(row).map(|(message, _, _)| message)
                })?
                .collect::<rusqlite::Result<Vec<DirectMessage>>>()
        })
        .map_err(failure)?;
    if newest_first {
        messages.reverse();
    }
    changes::fill_direct_reactions(connection, thread, &mut messages)?;
    Ok(Page { messages, latest_seq: uint(latest), latest_rev: uint(latest_rev) })
}

/// The other person of a conversation `me` is in, by its id.
pub(super) fn conversation_peer(
    connection: &Connection,
    me: &UserId,
    conversation: &str,
) -> Result<Option<UserId>, StoreError> {
    let Some(thread) = thread_of_conversation(conversation) else { return Ok(None) };
    let users: Option<(String, String)> = connection
        .prepare_cached("SELECT user_a, user_b FROM threads WHERE id = ?1")
        .and_then(|mut statement| statement.query_row([thread], |row| Ok((row.get(0)?, row.get(1)?))).optional())
        .map_err(failure)?;
    Ok(users.and_then(|(a, b)| {
        if a == me.as_str() {
            Some(UserId::from_stored(b))
        } else if b == me.as_str() {
            Some(UserId::from_stored(a))
        } else {
            None
        }
    }))
}

pub(super) fn conversations(
    connection: &Connection,
    user: &UserId,
    limit: usize,
) -> Result<Vec<ConversationRecord>, StoreError> {
    let threads: Vec<(i64, i64, i64)> = connection
        .prepare_cached(
            "SELECT t.id, t.last_rev, coalesce(r.seq, 0) FROM threads t \
             LEFT JOIN direct_reads r ON r.user_id = ?1 AND r.thread = t.id \
             WHERE (t.user_a = ?1 OR t.user_b = ?1) AND t.last_seq > 0 ORDER BY t.last_active DESC LIMIT ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_map(params![user.as_str(), i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect()
        })
        .map_err(failure)?;
    let mut records = Vec::with_capacity(threads.len());
    for (thread, latest_rev, read_seq) in threads {
        let last = connection
            .prepare_cached(&format!(
                "SELECT {DIRECT_COLUMNS} {DIRECT_FROM} WHERE d.thread = ?1 ORDER BY d.seq DESC LIMIT 1"
            ))
            .and_then(|mut statement| statement.query_row([thread], direct_row).optional())
            .map_err(failure)?;
        let Some((mut message, from, to)) = last else { continue };
        changes::fill_direct_reactions(connection, thread, std::slice::from_mut(&mut message))?;
        let (with, with_name) = if &from == user { (to, message.to.clone()) } else { (from, message.from.clone()) };
        let summary = Conversation {
            with: with_name,
            last_message: message,
            read_seq: uint(read_seq),
            latest_rev: uint(latest_rev),
        };
        records.push(ConversationRecord { with, summary });
    }
    Ok(records)
}
