//! What the host sends a client, turned into [`ClientEvent`]s: events pushed by the host, and the answers to the
//! outbox's requests. Messages pass through the conversations' cursors, so that each is reported once, in order,
//! and whatever was missed is fetched first.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use super::cursor::Advance;
use super::supervisor::{client_id_of, SessionEnd, State};
use super::{ClientError, ClientEvent, Origin, Outgoing, Request};
use crate::keys::{RoomKey, Seq};
use crate::protocol::{
    event, Ack, Attachment, ChangesPage, ChangesRequest, Closing, ClosingReason, DirectChangesPage, DirectHistoryPage,
    DirectMessage, ErrorBody, ErrorKind, Message, RoomDeleted, RoomJoined, Welcome, LOBBY,
};
use crate::validate;

fn decode<T: DeserializeOwned>(name: &str, args: Vec<Value>) -> Option<T> {
    let first = args.into_iter().next()?;
    match serde_json::from_value(first) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::warn!(event = name, %error, "ignoring an event with an unexpected payload");
            None
        }
    }
}

impl State {
    /// Turns a host event into [`ClientEvent`]s. Returns how the session ends if the host closes it.
    pub(super) async fn on_event(&mut self, name: &str, args: Vec<Value>) -> Option<SessionEnd> {
        let translated = match name {
            event::SESSION_WELCOME => {
                if let Some(welcome) = decode::<Welcome>(name, args) {
                    self.on_welcome(welcome).await;
                }
                None
            }
            event::MESSAGE_NEW => {
                if let Some(message) = decode::<Message>(name, args) {
                    self.on_message(message).await;
                }
                None
            }
            event::MESSAGE_CHANGED => {
                if let Some(message) = decode::<Message>(name, args) {
                    self.on_changed(message).await;
                }
                None
            }
            event::DM_NEW => {
                if let Some(message) = decode::<DirectMessage>(name, args) {
                    self.on_direct(message).await;
                }
                None
            }
            event::DM_CHANGED => {
                if let Some(message) = decode::<DirectMessage>(name, args) {
                    self.on_direct_changed(message).await;
                }
                None
            }
            event::DM_READ_CHANGED => decode(name, args).map(ClientEvent::DirectRead),
            event::ROOM_DELETED => decode::<RoomDeleted>(name, args).map(|deleted| {
                let key = validate::room_key(&deleted.room);
                self.rooms.remove(&key);
                // A room made again under this name goes on with the same numbers: the cursor stays.
                ClientEvent::RoomDeleted(deleted.room)
            }),
            event::MEMBER_JOINED => decode(name, args).map(ClientEvent::MemberJoined),
            event::READ_CHANGED => decode(name, args).map(ClientEvent::Read),
            event::NOTIFY_CHANGED => decode(name, args).map(ClientEvent::NotifyChanged),
            event::MEMBER_LEFT => decode(name, args).map(ClientEvent::MemberLeft),
            event::USER_ONLINE => {
                decode::<crate::protocol::UserNotice>(name, args).map(|notice| ClientEvent::UserOnline(notice.user))
            }
            event::USER_OFFLINE => {
                decode::<crate::protocol::UserNotice>(name, args).map(|notice| ClientEvent::UserOffline(notice.user))
            }
            event::ROOM_LIST => {
                decode::<crate::protocol::RoomList>(name, args).map(|list| ClientEvent::Rooms(list.rooms))
            }
            event::TYPING_UPDATE => decode(name, args).map(ClientEvent::Typing),
            event::CHAT_MESSAGE => decode(name, args).map(ClientEvent::Plain),
            event::PRIVATE_MESSAGE => match (args.first().and_then(Value::as_str), args.get(1).and_then(Value::as_str))
            {
                (Some(from), Some(text)) => {
                    Some(ClientEvent::PrivateMessage { from_socket: from.to_owned(), text: text.to_owned() })
                }
                _ => None,
            },
            event::ATTACHMENT_STAGED => {
                let answer = decode::<Ack<Attachment>>(name, args);
                let result = match answer {
                    Some(ack) => Result::from(ack).map_err(ClientError::Refused),
                    None => {
                        Err(ClientError::Refused(ErrorBody::new(ErrorKind::BadRequest, "unreadable upload answer")))
                    }
                };
                if let Some(reply) = self.upload_waiters.pop_front() {
                    let _ = reply.send(result);
                }
                None
            }
            event::SESSION_CLOSING => {
                let closing: Option<Closing> = decode(name, args);
                let end = match &closing {
                    Some(Closing { reason: ClosingReason::Kicked, message }) => {
                        SessionEnd::Refused(ErrorBody::new(ErrorKind::Forbidden, message.clone()))
                    }
                    Some(Closing { reason: ClosingReason::Refused, message }) => {
                        SessionEnd::Refused(super::connection::parse_refusal_message(message))
                    }
                    Some(Closing { reason: ClosingReason::Shutdown, message }) => {
                        self.ended_by_host = true;
                        SessionEnd::Lost(message.clone())
                    }
                    None => SessionEnd::Lost("the host is closing the connection".into()),
                };
                if let Some(closing) = closing {
                    self.report(ClientEvent::Closing(closing)).await;
                }
                return Some(end);
            }
            other => {
                tracing::debug!(event = other, "ignoring an unknown event");
                None
            }
        };
        if let Some(event) = translated {
            self.report(event).await;
        }
        None
    }

    /// A new session. A host other than the last one (or a wiped one) starts every cursor over; the same host
    /// is caught up with from the last numbers reported.
    async fn on_welcome(&mut self, mut welcome: Welcome) {
        self.host_is_new = self.host_id.as_ref().is_some_and(|known| *known != welcome.host_id);
        if self.host_is_new {
            tracing::info!("a different host answers at this address; starting over");
            self.cursors = super::supervisor::Cursors::default();
        }
        self.host_id = Some(welcome.host_id.clone());
        self.me = welcome.user.name.clone();
        for room in &welcome.member_of {
            self.rooms.entry(validate::room_key(room)).or_insert_with(|| room.clone());
        }
        self.on_welcome_conversations(&welcome.conversations);
        let lobby = RoomKey::lobby();
        match self.cursors.revisions.last(&lobby) {
            // The welcome's lobby is the lobby as it is now.
            None => {
                self.cursors.revisions.joined(&lobby, None, None, welcome.lobby_rev);
            }
            Some(last) if last < welcome.lobby_rev => self.queue_changes_catch_up(LOBBY, last),
            Some(_) => {}
        }
        let latest = welcome.history.last().map_or(0, |message| message.seq);
        let history = std::mem::take(&mut welcome.history);
        let advance = self.cursors.rooms.entry(RoomKey::lobby()).or_default().page(history, latest, None);
        welcome.history = advance.ready;
        if let Some(after) = advance.fetch_after {
            self.queue_room_catch_up(LOBBY, after);
        }
        self.report(ClientEvent::Welcome(welcome)).await;
    }

    async fn on_message(&mut self, message: Message) {
        let key = validate::room_key(&message.room);
        let room = message.room.clone();
        let advance = self.cursors.rooms.entry(key.clone()).or_default().live(message);
        let Advance { ready, fetch_after } = advance;
        for message in ready {
            self.report(ClientEvent::Message(message)).await;
        }
        if let Some(after) = fetch_after {
            // Only for a room this client is in: a catch-up is a join.
            if key.is_lobby() || self.rooms.contains_key(&key) {
                self.queue_room_catch_up(&room, after);
            }
        }
    }

    async fn on_changed(&mut self, message: Message) {
        let key = validate::room_key(&message.room);
        if !(key.is_lobby() || self.rooms.contains_key(&key)) {
            return;
        }
        if let Some(after) = self.cursors.revisions.live(&key, message.rev) {
            self.queue_changes_catch_up(&message.room, after);
        }
        self.report(ClientEvent::Changed(message)).await;
    }

    fn queue_changes_catch_up(&mut self, room: &str, after_rev: u64) {
        let request = Request::Changes(ChangesRequest { room: room.to_owned(), after_rev, limit: None });
        self.outbox.push_back(Outgoing { request, reply: None, origin: Origin::CatchUp, attempts: 0 });
    }

    fn queue_room_catch_up(&mut self, room: &str, after: Seq) {
        let request = Request::Join { room: room.to_owned(), create: false, after_seq: Some(after), after_rev: None };
        self.outbox.push_back(Outgoing { request, reply: None, origin: Origin::CatchUp, attempts: 0 });
    }

    /// Handles the ack of the outbox's head. Returns when to retry it if the host asked to slow down.
    pub(super) async fn on_ack(&mut self, payload: Option<Value>) -> Option<Instant> {
        let answer: Result<Value, ErrorBody> = match payload.map(serde_json::from_value::<Ack<Value>>) {
            Some(Ok(ack)) => ack.into(),
            Some(Err(error)) => Err(ErrorBody::new(ErrorKind::BadRequest, format!("unreadable ack: {error}"))),
            None => Err(ErrorBody::new(ErrorKind::BadRequest, "empty ack")),
        };
        match &answer {
            Err(ErrorBody { kind: ErrorKind::RateLimited, .. }) => {
                return Some(Instant::now() + Duration::from_millis(500));
            }
            // A cluster's host that lost its server keeps nothing until it is back: the request waits its turn
            // again, and the host's client-id memory keeps it once.
            Err(error @ ErrorBody { kind: ErrorKind::StorageUnavailable, .. }) => {
                let held = self.outbox.front().and_then(|head| client_id_of(&head.request));
                if let Some(client_id) = held.filter(|client_id| self.held.insert(client_id.clone())) {
                    self.report(ClientEvent::Held { client_id, error: error.clone() }).await;
                }
                return Some(Instant::now() + Duration::from_secs(1));
            }
            _ => {}
        }
        let outgoing = self.outbox.pop_front()?;
        match (&outgoing.request, &answer) {
            (Request::Join { after_seq, after_rev, .. }, Ok(value)) => {
                match serde_json::from_value::<RoomJoined>(value.clone()) {
                    Ok(joined) => self.on_joined(joined, outgoing.origin, *after_seq, *after_rev).await,
                    Err(error) => tracing::warn!(%error, "unreadable room:join answer"),
                }
            }
            (Request::Join { room, .. }, Err(error)) if outgoing.origin != Origin::User => {
                let key = validate::room_key(room);
                if let Some(cursor) = self.cursors.rooms.get_mut(&key) {
                    cursor.forget_fetch();
                }
                // A room that is gone (deleted while away) or closed to this user is left; anything else is tried
                // again at the next reconnect.
                if matches!(error.kind, ErrorKind::NotFound | ErrorKind::Forbidden | ErrorKind::Invalid) {
                    tracing::info!(%room, %error, "a room this client was in is gone");
                    self.rooms.remove(&key);
                    if error.kind == ErrorKind::NotFound {
                        self.report(ClientEvent::RoomDeleted(room.clone())).await;
                    }
                } else {
                    tracing::warn!(%room, %error, "could not rejoin a room");
                }
            }
            (Request::Changes(request), Ok(value)) => match serde_json::from_value::<ChangesPage>(value.clone()) {
                Ok(page) => self.on_changes_page(page).await,
                Err(error) => tracing::warn!(room = %request.room, %error, "unreadable history:changes answer"),
            },
            (Request::Changes(request), Err(error)) => {
                tracing::warn!(room = %request.room, %error, "could not catch up on a room's changes");
                self.cursors.revisions.forget_fetches();
            }
            (Request::DirectChanges(request), Ok(value)) => {
                match serde_json::from_value::<DirectChangesPage>(value.clone()) {
                    Ok(page) => self.on_direct_changes_page(page).await,
                    Err(error) => {
                        tracing::warn!(conversation = %request.conversation, %error, "unreadable dm:changes answer")
                    }
                }
            }
            (Request::DirectChanges(request), Err(error)) => {
                tracing::warn!(conversation = %request.conversation, %error, "could not catch up on a conversation's changes");
                self.cursors.direct_revisions.forget_fetches();
            }
            (Request::Leave { room }, Ok(_)) => {
                self.rooms.remove(&validate::room_key(room));
            }
            (Request::DirectHistory(request), Ok(value)) if outgoing.origin == Origin::CatchUp => {
                match serde_json::from_value::<DirectHistoryPage>(value.clone()) {
                    Ok(page) => self.on_direct_page(page, request).await,
                    Err(error) => tracing::warn!(with = %request.with, %error, "unreadable dm:history answer"),
                }
            }
            (Request::DirectHistory(request), Err(error)) if outgoing.origin == Origin::CatchUp => {
                tracing::warn!(with = %request.with, %error, "could not catch up on a conversation");
                let cursor = request.conversation.as_ref().and_then(|id| self.cursors.directs.get_mut(id));
                if let Some(cursor) = cursor {
                    cursor.forget_fetch();
                }
            }
            _ => {}
        }
        if let Some(client_id) = client_id_of(&outgoing.request) {
            self.held.remove(&client_id);
            let report = match &answer {
                Ok(_) => ClientEvent::Delivered { client_id },
                Err(error) => ClientEvent::SendFailed { client_id, error: error.clone() },
            };
            self.report(report).await;
        }
        if let Some(reply) = outgoing.reply {
            let _ = reply.send(answer.map_err(ClientError::Refused));
        }
        None
    }

    /// A join's answer: the room is this client's, and its page goes through the room's cursor. A rejoin or a
    /// first join is reported as [`ClientEvent::Joined`]; the pages that follow as missed messages.
    async fn on_joined(&mut self, mut joined: RoomJoined, origin: Origin, after: Option<Seq>, after_rev: Option<u64>) {
        let key = validate::room_key(&joined.room);
        self.rooms.insert(key.clone(), joined.room.clone());
        let changed = std::mem::take(&mut joined.changed);
        // A catch-up join (a gap in the messages) asks for no changes: it says nothing of them.
        if after_rev.is_some() || origin != Origin::CatchUp {
            let reached = changed.last().map(|message| message.rev);
            let fetch = self.cursors.revisions.joined(&key, after_rev, reached, joined.latest_rev);
            if let Some(after_rev) = fetch {
                self.queue_changes_catch_up(&joined.room, after_rev);
            }
        }
        for message in changed {
            self.report(ClientEvent::Changed(message)).await;
        }
        let history = std::mem::take(&mut joined.history);
        let cursor = self.cursors.rooms.entry(key).or_default();
        let Advance { ready, fetch_after } = cursor.page(history, joined.latest_seq, after);
        if let Some(after) = fetch_after {
            self.queue_room_catch_up(&joined.room, after);
        }
        if origin == Origin::CatchUp {
            if !ready.is_empty() {
                self.report(ClientEvent::MissedMessages { room: joined.room, messages: ready }).await;
            }
        } else {
            joined.history = ready;
            self.report(ClientEvent::Joined(joined)).await;
        }
    }

    async fn on_changes_page(&mut self, page: ChangesPage) {
        let key = validate::room_key(&page.room);
        let reached = page.messages.last().map(|message| message.rev);
        if let Some(after_rev) = self.cursors.revisions.page(&key, reached, page.latest_rev) {
            self.queue_changes_catch_up(&page.room, after_rev);
        }
        for message in page.messages {
            self.report(ClientEvent::Changed(message)).await;
        }
    }
}
