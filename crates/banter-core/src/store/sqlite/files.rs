//! Shared files in SQL: one row per completed upload. The bytes are on disk under their SHA-256
//! (`host/files`), once however many rows share them.

use rusqlite::{params, Connection, OptionalExtension};

use super::{failure, int, uint};
use crate::keys::UserId;
use crate::protocol::FileInfo;
use crate::store::{FileRecord, StoreError};

pub(super) fn keep_file(connection: &Connection, record: &FileRecord) -> Result<(), StoreError> {
    let info = &record.info;
    connection
        .prepare_cached(
            "INSERT INTO files (id, sha256, name, size, mime, uploader, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                info.id,
                info.sha256,
                info.name,
                int(info.size),
                info.mime,
                record.uploader.as_str(),
                int(record.stored_at)
            ])
        })
        .map_err(failure)?;
    Ok(())
}

pub(super) fn file(connection: &Connection, id: &str) -> Result<Option<FileRecord>, StoreError> {
    connection
        .prepare_cached("SELECT id, sha256, name, size, mime, uploader, stored_at FROM files WHERE id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([id], |row| {
                    Ok(FileRecord {
                        info: FileInfo {
                            id: row.get(0)?,
                            sha256: row.get(1)?,
                            name: row.get(2)?,
                            size: uint(row.get(3)?),
                            mime: row.get(4)?,
                        },
                        uploader: UserId::from_stored(row.get(5)?),
                        stored_at: uint(row.get(6)?),
                    })
                })
                .optional()
        })
        .map_err(failure)
}

pub(super) fn stored_file_bytes(connection: &Connection) -> Result<u64, StoreError> {
    let bytes: i64 = connection
        .prepare_cached(
            "SELECT coalesce(sum(size), 0) FROM (SELECT sha256, max(size) AS size FROM files GROUP BY sha256)",
        )
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .map_err(failure)?;
    Ok(uint(bytes))
}

/// Whether a file was sent with a message (in a room or a conversation).
pub(super) fn is_sent(connection: &Connection, id: &str) -> Result<bool, StoreError> {
    connection
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE file_id = ?1) OR EXISTS (SELECT 1 FROM directs WHERE file_id = ?1)",
        )
        .and_then(|mut statement| statement.query_row([id], |row| row.get(0)))
        .map_err(failure)
}

/// Deletes a file's record (its message was deleted); returns the SHA-256 of its bytes if no other record shares
/// them, for the host to remove them from the disk.
pub(super) fn forget(connection: &Connection, id: &str) -> Result<Option<String>, StoreError> {
    let sha256: Option<String> = connection
        .prepare_cached("DELETE FROM files WHERE id = ?1 RETURNING sha256")
        .and_then(|mut statement| statement.query_row([id], |row| row.get(0)).optional())
        .map_err(failure)?;
    let Some(sha256) = sha256 else { return Ok(None) };
    let shared: bool = connection
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)")
        .and_then(|mut statement| statement.query_row([&sha256], |row| row.get(0)))
        .map_err(failure)?;
    Ok((!shared).then_some(sha256))
}

/// Forgets the files stored before `before` that no message carries; answers the bytes (by SHA-256) nothing shares.
pub(super) fn forget_unsent(connection: &Connection, before: u64) -> Result<Vec<String>, StoreError> {
    let unsent: Vec<String> = connection
        .prepare_cached(
            "SELECT id FROM files WHERE stored_at < ?1
               AND NOT EXISTS (SELECT 1 FROM messages WHERE file_id = files.id)
               AND NOT EXISTS (SELECT 1 FROM directs WHERE file_id = files.id)",
        )
        .and_then(|mut statement| {
            statement.query_map([int(before)], |row| row.get(0))?.collect::<Result<Vec<String>, _>>()
        })
        .map_err(failure)?;
    let mut freed = Vec::new();
    for id in unsent {
        freed.extend(forget(connection, &id)?);
    }
    Ok(freed)
}

/// Whether any kept file has these bytes.
pub(super) fn sha256_kept(connection: &Connection, sha256: &str) -> Result<bool, StoreError> {
    connection
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)")
        .and_then(|mut statement| statement.query_row([sha256], |row| row.get(0)))
        .map_err(failure)
}
