//! Messages: posting to a room, direct messages, their history and read marks, and image uploads.

use bytes::Bytes;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use socketioxide::SocketIo;

use super::{bad_request, broadcast_to, budget, emit_to_socket, reply};
use crate::host::attachments;
use crate::host::hub::{socket_room_of_user, storage_refusal};
use crate::host::turns::InOrder;
use crate::host::Hub;
use crate::protocol::{
    event, Ack, DirectHistoryPage, DirectHistoryRequest, DirectReadMark, ErrorBody, ErrorKind, SendDirect, SendMessage,
};
use crate::store::PageRequest;
use crate::validate;

/// How many of a user's most recent conversations are searched for one by the other person's name, when nobody has
/// that name any more: a bound on the work one request can ask for.
const CONVERSATIONS_SEARCHED: usize = 1000;

pub(super) fn listen<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(event::MESSAGE_SEND, on_message_send);
    socket.on(event::DM_SEND, on_dm_send);
    socket.on(event::DM_HISTORY, on_dm_history);
    socket.on(event::DM_READ_SET, on_dm_read_set);
    socket.on(event::ATTACHMENT_UPLOAD, on_attachment_upload);
}

async fn on_message_send<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<SendMessage>,
    ack: AckSender<A>,
    InOrder(ticket): InOrder,
) {
    let _turn = ticket.wait().await;
    let mut ack = Some(ack);
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection)
        .and_then(|()| request.map_err(bad_request))
        .and_then(|request| hub.post_room(&connection, &request, &mut ack));
    // The delivery task has the ack of a queued message; a refusal is answered here.
    if let (Some(ack), Err(error)) = (ack, result) {
        reply::<_, ()>(ack, Err(error));
    }
}

async fn on_dm_send<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<SendDirect>,
    ack: AckSender<A>,
    InOrder(ticket): InOrder,
) {
    let _turn = ticket.wait().await;
    let mut ack = Some(ack);
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection)
        .and_then(|()| request.map_err(bad_request))
        .and_then(|request| hub.post_direct(&connection, &request, &mut ack));
    if let (Some(ack), Err(error)) = (ack, result) {
        reply::<_, ()>(ack, Err(error));
    }
}

async fn on_dm_history<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<DirectHistoryRequest>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let registry = hub.registry();
        let me = registry.user_id(&connection)?;
        let limit = request.limit.map_or(usize::MAX, |limit| limit as usize).min(registry.limits().history_page);
        let page = match (request.before_seq, request.after_seq) {
            (Some(before), _) => PageRequest::Before(before),
            (None, Some(after)) => PageRequest::After(after),
            (None, None) => PageRequest::Latest,
        };
        Ok((me, registry.person(&request.with), request.with, request.conversation, page, limit))
    });
    let (me, person, with, conversation, page, limit) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    // The conversation asked for by its id; else someone online or holding the name; else one of this user's
    // conversations under that name (a guest who has gone, whose name nobody holds).
    let other = match (conversation, person) {
        (Some(conversation), _) => match hub.store().conversation_peer(&me, &conversation).await {
            Ok(peer) => peer.map(|peer| (with.clone(), peer)),
            Err(error) => return reply::<_, ()>(ack, Err(storage_refusal(&error, "the conversation"))),
        },
        (None, Some(person)) => Some((person.name, person.id)),
        (None, None) => match hub.store().conversations(&me, CONVERSATIONS_SEARCHED).await {
            Ok(conversations) => conversations
                .into_iter()
                .find(|record| validate::name_key(&record.summary.with) == validate::name_key(&with))
                .map(|record| (record.summary.with, record.with)),
            Err(error) => return reply::<_, ()>(ack, Err(storage_refusal(&error, "the conversation"))),
        },
    };
    let Some((name, other)) = other else {
        return reply::<_, ()>(
            ack,
            Err(ErrorBody::new(ErrorKind::NotFound, format!("You have no conversation with “{with}”."))),
        );
    };
    let answer = hub
        .store()
        .direct_page(&me, &other, page, limit)
        .await
        .map(|page| DirectHistoryPage {
            with: name,
            messages: page.messages,
            latest_seq: page.latest_seq,
            latest_rev: page.latest_rev,
        })
        .map_err(|error| storage_refusal(&error, "the conversation"));
    reply(ack, answer);
}

/// Moves this user's read mark of a conversation, and tells all their connections (a badge read on one device
/// clears on the others).
async fn on_dm_read_set<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<DirectReadMark>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let user = hub.registry().user_id(&connection)?;
        Ok((user, request))
    });
    let (user, request) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    match hub.store().mark_direct_read(&user, &request.conversation, request.seq).await {
        Ok(Some(kept)) => {
            let mark = DirectReadMark { conversation: request.conversation, seq: kept };
            broadcast_to(&io, vec![socket_room_of_user(&user)], event::DM_READ_CHANGED, &mark).await;
            reply(ack, Ok(mark));
        }
        Ok(None) => {
            reply::<_, ()>(ack, Err(ErrorBody::new(ErrorKind::NotFound, "You have no conversation with that id.")))
        }
        Err(error) => reply::<_, ()>(ack, Err(storage_refusal(&error, "the read mark"))),
    }
}

async fn on_attachment_upload<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(bytes): TryData<Bytes>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let checked = budget(&hub, &connection)
        .and_then(|()| {
            bytes.map_err(|_| ErrorBody::new(ErrorKind::BadRequest, "attachment:upload takes one binary argument."))
        })
        .and_then(|bytes| {
            let mime = attachments::check_upload(&bytes, hub.registry().limits().max_attachment_bytes)?;
            Ok((bytes, mime))
        });
    let result = match checked {
        Ok((bytes, mime)) => {
            hub.store().put_attachment(bytes, mime).await.map_err(|error| storage_refusal(&error, "the image"))
        }
        Err(error) => Err(error),
    };
    let answer: Ack<_> = result.into();
    // Sent as an event too: rust_socketio cannot ask for an ack on a binary emit.
    emit_to_socket(&socket, event::ATTACHMENT_STAGED, &answer);
    if let Err(error) = ack.send(&answer) {
        tracing::warn!(%connection, %error, "could not acknowledge an upload");
    }
}
