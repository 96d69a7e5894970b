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
    Append { posts: Vec<Post>, at: u64 },
    MarkDirectRead { user: UserId, conversation: String, seq: Seq },
    MarkRead { user: UserId, room: RoomKey, seq: Seq },
    SetNotify { user: UserId, room: RoomKey, level: NotifyLevel },
    CreateRoom { room: RoomRecord },
    DeleteRoom { room: RoomKey },
    AddMember { room: RoomKey, room_name: String, user: UserId, at: u64 },
    RemoveMember { room: RoomKey, user: UserId },
    BindName { binding: NameBinding },
    ReleaseName { key: NameKey },
    Ban { ban: BanRecord },
    Unban { user: UserId },
    PutAttachment { mime: String, at: u64 },
    KeepFile { record: FileRecord },
    ForgetUnsentFiles { before: u64 },
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

/// The image types the store keeps, as `put_attachment` takes them.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// `mime` as one of [`IMAGE_TYPES`], which [`Store::put_attachment`] takes as `'static`.
pub(super) fn image_type(mime: &str) -> Option<&'static str> {
    IMAGE_TYPES.iter().copied().find(|known| *known == mime)
}

/// Applies one command to a host's copy: `seed` (the same on every host, from the entry's id) makes the ids of new
/// messages.
pub(super) async fn apply(
    replica: &SqliteStore,
    command: Command,
    bytes: Vec<u8>,
    seed: u64,
) -> Result<Outcome, StoreError> {
    Ok(match command {
        Command::Append { posts, at } => {
            Outcome::Appended(replica.append_as(posts, at, MessageIds::seeded(seed)).await?)
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
            replica.create_room(room).await?;
            Outcome::Done
        }
        Command::DeleteRoom { room } => Outcome::Flag(replica.delete_room(&room).await?),
        Command::AddMember { room, room_name, user, at } => {
            replica.add_member_at(&room, &room_name, &user, at).await?;
            Outcome::Done
        }
        Command::RemoveMember { room, user } => {
            replica.remove_member(&room, &user).await?;
            Outcome::Done
        }
        Command::BindName { binding } => Outcome::Bound(replica.bind_name(binding).await?),
        Command::ReleaseName { key } => Outcome::Released(replica.release_name(&key).await?),
        Command::Ban { ban } => {
            replica.ban(ban).await?;
            Outcome::Done
        }
        Command::Unban { user } => Outcome::Flag(replica.unban(&user).await?),
        Command::PutAttachment { mime, at } => {
            let mime = image_type(&mime)
                .ok_or_else(|| StoreError::Failed(format!("the log holds an attachment of unknown type {mime}")))?;
            Outcome::Attachment(replica.put_attachment_at(Bytes::from(bytes), mime, at).await?)
        }
        Command::KeepFile { record } => {
            replica.keep_file(record).await?;
            Outcome::Done
        }
        Command::ForgetUnsentFiles { before } => Outcome::Freed(replica.forget_unsent_files(before).await?),
    })
}
