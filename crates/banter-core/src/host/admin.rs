//! The `/admin` namespace: the host's own moderation tools, closed to anyone without the host token.

use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;

use super::chat::Refusal;
use super::Hub;
use crate::protocol::{
    event, Ack, AdminHandshake, Closing, ClosingReason, ErrorBody, ErrorKind, KickRequest, Kicked, ADMIN_NAMESPACE,
    CHAT_NAMESPACE,
};

pub fn register(io: &SocketIo) {
    io.ns(ADMIN_NAMESPACE, on_connect.with(check_token));
}

async fn check_token(State(hub): State<Hub>, TryData(handshake): TryData<AdminHandshake>) -> Result<(), Refusal> {
    match handshake {
        Ok(handshake) if hub.admin_token_matches(&handshake.token) => Ok(()),
        _ => Err(Refusal(ErrorBody::new(ErrorKind::Forbidden, "The admin namespace needs the host token."))),
    }
}

async fn on_connect(socket: SocketRef) {
    tracing::info!(socket = %socket.id, "moderator connected");
    socket.on(event::ADMIN_USERS_LIST, async |State(hub): State<Hub>, ack: AckSender| {
        let users = hub.registry().admin_view();
        if let Err(error) = ack.send(&Ack::Data(users)) {
            tracing::warn!(%error, "could not answer users:list");
        }
    });
    socket.on(event::ADMIN_USER_KICK, on_kick);
}

async fn on_kick(io: SocketIo, State(hub): State<Hub>, TryData(request): TryData<KickRequest>, ack: AckSender) {
    let result = request
        .map_err(|error| ErrorBody::new(ErrorKind::BadRequest, format!("user:kick takes {{name, reason?}}: {error}")))
        .and_then(|request| kick(&io, &hub, &request));
    if let Err(error) = ack.send(&Ack::from(result)) {
        tracing::warn!(%error, "could not answer user:kick");
    }
}

fn kick(io: &SocketIo, hub: &Hub, request: &KickRequest) -> Result<Kicked, ErrorBody> {
    let connections = hub.registry().connections_of(&request.name);
    if connections.is_empty() {
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
    tracing::info!(user = %request.name, kicked, "user kicked by the moderator");
    Ok(Kicked { name: request.name.trim().to_owned(), connections: kicked })
}
