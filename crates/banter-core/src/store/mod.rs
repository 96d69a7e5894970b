//! What a host keeps: rooms, their history, direct messages, name bindings, the client ids it has answered, and
//! attachments. The host talks to it only through [`Store`], in domain terms (post these messages, page this
//! room, bind this name), so that a second backend shared by several hosts can sit behind the same boundary.
//!
//! The boundary is async because that backend will be on the network. [`SqliteStore`] runs SQLite on threads of
//! its own, never on the runtime's workers: one writer that commits whatever has gathered in one transaction, and
//! readers that never wait for it (WAL). Every method answers only once its writes have committed, which is what
//! lets the host acknowledge a message only after it is kept.

mod blobs;
pub mod cluster;
pub mod sqlite;

use std::path::PathBuf;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::keys::{NameKey, RoomKey, Seq, UserId};
use crate::protocol::{
    Attachment, Conversation, DirectMessage, ErrorBody, FileInfo, Message, NotifyLevel, NotifySetting, ReadMark,
    SearchHit,
};

pub use cluster::ClusterStore;
pub use sqlite::SqliteStore;

/// How safely a commit reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every committed transaction survives a crash of the process (`kill -9` included); a power loss may lose
    /// the last commits, never corrupt what came before (SQLite WAL with `synchronous=NORMAL`).
    #[default]
    Normal,
    /// Every committed transaction also survives a power loss: each commit waits for the disk (`synchronous=FULL`).
    Full,
}

/// Where a store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A data folder: `banter.db` and `attachments/` in it.
    Folder(PathBuf),
    /// Memory only: everything is gone when the host stops.
    Memory,
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub location: Location,
    pub durability: Durability,
    /// Bytes of attachments kept in all; past it the oldest are evicted.
    pub attachment_quota_bytes: u64,
}

/// Why the store could not do something. The first five are about the data folder itself and stop a host from
/// starting; `Full` refuses writes while reads go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("Banter cannot write to {path}: {reason}. Choose another data folder or fix its permissions.")]
    Unwritable { path: PathBuf, reason: String },
    #[error("{path} is not a Banter database ({reason}). Move it away, or choose another data folder.")]
    NotBanter { path: PathBuf, reason: String },
    #[error(
        "{path} was written by a newer Banter (data format {found}; this one reads up to {known}). Update Banter, \
         or choose another data folder."
    )]
    Newer { path: PathBuf, found: u32, known: u32 },
    #[error("Another Banter host is already using {folder}{holder}. Stop it first, or choose another data folder.")]
    Locked { folder: PathBuf, holder: String },
    #[error("The disk holding the host's data is full.")]
    Full,
    #[error("The host's storage failed: {0}")]
    Failed(String),
    #[error("The host's storage has stopped.")]
    Stopped,
    /// A cluster's server cannot be reached: writes are refused (nothing unkept is acknowledged), reads go on.
    #[error("The chat's server cannot be reached ({0}).")]
    Unavailable(String),
}

/// Who wrote a message: the name it was shown under, and the user behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub name: String,
    pub id: UserId,
}

/// A message to a room, as the host accepted it for keeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomPost {
    pub room: RoomKey,
    /// The room's display name, should the room be missing from the store (it is created then).
    pub room_name: String,
    pub author: Author,
    pub text: String,
    pub client_id: Option<String>,
    /// The id of a stored attachment.
    pub attachment: Option<String>,
    /// The `seq` of the message in the room that this one answers.
    pub reply_to: Option<Seq>,
    /// The id of a shared file the author uploaded.
    pub file: Option<String>,
    /// Whether the author may post this. Decided by the host, checked by the store only after it has looked for
    /// an earlier message with the same client id: a resend of something already kept is answered with the
    /// original even when the author could not post it again now.
    pub permitted: Result<(), ErrorBody>,
}

/// A direct message, as the host accepted it for keeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectPost {
    pub from: Author,
    pub to: Author,
    pub text: String,
    pub client_id: Option<String>,
    pub attachment: Option<String>,
    /// The `seq` of the message in the conversation that this one answers.
    pub reply_to: Option<Seq>,
    pub file: Option<String>,
    pub permitted: Result<(), ErrorBody>,
}

/// What a change does to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// The author replaces the text.
    Edit { text: String },
    /// The author, or the host's owner (`by_owner`), deletes the message: its text, attachment and reactions go.
    Delete { by_owner: bool },
    /// Adds (`on`) or takes back one reaction of the user's; at most `max_different` different emoji per message.
    React { emoji: String, on: bool, max_different: usize },
}

/// A change to a room's message, as the host accepted it. The store checks what only it knows: that the message
/// exists, who wrote it, whether it is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomChange {
    pub room: RoomKey,
    pub seq: Seq,
    pub by: Author,
    pub action: Action,
    pub permitted: Result<(), ErrorBody>,
}

/// A change to a direct message. The store checks that `by` is one of the conversation's two people, as well as
/// what it checks of a room's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectChange {
    /// The conversation's id, as clients know it.
    pub conversation: String,
    pub seq: Seq,
    pub by: Author,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Post {
    Room(RoomPost),
    Direct(DirectPost),
    Change(RoomChange),
    DirectChange(DirectChange),
}

impl From<RoomChange> for Post {
    fn from(change: RoomChange) -> Self {
        Self::Change(change)
    }
}

impl From<DirectChange> for Post {
    fn from(change: DirectChange) -> Self {
        Self::DirectChange(change)
    }
}

/// A message the store has kept, numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    Room(Message),
    Direct {
        message: DirectMessage,
        /// Both ends of the conversation, for delivery.
        from: UserId,
        to: UserId,
    },
    /// A room message as a change left it.
    Changed(Message),
    /// A direct message as a change left it.
    DirectChanged {
        message: DirectMessage,
        from: UserId,
        to: UserId,
    },
}

impl Kept {
    /// Whether this is a message a change just deleted (its text is gone from the rows, not yet from the log).
    pub fn is_deletion(&self) -> bool {
        match self {
            Self::Changed(message) => message.deleted,
            Self::DirectChanged { message, .. } => message.deleted,
            Self::Room(_) | Self::Direct { .. } => false,
        }
    }
}

/// What became of one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub kept: Kept,
    /// Its client id had been kept before: this is the original, not a new message. For a change: it changed
    /// nothing (the message was already so), and nobody needs to hear of it.
    pub duplicate: bool,
    /// Other messages this one changed, as they are now: the message a reply answers (its count of replies).
    pub touched: Vec<Kept>,
    /// The SHA-256 of shared files' bytes that no kept file shares any more (the deleted message had the last):
    /// the host removes them from the disk.
    pub freed: Vec<String>,
}

/// Which part of a conversation to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRequest {
    /// The newest messages.
    Latest,
    /// The messages just before this number (scrolling up).
    Before(Seq),
    /// The messages just after this number (catching up).
    After(Seq),
}

/// Up to `limit` messages of one conversation, oldest first, and the newest numbers it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub messages: Vec<T>,
    pub latest_seq: Seq,
    /// The room's or the conversation's newest change number.
    pub latest_rev: u64,
}

/// Messages of a room or a conversation that changed, in change order, and its newest change number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangesPage<T = Message> {
    pub messages: Vec<T>,
    pub latest_rev: u64,
}

/// What a search looks for, as the host settled it: the words (cut from what was typed), who searches (for their
/// own direct messages), and the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchScope {
    pub words: Vec<String>,
    pub searcher: UserId,
    pub room: Option<RoomKey>,
    pub from: Option<UserId>,
    pub before: Option<u64>,
}

/// A room as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRecord {
    pub key: RoomKey,
    pub name: String,
    /// Who created it (`None` for the lobby).
    pub created_by: Option<UserId>,
    pub created_at: u64,
    /// When the last message was posted, or the room was created.
    pub last_active: u64,
    pub latest_seq: Seq,
}

/// A display name bound to the user who took it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameBinding {
    pub key: NameKey,
    pub name: String,
    pub user: UserId,
    pub bound_at: u64,
}

/// A user the host's owner banned: refused at every handshake until `until` (milliseconds since the epoch), or
/// for good when it is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRecord {
    pub user: UserId,
    /// The name they had when banned, for the owner's list.
    pub name: String,
    pub until: Option<u64>,
    pub reason: Option<String>,
    pub banned_at: u64,
}

impl BanRecord {
    /// Whether the ban still holds at `now` (milliseconds since the epoch).
    pub fn holds_at(&self, now: u64) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// What a host loads when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Made when the store was first created, and kept: clients compare it to notice a different host (or a
    /// wiped one) at a known address.
    pub host_id: String,
    /// Every room, the lobby included.
    pub rooms: Vec<RoomRecord>,
    pub names: Vec<NameBinding>,
    /// Bans that still hold.
    pub bans: Vec<BanRecord>,
}

/// One of a user's direct conversations, with the other person's id so the host can page it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    pub with: UserId,
    pub summary: Conversation,
}

/// A shared file the host keeps: what clients are told of it, and who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub info: FileInfo,
    pub uploader: UserId,
    pub stored_at: u64,
}

/// The host's storage. Every write method returns only after its transaction has committed.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Where the data lives, for people: a folder, or "memory only".
    fn describe(&self) -> String;

    /// Rooms, names and the host's id, as the host needs them in memory.
    async fn snapshot(&self) -> Result<Snapshot, StoreError>;

    /// Keeps posts and changes in one transaction, in order, numbering each post in its room or conversation and
    /// each change in its room; a post whose client id was kept before gets the original back. `Err` means none was kept; a refused post gets its own error.
    async fn append(&self, posts: Vec<Post>) -> Result<Vec<Result<Appended, ErrorBody>>, StoreError>;

    /// A page of a room's history; `None` if there is no such room.
    async fn room_page(
        &self,
        room: &RoomKey,
        page: PageRequest,
        limit: usize,
    ) -> Result<Option<Page<Message>>, StoreError>;

    /// The messages of a room that changed after change number `after_rev`, in change order, each as it is now;
    /// `None` if there is no such room.
    async fn room_changes(
        &self,
        room: &RoomKey,
        after_rev: u64,
        limit: usize,
    ) -> Result<Option<ChangesPage>, StoreError>;

    /// Messages of every room and of the searcher's own direct conversations that hold every word, newest first,
    /// at most `limit`.
    async fn search(&self, scope: SearchScope, limit: usize) -> Result<Vec<SearchHit>, StoreError>;

    /// A page of the direct conversation between two users (empty if they never wrote to each other).
    async fn direct_page(
        &self,
        me: &UserId,
        other: &UserId,
        page: PageRequest,
        limit: usize,
    ) -> Result<Page<DirectMessage>, StoreError>;

    /// The other person of one of `me`'s conversations, by the conversation's id; `None` if `me` is not in it.
    async fn conversation_peer(&self, me: &UserId, conversation: &str) -> Result<Option<UserId>, StoreError>;

    /// A user's direct conversations, most recently active first.
    async fn conversations(&self, user: &UserId, limit: usize) -> Result<Vec<ConversationRecord>, StoreError>;

    /// The messages of one of `me`'s conversations that changed after change number `after_rev`, in change order;
    /// `None` if `me` is not in a conversation with that id.
    async fn direct_changes(
        &self,
        me: &UserId,
        conversation: &str,
        after_rev: u64,
        limit: usize,
    ) -> Result<Option<ChangesPage<DirectMessage>>, StoreError>;

    /// Moves a user's read mark of one of their conversations forward to `seq` (never back, nor past its last
    /// message); returns the mark kept, or `None` if the user is not in a conversation with that id.
    async fn mark_direct_read(&self, user: &UserId, conversation: &str, seq: Seq) -> Result<Option<Seq>, StoreError>;

    /// Moves a user's read mark of a room forward to `seq` (never back); returns the mark kept.
    async fn mark_read(&self, user: &UserId, room: &RoomKey, seq: Seq) -> Result<Seq, StoreError>;

    /// A user's read marks, by room name.
    async fn reads(&self, user: &UserId) -> Result<Vec<ReadMark>, StoreError>;

    /// Keeps which messages of a room notify a user (the default, mentions, is kept as nothing).
    async fn set_notify(&self, user: &UserId, room: &RoomKey, level: NotifyLevel) -> Result<(), StoreError>;

    /// A user's notification settings other than the default, by room name.
    async fn notify_settings(&self, user: &UserId) -> Result<Vec<NotifySetting>, StoreError>;

    /// The names of the rooms a user has joined and not left.
    async fn memberships(&self, user: &UserId) -> Result<Vec<String>, StoreError>;

    /// Keeps a new room, or brings back a deleted one (its numbering goes on where it stopped, so that nobody's
    /// last-seen number points into the new room's messages).
    async fn create_room(&self, room: RoomRecord) -> Result<(), StoreError>;

    /// Deletes a room with its history and memberships. False if there was no such room.
    async fn delete_room(&self, room: &RoomKey) -> Result<bool, StoreError>;

    async fn add_member(&self, room: &RoomKey, room_name: &str, user: &UserId) -> Result<(), StoreError>;
    async fn remove_member(&self, room: &RoomKey, user: &UserId) -> Result<(), StoreError>;

    /// Binds a name to a user unless another user holds it; `Err(holder)` then.
    async fn bind_name(&self, binding: NameBinding) -> Result<Result<(), NameBinding>, StoreError>;

    /// Frees a name; returns the binding it removed.
    async fn release_name(&self, key: &NameKey) -> Result<Option<NameBinding>, StoreError>;

    /// Keeps an attachment's bytes under their SHA-256, evicting the oldest past the quota.
    /// Bans a user (or changes their ban).
    async fn ban(&self, ban: BanRecord) -> Result<(), StoreError>;

    /// Lifts a user's ban; `false` if there was none.
    async fn unban(&self, user: &UserId) -> Result<bool, StoreError>;

    async fn put_attachment(&self, bytes: Bytes, mime: &'static str) -> Result<Attachment, StoreError>;

    /// Records a shared file whose bytes are in place.
    async fn keep_file(&self, record: FileRecord) -> Result<(), StoreError>;

    /// A shared file by its id, if it is kept.
    async fn file(&self, id: &str) -> Result<Option<FileRecord>, StoreError>;

    /// The bytes the kept files take on disk: each distinct content once.
    async fn stored_file_bytes(&self) -> Result<u64, StoreError>;

    /// Whether any kept file has the bytes with this SHA-256.
    async fn sha256_kept(&self, sha256: &str) -> Result<bool, StoreError>;

    /// The base URL of the host that has a kept file's bytes, when that is another host than this one (a cluster's
    /// hosts keep the bytes of the files sent through them); `None` on a host alone, or for bytes kept here.
    async fn file_holder(&self, _id: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    /// Forgets the files stored before `before` (ms since the epoch) that no message carries: uploads that were
    /// finished but never sent. Answers the SHA-256 of bytes no kept file shares any more, to remove from disk.
    async fn forget_unsent_files(&self, before: u64) -> Result<Vec<String>, StoreError>;

    /// An attachment's type and bytes, if it is still kept.
    async fn attachment(&self, id: &str) -> Result<Option<(String, Bytes)>, StoreError>;

    /// Stops the store's threads once what they hold is done, and releases the data folder.
    async fn close(&self);
}
