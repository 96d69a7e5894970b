//! The default [`Store`]: SQLite (bundled) in a data folder, or in memory for an ephemeral host.
//!
//! The data folder holds `banter.db` (with its `-wal` and `-shm` files), `attachments/`, and `banter.lock`, which a
//! running host holds locked so that a second host cannot open the same folder. The database runs in WAL mode:
//! readers see the last commit while the writer prepares the next, and every committed transaction survives a
//! crash of the process. In memory, the same schema lives in SQLite's `memdb`, with one connection that the writer
//! thread uses for reads as well (see `threads`).

mod changes;
mod directory;
mod directs;
mod files;
mod messages;
mod personal;
mod place;
mod schema;
mod search;
mod threads;

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rand::Rng;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::blobs::{self, Blobs};
use super::{
    Appended, BanRecord, ChangesPage, ConversationRecord, Durability, FileRecord, Location, NameBinding, Page,
    PageRequest, Post, RoomRecord, SearchScope, Snapshot, Store, StoreConfig, StoreError,
};
use crate::keys::{NameKey, RoomKey, UserId};
use crate::protocol::{Attachment, DirectMessage, ErrorBody, Message, NotifyLevel, NotifySetting, ReadMark, SearchHit};
pub use messages::MessageIds;
use threads::{AfterCommit, Readers, Writer};

/// The database file in a data folder.
pub const DATABASE_FILE: &str = "banter.db";
const LOCK_FILE: &str = "banter.lock";
const ATTACHMENTS_FOLDER: &str = "attachments";
/// Reader connections: history pages are short, two let one slow read not hold up another.
const READERS: usize = 2;
/// How long a connection waits for a lock another holds (a backup copying the file) before it reports the
/// database busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite behind [`Store`]; see the module's documentation.
#[derive(Debug)]
pub struct SqliteStore {
    description: String,
    host_id: String,
    writer: Arc<Writer>,
    readers: Arc<Readers>,
    blobs: Arc<Blobs>,
    attachment_quota: u64,
    /// `memdb`: no write-ahead log to checkpoint.
    in_memory: bool,
    /// Held locked while the store is open; released when it closes (or the process ends, whatever way).
    lock: Mutex<Option<File>>,
}

/// The error of a failed SQLite call, with a full disk told apart: it refuses writes but keeps the host up.
pub(super) fn failure(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => StoreError::Full,
        _ => StoreError::Failed(error.to_string()),
    }
}

/// SQLite integers are signed; numbers and times in Banter never come near the sign bit.
pub(super) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn unwritable(path: &Path, error: &dyn std::fmt::Display) -> StoreError {
    StoreError::Unwritable { path: path.to_owned(), reason: error.to_string() }
}

/// Takes the data folder's lock, writing this process's id in it for whoever finds it taken.
fn lock_folder(folder: &Path) -> Result<File, StoreError> {
    let path = folder.join(LOCK_FILE);
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|error| unwritable(folder, &error))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            // Best effort: the message only gains a process id from it.
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
            return Err(StoreError::Locked { folder: folder.to_owned(), holder });
        }
        Err(TryLockError::Error(error)) => return Err(unwritable(folder, &error)),
    }
    let written = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()))
        .and_then(|()| file.flush());
    written.map_err(|error| unwritable(folder, &error))?;
    Ok(file)
}

/// What every connection needs before its first read.
fn prepare(connection: &Connection) -> Result<(), StoreError> {
    connection.busy_timeout(BUSY_TIMEOUT).map_err(failure)?;
    // `secure_delete` zeroes what a deletion frees, so that a deleted message's text does not linger in the file's
    // free pages.
    connection.execute_batch("PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;").map_err(failure)
}

/// WAL and the durability asked for, on a file known to be Banter's (switching to WAL writes to the file).
fn configure(connection: &Connection, durability: Durability) -> Result<(), StoreError> {
    let synchronous = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(failure)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Failed(format!("SQLite would not use WAL mode (it chose {mode})")));
    }
    connection.execute_batch(&format!("PRAGMA synchronous = {synchronous};")).map_err(failure)
}

impl SqliteStore {
    /// Opens (or creates) the store, upgrading an older database. Fails with a clear [`StoreError`] for a folder
    /// it cannot write, a file that is not a Banter database, one from a newer Banter, or a folder another host
    /// is using.
    pub fn open(config: &StoreConfig) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_as_of(config, crate::clock::now_millis())
    }

    /// [`SqliteStore::open`], with a new store's lobby made at `now`: a cluster's copies all take the chat's time.
    pub fn open_as_of(config: &StoreConfig, now: u64) -> Result<SqliteStore, StoreError> {
        let (uri, flags, lock, blobs, description, in_memory) = match &config.location {
            Location::Folder(folder) => {
                std::fs::create_dir_all(folder).map_err(|error| unwritable(folder, &error))?;
                let lock = lock_folder(folder)?;
                let blobs = Blobs::in_folder(folder.join(ATTACHMENTS_FOLDER))?;
                let path = folder.join(DATABASE_FILE);
                let flags =
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                (path.to_string_lossy().into_owned(), flags, Some(lock), blobs, folder.display().to_string(), false)
            }
            Location::Memory => {
                // Only the writer's connection opens it (it does the reads too); the random name keeps two memory
                // hosts in one process apart.
                let uri = format!("file:/banter-{:016x}?vfs=memdb", rand::thread_rng().gen::<u64>());
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let blobs = Blobs::Memory(Mutex::default());
                (uri, flags, None, blobs, "memory only (nothing is kept when the host stops)".to_owned(), true)
            }
        };
        let path = PathBuf::from(&uri);
        let open = |flags: OpenFlags| {
            Connection::open_with_flags(&uri, flags).map_err(|error| match error.sqlite_error_code() {
                Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
                    unwritable(&path, &error)
                }
                Some(ErrorCode::NotADatabase) => {
                    StoreError::NotBanter { path: path.clone(), reason: error.to_string() }
                }
                _ => failure(error),
            })
        };
        let mut writer = open(flags)?;
        let not_banter = |error: StoreError| match error {
            StoreError::Failed(reason) if reason.contains("not a database") => {
                StoreError::NotBanter { path: path.clone(), reason }
            }
            StoreError::Failed(reason) if reason.contains("readonly") || reason.contains("read-only") => {
                StoreError::Unwritable { path: path.clone(), reason }
            }
            other => other,
        };
        prepare(&writer).map_err(not_banter)?;
        let version = schema::recognise(&writer, &path).map_err(not_banter)?;
        if !in_memory {
            configure(&writer, config.durability).map_err(not_banter)?;
        }
        schema::upgrade(&mut writer, version).map_err(not_banter)?;
        directory::ensure_lobby(&writer, now)?;
        let host_id = directory::host_id(&writer)?;
        let known = directory::attachment_ids(&writer)?;
        blobs.sweep(&|id| known.contains(id));
        let writer = Arc::new(Writer::start(writer)?);
        let readers = if in_memory {
            Readers::Writer(Arc::clone(&writer))
        } else {
            let mut readers = Vec::with_capacity(READERS);
            for _ in 0..READERS {
                let reader = open(flags)?;
                prepare(&reader)?;
                configure(&reader, config.durability)?;
                reader.execute_batch("PRAGMA query_only = ON;").map_err(failure)?;
                readers.push(reader);
            }
            Readers::start(readers)?
        };
        Ok(SqliteStore {
            description,
            host_id,
            writer,
            readers: Arc::new(readers),
            blobs: Arc::new(blobs),
            attachment_quota: config.attachment_quota_bytes,
            in_memory,
            lock: Mutex::new(lock),
        })
    }

    /// The host id this store was created with.
    pub fn host_id(&self) -> &str {
        &self.host_id
    }
}

/// What [`backup`] copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub database_bytes: u64,
    pub attachments: usize,
    /// Shared files' contents copied (each content once, however many files share it).
    pub files: usize,
}

/// Copies a data folder into `to`, a new folder, while a host may be using it: the database with SQLite's online
/// backup (the copy is one consistent moment, however much the host writes meanwhile), then the attachment files,
/// which never change once written. `to` is then a data folder of its own: a host started on it has everything the
/// original had at that moment. An image evicted while the copy runs is missing from it, as it would be from the
/// original.
pub fn backup(folder: &Path, to: &Path) -> Result<BackupReport, StoreError> {
    let path = folder.join(DATABASE_FILE);
    if !path.is_file() {
        return Err(StoreError::NotBanter { path, reason: "there is no Banter database in that folder".into() });
    }
    if to.join(DATABASE_FILE).exists() {
        return Err(unwritable(to, &"it holds a Banter database already; back up into a new folder"));
    }
    std::fs::create_dir_all(to).map_err(|error| unwritable(to, &error))?;
    let source = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(failure)?;
    source.busy_timeout(BUSY_TIMEOUT).map_err(failure)?;
    let id: i32 = source
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(|error| StoreError::NotBanter { path: path.clone(), reason: error.to_string() })?;
    if id != schema::APPLICATION_ID {
        return Err(StoreError::NotBanter { path, reason: "it is not marked as Banter's".into() });
    }
    let copy_path = to.join(DATABASE_FILE);
    let mut target = Connection::open(&copy_path).map_err(|error| unwritable(to, &error))?;
    rusqlite::backup::Backup::new(&source, &mut target)
        .and_then(|copy| copy.run_to_completion(256, Duration::from_millis(10), None))
        .map_err(failure)?;
    drop(target);
    let mut attachments = 0;
    let from = folder.join(ATTACHMENTS_FOLDER);
    for shard in std::fs::read_dir(&from).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
            let name = file.file_name();
            if !blobs::is_id(&name.to_string_lossy()) {
                continue;
            }
            let shard_to = to.join(ATTACHMENTS_FOLDER).join(shard.file_name());
            std::fs::create_dir_all(&shard_to).map_err(|error| unwritable(&shard_to, &error))?;
            match std::fs::copy(file.path(), shard_to.join(&name)) {
                Ok(_) => attachments += 1,
                // Evicted while the copy ran.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(unwritable(&shard_to, &error)),
            }
        }
    }
    let files = copy_blobs(&folder.join(FILE_BLOBS_FOLDER), &to.join(FILE_BLOBS_FOLDER))?;
    let database_bytes = std::fs::metadata(&copy_path).map(|metadata| metadata.len()).unwrap_or(0);
    Ok(BackupReport { database_bytes, attachments, files })
}

/// Where a data folder keeps shared files' bytes (`host::files` writes them; uploads under way are not copied:
/// they go on at the original host).
const FILE_BLOBS_FOLDER: &str = "files/blobs";

/// Copies the content files under `from` (`xx/SHA256`) into `to`; returns how many. A file removed while the copy
/// runs (its last message was deleted) is skipped.
fn copy_blobs(from: &Path, to: &Path) -> Result<usize, StoreError> {
    let mut copied = 0;
    for shard in std::fs::read_dir(from).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
            let name = file.file_name();
            if !blobs::is_id(&name.to_string_lossy()) {
                continue;
            }
            let shard_to = to.join(shard.file_name());
            std::fs::create_dir_all(&shard_to).map_err(|error| unwritable(&shard_to, &error))?;
            match std::fs::copy(file.path(), shard_to.join(&name)) {
                Ok(_) => copied += 1,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(unwritable(&shard_to, &error)),
            }
        }
    }
    Ok(copied)
}

impl SqliteStore {
    /// [`Store::append`] at a given time, with the ids of new messages drawn from `ids`: a cluster's copy applies
    /// every host's posts with the time and ids of the log entry that carried them, so all copies agree.
    pub async fn append_as(
        &self,
        posts: Vec<Post>,
        now: u64,
        ids: MessageIds,
    ) -> Result<Vec<Result<Appended, ErrorBody>>, StoreError> {
        // A deleted message's text leaves the database file with the commit, but the write-ahead log keeps the
        // frames that held it until they are overwritten: after a deletion the log is checkpointed and emptied
        // at once. Deletions are rare; the commits behind this one wait for it.
        let forget_deleted: AfterCommit<Vec<Result<Appended, ErrorBody>>> = Box::new(|connection, outcomes| {
            let deleted = outcomes
                .iter()
                .any(|outcome| matches!(outcome, Ok(Appended { kept, duplicate: false, .. }) if kept.is_deletion()));
            if deleted {
                let checkpoint =
                    connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0));
                match checkpoint {
                    Ok(0) => {}
                    Ok(_) => tracing::info!("the log still holds a deleted message until the next checkpoint"),
                    Err(error) => tracing::warn!(%error, "could not checkpoint after a deletion"),
                }
            }
        });
        let after = (!self.in_memory).then_some(forget_deleted);
        self.writer.write_then(move |connection| messages::append(connection, posts, now, ids), after).await
    }

    /// [`Store::put_attachment`] at a given time (see [`SqliteStore::append_as`]): the quota evicts by it.
    pub async fn put_attachment_at(
        &self,
        bytes: Bytes,
        mime: &'static str,
        now: u64,
    ) -> Result<Attachment, StoreError> {
        let id = blobs::id_of(&bytes);
        let size = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let quota = self.attachment_quota;
        let staging = (Arc::clone(&self.blobs), id.clone());
        let staged = tokio::task::spawn_blocking(move || staging.0.stage(&staging.1, bytes))
            .await
            .map_err(|error| StoreError::Failed(format!("staging an attachment: {error}")))??;
        let (placing, evicting) = (Arc::clone(&self.blobs), Arc::clone(&self.blobs));
        let kept_id = id.clone();
        // Evicted files go on the writer thread right after the commit, unless a later job of the same commit kept
        // the same bytes again.
        let evict: threads::AfterCommit<Vec<String>> = Box::new(move |connection, evicted| {
            for id in evicted {
                match directory::attachment_mime(connection, id) {
                    Ok(None) => evicting.remove(id),
                    Ok(Some(_)) => {}
                    Err(error) => tracing::warn!(%id, %error, "could not check an evicted attachment"),
                }
            }
        });
        self.writer
            .write_then(
                move |connection| {
                    placing.place(&kept_id, staged)?;
                    directory::keep_attachment(connection, &kept_id, mime, u64::from(size), quota, now)
                },
                Some(evict),
            )
            .await?;
        Ok(Attachment { id, mime: mime.to_owned(), size })
    }

    /// [`Store::add_member`] at a given time (see [`SqliteStore::append_as`]).
    pub async fn add_member_at(
        &self,
        room: &RoomKey,
        room_name: &str,
        user: &UserId,
        now: u64,
    ) -> Result<(), StoreError> {
        let (room, room_name, user) = (room.clone(), room_name.to_owned(), user.clone());
        self.writer.write(move |connection| directory::add_member(connection, &room, &room_name, &user, now)).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let host_id = self.host_id.clone();
        self.readers.read(move |connection| directory::snapshot(connection, &host_id)).await
    }

    async fn append(&self, posts: Vec<Post>) -> Result<Vec<Result<Appended, ErrorBody>>, StoreError> {
        self.append_as(posts, crate::clock::now_millis(), MessageIds::random()).await
    }

    async fn room_page(
        &self,
        room: &RoomKey,
        page: PageRequest,
        limit: usize,
    ) -> Result<Option<Page<Message>>, StoreError> {
        let room = room.clone();
        self.readers.read(move |connection| messages::room_page(connection, &room, page, limit)).await
    }

    async fn room_changes(
        &self,
        room: &RoomKey,
        after_rev: u64,
        limit: usize,
    ) -> Result<Option<ChangesPage>, StoreError> {
        let room = room.clone();
        self.readers.read(move |connection| changes::room_changes(connection, &room, after_rev, limit)).await
    }

    async fn search(&self, scope: SearchScope, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        self.readers.read(move |connection| search::search(connection, &scope, limit)).await
    }

    async fn direct_page(
        &self,
        me: &UserId,
        other: &UserId,
        page: PageRequest,
        limit: usize,
    ) -> Result<Page<DirectMessage>, StoreError> {
        let (me, other) = (me.clone(), other.clone());
        self.readers.read(move |connection| directs::direct_page(connection, &me, &other, page, limit)).await
    }

    async fn conversation_peer(&self, me: &UserId, conversation: &str) -> Result<Option<UserId>, StoreError> {
        let (me, conversation) = (me.clone(), conversation.to_owned());
        self.readers.read(move |connection| directs::conversation_peer(connection, &me, &conversation)).await
    }

    async fn conversations(&self, user: &UserId, limit: usize) -> Result<Vec<ConversationRecord>, StoreError> {
        let user = user.clone();
        self.readers.read(move |connection| directs::conversations(connection, &user, limit)).await
    }

    async fn direct_changes(
        &self,
        me: &UserId,
        conversation: &str,
        after_rev: u64,
        limit: usize,
    ) -> Result<Option<ChangesPage<DirectMessage>>, StoreError> {
        let (me, conversation) = (me.clone(), conversation.to_owned());
        self.readers
            .read(move |connection| changes::direct_changes(connection, &me, &conversation, after_rev, limit))
            .await
    }

    async fn mark_direct_read(&self, user: &UserId, conversation: &str, seq: u64) -> Result<Option<u64>, StoreError> {
        let (user, conversation) = (user.clone(), conversation.to_owned());
        self.writer.write(move |connection| personal::mark_direct_read(connection, &user, &conversation, seq)).await
    }

    async fn keep_file(&self, record: FileRecord) -> Result<(), StoreError> {
        self.writer.write(move |connection| files::keep_file(connection, &record)).await
    }

    async fn file(&self, id: &str) -> Result<Option<FileRecord>, StoreError> {
        let id = id.to_owned();
        self.readers.read(move |connection| files::file(connection, &id)).await
    }

    async fn stored_file_bytes(&self) -> Result<u64, StoreError> {
        self.readers.read(files::stored_file_bytes).await
    }

    async fn sha256_kept(&self, sha256: &str) -> Result<bool, StoreError> {
        let sha256 = sha256.to_owned();
        self.readers.read(move |connection| files::sha256_kept(connection, &sha256)).await
    }

    async fn forget_unsent_files(&self, before: u64) -> Result<Vec<String>, StoreError> {
        self.writer.write(move |connection| files::forget_unsent(connection, before)).await
    }

    async fn mark_read(&self, user: &UserId, room: &RoomKey, seq: u64) -> Result<u64, StoreError> {
        let (user, room) = (user.clone(), room.clone());
        self.writer.write(move |connection| personal::mark_read(connection, &user, &room, seq)).await
    }

    async fn reads(&self, user: &UserId) -> Result<Vec<ReadMark>, StoreError> {
        let user = user.clone();
        self.readers.read(move |connection| personal::reads(connection, &user)).await
    }

    async fn set_notify(&self, user: &UserId, room: &RoomKey, level: NotifyLevel) -> Result<(), StoreError> {
        let (user, room) = (user.clone(), room.clone());
        self.writer.write(move |connection| personal::set_notify(connection, &user, &room, level)).await
    }

    async fn notify_settings(&self, user: &UserId) -> Result<Vec<NotifySetting>, StoreError> {
        let user = user.clone();
        self.readers.read(move |connection| personal::notify_settings(connection, &user)).await
    }

    async fn memberships(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        let user = user.clone();
        self.readers.read(move |connection| directory::memberships(connection, &user)).await
    }

    async fn create_room(&self, room: RoomRecord) -> Result<(), StoreError> {
        self.writer.write(move |connection| directory::create_room(connection, &room)).await
    }

    async fn delete_room(&self, room: &RoomKey) -> Result<bool, StoreError> {
        let room = room.clone();
        self.writer.write(move |connection| directory::delete_room(connection, &room)).await
    }

    async fn add_member(&self, room: &RoomKey, room_name: &str, user: &UserId) -> Result<(), StoreError> {
        self.add_member_at(room, room_name, user, crate::clock::now_millis()).await
    }

    async fn remove_member(&self, room: &RoomKey, user: &UserId) -> Result<(), StoreError> {
        let (room, user) = (room.clone(), user.clone());
        self.writer.write(move |connection| directory::remove_member(connection, &room, &user)).await
    }

    async fn bind_name(&self, binding: NameBinding) -> Result<Result<(), NameBinding>, StoreError> {
        self.writer.write(move |connection| directory::bind_name(connection, &binding)).await
    }

    async fn release_name(&self, key: &NameKey) -> Result<Option<NameBinding>, StoreError> {
        let key = key.clone();
        self.writer.write(move |connection| directory::release_name(connection, &key)).await
    }

    async fn ban(&self, ban: BanRecord) -> Result<(), StoreError> {
        self.writer.write(move |connection| directory::ban(connection, &ban)).await
    }

    async fn unban(&self, user: &UserId) -> Result<bool, StoreError> {
        let user = user.clone();
        self.writer.write(move |connection| directory::unban(connection, &user)).await
    }

    async fn put_attachment(&self, bytes: Bytes, mime: &'static str) -> Result<Attachment, StoreError> {
        self.put_attachment_at(bytes, mime, crate::clock::now_millis()).await
    }

    async fn attachment(&self, id: &str) -> Result<Option<(String, Bytes)>, StoreError> {
        if !blobs::is_id(id) {
            return Ok(None);
        }
        let (id, blobs) = (id.to_owned(), Arc::clone(&self.blobs));
        self.readers
            .read(move |connection| {
                let Some(mime) = directory::attachment_mime(connection, &id)? else { return Ok(None) };
                Ok(blobs.get(&id)?.map(|bytes| (mime, bytes)))
            })
            .await
    }

    async fn close(&self) {
        // Joining the threads waits for their last job: off the runtime's workers.
        let (writer, readers) = (Arc::clone(&self.writer), Arc::clone(&self.readers));
        let stopped = tokio::task::spawn_blocking(move || {
            writer.stop();
            readers.stop();
        });
        if let Err(error) = stopped.await {
            tracing::error!(%error, "the store's threads did not stop cleanly");
        }
        self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // A store dropped without `close` (a host task that was aborted) still lets its threads finish.
        self.writer.stop();
        self.readers.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragmas(connection: &Connection) -> Result<(String, i64), StoreError> {
        let mode = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0)).map_err(failure)?;
        let synchronous = connection.query_row("PRAGMA synchronous", [], |row| row.get(0)).map_err(failure)?;
        Ok((mode, synchronous))
    }

    /// The crash promise rests on WAL with `synchronous=NORMAL`, the power-loss one on `FULL`: a crash test would
    /// not notice `synchronous=OFF`, so the settings themselves are checked, on the writer and on the readers.
    #[tokio::test]
    async fn a_data_folder_runs_in_wal_mode_with_the_durability_asked_for() {
        for (durability, synchronous) in [(Durability::Normal, 1), (Durability::Full, 2)] {
            let folder = tempfile::tempdir().unwrap();
            let location = Location::Folder(folder.path().to_owned());
            let store =
                SqliteStore::open(&StoreConfig { location, durability, attachment_quota_bytes: 1 << 20 }).unwrap();
            let expected = ("wal".to_owned(), synchronous);
            assert_eq!(store.writer.write(pragmas).await.unwrap(), expected, "{durability:?}, writer");
            for _ in 0..READERS * 2 {
                assert_eq!(store.readers.read(pragmas).await.unwrap(), expected, "{durability:?}, reader");
            }
            store.close().await;
        }
    }
}
