//! Everything but messages in SQL: the host's id, rooms and their members, bound names, and which attachments
//! are kept.

use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension};

use super::{failure, int, uint};
use crate::keys::{NameKey, RoomKey, UserId};
use crate::protocol::LOBBY;
use crate::store::{BanRecord, NameBinding, RoomRecord, Snapshot, StoreError};

/// The host's id, made on first use.
pub(super) fn host_id(connection: &Connection) -> Result<String, StoreError> {
    let found: Option<String> = connection
        .query_row("SELECT value FROM meta WHERE key = 'host_id'", [], |row| row.get(0))
        .optional()
        .map_err(failure)?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = format!("{:032x}", rand::thread_rng().gen::<u128>());
    connection.execute("INSERT INTO meta (key, value) VALUES ('host_id', ?1)", [&id]).map_err(failure)?;
    Ok(id)
}

/// Makes sure the lobby exists: every host has one from its first start.
pub(super) fn ensure_lobby(connection: &Connection, now: u64) -> Result<(), StoreError> {
    connection
        .execute(
            "INSERT INTO rooms (key, name, created_at, last_active) VALUES (?1, ?1, ?2, ?2) ON CONFLICT (key) DO NOTHING",
            params![LOBBY, int(now)],
        )
        .map_err(failure)?;
    Ok(())
}

pub(super) fn snapshot(connection: &Connection, host_id: &str) -> Result<Snapshot, StoreError> {
    let rooms = connection
        .prepare(
            "SELECT key, name, created_by, created_at, last_active, last_seq FROM rooms WHERE deleted = 0 ORDER BY key",
        )
        .and_then(|mut statement| {
            statement
                .query_map([], |row| {
                    Ok(RoomRecord {
                        key: RoomKey::from_stored(row.get(0)?),
                        name: row.get(1)?,
                        created_by: row.get::<_, Option<String>>(2)?.map(UserId::from_stored),
                        created_at: uint(row.get(3)?),
                        last_active: uint(row.get(4)?),
                        latest_seq: uint(row.get(5)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(failure)?;
    let names = connection
        .prepare("SELECT key, name, user_id, bound_at FROM names ORDER BY key")
        .and_then(|mut statement| statement.query_map([], binding_row)?.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(failure)?;
    let now = crate::clock::now_millis();
    let bans = connection
        .prepare("SELECT user_id, name, until, reason, banned_at FROM bans ORDER BY banned_at")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| {
                    Ok(BanRecord {
                        user: UserId::from_stored(row.get(0)?),
                        name: row.get(1)?,
                        until: row.get::<_, Option<i64>>(2)?.map(uint),
                        reason: row.get(3)?,
                        banned_at: uint(row.get(4)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(failure)?
        .into_iter()
        .filter(|ban| ban.holds_at(now))
        .collect();
    Ok(Snapshot { host_id: host_id.to_owned(), rooms, names, bans })
}

pub(super) fn ban(connection: &Connection, ban: &BanRecord) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO bans (user_id, name, until, reason, banned_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, until = excluded.until, \
             reason = excluded.reason, banned_at = excluded.banned_at",
        )
        .and_then(|mut statement| {
            statement.execute(params![ban.user.as_str(), ban.name, ban.until.map(int), ban.reason, int(ban.banned_at)])
        })
        .map_err(failure)?;
    Ok(())
}

pub(super) fn unban(connection: &Connection, user: &UserId) -> Result<bool, StoreError> {
    let removed = connection.execute("DELETE FROM bans WHERE user_id = ?1", [user.as_str()]).map_err(failure)?;
    Ok(removed > 0)
}

fn binding_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<NameBinding> {
    Ok(NameBinding {
        key: NameKey::from_stored(row.get(0)?),
        name: row.get(1)?,
        user: UserId::from_stored(row.get(2)?),
        bound_at: uint(row.get(3)?),
    })
}

pub(super) fn create_room(connection: &Connection, room: &RoomRecord) -> Result<(), StoreError> {
    // A deleted room keeps its row, so that its numbering goes on where it stopped when it is made again. A room
    // whose row a message or a membership made a moment before its creation committed gets its creator here.
    connection
        .prepare_cached(
            "INSERT INTO rooms (key, name, created_by, created_at, last_active) VALUES (?1, ?2, ?3, ?4, ?4) \
             ON CONFLICT (key) DO UPDATE SET \
             name = CASE WHEN deleted = 1 THEN excluded.name ELSE name END, \
             created_by = CASE WHEN deleted = 1 OR created_by IS NULL THEN excluded.created_by ELSE created_by END, \
             created_at = CASE WHEN deleted = 1 THEN excluded.created_at ELSE created_at END, \
             last_active = CASE WHEN deleted = 1 THEN excluded.last_active ELSE last_active END, \
             deleted = 0",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                room.key.as_str(),
                room.name,
                room.created_by.as_ref().map(UserId::as_str),
                int(room.created_at)
            ])
        })
        .map_err(failure)?;
    Ok(())
}

pub(super) fn delete_room(connection: &Connection, room: &RoomKey) -> Result<bool, StoreError> {
    let changed = connection
        .execute("UPDATE rooms SET deleted = 1 WHERE key = ?1 AND deleted = 0", [room.as_str()])
        .map_err(failure)?;
    if changed == 0 {
        return Ok(false);
    }
    connection.execute("DELETE FROM messages WHERE room = ?1", [room.as_str()]).map_err(failure)?;
    connection.execute("DELETE FROM reactions WHERE room = ?1", [room.as_str()]).map_err(failure)?;
    connection.execute("DELETE FROM members WHERE room = ?1", [room.as_str()]).map_err(failure)?;
    connection.execute("DELETE FROM reads WHERE room = ?1", [room.as_str()]).map_err(failure)?;
    Ok(true)
}

pub(super) fn add_member(
    connection: &Connection,
    room: &RoomKey,
    room_name: &str,
    user: &UserId,
    now: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO rooms (key, name, created_at, last_active) VALUES (?1, ?2, ?3, ?3) ON CONFLICT (key) DO NOTHING",
        )
        .and_then(|mut statement| statement.execute(params![room.as_str(), room_name, int(now)]))
        .map_err(failure)?;
    connection
        .prepare_cached(
            "INSERT INTO members (user_id, room, joined_at) SELECT ?1, key, ?3 FROM rooms WHERE key = ?2 AND deleted = 0 \
             ON CONFLICT (user_id, room) DO NOTHING",
        )
        .and_then(|mut statement| statement.execute(params![user.as_str(), room.as_str(), int(now)]))
        .map_err(failure)?;
    Ok(())
}

pub(super) fn remove_member(connection: &Connection, room: &RoomKey, user: &UserId) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM members WHERE user_id = ?1 AND room = ?2")
        .and_then(|mut statement| statement.execute(params![user.as_str(), room.as_str()]))
        .map_err(failure)?;
    Ok(())
}

pub(super) fn memberships(connection: &Connection, user: &UserId) -> Result<Vec<String>, StoreError> {
    connection
        .prepare_cached(
            "SELECT r.name FROM members m JOIN rooms r ON r.key = m.room WHERE m.user_id = ?1 AND r.deleted = 0 \
             ORDER BY m.joined_at",
        )
        .and_then(|mut statement| statement.query_map([user.as_str()], |row| row.get(0))?.collect())
        .map_err(failure)
}

pub(super) fn bind_name(connection: &Connection, binding: &NameBinding) -> Result<Result<(), NameBinding>, StoreError> {
    let holder = connection
        .prepare_cached("SELECT key, name, user_id, bound_at FROM names WHERE key = ?1")
        .and_then(|mut statement| statement.query_row([binding.key.as_str()], binding_row).optional())
        .map_err(failure)?;
    match holder {
        Some(holder) if holder.user == binding.user => Ok(Ok(())),
        Some(holder) => Ok(Err(holder)),
        None => {
            connection
                .prepare_cached("INSERT INTO names (key, name, user_id, bound_at) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut statement| {
                    statement.execute(params![
                        binding.key.as_str(),
                        binding.name,
                        binding.user.as_str(),
                        int(binding.bound_at)
                    ])
                })
                .map_err(failure)?;
            Ok(Ok(()))
        }
    }
}

pub(super) fn release_name(connection: &Connection, key: &NameKey) -> Result<Option<NameBinding>, StoreError> {
    let holder = connection
        .prepare_cached("SELECT key, name, user_id, bound_at FROM names WHERE key = ?1")
        .and_then(|mut statement| statement.query_row([key.as_str()], binding_row).optional())
        .map_err(failure)?;
    if holder.is_some() {
        connection.execute("DELETE FROM names WHERE key = ?1", [key.as_str()]).map_err(failure)?;
    }
    Ok(holder)
}

/// Records an attachment as kept (or kept again, which makes it the newest), then evicts the oldest others until
/// the total fits `quota`. Returns the evicted ids, whose files go once this commits.
pub(super) fn keep_attachment(
    connection: &Connection,
    id: &str,
    mime: &str,
    size: u64,
    quota: u64,
    now: u64,
) -> Result<Vec<String>, StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO attachments (id, mime, size, stored_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET stored_at = excluded.stored_at",
        )
        .and_then(|mut statement| statement.execute(params![id, mime, int(size), int(now)]))
        .map_err(failure)?;
    let mut total: u64 = uint(
        connection
            .query_row("SELECT coalesce(sum(size), 0) FROM attachments", [], |row| row.get(0))
            .map_err(failure)?,
    );
    let mut evicted = Vec::new();
    while total > quota {
        let oldest: Option<(String, i64)> = connection
            .query_row("SELECT id, size FROM attachments WHERE id != ?1 ORDER BY stored_at, id LIMIT 1", [id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(failure)?;
        let Some((oldest, size)) = oldest else { break };
        connection.execute("DELETE FROM attachments WHERE id = ?1", [&oldest]).map_err(failure)?;
        total = total.saturating_sub(uint(size));
        evicted.push(oldest);
    }
    Ok(evicted)
}

/// An attachment's type, if it is kept.
pub(super) fn attachment_mime(connection: &Connection, id: &str) -> Result<Option<String>, StoreError> {
    connection
        .prepare_cached("SELECT mime FROM attachments WHERE id = ?1")
        .and_then(|mut statement| statement.query_row([id], |row| row.get(0)).optional())
        .map_err(failure)
}

pub(super) fn attachment_ids(connection: &Connection) -> Result<std::collections::HashSet<String>, StoreError> {
    connection
        .prepare("SELECT id FROM attachments")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .map_err(failure)
}
