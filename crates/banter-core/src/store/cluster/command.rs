//! The writes a cluster's hosts put in the log, and how each host's copy applies them. Every input a write needs
//! travels in its command, the time included, so that every copy that applies the same commands in the same order
//! ends in the same state and gives each caller the same answer.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::super::sqlite::{MessageIds, SqliteStore};
use super::super::{Appended, BanRecord, FileRecord, NameBinding, Post, RoomRecord, Store, StoreError};
use crate::keys::{NameKey, RoomKey, Seq, UserId};
use crate::protocol::{Attachment, ErrorBody, NotifyLevel};

/// One write of [`Store`]'s, as the log carries it. An attachment's bytes travel beside it, not in its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub(super) enum Command {
    Append {
        posts: Vec<Post>,
        at: u64,
    },
    MarkDirectRead {
        user: UserId,
        conversation: String,
        seq: Seq,
    },
    MarkRead {
        user: UserId,
        room: RoomKey,
        seq: Seq,
    },
    SetNotify {
        user: UserId,
        room: RoomKey,
        level: NotifyLevel,
    },
    CreateRoom {
        room: RoomRecord,
    },
    DeleteRoom {
        room: RoomKey,
    },
    AddMember {
        room: RoomKey,
        room_name: String,
        user: UserId,
        at: u64,
    },
    RemoveMember {
        room: RoomKey,
        user: UserId,
    },
    BindName {
        binding: NameBinding,
    },
    ReleaseName {
        key: NameKey,
    },
    Ban {
        ban: BanRecord,
    },
    Unban {
        user: UserId,
    },
    PutAttachment {
        mime: String,
        at: u64,
    },
    /// `holder`: the base URL of the host that has the bytes.
    KeepFile {
        record: FileRecord,
        #[serde(default)]
        holder: Option<String>,
    },
    ForgetUnsentFiles {
        before: u64,
    },
}

/// What applying a command answered, for the caller that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    Appended(Vec<Result<Appended, ErrorBody>>),
    Mark(Option<Seq>),
    Done,
    Flag(bool),
    Bound(Result<(), NameBinding>),
    Released(Option<NameBinding>),
    Attachment(Attachment),
    Freed(Vec<String>),
}

/// What a host must follow of a write applied from the log, whichever host made it: what it delivers to its own
/// sockets, and what it holds in memory (rooms, names, bans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// Posts and changes, each with what became of it, in the log's order.
    Posts(Vec<(Post, Result<Appended, ErrorBody>)>),
    RoomCreated(RoomRecord),
    RoomDeleted(RoomKey),
    NameBound(NameBinding),
    NameReleased(NameBinding),
    Banned(BanRecord),
    Unbanned(UserId),
    /// A file whose bytes are on the host at `holder` (a base URL).
    FileKept {
        id: String,
        holder: String,
    },
    /// Nothing a host holds in memory: read marks, settings, memberships, files' records, or a write that failed.
    Nothing,
}

/// The image types the store keeps, as `put_attachment` takes them.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// `mime` as one of [`IMAGE_TYPES`], which [`Store::put_attachment`] takes as `'static`.
pub(super) fn image_type(mime: &str) -> Option<&'static str> {
    IMAGE_TYPES.iter().copied().find(|known| *known == mime)
}

/// Applies one command to a host's copy: `seed` (the same on every host, from the entry's id) makes the ids of new
/// messages. Answers what the writer is told, and what every host must follow.
pub(super) async fn apply(
    replica: &SqliteStore,
    command: Command,
    bytes: Vec<u8>,
    seed: u64,
) -> (Result<Outcome, StoreError>, Followed) {
    let mut followed = Followed::Nothing;
    let outcome = run(replica, command, bytes, seed, &mut followed).await;
    if outcome.is_err() {
        followed = Followed::Nothing;
    }
    (outcome, followed)
}

async fn run(
    replica: &SqliteStore,
    command: Command,
    bytes: Vec<u8>,
    seed: u64,
    followed: &mut Followed,
) -> Result<Outcome, StoreError> {
    Ok(match command {
        Command::Append { posts, at } => {
            let appended = replica.append_as(posts.clone(), at, MessageIds::seeded(seed)).await?;
            *followed = Followed::Posts(posts.into_iter().zip(appended.iter().cloned()).collect());
            Outcome::Appended(appended)
        }
        Command::MarkDirectRead { user, conversation, seq } => {
            Outcome::Mark(replica.mark_direct_read(&user, &conversation, seq).await?)
        }
        Command::MarkRead { user, room, seq } => Outcome::Mark(Some(replica.mark_read(&user, &room, seq).await?)),
        Command::SetNotify { user, room, level } => {
            replica.set_notify(&user, &room, level).await?;
            Outcome::Done
        }
        Command::CreateRoom { room } => {
            replica.create_room(room.clone()).await?;
            *followed = Followed::RoomCreated(room);
            Outcome::Done
        }
        Command::DeleteRoom { room } => {
            let deleted = replica.delete_room(&room).await?;
            if deleted {
                *followed = Followed::RoomDeleted(room);
            }
            Outcome::Flag(deleted)
        }
        Command::AddMember { room, room_name, user, at } => {
            replica.add_member_at(&room, &room_name, &user, at).await?;
            Outcome::Done
        }
        Command::RemoveMember { room, user } => {
            replica.remove_member(&room, &user).await?;
            Outcome::Done
        }
        Command::BindName { binding } => {
            let bound = replica.bind_name(binding.clone()).await?;
            if bound.is_ok() {
                *followed = Followed::NameBound(binding);
            }
            Outcome::Bound(bound)
        }
        Command::ReleaseName { key } => {
            let released = replica.release_name(&key).await?;
            if let Some(binding) = &released {
                *followed = Followed::NameReleased(binding.clone());
            }
            Outcome::Released(released)
        }
        Command::Ban { ban } => {
            replica.ban(ban.clone()).await?;
            *followed = Followed::Banned(ban);
            Outcome::Done
        }
        Command::Unban { user } => {
            let lifted = replica.unban(&user).await?;
            if lifted {
                *followed = Followed::Unbanned(user);
            }
            Outcome::Flag(lifted)
        }
        Command::PutAttachment { mime, at } => {
            let mime = image_type(&mime)
                .ok_or_else(|| StoreError::Failed(format!("the log holds an attachment of unknown type {mime}")))?;
            Outcome::Attachment(replica.put_attachment_at(Bytes::from(bytes), mime, at).await?)
        }
        Command::KeepFile { record, holder } => {
            let id = record.info.id.clone();
            replica.keep_file(record).await?;
            if let Some(holder) = holder {
                *followed = Followed::FileKept { id, holder };
            }
            Outcome::Done
        }
        Command::ForgetUnsentFiles { before } => Outcome::Freed(replica.forget_unsent_files(before).await?),
    })
}
