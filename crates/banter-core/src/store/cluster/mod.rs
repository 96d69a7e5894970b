//! The store of several hosts serving one chat through one Valkey or Redis server (ARCHITECTURE.md, "Several
//! hosts, one chat").
//!
//! Every write goes into one log on the server ([`log`]), and every host applies the whole log, in the log's
//! order, to a copy of its own: a [`SqliteStore`] in memory, which answers every read. A write answers its caller
//! only once the server has it and this host's copy has applied it, with what applying it gave; since every copy
//! applies the same commands in the same order from the same start ([`command`]), every host gives the same
//! answer, numbers every message alike, and binds a name to whoever asked first. The log is where the chat is
//! kept: a host keeps nothing of its own, and a new or restarted host reads the log from its start.
//!
//! When the server cannot be reached, writes fail with [`StoreError::Unavailable`] and reads go on from the copy;
//! once it is back, the host reads on from where it was. A server that comes back with less than it acknowledged
//! (a crash under `appendfsync everysec`) leaves this host's copy ahead of it: the host then refuses writes until
//! it is restarted, rather than number messages twice.

mod command;
mod log;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rand::Rng;
use tokio::sync::{mpsc, oneshot};

use super::{
    Appended, BanRecord, ChangesPage, ConversationRecord, FileRecord, Location, NameBinding, Page, PageRequest, Post,
    RoomRecord, SearchScope, Snapshot, SqliteStore, Store, StoreConfig, StoreError,
};
use crate::keys::{NameKey, RoomKey, Seq, UserId};
use crate::protocol::{Attachment, DirectMessage, ErrorBody, Message, NotifyLevel, NotifySetting, ReadMark, SearchHit};
pub use command::Followed;
use command::{Command, Outcome};
use log::{Entry, Log};

/// Entries read and applied at a time.
const BATCH: usize = 256;
/// How long a write waits for this host's copy to apply it once the server has it.
const READ_BACK: Duration = Duration::from_secs(10);
/// The longest pause between two tries to reach the server again.
const MOST_BACKOFF: Duration = Duration::from_secs(2);

/// What a writer is told: what applying its write answered.
type Reply = oneshot::Sender<Result<Outcome, StoreError>>;
type Waiting = Mutex<HashMap<u64, Reply>>;

/// How many applied writes may wait for the host to follow them before the log is read further.
const FEED: usize = 1024;

/// A write the log carried, as this host's copy applied it, for the host to follow ([`ClusterStore::feed`]). Its
/// writer, when it was this host, is answered when it is dropped: after the host has followed it, so that a post is
/// acknowledged only once it went out to this host's sockets.
#[derive(Debug)]
pub struct Applied {
    /// This host wrote it: its own handlers have done what the registry needs already.
    pub ours: bool,
    pub followed: Followed,
    reply: Option<(Reply, Result<Outcome, StoreError>)>,
}

impl Drop for Applied {
    fn drop(&mut self) {
        if let Some((waiter, outcome)) = self.reply.take() {
            // The caller may have stopped waiting; what it wrote is applied all the same.
            let _ = waiter.send(outcome);
        }
    }
}

/// Valkey behind [`Store`]; see the module's documentation.
#[derive(Debug)]
pub struct ClusterStore {
    description: String,
    chat_id: String,
    /// This host instance's name in the log, so that it knows its own entries.
    origin: String,
    log: Log,
    replica: Arc<SqliteStore>,
    tickets: AtomicU64,
    waiting: Arc<Waiting>,
    /// Set once the server turned out to hold less than this host applied.
    diverged: Arc<AtomicBool>,
    feed: Arc<std::sync::OnceLock<mpsc::Sender<Applied>>>,
    follower: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Which host has each kept file's bytes, by file id: the base URL its `KeepFile` named.
    holders: Arc<Mutex<HashMap<String, String>>>,
    /// This host's base URL, which the files kept through it name.
    own_url: std::sync::OnceLock<String>,
}

fn unavailable(error: &redis::RedisError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

fn ahead() -> StoreError {
    StoreError::Failed(
        "the chat's server holds less than this host had read from it (it lost acknowledged writes, or was wiped); \
         restart this host to read the chat from the server again"
            .to_owned(),
    )
}

/// What follows the log in the background and applies it.
struct Follower {
    log: Log,
    replica: Arc<SqliteStore>,
    origin: String,
    waiting: Arc<Waiting>,
    diverged: Arc<AtomicBool>,
    feed: Arc<std::sync::OnceLock<mpsc::Sender<Applied>>>,
    holders: Arc<Mutex<HashMap<String, String>>>,
}

impl Follower {
    /// Applies one entry and answers the caller that wrote it, if it was this host.
    async fn apply(&self, entry: Entry) {
        let seed = entry.seed();
        let (outcome, followed) = match serde_json::from_slice::<Command>(&entry.command) {
            Ok(command) => command::apply(&self.replica, command, entry.bytes, seed).await,
            Err(error) => {
                // Every host skips it alike, so their copies still agree.
                tracing::error!(id = %entry.id, %error, "the cluster's log holds an entry this host cannot read");
                (Err(StoreError::Failed(format!("unreadable log entry: {error}"))), Followed::Nothing)
            }
        };
        if let Err(error) = &outcome {
            tracing::error!(id = %entry.id, %error, "applying the cluster's log failed");
        }
        if let Followed::FileKept { id, holder } = &followed {
            self.holders.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id.clone(), holder.clone());
        }
        let ours = entry.origin == self.origin;
        let waiter = if ours {
            self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&entry.ticket)
        } else {
            None
        };
        let applied = Applied { ours, followed, reply: waiter.map(|waiter| (waiter, outcome)) };
        if let Some(feed) = self.feed.get() {
            // The host follows in the log's order; a host that stopped following lets the writers be answered.
            if let Err(mpsc::error::SendError(applied)) = feed.send(applied).await {
                drop(applied);
            }
        }
    }

    /// Reads and applies everything after `after` that is there now; answers where it got to.
    async fn catch_up(&self, mut after: String) -> Result<String, redis::RedisError> {
        loop {
            let entries = self.log.read(&after, BATCH, false).await?;
            let Some(last) = entries.last().map(|entry| entry.id.clone()) else { return Ok(after) };
            for entry in entries {
                self.apply(entry).await;
            }
            after = last;
        }
    }

    /// Follows the log for as long as the store is open, through outages of the server.
    async fn follow(self, mut after: String) {
        let mut backoff = Duration::from_millis(100);
        let mut down = false;
        loop {
            match self.log.read(&after, BATCH, true).await {
                Ok(entries) => {
                    if down {
                        down = false;
                        backoff = Duration::from_millis(100);
                        match self.log.last_id().await {
                            Ok(last) if log::is_after(&after, &last) => {
                                tracing::error!(applied = %after, server = %last, "{}", ahead());
                                self.diverged.store(true, Ordering::SeqCst);
                            }
                            Ok(_) => tracing::info!("the chat's server answers again; reading its log on"),
                            Err(error) => tracing::warn!(%error, "could not ask the chat's server how far it is"),
                        }
                    }
                    for entry in entries {
                        let id = entry.id.clone();
                        self.apply(entry).await;
                        after = id;
                    }
                }
                Err(error) => {
                    if !down {
                        tracing::warn!(%error, "lost the chat's server; new messages are refused until it is back");
                        down = true;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MOST_BACKOFF);
                }
            }
        }
    }
}

impl ClusterStore {
    /// Opens the chat kept on the server `client` reaches (`described` names it for people): reads its whole log
    /// into a copy in memory, then follows it. `limit` bounds each call to the server.
    pub async fn open(
        client: &redis::Client,
        described: &str,
        config: &StoreConfig,
        limit: Duration,
    ) -> Result<ClusterStore, StoreError> {
        let log = Log::open(client, limit).await.map_err(|error| unavailable(&error))?;
        let proposal = format!("{:032x}", rand::thread_rng().gen::<u128>());
        let (chat_id, began) =
            log.chat(&proposal, crate::clock::now_millis()).await.map_err(|error| unavailable(&error))?;
        let in_memory = StoreConfig { location: Location::Memory, ..config.clone() };
        let replica = Arc::new(SqliteStore::open_as_of(&in_memory, began)?);
        let origin = format!("{:016x}", rand::thread_rng().gen::<u64>());
        let waiting = Arc::new(Waiting::default());
        let diverged = Arc::new(AtomicBool::new(false));
        let feed = Arc::new(std::sync::OnceLock::new());
        let holders = Arc::new(Mutex::new(HashMap::new()));
        let follower = Follower {
            log: log.clone(),
            replica: Arc::clone(&replica),
            origin: origin.clone(),
            waiting: Arc::clone(&waiting),
            diverged: Arc::clone(&diverged),
            feed: Arc::clone(&feed),
            holders: Arc::clone(&holders),
        };
        let after = follower.catch_up("0-0".to_owned()).await.map_err(|error| unavailable(&error))?;
        let follower = tokio::spawn(follower.follow(after));
        Ok(ClusterStore {
            description: format!("the chat on {described}"),
            chat_id,
            origin,
            log,
            replica,
            tickets: AtomicU64::new(1),
            waiting,
            diverged,
            feed,
            follower: Mutex::new(Some(follower)),
            holders,
            own_url: std::sync::OnceLock::new(),
        })
    }

    /// This host's base URL, where the other hosts fetch the bytes of the files sent through it. Set once, before
    /// the host serves.
    pub fn serve_files_at(&self, url: String) {
        let _ = self.own_url.set(url);
    }

    /// Every write applied from now on, in the log's order, for the host to deliver and follow; `None` if it was
    /// taken already. Until it is taken, writers are answered as soon as their write is applied. The host takes it
    /// before its snapshot, so that it misses nothing (what it sees twice, it follows twice: following is
    /// idempotent).
    pub fn feed(&self) -> Option<mpsc::Receiver<Applied>> {
        let (sender, receiver) = mpsc::channel(FEED);
        self.feed.set(sender).ok().map(|()| receiver)
    }

    /// Puts a command in the log and waits for this host's copy to apply it.
    async fn submit(&self, command: Command, bytes: &[u8]) -> Result<Outcome, StoreError> {
        if self.diverged.load(Ordering::SeqCst) {
            return Err(ahead());
        }
        let json = serde_json::to_vec(&command).map_err(|error| StoreError::Failed(error.to_string()))?;
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        let forget = || self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&ticket);
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(ticket, answer);
        if let Err(error) = self.log.append(&self.origin, ticket, &json, bytes).await {
            forget();
            return Err(unavailable(&error));
        }
        match tokio::time::timeout(READ_BACK, answered).await {
            Ok(Ok(outcome)) => outcome,
            _ => {
                forget();
                Err(StoreError::Unavailable(
                    "the server has the write, but this host could not read it back in time".to_owned(),
                ))
            }
        }
    }
}

fn unexpected(outcome: &Outcome) -> StoreError {
    StoreError::Failed(format!("the cluster's copy answered {outcome:?} to a write of another kind"))
}

#[async_trait]
impl Store for ClusterStore {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot { host_id: self.chat_id.clone(), ..self.replica.snapshot().await? })
    }

    async fn append(&self, posts: Vec<Post>) -> Result<Vec<Result<Appended, ErrorBody>>, StoreError> {
        let command = Command::Append { posts, at: crate::clock::now_millis() };
        match self.submit(command, &[]).await? {
            Outcome::Appended(appended) => Ok(appended),
            other => Err(unexpected(&other)),
        }
    }

    async fn room_page(
        &self,
        room: &RoomKey,
        page: PageRequest,
        limit: usize,
    ) -> Result<Option<Page<Message>>, StoreError> {
        self.replica.room_page(room, page, limit).await
    }

    async fn room_changes(
        &self,
        room: &RoomKey,
        after_rev: u64,
        limit: usize,
    ) -> Result<Option<ChangesPage>, StoreError> {
        self.replica.room_changes(room, after_rev, limit).await
    }

    async fn search(&self, scope: SearchScope, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        self.replica.search(scope, limit).await
    }

    async fn direct_page(
        &self,
        me: &UserId,
        other: &UserId,
        page: PageRequest,
        limit: usize,
    ) -> Result<Page<DirectMessage>, StoreError> {
        self.replica.direct_page(me, other, page, limit).await
    }

    async fn conversation_peer(&self, me: &UserId, conversation: &str) -> Result<Option<UserId>, StoreError> {
        self.replica.conversation_peer(me, conversation).await
    }

    async fn conversations(&self, user: &UserId, limit: usize) -> Result<Vec<ConversationRecord>, StoreError> {
        self.replica.conversations(user, limit).await
    }

    async fn direct_changes(
        &self,
        me: &UserId,
        conversation: &str,
        after_rev: u64,
        limit: usize,
    ) -> Result<Option<ChangesPage<DirectMessage>>, StoreError> {
        self.replica.direct_changes(me, conversation, after_rev, limit).await
    }

    async fn mark_direct_read(&self, user: &UserId, conversation: &str, seq: Seq) -> Result<Option<Seq>, StoreError> {
        let command = Command::MarkDirectRead { user: user.clone(), conversation: conversation.to_owned(), seq };
        match self.submit(command, &[]).await? {
            Outcome::Mark(mark) => Ok(mark),
            other => Err(unexpected(&other)),
        }
    }

    async fn mark_read(&self, user: &UserId, room: &RoomKey, seq: Seq) -> Result<Seq, StoreError> {
        let command = Command::MarkRead { user: user.clone(), room: room.clone(), seq };
        match self.submit(command, &[]).await? {
            Outcome::Mark(Some(mark)) => Ok(mark),
            other => Err(unexpected(&other)),
        }
    }

    async fn reads(&self, user: &UserId) -> Result<Vec<ReadMark>, StoreError> {
        self.replica.reads(user).await
    }

    async fn set_notify(&self, user: &UserId, room: &RoomKey, level: NotifyLevel) -> Result<(), StoreError> {
        self.done(Command::SetNotify { user: user.clone(), room: room.clone(), level }).await
    }

    async fn notify_settings(&self, user: &UserId) -> Result<Vec<NotifySetting>, StoreError> {
        self.replica.notify_settings(user).await
    }

    async fn memberships(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        self.replica.memberships(user).await
    }

    async fn create_room(&self, room: RoomRecord) -> Result<(), StoreError> {
        self.done(Command::CreateRoom { room }).await
    }

    async fn delete_room(&self, room: &RoomKey) -> Result<bool, StoreError> {
        self.flag(Command::DeleteRoom { room: room.clone() }).await
    }

    async fn add_member(&self, room: &RoomKey, room_name: &str, user: &UserId) -> Result<(), StoreError> {
        let at = crate::clock::now_millis();
        self.done(Command::AddMember { room: room.clone(), room_name: room_name.to_owned(), user: user.clone(), at })
            .await
    }

    async fn remove_member(&self, room: &RoomKey, user: &UserId) -> Result<(), StoreError> {
        self.done(Command::RemoveMember { room: room.clone(), user: user.clone() }).await
    }

    async fn bind_name(&self, binding: NameBinding) -> Result<Result<(), NameBinding>, StoreError> {
        match self.submit(Command::BindName { binding }, &[]).await? {
            Outcome::Bound(bound) => Ok(bound),
            other => Err(unexpected(&other)),
        }
    }

    async fn release_name(&self, key: &NameKey) -> Result<Option<NameBinding>, StoreError> {
        match self.submit(Command::ReleaseName { key: key.clone() }, &[]).await? {
            Outcome::Released(released) => Ok(released),
            other => Err(unexpected(&other)),
        }
    }

    async fn ban(&self, ban: BanRecord) -> Result<(), StoreError> {
        self.done(Command::Ban { ban }).await
    }

    async fn unban(&self, user: &UserId) -> Result<bool, StoreError> {
        self.flag(Command::Unban { user: user.clone() }).await
    }

    async fn put_attachment(&self, bytes: Bytes, mime: &'static str) -> Result<Attachment, StoreError> {
        if command::image_type(mime).is_none() {
            return Err(StoreError::Failed(format!("{mime} is not a type of image the store keeps")));
        }
        let command = Command::PutAttachment { mime: mime.to_owned(), at: crate::clock::now_millis() };
        match self.submit(command, &bytes).await? {
            Outcome::Attachment(attachment) => Ok(attachment),
            other => Err(unexpected(&other)),
        }
    }

    async fn keep_file(&self, record: FileRecord) -> Result<(), StoreError> {
        self.done(Command::KeepFile { record, holder: self.own_url.get().cloned() }).await
    }

    async fn file(&self, id: &str) -> Result<Option<FileRecord>, StoreError> {
        self.replica.file(id).await
    }

    async fn stored_file_bytes(&self) -> Result<u64, StoreError> {
        self.replica.stored_file_bytes().await
    }

    async fn sha256_kept(&self, sha256: &str) -> Result<bool, StoreError> {
        self.replica.sha256_kept(sha256).await
    }

    async fn forget_unsent_files(&self, before: u64) -> Result<Vec<String>, StoreError> {
        match self.submit(Command::ForgetUnsentFiles { before }, &[]).await? {
            Outcome::Freed(freed) => Ok(freed),
            other => Err(unexpected(&other)),
        }
    }

    async fn attachment(&self, id: &str) -> Result<Option<(String, Bytes)>, StoreError> {
        self.replica.attachment(id).await
    }

    async fn file_holder(&self, id: &str) -> Result<Option<String>, StoreError> {
        let holder = self.holders.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(id).cloned();
        Ok(holder.filter(|holder| Some(holder) != self.own_url.get()))
    }

    async fn close(&self) {
        let follower = self.follower.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(follower) = follower {
            follower.abort();
        }
        self.replica.close().await;
    }
}

impl ClusterStore {
    async fn done(&self, command: Command) -> Result<(), StoreError> {
        match self.submit(command, &[]).await? {
            Outcome::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn flag(&self, command: Command) -> Result<bool, StoreError> {
        match self.submit(command, &[]).await? {
            Outcome::Flag(flag) => Ok(flag),
            other => Err(unexpected(&other)),
        }
    }
}
