//! Posted messages go to the store and then out through one queue and one task, in the order they were posted.
//!
//! The task takes whatever has gathered, has the store keep it in one transaction (which numbers each message in
//! its room or conversation, and recognises resends), then broadcasts what is new, in that order, and only then
//! acknowledges each post. So an acknowledged message is a kept message, every receiver sees a room's `seq` in
//! order, and a resend is answered after its original went out. While the store commits one batch, the next
//! gathers behind it: under load the batches grow, and each commit costs less per message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::AckSender;
use socketioxide::{BroadcastError, SocketIo};
use tokio::sync::{mpsc, oneshot};

use super::hub::{socket_room_of_room, socket_room_of_user, storage_refusal, to_rooms, Hub, PLAIN_SOCKETS};
use crate::keys::RoomKey;
use crate::protocol::{event, Ack, ErrorBody, ErrorKind, Message};
use crate::store::{Appended, Kept, Post};

/// The most posts kept in one transaction and broadcast back to back before the task lets the writers run.
const BATCH: usize = 256;

/// A post on its way to the store and out.
pub struct Delivery {
    pub post: Post,
    /// Whether the author speaks only the tutorial's events: their name is then not put in front of the plain
    /// `chat message` text, as the tutorial's own page shows it.
    pub author_is_plain: bool,
    /// The author's ack, sent once the message is kept and broadcast.
    pub ack: Option<Answer>,
    /// The answer for a change made in process (the desktop app's owner), sent when the ack would be.
    pub local: Option<oneshot::Sender<Result<Message, ErrorBody>>>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Delivery")
            .field("post", &self.post)
            .field("author_is_plain", &self.author_is_plain)
            .field("ack", &self.ack.is_some())
            .field("local", &self.local.is_some())
            .finish()
    }
}

pub type Queue = mpsc::UnboundedSender<Delivery>;

/// How a post ended, as its author's ack says it.
#[derive(Debug)]
pub enum Outcome<'a> {
    Room(&'a Message),
    Direct(&'a crate::protocol::DirectMessage),
    Refused(ErrorBody),
}

/// The author's ack, whichever socketioxide adapter the socket is on: the queue (and the hub that holds it) is
/// the same for all of them.
pub struct Answer(Box<dyn FnOnce(Outcome<'_>) + Send>);

impl std::fmt::Debug for Answer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Answer")
    }
}

impl Answer {
    pub fn send(self, outcome: Outcome<'_>) {
        (self.0)(outcome);
    }

    pub fn new<A: Adapter>(ack: AckSender<A>) -> Answer {
        Answer(Box::new(move |outcome| {
            let sent = match outcome {
                Outcome::Room(message) => ack.send(&Ack::Data(message)),
                Outcome::Direct(message) => ack.send(&Ack::Data(message)),
                Outcome::Refused(refusal) => ack.send(&Ack::<()>::Error(refusal)),
            };
            if let Err(error) = sent {
                tracing::warn!(%error, "could not send an ack");
            }
        }))
    }
}

/// The queue, unbounded. What bounds it is the rate messages can be posted at: each socket's request budget
/// (`Limits::requests_per_second`) times the sockets, against a task that keeps and broadcasts thousands of
/// messages a second; an entry is one message, a few hundred bytes.
pub fn queue() -> (Queue, mpsc::UnboundedReceiver<Delivery>) {
    mpsc::unbounded_channel()
}

/// Who sends a kept post out to the sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sending {
    /// This task, once the store has kept the post: a host alone.
    Here,
    /// The host following the cluster's log (`host::follow`), before the store answers: this task only
    /// acknowledges.
    ByFollowing,
}

/// Keeps and broadcasts queued posts until every sender is gone or the task is aborted with its host.
pub async fn run<A: Adapter>(
    io: SocketIo<A>,
    hub: Hub,
    mut queue: mpsc::UnboundedReceiver<Delivery>,
    sending: Sending,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let mut posts = Vec::with_capacity(batch.len());
        let mut waiting = Vec::with_capacity(batch.len());
        for delivery in batch.drain(..) {
            let room = match &delivery.post {
                Post::Room(post) => Some(post.room.clone()),
                Post::Change(change) => Some(change.room.clone()),
                Post::Direct(_) | Post::DirectChange(_) => None,
            };
            posts.push(delivery.post);
            waiting.push((room, delivery.author_is_plain, delivery.ack, delivery.local));
        }
        match hub.store().append(posts).await {
            Ok(outcomes) => {
                for (outcome, (room, author_is_plain, ack, local)) in outcomes.into_iter().zip(waiting) {
                    match outcome {
                        Ok(appended) => {
                            if sending == Sending::Here {
                                if !appended.freed.is_empty() {
                                    remove_freed(&hub, appended.freed.clone());
                                }
                                if !appended.duplicate {
                                    deliver(&io, &hub, room.as_ref(), &appended, author_is_plain).await;
                                }
                            }
                            answer_locally(local, Ok(&appended));
                            acknowledge(ack, &appended);
                        }
                        Err(refusal) => {
                            answer_locally(local, Err(&refusal));
                            refuse(ack, refusal);
                        }
                    }
                }
            }
            Err(error) => {
                let refusal = storage_refusal(&error, "the message");
                tracing::warn!(%error, posts = waiting.len(), "posts were not kept");
                for (_, _, ack, local) in waiting {
                    answer_locally(local, Err(&refusal));
                    refuse(ack, refusal.clone());
                }
            }
        }
    }
}

/// Removes the bytes of deleted messages' files, off the delivery task: the disk must not hold up the chat.
pub(super) fn remove_freed(hub: &Hub, freed: Vec<String>) {
    let hub = hub.clone();
    tokio::spawn(async move {
        for sha256 in freed {
            hub.files().remove_freed(hub.store(), &sha256).await;
        }
    });
}

/// What a tutorial page is shown of a message: its text, and a file as its name, size and path, which such a
/// page cannot show otherwise.
fn plain_text(message: &Message) -> String {
    match &message.file {
        None => message.text.clone(),
        Some(file) => {
            let size = crate::host::files::size_text(file.size);
            let line = format!("[file {}, {size}: /files/{}]", file.name, file.id);
            if message.text.is_empty() {
                line
            } else {
                format!("{} {line}", message.text)
            }
        }
    }
}

fn acknowledge(ack: Option<Answer>, appended: &Appended) {
    let Some(answer) = ack else { return };
    match &appended.kept {
        Kept::Room(message) | Kept::Changed(message) => answer.send(Outcome::Room(message)),
        Kept::Direct { message, .. } | Kept::DirectChanged { message, .. } => answer.send(Outcome::Direct(message)),
    }
}

fn answer_locally(local: Option<oneshot::Sender<Result<Message, ErrorBody>>>, outcome: Result<&Appended, &ErrorBody>) {
    let Some(local) = local else { return };
    let answer = match outcome {
        Ok(Appended { kept: Kept::Room(message) | Kept::Changed(message), .. }) => Ok(message.clone()),
        Ok(Appended { kept: Kept::Direct { .. } | Kept::DirectChanged { .. }, .. }) => {
            Err(ErrorBody::new(ErrorKind::Internal, "A direct message was answered in process."))
        }
        Err(refusal) => Err(refusal.clone()),
    };
    // The caller may have given up waiting; then nobody needs the answer.
    let _ = local.send(answer);
}

fn refuse(ack: Option<Answer>, refusal: ErrorBody) {
    if let Some(answer) = ack {
        answer.send(Outcome::Refused(refusal));
    }
}

/// A room message goes to the room's Banter sockets, and a lobby message also reaches tutorial pages as the plain
/// `chat message` string they understand, with the author's name in front when the author has one. A direct
/// message reaches every connection of both people. A changed message goes to the room's Banter sockets as
/// `message:changed` (tutorial pages cannot show a change), or to both people as `dm:changed`, and so does every
/// other message the post changed, after it: the message a reply answers follows the reply. Only this host's
/// sockets: in a cluster, every host delivers what it reads from the log to its own.
pub(super) async fn deliver<A: Adapter>(
    io: &SocketIo<A>,
    hub: &Hub,
    room: Option<&RoomKey>,
    appended: &Appended,
    author_is_plain: bool,
) {
    // The local adapter's broadcast is ready at once: awaiting it does not yield to the writers mid-batch.
    match (&appended.kept, room) {
        (Kept::Room(message), Some(room)) => {
            hub.registry().note_active(room, message.ts);
            emit(io, vec![socket_room_of_room(room)], event::MESSAGE_NEW, message).await;
            if room.is_lobby() {
                let text = if author_is_plain {
                    plain_text(message)
                } else {
                    format!("{}: {}", message.from, plain_text(message))
                };
                emit(io, vec![PLAIN_SOCKETS.to_owned()], event::CHAT_MESSAGE, &text).await;
            }
        }
        (Kept::Direct { message, from, to }, _) => {
            // One emit to both rooms: a socket in both (a note to oneself) hears it once.
            emit(io, vec![socket_room_of_user(from), socket_room_of_user(to)], event::DM_NEW, message).await;
        }
        (changed @ (Kept::Changed(_) | Kept::DirectChanged { .. }), _) => emit_change(io, room, changed).await,
        (Kept::Room(message), None) => {
            tracing::error!(id = %message.id, "a room message lost its room on the way");
        }
    }
    for changed in &appended.touched {
        emit_change(io, room, changed).await;
    }
}

async fn emit_change<A: Adapter>(io: &SocketIo<A>, room: Option<&RoomKey>, changed: &Kept) {
    match (changed, room) {
        (Kept::Changed(message), Some(room)) => {
            emit(io, vec![socket_room_of_room(room)], event::MESSAGE_CHANGED, message).await;
        }
        (Kept::DirectChanged { message, from, to }, _) => {
            emit(io, vec![socket_room_of_user(from), socket_room_of_user(to)], event::DM_CHANGED, message).await;
        }
        (Kept::Changed(message), None) => {
            tracing::error!(id = %message.id, "a changed room message lost its room on the way");
        }
        (Kept::Room(_) | Kept::Direct { .. }, _) => {
            tracing::error!("a new message was reported as a change; it was not sent again");
        }
    }
}

async fn emit<A: Adapter, T: Serialize + ?Sized>(io: &SocketIo<A>, rooms: Vec<String>, name: &str, data: &T) {
    let Some(operators) = to_rooms(io, rooms).map(socketioxide::operators::BroadcastOperators::local) else { return };
    if let Err(error) = operators.emit(name, data).await {
        report_broadcast_failure(name, &error);
    }
}

/// Logs that a broadcast missed some sockets (their queues were full or they had just closed), at most once a
/// second: an overloaded host would otherwise write a line naming every lagging socket for every message, and
/// spend its time logging instead of catching up.
pub fn report_broadcast_failure(event: &str, error: &BroadcastError) {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    static LAST_SECOND: AtomicU64 = AtomicU64::new(u64::MAX);
    let second = EPOCH.get_or_init(Instant::now).elapsed().as_secs();
    if LAST_SECOND.swap(second, Ordering::Relaxed) == second {
        return;
    }
    match error {
        BroadcastError::Socket(errors) => {
            tracing::warn!(
                event,
                sockets = errors.len(),
                "a broadcast missed sockets whose queues were full or closed"
            );
        }
        other => tracing::warn!(event, error = %other, "a broadcast failed"),
    }
}
