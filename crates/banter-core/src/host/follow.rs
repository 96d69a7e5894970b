//! A host of a cluster following the chat's log (`store::ClusterStore::feed`): every write any host made, in the
//! log's order, as this host's copy applied it. Posts and changes go out to this host's own sockets, in that
//! order, which is how every socket on every host sees a room's messages in `seq` order; what the registry holds
//! (rooms, names, bans) follows what the other hosts changed. A writer of this host is answered only once its
//! write has been followed here, so an acknowledged post has gone out to this host's sockets.

use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;
use tokio::sync::mpsc;

use super::hub::{socket_room_of_room, Hub};
use super::registry::Dialect;
use crate::protocol::{KickRequest, CHAT_NAMESPACE};
use crate::store::cluster::{Applied, Followed};
use crate::store::Post;

/// Follows the log until the store closes the feed or the task is aborted with its host.
pub async fn follow<A: Adapter>(io: SocketIo<A>, hub: Hub, mut feed: mpsc::Receiver<Applied>) {
    while let Some(applied) = feed.recv().await {
        match &applied.followed {
            Followed::Posts(posts) => {
                for (post, outcome) in posts {
                    let Ok(appended) = outcome else { continue };
                    if !appended.freed.is_empty() {
                        super::delivery::remove_freed(&hub, appended.freed.clone());
                    }
                    if appended.duplicate {
                        continue;
                    }
                    let room = match post {
                        Post::Room(post) => Some(&post.room),
                        Post::Change(change) => Some(&change.room),
                        Post::Direct(_) | Post::DirectChange(_) => None,
                    };
                    let plain = match post {
                        Post::Room(post) => author_is_plain(&hub, &post.author.name),
                        _ => false,
                    };
                    super::delivery::deliver(&io, &hub, room, appended, plain).await;
                }
            }
            // What this host wrote, its handlers have already put in the registry.
            _ if applied.ours => {}
            Followed::RoomCreated(record) => {
                hub.registry().know_room(record.clone());
                super::chat::push_room_list_soon(&io, &hub);
            }
            Followed::RoomDeleted(key) => {
                let deleted = hub.registry().forget_room(key);
                if let (Some(deleted), Some(chat)) = (deleted, io.of(CHAT_NAMESPACE)) {
                    for sid in deleted.connections.iter().filter_map(|id| id.parse().ok()) {
                        if let Some(socket) = chat.get_socket(sid) {
                            socket.leave(socket_room_of_room(key));
                        }
                    }
                }
                super::chat::push_room_list_soon(&io, &hub);
            }
            Followed::NameBound(binding) => hub.registry().bind(binding.clone()),
            Followed::NameReleased(binding) => hub.registry().forget_binding(binding),
            Followed::Banned(ban) => {
                let reason = hub.registry().ban(ban.clone());
                // The banning host disconnected its own sockets of theirs; these are this host's.
                if !hub.registry().connections_of(&ban.name).is_empty() {
                    let request = KickRequest { name: ban.name.clone(), reason };
                    if let Err(error) = super::admin::kick(&io, &hub, &request) {
                        tracing::warn!(user = %ban.name, %error, "could not disconnect a user banned on another host");
                    }
                }
            }
            Followed::Unbanned(user) => hub.registry().unban(user),
            // The store keeps where a file's bytes are; nothing here holds it.
            Followed::FileKept { .. } | Followed::Nothing => {}
        }
        // Answers this host's writer, now that its write has gone out here.
        drop(applied);
    }
}

/// Whether a lobby post's author speaks only the tutorial's events, as far as this host knows: their own host
/// shows their text without their name in front, as the tutorial's page does; another host cannot know the
/// author's dialect and puts the name in front.
fn author_is_plain(hub: &Hub, name: &str) -> bool {
    let registry = hub.registry();
    let connections = registry.connections_of(name);
    !connections.is_empty() && connections.iter().all(|connection| registry.dialect(connection) == Some(Dialect::Plain))
}
