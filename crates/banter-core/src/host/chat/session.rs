//! A socket's session: the handshake check, admission and the welcome, departure, the liveness probe, and the
//! tutorial's own events.

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::socket::DisconnectReason;
use socketioxide::SocketIo;

use super::{bad_request, broadcast, broadcast_to, budget, emit_to_socket, push_room_list_soon, reply};
use crate::host::hub::{
    lobby_socket_room, socket_room_of_room, socket_room_of_user, storage_refusal, BANTER_SOCKETS, PLAIN_SOCKETS,
};
use crate::host::registry::{Admitted, Dialect};
use crate::host::turns::InOrder;
use crate::host::Hub;
use crate::keys::RoomKey;
use crate::protocol::{
    event, ErrorBody, ErrorKind, Handshake, LeaveReason, MemberJoined, MemberLeft, Pong, SendMessage, UserNotice,
    Welcome, LOBBY, PROTOCOL_VERSION,
};
use crate::store::PageRequest;
use crate::validate;

/// The text of a connect refusal: `kind: message`, so that clients which only see the message string (the
/// JavaScript client's `connect_error`, rust_socketio's `error` event) can still switch on the kind.
#[derive(Debug)]
pub struct Refusal(pub ErrorBody);

impl std::fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.0.kind.as_str(), self.0.message)
    }
}

/// Admits a socket before it joins the namespace, or refuses it so that the client gets `connect_error` with the
/// reason. Everything that can refuse happens here, before socketioxide tells the client it is connected: the
/// checks, keeping a name the user takes for the first time, the admission itself, and the handlers, so that a
/// client that sends requests the moment it is connected finds them answered.
pub(super) async fn check_handshake<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(handshake): TryData<Handshake>,
) -> Result<(), Refusal> {
    let from = hub.session_joined(&socket);
    let handshake = handshake
        .map_err(|error| Refusal(ErrorBody::new(ErrorKind::BadRequest, format!("Unreadable handshake: {error}"))))?;
    check_access_code(&hub, handshake.access_code.as_deref(), from).map_err(Refusal)?;
    let claim = hub.registry().check_admission(&handshake).map_err(Refusal)?;
    if let Some(binding) = claim {
        // Kept before anyone sees the user under it. Two sockets that claim one free name at once are settled by
        // the store: the second hears that the name is taken.
        match hub.store().bind_name(binding.clone()).await {
            Ok(Ok(())) => hub.registry().bind(binding),
            Ok(Err(holder)) => {
                let message = format!("“{}” belongs to someone else on this host. Choose another name.", holder.name);
                hub.registry().bind(holder);
                return Err(Refusal(ErrorBody::new(ErrorKind::NameTaken, message)));
            }
            Err(error) => return Err(Refusal(storage_refusal(&error, "your name"))),
        }
    }
    let dialect = if handshake.protocol.is_some() { Dialect::Banter } else { Dialect::Plain };
    let connection = socket.id.to_string();
    // Checked again under the same lock that admits: another socket may have taken the name meanwhile.
    let admitted =
        hub.registry().admit(&connection, &handshake, dialect, from, std::time::Instant::now()).map_err(Refusal)?;
    socket.on_disconnect(on_disconnect);
    hub.turns().open(&connection);
    super::listen(&socket);
    hub.admitted(&connection, admitted);
    Ok(())
}

/// Lets in a handshake with the host's access code, if it has one. Wrong codes are counted per address as wrong
/// admin tokens are (a burst, then five a minute, then even the right one waits); a missing code is not a guess
/// and costs nothing.
fn check_access_code(hub: &Hub, presented: Option<&str>, from: Option<std::net::IpAddr>) -> Result<(), ErrorBody> {
    let Some(code) = hub.access_code() else { return Ok(()) };
    let Some(presented) = presented.filter(|presented| !presented.trim().is_empty()) else {
        return Err(ErrorBody::new(ErrorKind::Forbidden, "This host needs an access code: ask its owner for it."));
    };
    if hub.try_secret(from, code.matches(presented), "access codes")? {
        Ok(())
    } else {
        Err(ErrorBody::new(ErrorKind::Forbidden, "That access code is wrong: check it with the host's owner."))
    }
}

pub(super) async fn on_connect<A: Adapter>(socket: SocketRef<A>, io: SocketIo<A>, State(hub): State<Hub>) {
    let connection = socket.id.to_string();
    let Some(admitted) = hub.take_admitted(&connection) else {
        tracing::warn!(%connection, "a socket connected without an admission");
        return;
    };
    if !socket.connected() {
        // It left while being admitted; its disconnect handler may have run before it was in the namespace.
        depart(&io, &hub, &connection, "left while connecting").await;
        return;
    }
    let dialect = hub.registry().dialect(&connection);
    tracing::info!(%connection, user = %admitted.user.name, ?dialect, "socket connected");
    match dialect {
        Some(Dialect::Banter) => {
            // The user's own room carries direct messages, which only Banter sockets understand. Joined before
            // the history is read, so that nothing posted meanwhile is missed (it may arrive twice instead).
            let user_room = socket_room_of_user(&admitted.user_id);
            socket.join(vec![BANTER_SOCKETS.to_owned(), lobby_socket_room(), user_room]);
            let welcome = welcome(&hub, &connection, &admitted).await;
            emit_to_socket(&socket, event::SESSION_WELCOME, &welcome);
        }
        _ => socket.join(PLAIN_SOCKETS),
    }

    if admitted.came_online {
        let notice = UserNotice { user: admitted.user.clone() };
        broadcast(socket.broadcast().to(BANTER_SOCKETS), event::USER_ONLINE, &notice).await;
        let notice = MemberJoined { room: LOBBY.to_owned(), user: admitted.user.name.clone() };
        broadcast(socket.broadcast().to(lobby_socket_room()), event::MEMBER_JOINED, &notice).await;
        push_room_list_soon(&io, &hub);
    }
}

/// What a Banter socket is told first: who it is, who is here, the lobby's latest messages, and what this user has
/// on the host (rooms joined, direct conversations). A read that fails is logged and left empty: the session goes
/// on, and clients page what they miss.
async fn welcome(hub: &Hub, connection: &str, admitted: &Admitted) -> Welcome {
    let (limits, users, rooms) = {
        let registry = hub.registry();
        (registry.limits().clone(), registry.users(), registry.room_list())
    };
    let store = hub.store();
    let lobby_key = RoomKey::lobby();
    let (lobby, conversations, memberships, reads, notify) = tokio::join!(
        store.room_page(&lobby_key, PageRequest::Latest, limits.history_page),
        store.conversations(&admitted.user_id, limits.welcome_conversations),
        store.memberships(&admitted.user_id),
        store.reads(&admitted.user_id),
        store.notify_settings(&admitted.user_id),
    );
    let logged =
        |what: &str, error: &dyn std::fmt::Display| tracing::error!(%error, "could not read {what} for a welcome");
    let history = lobby.unwrap_or_else(|error| {
        logged("the lobby", &error);
        None
    });
    let conversations = conversations.unwrap_or_else(|error| {
        logged("direct conversations", &error);
        Vec::new()
    });
    let member_of = memberships.unwrap_or_else(|error| {
        logged("memberships", &error);
        Vec::new()
    });
    let reads = reads.unwrap_or_else(|error| {
        logged("read marks", &error);
        Vec::new()
    });
    let notify = notify.unwrap_or_else(|error| {
        logged("notification settings", &error);
        Vec::new()
    });
    Welcome {
        protocol: PROTOCOL_VERSION,
        host_id: hub.host_id().to_owned(),
        socket_id: connection.to_owned(),
        user: admitted.user.clone(),
        users,
        rooms,
        lobby_rev: history.as_ref().map_or(0, |page| page.latest_rev),
        history: history.map(|page| page.messages).unwrap_or_default(),
        member_of: member_of.into_iter().filter(|room| !validate::room_key(room).is_lobby()).collect(),
        conversations: conversations.into_iter().map(|record| record.summary).collect(),
        reads,
        notify,
        limits: limits.announced(),
    }
}

async fn on_disconnect<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(hub): State<Hub>,
    reason: DisconnectReason,
) {
    depart(&io, &hub, &socket.id.to_string(), &reason.to_string()).await;
}

/// A connection is gone: its user leaves its rooms, and goes offline if it was their last.
pub(crate) async fn depart<A: Adapter>(io: &SocketIo<A>, hub: &Hub, connection: &str, reason: &str) {
    hub.turns().close(connection);
    hub.take_admitted(connection);
    let Some(departed) = hub.registry().depart(&connection.to_owned()) else { return };
    tracing::info!(%connection, user = %departed.user.name, %reason, "socket disconnected");
    if !departed.left_rooms.is_empty() {
        // One emit to the union of the rooms: a socket sharing several of them hears it once.
        let rooms: Vec<String> = departed.left_rooms.iter().map(|(key, _)| socket_room_of_room(key)).collect();
        let notice = MemberLeft {
            rooms: departed.left_rooms.iter().map(|(_, name)| name.clone()).collect(),
            user: departed.user.name.clone(),
            reason: LeaveReason::Disconnected,
        };
        broadcast_to(io, rooms, event::MEMBER_LEFT, &notice).await;
        push_room_list_soon(io, hub);
    }
    if departed.went_offline {
        let notice = UserNotice { user: departed.user.clone() };
        broadcast_to(io, vec![BANTER_SOCKETS.to_owned()], event::USER_OFFLINE, &notice).await;
    }
}

/// How often the host looks for connections whose socket is gone without a disconnect (socketioxide drops a socket
/// without one when it cannot even send it `CONNECT`), and how old a connection must be to count: one admitted a
/// moment ago may not be in the namespace yet.
const REAP_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
const REAP_AFTER: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs until the host stops: departs connections the namespace no longer has, so that nobody stays online forever.
pub(crate) async fn reap<A: Adapter>(io: SocketIo<A>, hub: Hub) {
    let mut ticks = tokio::time::interval(REAP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(chat) = io.of(crate::protocol::CHAT_NAMESPACE) else { return };
        let stale = hub.registry().connections_older_than(REAP_AFTER);
        for connection in stale {
            let present = connection.parse().ok().and_then(|sid| chat.get_socket(sid)).is_some();
            if !present {
                depart(&io, &hub, &connection, "its socket is gone").await;
            }
        }
    }
}

pub(super) fn listen<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(event::CHAT_MESSAGE, on_chat_message);
    socket.on(event::PRIVATE_MESSAGE, on_private_message);
    socket.on(event::SESSION_PING, on_ping);
}

/// The tutorial's `chat message`: a plain string, posted to the lobby.
async fn on_chat_message<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(text): TryData<String>,
    ack: AckSender<A>,
    InOrder(ticket): InOrder,
) {
    let _turn = ticket.wait().await;
    let mut ack = Some(ack);
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection).and_then(|()| {
        let text = text.map_err(bad_request)?;
        let request =
            SendMessage { room: LOBBY.to_owned(), text, client_id: None, attachment: None, reply_to: None, file: None };
        hub.post_room(&connection, &request, &mut ack)
    });
    if let Err(error) = &result {
        tracing::debug!(%connection, %error, "chat message refused");
    }
    // The delivery task has the ack of a queued message; a refusal is answered here.
    if let (Some(ack), Err(error)) = (ack, result) {
        reply::<_, ()>(ack, Err(error));
    }
}

/// The tutorial's `private message`: `(toSocketId, msg)` arrives as `(fromSocketId, msg)` at that socket only.
async fn on_private_message<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(data): TryData<(String, String)>,
    ack: AckSender<A>,
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
        Err(error) => reply::<_, ()>(ack, Err(error)),
    }
}

async fn on_ping<A: Adapter>(socket: SocketRef<A>, State(hub): State<Hub>, ack: AckSender<A>) {
    let connection = socket.id.to_string();
    reply(ack, budget(&hub, &connection).map(|()| Pong { server_time: crate::clock::now_millis() }));
}
