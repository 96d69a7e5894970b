//! The chat namespace's handlers: extract, call the registry, emit.
//!
//! Every handler follows the same order: spend from the socket's request budget, decode the payload (a wrong shape
//! is answered with `bad_request`, never ignored), lock the registry for one decision, unlock, then emit. Failed
//! emits are logged; nothing a client sends can make a handler panic or affect another socket's requests.

use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::DisconnectReason;
use socketioxide::SocketIo;

use super::hub::{lobby_socket_room, socket_room_of_room, socket_room_of_user, BANTER_SOCKETS, PLAIN_SOCKETS};
use super::registry::{Dialect, Posted};
use super::Hub;
use crate::protocol::{
    event, Ack, Closing, ClosingReason, ErrorBody, ErrorKind, Handshake, LeaveReason, MemberJoined, MemberLeft, Pong,
    RoomList, RoomRequest, SendDirect, SendMessage, TypingSet, TypingUpdate, UserNotice, Welcome, CHAT_NAMESPACE,
    LOBBY, PROTOCOL_VERSION,
};
use crate::validate;

pub fn register(io: &SocketIo) {
    io.ns(CHAT_NAMESPACE, on_connect.with(check_handshake));
}

/// The text of a connect refusal: `kind: message`, so that clients which only see the message string (the
/// JavaScript client's `connect_error`, rust_socketio's `error` event) can still switch on the kind.
#[derive(Debug)]
pub struct Refusal(pub ErrorBody);

impl std::fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.0.kind.as_str(), self.0.message)
    }
}

/// Refuses a handshake before the socket joins the namespace, so the client gets `connect_error` with the reason.
async fn check_handshake(State(hub): State<Hub>, TryData(handshake): TryData<Handshake>) -> Result<(), Refusal> {
    let handshake = handshake
        .map_err(|error| Refusal(ErrorBody::new(ErrorKind::BadRequest, format!("Unreadable handshake: {error}"))))?;
    hub.registry().check_admission(&handshake).map_err(Refusal)
}

async fn on_connect(socket: SocketRef, io: SocketIo, State(hub): State<Hub>, TryData(handshake): TryData<Handshake>) {
    let handshake = handshake.unwrap_or_default();
    let dialect = if handshake.protocol.is_some() { Dialect::Banter } else { Dialect::Plain };
    let connection = socket.id.to_string();
    // Registered before the user is admitted: socketioxide runs this handler in its own task, and a socket that
    // closes before its disconnect handler exists would otherwise leave its user online forever.
    socket.on_disconnect(on_disconnect);
    let admitted = hub.registry().admit(&connection, &handshake, dialect, Instant::now());
    let admitted = match admitted {
        Ok(admitted) => admitted,
        Err(error) => {
            // Two sockets raced for one name between the middleware's check and here; the loser hears why.
            tracing::info!(%connection, %error, "refusing a socket admitted by the handshake check");
            let message = format!("{}: {}", error.kind.as_str(), error.message);
            emit_to_socket(&socket, event::SESSION_CLOSING, &Closing { reason: ClosingReason::Refused, message });
            if let Err(error) = socket.disconnect() {
                tracing::warn!(%connection, %error, "could not disconnect a refused socket");
            }
            return;
        }
    };
    if !socket.connected() {
        // It left while being admitted; its disconnect handler may have run before the admission.
        hub.registry().depart(&connection);
        return;
    }
    tracing::info!(%connection, user = %admitted.user.name, ?dialect, "socket connected");

    socket.on(event::CHAT_MESSAGE, on_chat_message);
    socket.on(event::PRIVATE_MESSAGE, on_private_message);
    socket.on(event::SESSION_PING, on_ping);
    socket.on(
        event::ROOM_CREATE,
        async |s: SocketRef, io: SocketIo, hub: State<Hub>, d: TryData<RoomRequest>, ack: AckSender| {
            on_room_join(s, io, hub, d, ack, true).await;
        },
    );
    socket.on(
        event::ROOM_JOIN,
        async |s: SocketRef, io: SocketIo, hub: State<Hub>, d: TryData<RoomRequest>, ack: AckSender| {
            on_room_join(s, io, hub, d, ack, false).await;
        },
    );
    socket.on(event::ROOM_LEAVE, on_room_leave);
    socket.on(event::MESSAGE_SEND, on_message_send);
    socket.on(event::DM_SEND, on_dm_send);
    socket.on(event::TYPING_SET, on_typing_set);
    socket.on(event::ATTACHMENT_UPLOAD, on_attachment_upload);

    match dialect {
        Dialect::Plain => socket.join(PLAIN_SOCKETS),
        Dialect::Banter => {
            // The user's own room carries direct messages, which only Banter sockets understand.
            let user_room = socket_room_of_user(&validate::name_key(&admitted.user.name));
            socket.join(vec![BANTER_SOCKETS.to_owned(), lobby_socket_room(), user_room]);
            let welcome = {
                let registry = hub.registry();
                Welcome {
                    protocol: PROTOCOL_VERSION,
                    socket_id: connection.clone(),
                    user: admitted.user.clone(),
                    users: registry.users(),
                    rooms: registry.room_list(),
                    history: registry.lobby_history(),
                    limits: registry.limits().announced(),
                }
            };
            emit_to_socket(&socket, event::SESSION_WELCOME, &welcome);
        }
    }

    if admitted.came_online {
        broadcast(
            socket.broadcast().to(BANTER_SOCKETS),
            event::USER_ONLINE,
            &UserNotice { user: admitted.user.clone() },
        )
        .await;
    }
    if admitted.joined_lobby {
        let notice = MemberJoined { room: LOBBY.to_owned(), user: admitted.user.name.clone() };
        broadcast(socket.broadcast().to(lobby_socket_room()), event::MEMBER_JOINED, &notice).await;
        push_room_list_soon(&io, &hub);
    }
}

async fn on_disconnect(socket: SocketRef, io: SocketIo, State(hub): State<Hub>, reason: DisconnectReason) {
    let connection = socket.id.to_string();
    let Some(departed) = hub.registry().depart(&connection) else { return };
    tracing::info!(%connection, user = %departed.user.name, %reason, "socket disconnected");
    if !departed.left_rooms.is_empty() {
        // One emit to the union of the rooms: a socket sharing several of them hears it once.
        let rooms: Vec<String> = departed.left_rooms.iter().map(|room| socket_room_of_room(room)).collect();
        let notice = MemberLeft {
            rooms: departed.left_rooms.clone(),
            user: departed.user.name.clone(),
            reason: LeaveReason::Disconnected,
        };
        broadcast(io.to(rooms), event::MEMBER_LEFT, &notice).await;
    }
    if departed.went_offline {
        broadcast(io.to(BANTER_SOCKETS), event::USER_OFFLINE, &UserNotice { user: departed.user.clone() }).await;
    }
    if !departed.left_rooms.is_empty() || !departed.deleted_rooms.is_empty() {
        push_room_list_soon(&io, &hub);
    }
}

/// The tutorial's `chat message`: a plain string, posted to the lobby.
async fn on_chat_message(socket: SocketRef, State(hub): State<Hub>, TryData(text): TryData<String>, ack: AckSender) {
    let mut ack = Some(ack);
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection).and_then(|()| {
        let text = text.map_err(bad_request)?;
        let request = SendMessage { room: LOBBY.to_owned(), text, client_id: None, attachment: None };
        hub.post(&connection, &request, None, &mut ack)
    });
    if let Err(error) = &result {
        tracing::debug!(%connection, %error, "chat message refused");
    }
    // The delivery task has the ack of a posted message; a refusal is answered here.
    if let Some(ack) = ack {
        reply(ack, result.map(|posted| posted.message));
    }
}

/// The tutorial's `private message`: `(toSocketId, msg)` arrives as `(fromSocketId, msg)` at that socket only.
async fn on_private_message(
    socket: SocketRef,
    io: SocketIo,
    State(hub): State<Hub>,
    TryData(data): TryData<(String, String)>,
    ack: AckSender,
) {
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection).and_then(|()| {
        let (target, text) = data.map_err(bad_request)?;
        let text = validate::message_text(&text, hub.registry().limits().max_message_chars, false)?;
        let target = target
            .parse()
            .ok()
            .and_then(|sid| io.get_socket(sid))
            .ok_or_else(|| ErrorBody::new(ErrorKind::NotFound, "No socket with that id is connected."))?;
        Ok((target, text))
    });
    match result {
        Ok((target, text)) => {
            if let Err(error) = target.emit(event::PRIVATE_MESSAGE, &(connection.as_str(), text.as_str())) {
                tracing::warn!(%connection, target = %target.id, %error, "could not deliver a private message");
            }
            reply(ack, Ok(()));
        }
        Err(error) => reply::<()>(ack, Err(error)),
    }
}

async fn on_ping(socket: SocketRef, State(hub): State<Hub>, ack: AckSender) {
    let connection = socket.id.to_string();
    reply(ack, budget(&hub, &connection).map(|()| Pong { server_time: super::registry::now_millis() }));
}

async fn on_room_join(
    socket: SocketRef,
    io: SocketIo,
    State(hub): State<Hub>,
    TryData(request): TryData<RoomRequest>,
    ack: AckSender,
    create_only: bool,
) {
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection)
        .and_then(|()| request.map_err(bad_request))
        .and_then(|request| hub.registry().join(&connection, &request.room, create_only));
    let joined = match result {
        Ok(joined) => joined,
        Err(error) => return reply::<()>(ack, Err(error)),
    };
    let room = socket_room_of_room(&joined.state.room);
    if hub.registry().dialect(&connection) == Some(Dialect::Banter) {
        socket.join(room.clone());
    }
    if joined.new_member {
        let notice = MemberJoined { room: joined.state.room.clone(), user: joined.user.clone() };
        broadcast(socket.broadcast().to(room), event::MEMBER_JOINED, &notice).await;
    }
    if joined.new_member || joined.created {
        push_room_list_soon(&io, &hub);
    }
    reply(ack, Ok(joined.state));
}

async fn on_room_leave(
    socket: SocketRef,
    io: SocketIo,
    State(hub): State<Hub>,
    TryData(request): TryData<RoomRequest>,
    ack: AckSender,
) {
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection)
        .and_then(|()| request.map_err(bad_request))
        .and_then(|request| hub.registry().leave(&connection, &request.room));
    let left = match result {
        Ok(left) => left,
        Err(error) => return reply::<()>(ack, Err(error)),
    };
    let room = socket_room_of_room(&left.room);
    socket.leave(room.clone());
    if left.member_left {
        let notice = MemberLeft { rooms: vec![left.room.clone()], user: left.user.clone(), reason: LeaveReason::Left };
        broadcast(io.to(room), event::MEMBER_LEFT, &notice).await;
        push_room_list_soon(&io, &hub);
    }
    reply(ack, Ok(crate::protocol::RoomLeft { room: left.room }));
}

async fn on_message_send(
    socket: SocketRef,
    State(hub): State<Hub>,
    TryData(request): TryData<SendMessage>,
    ack: AckSender,
) {
    let mut ack = Some(ack);
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection).and_then(|()| {
        let request = request.map_err(bad_request)?;
        let attachment =
            attachment_for(&hub, &connection, request.client_id.as_deref(), request.attachment.as_deref())?;
        hub.post(&connection, &request, attachment, &mut ack)
    });
    // The delivery task has the ack of a posted message; a resend or a refusal is answered here.
    if let Some(ack) = ack {
        reply(ack, result.map(|posted| posted.message));
    }
}

async fn on_dm_send(
    socket: SocketRef,
    io: SocketIo,
    State(hub): State<Hub>,
    TryData(request): TryData<SendDirect>,
    ack: AckSender,
) {
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection).and_then(|()| {
        let request = request.map_err(bad_request)?;
        let attachment =
            attachment_for(&hub, &connection, request.client_id.as_deref(), request.attachment.as_deref())?;
        let sender = hub.registry().user_key_of(&connection).unwrap_or_default();
        hub.registry().direct(&connection, &request, attachment).map(|(posted, recipient)| (posted, sender, recipient))
    });
    match result {
        Ok((Posted { message, duplicate }, sender, recipient)) => {
            if !duplicate {
                // Every connection of both users, each once, the sender's other devices included.
                let rooms = vec![socket_room_of_user(&sender), socket_room_of_user(&recipient)];
                broadcast(io.to(rooms), event::DM_NEW, &message).await;
            }
            reply(ack, Ok(message));
        }
        Err(error) => reply::<()>(ack, Err(error)),
    }
}

async fn on_typing_set(
    socket: SocketRef,
    State(hub): State<Hub>,
    TryData(request): TryData<TypingSet>,
    ack: AckSender,
) {
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection).and_then(|()| {
        let request = request.map_err(bad_request)?;
        let (room, user) = hub.registry().typing_in(&connection, &request.room)?;
        Ok(TypingUpdate { room, user, active: request.active })
    });
    match result {
        Ok(update) => {
            broadcast(socket.to(socket_room_of_room(&update.room)), event::TYPING_UPDATE, &update).await;
            reply(ack, Ok(()));
        }
        Err(error) => reply::<()>(ack, Err(error)),
    }
}

async fn on_attachment_upload(
    socket: SocketRef,
    State(hub): State<Hub>,
    TryData(bytes): TryData<Bytes>,
    ack: AckSender,
) {
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection)
        .and_then(|()| {
            bytes.map_err(|_| ErrorBody::new(ErrorKind::BadRequest, "attachment:upload takes one binary argument."))
        })
        .and_then(|bytes| hub.attachments().stage(bytes));
    let answer: Ack<_> = result.into();
    // Sent as an event too: rust_socketio cannot ask for an ack on a binary emit.
    emit_to_socket(&socket, event::ATTACHMENT_STAGED, &answer);
    if let Err(error) = ack.send(&answer) {
        tracing::warn!(%connection, %error, "could not acknowledge an upload");
    }
}

/// The attachment a message refers to. A resend is answered from what was recorded, even if its image has been
/// dropped from the store since.
fn attachment_for(
    hub: &Hub,
    connection: &str,
    client_id: Option<&str>,
    attachment: Option<&str>,
) -> Result<Option<crate::protocol::Attachment>, ErrorBody> {
    match attachment {
        Some(_) if hub.registry().is_resend(&connection.to_owned(), client_id) => Ok(None),
        Some(id) => hub.attachments().describe(id).map(Some),
        None => Ok(None),
    }
}

/// How long changes to the room list are gathered before one `room:list` carries them all. Every join and leave
/// changes a member count, and each push goes to every Banter socket: pushed at once, a host of n sockets joining
/// r rooms would send n² lists of r rooms (2,000 sockets in 200 rooms: about 14 GB). Gathered, it sends at most
/// four lists a second to each socket, a quarter of a second late at worst.
const ROOM_LIST_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// Schedules a `room:list` push unless one is already waiting, which will then carry this change too.
fn push_room_list_soon(io: &SocketIo, hub: &Hub) {
    if !hub.claim_room_list_push() {
        return;
    }
    let (io, hub) = (io.clone(), hub.clone());
    tokio::spawn(async move {
        tokio::time::sleep(ROOM_LIST_DELAY).await;
        // Released before the list is read: a change after this point schedules another push, so none is missed.
        hub.release_room_list_push();
        let rooms = hub.registry().room_list();
        broadcast(io.to(BANTER_SOCKETS), event::ROOM_LIST, &RoomList { rooms }).await;
    });
}

fn budget(hub: &Hub, connection: &str) -> Result<(), ErrorBody> {
    hub.registry().spend_request(&connection.to_owned(), Instant::now())
}

fn bad_request(error: impl std::fmt::Display) -> ErrorBody {
    ErrorBody::new(ErrorKind::BadRequest, format!("The payload does not have the expected shape: {error}"))
}

/// Answers a request with `{data}` or `{error}`; a client that asked for no ack gets nothing.
fn reply<T: Serialize>(ack: AckSender, result: Result<T, ErrorBody>) {
    if let Err(error) = ack.send(&Ack::from(result)) {
        tracing::warn!(%error, "could not send an ack");
    }
}

fn emit_to_socket<T: Serialize + ?Sized>(socket: &SocketRef, name: &str, data: &T) {
    if let Err(error) = socket.emit(name, data) {
        tracing::warn!(socket = %socket.id, event = name, %error, "emit failed");
    }
}

async fn broadcast<T: Serialize + ?Sized>(
    operators: socketioxide::operators::BroadcastOperators,
    name: &str,
    data: &T,
) {
    if let Err(error) = operators.emit(name, data).await {
        super::fanout::report_broadcast_failure(name, &error);
    }
}
