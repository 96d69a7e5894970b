//! The actions on a posted message, in a room or a direct conversation: edit, delete and react, and
//! `history:changes` and `dm:changes`, which bring a client that was away up to date with them. A change is decided under the registry lock like a post, then queued behind the posts
//! before it: the delivery task keeps it, broadcasts `message:changed` and acknowledges it, in that order.

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::{bad_request, budget, reply, room_gone, room_to_read};
use crate::host::hub::storage_refusal;
use crate::host::registry::{ConnectionId, Registry};
use crate::host::turns::InOrder;
use crate::host::Hub;
use crate::protocol::{
    event, ChangesPage, ChangesRequest, DirectChangesPage, DirectChangesRequest, DirectRef, EditDirect, EditMessage,
    ErrorBody, ErrorKind, MessageRef, ReactDirect, ReactMessage,
};
use crate::store::Post;

pub(super) fn listen<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(
        event::MESSAGE_EDIT,
        async |s: SocketRef<A>, hub: State<Hub>, d: TryData<EditMessage>, ack: AckSender<A>, o: InOrder| {
            on_change(s, hub, d, ack, o, Registry::edit).await;
        },
    );
    socket.on(
        event::MESSAGE_DELETE,
        async |s: SocketRef<A>, hub: State<Hub>, d: TryData<MessageRef>, ack: AckSender<A>, o: InOrder| {
            on_change(s, hub, d, ack, o, Registry::delete).await;
        },
    );
    socket.on(
        event::MESSAGE_REACT,
        async |s: SocketRef<A>, hub: State<Hub>, d: TryData<ReactMessage>, ack: AckSender<A>, o: InOrder| {
            on_change(s, hub, d, ack, o, Registry::react).await;
        },
    );
    socket.on(event::HISTORY_CHANGES, on_history_changes);
    socket.on(
        event::DM_EDIT,
        async |s: SocketRef<A>, hub: State<Hub>, d: TryData<EditDirect>, ack: AckSender<A>, o: InOrder| {
            on_change(s, hub, d, ack, o, Registry::direct_edit).await;
        },
    );
    socket.on(
        event::DM_DELETE,
        async |s: SocketRef<A>, hub: State<Hub>, d: TryData<DirectRef>, ack: AckSender<A>, o: InOrder| {
            on_change(s, hub, d, ack, o, Registry::direct_delete).await;
        },
    );
    socket.on(
        event::DM_REACT,
        async |s: SocketRef<A>, hub: State<Hub>, d: TryData<ReactDirect>, ack: AckSender<A>, o: InOrder| {
            on_change(s, hub, d, ack, o, Registry::direct_react).await;
        },
    );
    socket.on(event::DM_CHANGES, on_dm_changes);
}

/// One change: spend from the budget, decode, decide, queue. The delivery task answers a queued change.
async fn on_change<A: Adapter, T, C: Into<Post>>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<T>,
    ack: AckSender<A>,
    InOrder(ticket): InOrder,
    decide: fn(&Registry, &ConnectionId, &T) -> Result<C, ErrorBody>,
) {
    let _turn = ticket.wait().await;
    let mut ack = Some(ack);
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection)
        .and_then(|()| request.map_err(bad_request))
        .and_then(|request| decide(&hub.registry(), &connection, &request))
        .and_then(|change| hub.post_change(change, &mut ack));
    if let (Some(ack), Err(error)) = (ack, result) {
        reply::<_, ()>(ack, Err(error));
    }
}

async fn on_history_changes<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<ChangesRequest>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let (key, room, limit) = room_to_read(&hub, &connection, &request.room, request.limit)?;
        Ok((key, room, request.after_rev, limit))
    });
    let (key, room, after_rev, limit) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    let answer = match hub.store().room_changes(&key, after_rev, limit).await {
        Ok(Some(page)) => Ok(ChangesPage { room, messages: page.messages, latest_rev: page.latest_rev }),
        Ok(None) => Err(room_gone(&room)),
        Err(error) => Err(storage_refusal(&error, "the room's changes")),
    };
    reply(ack, answer);
}

async fn on_dm_changes<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<DirectChangesRequest>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let registry = hub.registry();
        let me = registry.user_id(&connection)?;
        let limit = request.limit.map_or(usize::MAX, |limit| limit as usize).min(registry.limits().history_page);
        Ok((me, request, limit))
    });
    let (me, request, limit) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    let answer = match hub.store().direct_changes(&me, &request.conversation, request.after_rev, limit).await {
        Ok(Some(page)) => Ok(DirectChangesPage {
            conversation: request.conversation,
            messages: page.messages,
            latest_rev: page.latest_rev,
        }),
        Ok(None) => Err(ErrorBody::new(ErrorKind::NotFound, "You have no conversation with that id.")),
        Err(error) => Err(storage_refusal(&error, "the conversation's changes")),
    };
    reply(ack, answer);
}
