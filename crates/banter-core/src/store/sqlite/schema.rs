//! The database's layout, versioned by SQLite's `user_version` and upgraded step by step.
//!
//! Each step brings a database from the version before it to its own; steps are never edited once released, so
//! a database written by any older Banter opens in this one (tests/store.rs keeps a version-1 database to prove
//! it). `application_id` marks the file as Banter's, so that another program's database is refused rather than
//! altered.

use std::path::Path;

use rusqlite::Connection;

use super::failure;
use crate::store::StoreError;

/// "BNTR": what `PRAGMA application_id` holds in a Banter database.
pub(super) const APPLICATION_ID: i32 = 0x424E_5452;

/// Step `n` (counting from 1) brings the database to version `n`.
pub(super) const STEPS: &[&str] = &[
    // Version 1: rooms, their members and history, direct conversations, bound names, and the client ids each user
    // has had answered.
    r"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE names (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        user_id TEXT NOT NULL,
        bound_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE rooms (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_by TEXT,
        created_at INTEGER NOT NULL,
        last_active INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        deleted INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE members (
        user_id TEXT NOT NULL,
        room TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, room)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX members_by_room ON members (room);
    CREATE TABLE messages (
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        author_name TEXT NOT NULL,
        author_id TEXT NOT NULL,
        text TEXT NOT NULL,
        client_id TEXT,
        attachment_id TEXT,
        attachment_mime TEXT,
        attachment_size INTEGER,
        PRIMARY KEY (room, seq)
    ) STRICT;
    CREATE UNIQUE INDEX messages_by_id ON messages (id);
    CREATE TABLE threads (
        id INTEGER PRIMARY KEY,
        user_a TEXT NOT NULL,
        user_b TEXT NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_active INTEGER NOT NULL,
        UNIQUE (user_a, user_b)
    ) STRICT;
    CREATE INDEX threads_by_second_user ON threads (user_b);
    CREATE TABLE directs (
        thread INTEGER NOT NULL REFERENCES threads (id),
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        from_name TEXT NOT NULL,
        from_id TEXT NOT NULL,
        to_name TEXT NOT NULL,
        to_id TEXT NOT NULL,
        text TEXT NOT NULL,
        client_id TEXT,
        attachment_id TEXT,
        attachment_mime TEXT,
        attachment_size INTEGER,
        PRIMARY KEY (thread, seq)
    ) STRICT;
    CREATE UNIQUE INDEX directs_by_id ON directs (id);
    CREATE TABLE sent (
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('room', 'direct')),
        message_id TEXT NOT NULL,
        PRIMARY KEY (user_id, client_id)
    ) STRICT, WITHOUT ROWID;
    ",
    // Version 2: attachments live in files named by their SHA-256; this table says which are kept, for the quota.
    r"
    CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        stored_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX attachments_by_age ON attachments (stored_at);
    ",
    // Version 3: users the host's owner banned, by user id, until a time (in the wire's milliseconds) or for good.
    r"
    CREATE TABLE bans (
        user_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        until INTEGER,
        reason TEXT,
        banned_at INTEGER NOT NULL
    ) STRICT;
    ",
    // Version 4: replies, edits, deletions and reactions. Each change to a message gives it its room's next change
    // number (`rev`), so that a client that was away can ask for what changed after the last one it saw.
    r"
    ALTER TABLE rooms ADD COLUMN last_rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN reply_to INTEGER;
    ALTER TABLE messages ADD COLUMN replies INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN edited_at INTEGER;
    ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_by_rev ON messages (room, rev) WHERE rev > 0;
    CREATE TABLE reactions (
        id INTEGER PRIMARY KEY,
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        emoji TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        UNIQUE (room, seq, emoji, user_id)
    ) STRICT;
    ",
    // Version 5: full-text search over room messages and direct messages (FTS5, the rows' own text as the
    // content: nothing is stored twice), kept in step by triggers, and filled from what was kept before.
    // `secure-delete` takes a deleted message's words out of the index at once, not at the next merge. Also the
    // read marks: how far each user has read each room.
    r"
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    CREATE VIRTUAL TABLE directs_fts USING fts5(
        text, content = 'directs', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER directs_fts_insert AFTER INSERT ON directs BEGIN
        INSERT INTO directs_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER directs_fts_delete AFTER DELETE ON directs BEGIN
        INSERT INTO directs_fts (directs_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TRIGGER directs_fts_update AFTER UPDATE OF text ON directs BEGIN
        INSERT INTO directs_fts (directs_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO directs_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    INSERT INTO directs_fts (directs_fts, rank) VALUES ('secure-delete', 1);
    INSERT INTO directs_fts (directs_fts) VALUES ('rebuild');
    -- How far each user has read each room, on any of their devices.
    CREATE TABLE reads (
        user_id TEXT NOT NULL,
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (user_id, room)
    ) STRICT, WITHOUT ROWID;
    ",
    // Version 6: which messages of a room notify each user, on all their devices (no row: the default, mentions).
    "
    CREATE TABLE notify_levels (
        user_id TEXT NOT NULL,
        room TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('all', 'nothing')),
        PRIMARY KEY (user_id, room)
    ) STRICT, WITHOUT ROWID;
    ",
    // Version 7: direct messages get what room messages got in versions 4 and 5: replies, edits, deletions and
    // reactions, numbered per conversation (`threads.last_rev`), and a read mark per user and conversation.
    r"
    ALTER TABLE threads ADD COLUMN last_rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE directs ADD COLUMN reply_to INTEGER;
    ALTER TABLE directs ADD COLUMN replies INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE directs ADD COLUMN edited_at INTEGER;
    ALTER TABLE directs ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE directs ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX directs_by_rev ON directs (thread, rev) WHERE rev > 0;
    CREATE TABLE direct_reactions (
        id INTEGER PRIMARY KEY,
        thread INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        emoji TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        UNIQUE (thread, seq, emoji, user_id)
    ) STRICT;
    CREATE TABLE direct_reads (
        user_id TEXT NOT NULL,
        thread INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (user_id, thread)
    ) STRICT, WITHOUT ROWID;
    ",
    // Version 8: shared files. Each upload that completed is a row under an id of its own; its bytes are kept once
    // per SHA-256 however many rows share them, in the data folder's `files/blobs/`.
    "
    CREATE TABLE files (
        id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        mime TEXT NOT NULL,
        uploader TEXT NOT NULL,
        stored_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX files_by_sha256 ON files (sha256);
    ",
    // Version 9: a message (in a room or a conversation) may carry one shared file, and a file goes with one
    // message only, so that deleting the message deletes the file.
    "
    ALTER TABLE messages ADD COLUMN file_id TEXT;
    ALTER TABLE directs ADD COLUMN file_id TEXT;
    CREATE UNIQUE INDEX messages_by_file ON messages (file_id) WHERE file_id IS NOT NULL;
    CREATE UNIQUE INDEX directs_by_file ON directs (file_id) WHERE file_id IS NOT NULL;
    ",
];

/// The version this Banter writes.
pub(super) fn current_version() -> u32 {
    u32::try_from(STEPS.len()).unwrap_or(u32::MAX)
}

/// Checks that the database is Banter's (or empty) and not from a newer Banter, and returns its version. Only
/// reads: a file that is not Banter's is left exactly as it was found.
pub(super) fn recognise(connection: &Connection, path: &Path) -> Result<u32, StoreError> {
    let not_banter = |reason: String| StoreError::NotBanter { path: path.to_owned(), reason };
    // The first read of a file that is not SQLite at all fails here ("file is not a database").
    let application_id: i32 = connection
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(|error| not_banter(error.to_string()))?;
    let version: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(failure)?;
    let tables: u32 = connection
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |row| row.get(0))
        .map_err(|error| not_banter(error.to_string()))?;
    match application_id {
        APPLICATION_ID => {}
        0 if tables == 0 => {}
        0 => return Err(not_banter("it is another program's SQLite database".into())),
        _ => return Err(not_banter(format!("its application id is {application_id:#x}"))),
    }
    let known = current_version();
    if version > known {
        return Err(StoreError::Newer { path: path.to_owned(), found: version, known });
    }
    Ok(version)
}

/// Applies the steps a database at `version` (as [`recognise`] found it) lacks, each in its own transaction with
/// its version.
pub(super) fn upgrade(connection: &mut Connection, version: u32) -> Result<(), StoreError> {
    for (index, step) in STEPS.iter().enumerate().skip(usize::try_from(version).unwrap_or(usize::MAX)) {
        let target = index + 1;
        let transaction = connection.transaction().map_err(failure)?;
        transaction.execute_batch(step).map_err(failure)?;
        transaction
            .execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {target};"))
            .map_err(failure)?;
        transaction.commit().map_err(failure)?;
        if version > 0 {
            tracing::info!(from = version, to = target, "upgraded the host's database");
        }
    }
    Ok(())
}
