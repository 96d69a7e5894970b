//! Rooms: creating, joining (with the history a client lacks), leaving, reading older messages, typing notices,
//! and the room list pushed to everyone.

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::SocketIo;

use super::{bad_request, broadcast, broadcast_to, budget, reply, room_gone, room_to_read};
use crate::host::hub::{socket_room_of_room, socket_room_of_user, storage_refusal, BANTER_SOCKETS};
use crate::host::registry::{Dialect, JoinMode, Joined};
use crate::host::turns::InOrder;
use crate::host::Hub;
use crate::protocol::{
    event, ErrorBody, HistoryPage, HistoryRequest, LeaveReason, MemberJoined, MemberLeft, NotifySetting, ReadMark,
    RoomJoined, RoomLeft, RoomList, RoomRequest, TypingSet, TypingUpdate,
};
use crate::store::PageRequest;

pub(super) fn listen<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(
        event::ROOM_CREATE,
        async |s: SocketRef<A>,
               io: SocketIo<A>,
               hub: State<Hub>,
               d: TryData<RoomRequest>,
               ack: AckSender<A>,
               o: InOrder| {
            on_room_join(s, io, hub, d, ack, o, true).await;
        },
    );
    socket.on(
        event::ROOM_JOIN,
        async |s: SocketRef<A>,
               io: SocketIo<A>,
               hub: State<Hub>,
               d: TryData<RoomRequest>,
               ack: AckSender<A>,
               o: InOrder| {
            on_room_join(s, io, hub, d, ack, o, false).await;
        },
    );
    socket.on(event::ROOM_LEAVE, on_room_leave);
    socket.on(event::HISTORY_PAGE, on_history_page);
    socket.on(event::READ_SET, on_read_set);
    socket.on(event::NOTIFY_SET, on_notify_set);
    socket.on(event::TYPING_SET, on_typing_set);
}

async fn on_room_join<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<RoomRequest>,
    ack: AckSender<A>,
    InOrder(ticket): InOrder,
    create_only: bool,
) {
    // Held until the join is answered: a post this socket sent after it waits, instead of being refused because
    // the socket is not in the room yet.
    let _turn = ticket.wait().await;
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let mode = match (create_only, request.must_exist) {
            (true, _) => JoinMode::Create,
            (false, true) => JoinMode::Existing,
            (false, false) => JoinMode::JoinOrCreate,
        };
        let joined = hub.registry().join(&connection, &request.room, mode)?;
        Ok((joined, request.after_seq, request.after_rev))
    });
    let (joined, after_seq, after_rev) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    match enter(&hub, &socket, &joined, after_seq, after_rev).await {
        Ok(answer) => {
            if joined.new_member {
                let notice = MemberJoined { room: joined.room.clone(), user: joined.user.clone() };
                broadcast(socket.broadcast().to(socket_room_of_room(&joined.key)), event::MEMBER_JOINED, &notice).await;
            }
            if joined.new_member || joined.created.is_some() {
                push_room_list_soon(&io, &hub);
            }
            reply(ack, Ok(answer));
        }
        Err(error) => reply::<_, ()>(ack, Err(error)),
    }
}

/// Keeps what the join changed (a new room, a new member), puts the socket in the room, and reads the history
/// to answer with: the newest messages, or those after `after_seq`, and with `after_rev` the older ones that
/// changed since.
async fn enter<A: Adapter>(
    hub: &Hub,
    socket: &SocketRef<A>,
    joined: &Joined,
    after_seq: Option<u64>,
    after_rev: Option<u64>,
) -> Result<RoomJoined, ErrorBody> {
    let connection = socket.id.to_string();
    if let Some(room) = &joined.created {
        if let Err(error) = hub.store().create_room(room.clone()).await {
            hub.registry().undo_create(&connection, joined);
            return Err(storage_refusal(&error, "the new room"));
        }
    }
    if joined.new_member {
        // A membership that could not be kept only costs this user the room in their list on another device.
        if let Err(error) = hub.store().add_member(&joined.key, &joined.room, &joined.user_id).await {
            tracing::warn!(room = %joined.room, %error, "could not keep a room membership");
        }
    }
    // In the room before its history is read: nothing posted meanwhile is missed (it may arrive twice instead).
    if hub.registry().dialect(&connection) == Some(Dialect::Banter) {
        socket.join(socket_room_of_room(&joined.key));
    }
    let limit = hub.registry().limits().history_page;
    let page = after_seq.map_or(PageRequest::Latest, PageRequest::After);
    let page = hub
        .store()
        .room_page(&joined.key, page, limit)
        .await
        .map_err(|error| storage_refusal(&error, "the room's history"))?
        .unwrap_or(crate::store::Page { messages: Vec::new(), latest_seq: 0, latest_rev: 0 });
    let (changed, latest_rev) = match after_rev {
        // Whole, even where `history` has the same messages: a client goes on from the last change it got.
        Some(after_rev) => hub
            .store()
            .room_changes(&joined.key, after_rev, limit)
            .await
            .map_err(|error| storage_refusal(&error, "the room's changes"))?
            .map_or((Vec::new(), page.latest_rev), |changes| (changes.messages, changes.latest_rev)),
        None => (Vec::new(), page.latest_rev),
    };
    Ok(RoomJoined {
        room: joined.room.clone(),
        members: joined.members.clone(),
        history: page.messages,
        latest_seq: page.latest_seq,
        changed,
        latest_rev,
    })
}

async fn on_room_leave<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<RoomRequest>,
    ack: AckSender<A>,
    InOrder(ticket): InOrder,
) {
    let _turn = ticket.wait().await;
    let connection = socket.id.to_string();
    let result = budget(&hub, &connection)
        .and_then(|()| request.map_err(bad_request))
        .and_then(|request| hub.registry().leave(&connection, &request.room));
    let left = match result {
        Ok(left) => left,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    let room = socket_room_of_room(&left.key);
    socket.leave(room.clone());
    if left.member_left {
        if let Err(error) = hub.store().remove_member(&left.key, &left.user_id).await {
            tracing::warn!(room = %left.room, %error, "could not forget a room membership");
        }
        let notice = MemberLeft { rooms: vec![left.room.clone()], user: left.user.clone(), reason: LeaveReason::Left };
        broadcast_to(&io, vec![room], event::MEMBER_LEFT, &notice).await;
        push_room_list_soon(&io, &hub);
    }
    reply(ack, Ok(RoomLeft { room: left.room }));
}

async fn on_history_page<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<HistoryRequest>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let (key, room, limit) = room_to_read(&hub, &connection, &request.room, request.limit)?;
        Ok((key, room, request.before_seq, limit))
    });
    let (key, room, before, limit) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    let page = before.map_or(PageRequest::Latest, PageRequest::Before);
    let answer = match hub.store().room_page(&key, page, limit).await {
        Ok(Some(page)) => Ok(HistoryPage { room, messages: page.messages, latest_seq: page.latest_seq }),
        Ok(None) => Err(room_gone(&room)),
        Err(error) => Err(storage_refusal(&error, "the room's history")),
    };
    reply(ack, answer);
}

/// Keeps how far this user has read a room, and tells their other connections (every device clears its badge).
async fn on_read_set<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<ReadMark>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let registry = hub.registry();
        let (key, room) = registry.is_in(&connection, &request.room)?;
        let user = registry.user_id(&connection)?;
        Ok((key, room, user, request.seq))
    });
    let (key, room, user, seq) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    match hub.store().mark_read(&user, &key, seq).await {
        Ok(kept) => {
            let mark = ReadMark { room, seq: kept };
            broadcast_to(&io, vec![socket_room_of_user(&user)], event::READ_CHANGED, &mark).await;
            reply(ack, Ok(mark));
        }
        Err(error) => reply::<_, ()>(ack, Err(storage_refusal(&error, "the read mark"))),
    }
}

/// Keeps which messages of a room notify this user, and tells their other connections (the setting follows the
/// user to every device). Only for a room the user is in, as read marks.
async fn on_notify_set<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<NotifySetting>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let registry = hub.registry();
        let (key, room) = registry.is_in(&connection, &request.room)?;
        let user = registry.user_id(&connection)?;
        Ok((key, NotifySetting { room, level: request.level }, user))
    });
    let (key, setting, user) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    match hub.store().set_notify(&user, &key, setting.level).await {
        Ok(()) => {
            broadcast_to(&io, vec![socket_room_of_user(&user)], event::NOTIFY_CHANGED, &setting).await;
            reply(ack, Ok(setting));
        }
        Err(error) => reply::<_, ()>(ack, Err(storage_refusal(&error, "the notification setting"))),
    }
}

async fn on_typing_set<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<TypingSet>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    // Typing notices spend a budget of their own, never the one the socket's messages need.
    // One statement each: the registry's guard of the first must be gone before the second takes it.
    let spent = hub.registry().spend_typing(&connection, std::time::Instant::now());
    let result = spent.and_then(|spent| {
        if !spent {
            let kind = crate::protocol::ErrorKind::RateLimited;
            return Err(ErrorBody::new(kind, "Too many typing notices; this one was dropped."));
        }
        let request = request.map_err(bad_request)?;
        let (room, user) = hub.registry().typing_in(&connection, &request.room)?;
        Ok(TypingUpdate { room, user, active: request.active })
    });
    match result {
        Ok(update) => {
            let room = socket_room_of_room(&crate::validate::room_key(&update.room));
            broadcast(socket.to(room), event::TYPING_UPDATE, &update).await;
            reply(ack, Ok(()));
        }
        Err(error) => reply::<_, ()>(ack, Err(error)),
    }
}

/// How long changes to the room list are gathered before one `room:list` carries them all. Every join and leave
/// changes a member count, and each push goes to every Banter socket: pushed at once, a host of n sockets joining
/// r rooms would send n² lists of r rooms (2,000 sockets in 200 rooms: about 14 GB). Gathered, it sends at most
/// four lists a second to each socket, a quarter of a second late at worst.
const ROOM_LIST_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// Schedules a `room:list` push unless one is already waiting, which will then carry this change too.
pub fn push_room_list_soon<A: Adapter>(io: &SocketIo<A>, hub: &Hub) {
    if !hub.claim_room_list_push() {
        return;
    }
    let (io, hub) = (io.clone(), hub.clone());
    tokio::spawn(async move {
        tokio::time::sleep(ROOM_LIST_DELAY).await;
        // Released before the list is read: a change after this point schedules another push, so none is missed.
        hub.release_room_list_push();
        let rooms = hub.registry().room_list();
        // This host's own sockets: each host of a cluster pushes the list as it counts it.
        let Some(operators) = super::super::hub::to_rooms(&io, vec![BANTER_SOCKETS.to_owned()]) else { return };
        super::broadcast(operators.local(), event::ROOM_LIST, &RoomList { rooms }).await;
    });
}
