//! The `/admin` namespace: the host's own moderation tools, closed to anyone without the host token.

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;

use super::chat::{push_room_list_soon, reply, Refusal};
use super::hub::{socket_room_of_room, storage_refusal, BANTER_SOCKETS};
use super::Hub;
use crate::protocol::{
    event, AdminHandshake, BanRequest, Banned, Closing, ClosingReason, ErrorBody, ErrorKind, KickRequest, Kicked,
    Message, MessageRef, NameReleased, NameRequest, RoomDeleted, RoomRequest, ADMIN_NAMESPACE, CHAT_NAMESPACE,
};

/// Registers the `/admin` namespace; a remote adapter's answer says when it is ready to broadcast.
pub fn register<A: Adapter + socketioxide_core::adapter::DefinedAdapter>(io: &SocketIo<A>) -> A::InitRes {
    io.ns(ADMIN_NAMESPACE, on_connect.with(check_token))
}

/// Admits a moderator with the host token. Wrong tokens are counted per address: past the budget
/// (`NetworkLimits::secret_attempt_burst`, then so many a minute), every attempt from that address is refused as
/// `rate_limited` until it refills, so that the token cannot be guessed faster than that. Each failure is logged.
async fn check_token<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(handshake): TryData<AdminHandshake>,
) -> Result<(), Refusal> {
    let from = hub.session_joined(&socket);
    let right = handshake.is_ok_and(|handshake| hub.admin_token_matches(&handshake.token));
    if hub.try_secret(from, right, "admin tokens").map_err(Refusal)? {
        Ok(())
    } else {
        Err(Refusal(ErrorBody::new(ErrorKind::Forbidden, "The admin namespace needs the host token.")))
    }
}

async fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    tracing::info!(socket = %socket.id, "moderator connected");
    socket.on(event::ADMIN_USERS_LIST, async |State(hub): State<Hub>, ack: AckSender<A>| {
        let users = hub.registry().admin_view();
        reply(ack, Ok(users));
    });
    socket.on(event::ADMIN_USER_KICK, on_kick);
    socket.on(event::ADMIN_ROOM_DELETE, on_room_delete);
    socket.on(event::ADMIN_NAME_RELEASE, on_name_release);
    socket.on(event::ADMIN_MESSAGE_DELETE, on_message_delete);
    socket.on(event::ADMIN_USER_BAN, on_ban);
    socket.on(event::ADMIN_USER_UNBAN, on_unban);
    socket.on(event::ADMIN_BANS_LIST, async |State(hub): State<Hub>, ack: AckSender<A>| {
        let bans = hub.registry().bans(crate::clock::now_millis());
        reply(ack, Ok(bans));
    });
}

async fn on_ban<A: Adapter>(
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<BanRequest>,
    ack: AckSender<A>,
) {
    let result = match request {
        Ok(request) => ban(&io, &hub, request).await,
        Err(error) => {
            Err(ErrorBody::new(ErrorKind::BadRequest, format!("user:ban takes {{name, minutes?, reason?}}: {error}")))
        }
    };
    reply(ack, result);
}

/// Bans the user who holds a name: kept first, so that a ban the owner was told about survives a restart, then
/// in force for every handshake, then every connection of theirs is told and disconnected.
pub async fn ban<A: Adapter>(io: &SocketIo<A>, hub: &Hub, request: BanRequest) -> Result<Banned, ErrorBody> {
    let record = hub.registry().bannable(&request.name, request.minutes, request.reason, crate::clock::now_millis())?;
    if let Err(error) = hub.store().ban(record.clone()).await {
        return Err(storage_refusal(&error, "the ban"));
    }
    let (name, until) = (record.name.clone(), record.until);
    let message = hub.registry().ban(record);
    let kicked =
        kick(io, hub, &KickRequest { name: name.clone(), reason: message }).map_or(0, |kicked| kicked.connections);
    tracing::info!(user = %name, ?until, kicked, "user banned by the moderator");
    Ok(Banned { name, until, connections: kicked })
}

async fn on_unban<A: Adapter>(State(hub): State<Hub>, TryData(request): TryData<NameRequest>, ack: AckSender<A>) {
    let result = match request {
        Ok(request) => unban(&hub, &request.name).await,
        Err(error) => Err(ErrorBody::new(ErrorKind::BadRequest, format!("user:unban takes {{name}}: {error}"))),
    };
    reply(ack, result);
}

pub async fn unban(hub: &Hub, raw_name: &str) -> Result<NameReleased, ErrorBody> {
    let ban = hub.registry().ban_of(raw_name)?;
    if let Err(error) = hub.store().unban(&ban.user).await {
        return Err(storage_refusal(&error, "lifting the ban"));
    }
    hub.registry().unban(&ban.user);
    tracing::info!(user = %ban.name, "ban lifted by the moderator");
    Ok(NameReleased { name: ban.name })
}

/// Deletes a room with its history: everyone in it is taken out and told, and the store forgets it.
async fn on_room_delete<A: Adapter>(
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<RoomRequest>,
    ack: AckSender<A>,
) {
    let result = match request {
        Ok(request) => delete_room(&io, &hub, &request.room).await,
        Err(error) => Err(ErrorBody::new(ErrorKind::BadRequest, format!("room:delete takes {{room}}: {error}"))),
    };
    reply(ack, result);
}

pub async fn delete_room<A: Adapter>(io: &SocketIo<A>, hub: &Hub, raw_room: &str) -> Result<RoomDeleted, ErrorBody> {
    // The store first: a join in the meantime still finds the room and is taken out with everyone else below,
    // where a room gone from the host but not yet from the store could be made again in memory only.
    let (key, _) = hub.registry().deletable(raw_room)?;
    if let Err(error) = hub.store().delete_room(&key).await {
        return Err(storage_refusal(&error, "the deletion"));
    }
    let deleted = hub.registry().delete_room(raw_room)?;
    let chat = io.of(CHAT_NAMESPACE);
    for sid in deleted.connections.iter().filter_map(|id| id.parse().ok()) {
        if let Some(socket) = chat.as_ref().and_then(|chat| chat.get_socket(sid)) {
            socket.leave(socket_room_of_room(&key));
        }
    }
    tracing::info!(room = %deleted.room, "room deleted by the moderator");
    let notice = RoomDeleted { room: deleted.room.clone() };
    if let Some(chat) = io.of(CHAT_NAMESPACE) {
        if let Err(error) = chat.to(BANTER_SOCKETS).emit(event::ROOM_DELETED, &notice).await {
            super::delivery::report_broadcast_failure(event::ROOM_DELETED, &error);
        }
    }
    push_room_list_soon(io, hub);
    Ok(notice)
}

/// Deletes one message, in any room: everyone in the room sees its tombstone.
async fn on_message_delete<A: Adapter>(
    State(hub): State<Hub>,
    TryData(request): TryData<MessageRef>,
    ack: AckSender<A>,
) {
    let result = match request {
        Ok(request) => delete_message(&hub, &request).await,
        Err(error) => {
            Err(ErrorBody::new(ErrorKind::BadRequest, format!("message:delete takes {{room, seq}}: {error}")))
        }
    };
    reply(ack, result);
}

pub async fn delete_message(hub: &Hub, request: &MessageRef) -> Result<Message, ErrorBody> {
    let change = hub.registry().owner_delete(request)?;
    let deleted = hub.change_locally(change).await?;
    tracing::info!(room = %deleted.room, seq = deleted.seq, "message deleted by the moderator");
    Ok(deleted)
}

/// Frees a bound name for anyone to take. Whoever uses it now keeps it until they leave; kick them first to take it
/// away at once.
async fn on_name_release<A: Adapter>(
    State(hub): State<Hub>,
    TryData(request): TryData<NameRequest>,
    ack: AckSender<A>,
) {
    let result = match request {
        Ok(request) => release_name(&hub, &request.name).await,
        Err(error) => Err(ErrorBody::new(ErrorKind::BadRequest, format!("name:release takes {{name}}: {error}"))),
    };
    reply(ack, result);
}

pub async fn release_name(hub: &Hub, raw_name: &str) -> Result<NameReleased, ErrorBody> {
    let released = hub.registry().release_name(raw_name)?;
    match hub.store().release_name(&released.key).await {
        Ok(_) => {
            tracing::info!(name = %released.name, "name released by the moderator");
            Ok(NameReleased { name: released.name })
        }
        Err(error) => {
            // Not released after all: the store still binds it, and would again at the next start.
            hub.registry().bind(released);
            Err(storage_refusal(&error, "the release"))
        }
    }
}

async fn on_kick<A: Adapter>(
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<KickRequest>,
    ack: AckSender<A>,
) {
    let result = request
        .map_err(|error| ErrorBody::new(ErrorKind::BadRequest, format!("user:kick takes {{name, reason?}}: {error}")))
        .and_then(|request| kick(&io, &hub, &request));
    reply(ack, result);
}

pub fn kick<A: Adapter>(io: &SocketIo<A>, hub: &Hub, request: &KickRequest) -> Result<Kicked, ErrorBody> {
    let connections = hub.registry().connections_of(&request.name);
    let elsewhere = hub.registry().elsewhere(&request.name);
    if connections.is_empty() && elsewhere.is_none() {
        return Err(ErrorBody::new(ErrorKind::NotFound, format!("Nobody called “{}” is online.", request.name)));
    }
    let chat = io
        .of(CHAT_NAMESPACE)
        .ok_or_else(|| ErrorBody::new(ErrorKind::Internal, "The chat namespace is not registered."))?;
    let notice = Closing {
        reason: ClosingReason::Kicked,
        message: request.reason.clone().unwrap_or_else(|| "The host removed you from the chat.".into()),
    };
    let mut kicked = 0;
    for sid in connections.iter().filter_map(|id| id.parse().ok()) {
        let Some(socket) = chat.get_socket(sid) else { continue };
        if let Err(error) = socket.emit(event::SESSION_CLOSING, &notice) {
            tracing::warn!(%sid, %error, "could not tell a kicked socket why");
        }
        match socket.disconnect() {
            Ok(()) => kicked += 1,
            Err(error) => tracing::warn!(%sid, %error, "could not disconnect a kicked socket"),
        }
    }
    if let Some((user, count)) = elsewhere {
        // Their connections on a cluster's other hosts, through the adapter: told why, then disconnected there.
        kicked += u32::try_from(count).unwrap_or(u32::MAX);
        let everywhere = chat.to(super::hub::socket_room_of_user(&user));
        tokio::spawn(async move {
            if let Err(error) = everywhere.clone().emit(event::SESSION_CLOSING, &notice).await {
                tracing::warn!(%error, "could not tell a kicked user's sockets on other hosts why");
            }
            if let Err(error) = everywhere.disconnect().await {
                tracing::warn!(%error, "could not disconnect a kicked user's sockets on other hosts");
            }
        });
    }
    tracing::info!(user = %request.name, kicked, "user kicked by the moderator");
    Ok(Kicked { name: request.name.trim().to_owned(), connections: kicked })
}
