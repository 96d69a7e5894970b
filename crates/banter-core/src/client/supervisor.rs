//! The task behind a [`super::Client`]: connects, reconnects, and drains the outbox one request at a time.
//!
//! Answers to the owner travel on oneshot channels; a failed `send` on one of them only means the owner stopped
//! waiting, so those results are deliberately ignored.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};
use url::Url;

use super::connection::{Connection, Incoming, OpenFailure};
use super::cursor::Cursor;
use super::revisions::Revisions;
use super::{ClientConfig, ClientError, ClientEvent, Command, ConnectionState, Origin, Outgoing, Request, ServerKind};
use crate::keys::RoomKey;
use crate::protocol::{
    event, Attachment, DirectMessage, ErrorBody, ErrorKind, Message, RoomRequest, TypingSet, PROTOCOL_VERSION,
};
use crate::validate;

pub(crate) struct Settings {
    /// The hosts to try, in turn: one, or a cluster's several.
    pub urls: Vec<Url>,
    /// Which of them this client is on now, for [`super::Client::host_url`].
    pub host: std::sync::Arc<std::sync::Mutex<Url>>,
    pub name: String,
    pub user_key: String,
    /// The key is a guest's: it binds no name.
    pub guest: bool,
    pub config: ClientConfig,
}

/// How a connected session ended.
pub(super) enum SessionEnd {
    /// The owner closed the client, or dropped every handle.
    Closed,
    /// The host removed or refused this user; reconnecting would only be refused or kicked again.
    Refused(ErrorBody),
    /// The connection broke; try again.
    Lost(String),
}

/// How far each conversation has been reported (see `cursor`).
#[derive(Debug, Default)]
pub(super) struct Cursors {
    pub rooms: HashMap<RoomKey, Cursor<Message>>,
    /// Direct conversations, by their id (a name may change hands; a conversation's id does not).
    pub directs: HashMap<String, Cursor<DirectMessage>>,
    /// How far each room's changes have been reported.
    pub revisions: Revisions,
    /// How far each direct conversation's changes have been reported, by its id.
    pub direct_revisions: Revisions<String>,
}

/// What stays true across connections.
pub(super) struct State {
    pub settings: Settings,
    pub commands: mpsc::Receiver<Command>,
    pub events: mpsc::Sender<ClientEvent>,
    pub outbox: VecDeque<Outgoing>,
    /// Rooms joined on purpose, by key, with their display names: rejoined after each reconnect.
    pub rooms: BTreeMap<RoomKey, String>,
    pub flush_waiters: Vec<oneshot::Sender<Result<(), ClientError>>>,
    /// Uploads sent on this connection, waiting for their `attachment:staged`, oldest first.
    pub upload_waiters: VecDeque<oneshot::Sender<Result<Attachment, ClientError>>>,
    pub cursors: Cursors,
    /// The host this client last talked to: a different one (or a wiped one) starts the cursors over.
    pub host_id: Option<String>,
    /// This user's name, as the host admitted it.
    pub me: String,
    /// The last session ended because the host stopped on purpose.
    pub ended_by_host: bool,
    /// The host that answered this session is not the one this client talked to before: its data is gone (a
    /// wiped or ephemeral host), so the rooms this client was in are made again rather than taken as deleted.
    pub host_is_new: bool,
    /// Sends reported as [`ClientEvent::Held`], until they are delivered or given up.
    pub held: std::collections::HashSet<String>,
}

pub(crate) async fn run(settings: Settings, commands: mpsc::Receiver<Command>, events: mpsc::Sender<ClientEvent>) {
    let me = settings.name.clone();
    let mut state = State {
        settings,
        commands,
        events,
        outbox: VecDeque::new(),
        rooms: BTreeMap::new(),
        flush_waiters: Vec::new(),
        upload_waiters: VecDeque::new(),
        cursors: Cursors::default(),
        host_id: None,
        me,
        ended_by_host: false,
        host_is_new: false,
        held: std::collections::HashSet::new(),
    };
    let started = Instant::now();
    let mut ever_connected = false;
    let mut attempt: u32 = 0;
    let mut last_reason;
    // Which host to try next: the one that served last, until it fails; then the next in the list.
    let mut turn: usize = 0;
    loop {
        attempt += 1;
        // Later attempts were announced, with their delay, before the wait that preceded them.
        if attempt == 1 && !ever_connected {
            state.report(ClientEvent::State(ConnectionState::Connecting { attempt })).await;
        }
        let mut auth =
            json!({ "name": state.settings.name, "userKey": state.settings.user_key, "protocol": PROTOCOL_VERSION });
        if let Some(code) = &state.settings.config.access_code {
            auth["accessCode"] = json!(code);
        }
        if state.settings.guest {
            auth["guest"] = json!(true);
        }
        let config = &state.settings.config;
        let url = state.settings.urls[turn % state.settings.urls.len()].clone();
        *state.settings.host.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = url.clone();
        match Connection::open(&url, auth, config.connect_timeout).await {
            Ok(connection) => {
                ever_connected = true;
                let (end, healthy) = session(&mut state, connection).await;
                // Only a session that got answers resets the backoff: a host that accepts and then drops every
                // connection is retried ever more slowly, not four times a second.
                if healthy {
                    attempt = 0;
                }
                match end {
                    SessionEnd::Closed => return state.stop("closed by the user".into(), ClientError::Closed).await,
                    SessionEnd::Refused(body) => {
                        return state.stop(body.message.clone(), ClientError::Refused(body)).await
                    }
                    SessionEnd::Lost(reason) => {
                        last_reason = reason;
                        turn += 1;
                    }
                }
            }
            Err(OpenFailure::Refused(body)) => {
                let reason = body.message.clone();
                return state.stop(reason, ClientError::Refused(body)).await;
            }
            Err(OpenFailure::Transient(reason)) => {
                tracing::debug!(%reason, attempt, "connection attempt failed");
                if !ever_connected && config.give_up_after.is_some_and(|limit| started.elapsed() >= limit) {
                    return state.stop(format!("could not connect: {reason}"), ClientError::Unreachable(reason)).await;
                }
                last_reason = reason;
                turn += 1;
            }
        }
        let config = &state.settings.config;
        let exponent = attempt.saturating_sub(1).min(16);
        let mut delay = config.backoff_min.saturating_mul(1 << exponent).min(config.backoff_max);
        if let (false, Some(limit)) = (ever_connected, config.give_up_after) {
            // Never wait past the moment the first connection is given up on.
            delay = delay.min(limit.saturating_sub(started.elapsed()));
        }
        let retry = if ever_connected {
            ConnectionState::Reconnecting {
                attempt: attempt + 1,
                retry_in: delay,
                reason: last_reason.clone(),
                ended_by_host: state.ended_by_host,
            }
        } else {
            ConnectionState::Connecting { attempt: attempt + 1 }
        };
        state.report(ClientEvent::State(retry)).await;
        if !state.wait_offline(delay).await {
            return state.stop("closed by the user".into(), ClientError::Closed).await;
        }
    }
}

/// How many sessions may drop while the same request is in flight before it is given up: a request that makes
/// the host close the connection every time must not block everything queued behind it.
const ATTEMPTS_PER_REQUEST: u32 = 3;

/// One connected session: rejoin rooms, drain the outbox, translate events, watch liveness. Returns how it ended
/// and whether it was healthy (the host answered at least one request).
async fn session(state: &mut State, mut connection: Connection) -> (SessionEnd, bool) {
    let config = state.settings.config.clone();
    state.forget_last_session();
    let server = match wait_for_welcome(state, &mut connection, config.welcome_timeout).await {
        Ok(server) => server,
        Err(end) => {
            connection.disconnect().await;
            return (end, false);
        }
    };
    state.ended_by_host = false;
    state.report(ClientEvent::State(ConnectionState::Connected { server })).await;
    if server == ServerKind::Banter {
        state.queue_rejoins();
    }

    let mut sequence: u64 = 0;
    // The request in flight: its sequence number, whether it is the outbox's head (or a ping), and its deadline.
    let mut in_flight: Option<(u64, bool, Instant)> = None;
    let mut hold_until: Option<Instant> = None;
    let mut next_ping = Instant::now() + config.ping_interval;
    let mut healthy = false;
    let end = loop {
        if server == ServerKind::Plain {
            if let Err(error) = state.send_plain(&connection).await {
                break SessionEnd::Lost(format!("could not send: {error}"));
            }
        } else if in_flight.is_none() && hold_until.is_none_or(|until| Instant::now() >= until) {
            hold_until = None;
            state.prepare_head();
            if let Some(head) = state.outbox.front() {
                sequence += 1;
                let (name, data) = request_wire(head);
                if let Err(error) = connection.request(name, data, sequence, config.request_timeout).await {
                    break SessionEnd::Lost(format!("could not send: {error}"));
                }
                in_flight = Some((sequence, true, Instant::now() + config.request_timeout));
            }
        }
        state.settle_flush_waiters(in_flight.is_some());
        let deadline = in_flight.map_or(next_ping, |(_, _, deadline)| deadline);
        let wake = hold_until.map_or(deadline, |until| until.min(deadline));
        tokio::select! {
            command = state.commands.recv() => match command {
                None => break SessionEnd::Closed,
                Some(Command::Close { done }) => {
                    connection.disconnect().await;
                    // The owner may have stopped waiting; closing goes ahead either way.
                    let _ = done.send(());
                    return (SessionEnd::Closed, healthy);
                }
                Some(command) => state.on_command(command, Some(&connection), server).await,
            },
            incoming = connection.next() => match incoming {
                None | Some(Incoming::Close) => break SessionEnd::Lost("the host closed the connection".into()),
                Some(Incoming::Open) => {}
                Some(Incoming::Error(text)) => tracing::debug!(%text, "connection error"),
                Some(Incoming::Ack { sequence: answered, payload }) => {
                    let Some((expected, is_outbox, _)) = in_flight else { continue };
                    if answered != expected {
                        continue;
                    }
                    in_flight = None;
                    healthy = true;
                    next_ping = Instant::now() + config.ping_interval;
                    if is_outbox {
                        if let Some(until) = state.on_ack(payload).await {
                            hold_until = Some(until);
                        }
                    }
                }
                Some(Incoming::Event { name, args }) => {
                    next_ping = Instant::now() + config.ping_interval;
                    if server == ServerKind::Plain && name == event::SESSION_WELCOME {
                        // A Banter host that answered after the welcome timeout: start over as a Banter client.
                        break SessionEnd::Lost("the host's welcome came late; reconnecting".into());
                    }
                    if let Some(end) = state.on_event(&name, args).await {
                        break end;
                    }
                }
            },
            () = sleep_until(wake) => {
                if in_flight.is_some_and(|(_, _, deadline)| Instant::now() >= deadline) {
                    break SessionEnd::Lost("the host stopped answering".into());
                }
                if in_flight.is_none() && server == ServerKind::Banter && Instant::now() >= next_ping {
                    sequence += 1;
                    if let Err(error) = connection.request(event::SESSION_PING, json!({}), sequence, config.request_timeout).await {
                        break SessionEnd::Lost(format!("could not send: {error}"));
                    }
                    in_flight = Some((sequence, false, Instant::now() + config.request_timeout));
                } else if server == ServerKind::Plain {
                    next_ping = Instant::now() + config.ping_interval;
                }
            }
        }
    };
    connection.disconnect().await;
    for waiter in state.upload_waiters.drain(..) {
        let _ = waiter.send(Err(ClientError::Unreachable("the connection dropped during the upload".into())));
    }
    if let (Some((_, true, _)), SessionEnd::Lost(_)) = (in_flight, &end) {
        state.count_failed_attempt().await;
    }
    (end, healthy)
}

/// Waits for `session:welcome`; a server that sends none in time is a plain Socket.IO server. What arrives before
/// the welcome (a message broadcast at the moment of admission) is handled after it, when the client knows which
/// host this is.
async fn wait_for_welcome(
    state: &mut State,
    connection: &mut Connection,
    timeout: Duration,
) -> Result<ServerKind, SessionEnd> {
    let deadline = Instant::now() + timeout;
    let mut early = Vec::new();
    let server = loop {
        tokio::select! {
            incoming = connection.next() => match incoming {
                None | Some(Incoming::Close) => return Err(SessionEnd::Lost("the host closed the connection".into())),
                Some(Incoming::Event { name, args }) if name == event::SESSION_WELCOME => {
                    if let Some(end) = state.on_event(&name, args).await {
                        return Err(end);
                    }
                    break ServerKind::Banter;
                }
                Some(Incoming::Event { name, args }) => early.push((name, args)),
                Some(other) => tracing::debug!(?other, "ignored while waiting for the welcome"),
            },
            () = sleep_until(deadline) => break ServerKind::Plain,
        }
    };
    for (name, args) in early {
        if let Some(end) = state.on_event(&name, args).await {
            return Err(end);
        }
    }
    Ok(server)
}

/// The event name and payload of a queued request.
fn request_wire(outgoing: &Outgoing) -> (&'static str, Value) {
    let to_value = |value: Result<Value, serde_json::Error>| value.unwrap_or(Value::Null);
    match &outgoing.request {
        Request::Send(message) => (event::MESSAGE_SEND, to_value(serde_json::to_value(message))),
        Request::Direct(message) => (event::DM_SEND, to_value(serde_json::to_value(message))),
        Request::Join { room, create: false, after_seq, after_rev } => {
            // A rejoin or a catch-up must not bring back a room deleted while this client was away.
            let must_exist = matches!(outgoing.origin, Origin::Rejoin | Origin::CatchUp);
            let request = RoomRequest { room: room.clone(), after_seq: *after_seq, must_exist, after_rev: *after_rev };
            (event::ROOM_JOIN, to_value(serde_json::to_value(request)))
        }
        Request::Join { room, create: true, .. } => {
            (event::ROOM_CREATE, to_value(serde_json::to_value(RoomRequest::named(room))))
        }
        Request::Leave { room } => (event::ROOM_LEAVE, to_value(serde_json::to_value(RoomRequest::named(room)))),
        Request::History(request) => (event::HISTORY_PAGE, to_value(serde_json::to_value(request))),
        Request::DirectHistory(request) => (event::DM_HISTORY, to_value(serde_json::to_value(request))),
        Request::Changes(request) => (event::HISTORY_CHANGES, to_value(serde_json::to_value(request))),
        Request::Edit(request) => (event::MESSAGE_EDIT, to_value(serde_json::to_value(request))),
        Request::Delete(request) => (event::MESSAGE_DELETE, to_value(serde_json::to_value(request))),
        Request::React(request) => (event::MESSAGE_REACT, to_value(serde_json::to_value(request))),
        Request::Search(request) => (event::SEARCH_QUERY, to_value(serde_json::to_value(request))),
        Request::Read(request) => (event::READ_SET, to_value(serde_json::to_value(request))),
        Request::Notify(request) => (event::NOTIFY_SET, to_value(serde_json::to_value(request))),
        Request::DirectEdit(request) => (event::DM_EDIT, to_value(serde_json::to_value(request))),
        Request::DirectDelete(request) => (event::DM_DELETE, to_value(serde_json::to_value(request))),
        Request::DirectReact(request) => (event::DM_REACT, to_value(serde_json::to_value(request))),
        Request::DirectChanges(request) => (event::DM_CHANGES, to_value(serde_json::to_value(request))),
        Request::DirectRead(request) => (event::DM_READ_SET, to_value(serde_json::to_value(request))),
        Request::FileBegin(request) => (event::FILE_BEGIN, to_value(serde_json::to_value(request))),
    }
}

impl State {
    /// Settles what the outbox's head asks for just before it goes out. A rejoin, or a join of a room the client is
    /// in, carries the room's last reported number, so that the host answers with what came after it. A room
    /// joined anew starts from its newest messages (older ones are a scroll away): its cursor starts over now, so
    /// that a message arriving before the join's answer is held for it, not lost.
    fn prepare_head(&mut self) {
        let Some(head) = self.outbox.front_mut() else { return };
        let Request::Join { room, create: false, after_seq, after_rev } = &mut head.request else { return };
        let key = validate::room_key(room);
        if head.origin == Origin::User && !self.rooms.contains_key(&key) {
            self.cursors.rooms.remove(&key);
            *after_seq = None;
        } else if after_seq.is_none() {
            *after_seq = self.cursors.rooms.get(&key).and_then(Cursor::last);
        }
        // Changes are asked for along with the messages after a number; a first join is the room as it is now.
        *after_rev = after_seq.and(self.cursors.revisions.last(&key));
    }

    pub(super) async fn report(&self, event: ClientEvent) {
        if self.events.send(event).await.is_err() {
            tracing::trace!("client event dropped: nobody is listening");
        }
    }

    /// Drops the rejoins and catch-ups a session that dropped early left behind: the new session asks again,
    /// from the numbers reported by then (the welcome may already queue some).
    fn forget_last_session(&mut self) {
        self.outbox.retain(|outgoing| outgoing.origin == Origin::User);
        for cursor in self.cursors.rooms.values_mut() {
            cursor.forget_fetch();
        }
        for cursor in self.cursors.directs.values_mut() {
            cursor.forget_fetch();
        }
        self.cursors.revisions.forget_fetches();
        self.cursors.direct_revisions.forget_fetches();
    }

    /// Queues the rejoin of every room this client is in, before anything else queued: queued messages to those
    /// rooms are accepted then.
    fn queue_rejoins(&mut self) {
        let origin = if self.host_is_new { Origin::Recreate } else { Origin::Rejoin };
        let rooms: Vec<String> = self.rooms.values().cloned().collect();
        for room in rooms.into_iter().rev() {
            let request = Request::Join { room, create: false, after_seq: None, after_rev: None };
            self.outbox.push_front(Outgoing { request, reply: None, origin, attempts: 0 });
        }
    }

    /// Fails everything still waiting and reports the final state.
    async fn stop(mut self, reason: String, error: ClientError) {
        for outgoing in self.outbox.drain(..) {
            if let Some(reply) = outgoing.reply {
                let _ = reply.send(Err(error.clone()));
            } else if let Some(client_id) = client_id_of(&outgoing.request) {
                let failure = ErrorBody::new(ErrorKind::Internal, format!("not sent: {error}"));
                let _ = self.events.send(ClientEvent::SendFailed { client_id, error: failure }).await;
            }
        }
        for waiter in self.flush_waiters.drain(..) {
            let _ = waiter.send(Err(error.clone()));
        }
        let error = (error != ClientError::Closed).then_some(error);
        self.report(ClientEvent::State(ConnectionState::Closed { reason, error })).await;
        // Commands that still arrive get `Closed` from the dropped receiver.
        self.commands.close();
    }

    /// Sleeps through a backoff delay while still accepting commands. Returns false if the client was closed.
    async fn wait_offline(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                () = sleep_until(until) => return true,
                command = self.commands.recv() => match command {
                    None => return false,
                    Some(Command::Close { done }) => {
                        let _ = done.send(());
                        return false;
                    }
                    Some(command) => self.on_command(command, None, ServerKind::Banter).await,
                },
            }
        }
    }

    /// The outbox's head was in flight when the connection dropped; after a few such drops it is given up.
    async fn count_failed_attempt(&mut self) {
        let Some(head) = self.outbox.front_mut() else { return };
        head.attempts += 1;
        if head.attempts < ATTEMPTS_PER_REQUEST {
            return;
        }
        if let Some(outgoing) = self.outbox.pop_front() {
            let error = ClientError::Unreachable(format!(
                "the connection dropped each of the {ATTEMPTS_PER_REQUEST} times this was sent; it was given up"
            ));
            self.fail(outgoing, error).await;
        }
    }

    async fn on_command(&mut self, command: Command, connection: Option<&Connection>, server: ServerKind) {
        match command {
            Command::Enqueue(outgoing) => {
                if self.outbox.len() >= self.settings.config.outbox_limit {
                    let error = ClientError::OutboxFull(self.outbox.len());
                    self.fail(outgoing, error).await;
                } else {
                    self.outbox.push_back(outgoing);
                }
            }
            Command::Typing { room, active } => {
                let (Some(connection), ServerKind::Banter) = (connection, server) else { return };
                let payload = serde_json::to_value(TypingSet { room, active }).unwrap_or(Value::Null);
                if let Err(error) = connection.emit(event::TYPING_SET, vec![payload]).await {
                    tracing::debug!(%error, "typing notice not sent");
                }
            }
            Command::Upload { bytes, reply } => {
                let result = match (connection, server) {
                    (Some(connection), ServerKind::Banter) => {
                        connection.emit_binary(event::ATTACHMENT_UPLOAD, bytes).await.map_err(ClientError::Unreachable)
                    }
                    (Some(_), ServerKind::Plain) => Err(ClientError::Unsupported("attachments")),
                    (None, _) => Err(ClientError::Unreachable("not connected".into())),
                };
                match result {
                    // The answer arrives as `attachment:staged`, in order with the other events.
                    Ok(()) => self.upload_waiters.push_back(reply),
                    Err(error) => {
                        let _ = reply.send(Err(error));
                    }
                }
            }
            Command::Flush { done } => self.flush_waiters.push(done),
            Command::Close { done } => {
                let _ = done.send(());
            }
        }
    }

    /// Against a plain server, lobby messages go out as `chat message` strings without an ack; everything else is
    /// refused as unsupported. An error means the connection is broken; the unsent message stays queued.
    async fn send_plain(&mut self, connection: &Connection) -> Result<(), String> {
        while let Some(outgoing) = self.outbox.pop_front() {
            let client_id = client_id_of(&outgoing.request);
            let result = match &outgoing.request {
                Request::Send(message) if validate::room_key(&message.room).is_lobby() => connection
                    .emit(event::CHAT_MESSAGE, vec![Value::String(message.text.clone())])
                    .await
                    .map(|()| json!(null))
                    .map_err(ClientError::Unreachable),
                Request::Send(_)
                | Request::Join { .. }
                | Request::Leave { .. }
                | Request::History(_)
                | Request::Changes(_) => Err(ClientError::Unsupported("rooms")),
                Request::Edit(_) | Request::Delete(_) | Request::React(_) => {
                    Err(ClientError::Unsupported("changing messages"))
                }
                Request::Search(_) => Err(ClientError::Unsupported("search")),
                Request::FileBegin(_) => Err(ClientError::Unsupported("files")),
                Request::Read(_) => Err(ClientError::Unsupported("read marks")),
                Request::Notify(_) => Err(ClientError::Unsupported("notification settings")),
                Request::Direct(_)
                | Request::DirectHistory(_)
                | Request::DirectEdit(_)
                | Request::DirectDelete(_)
                | Request::DirectReact(_)
                | Request::DirectChanges(_)
                | Request::DirectRead(_) => Err(ClientError::Unsupported("direct messages")),
            };
            if let Err(ClientError::Unreachable(error)) = result {
                // Keep it for the next connection.
                self.outbox.push_front(outgoing);
                return Err(error);
            }
            if let Some(client_id) = client_id {
                let report = match &result {
                    Ok(_) => ClientEvent::Delivered { client_id },
                    Err(error) => ClientEvent::SendFailed {
                        client_id,
                        error: ErrorBody::new(ErrorKind::Forbidden, error.to_string()),
                    },
                };
                self.report(report).await;
            }
            if let Some(reply) = outgoing.reply {
                let _ = reply.send(result);
            }
        }
        Ok(())
    }

    pub(super) async fn fail(&mut self, outgoing: Outgoing, error: ClientError) {
        if let Some(reply) = outgoing.reply {
            let _ = reply.send(Err(error));
        } else if let Some(client_id) = client_id_of(&outgoing.request) {
            let kind = match error {
                ClientError::OutboxFull(_) => ErrorKind::TooLarge,
                _ => ErrorKind::Internal,
            };
            let body = ErrorBody::new(kind, error.to_string());
            self.report(ClientEvent::SendFailed { client_id, error: body }).await;
        }
    }

    fn settle_flush_waiters(&mut self, request_in_flight: bool) {
        if self.outbox.is_empty() && !request_in_flight {
            for waiter in self.flush_waiters.drain(..) {
                let _ = waiter.send(Ok(()));
            }
        }
    }
}

pub(super) fn client_id_of(request: &Request) -> Option<String> {
    match request {
        Request::Send(message) => message.client_id.clone(),
        Request::Direct(message) => message.client_id.clone(),
        Request::Join { .. }
        | Request::Leave { .. }
        | Request::History(_)
        | Request::DirectHistory(_)
        | Request::Changes(_)
        | Request::Edit(_)
        | Request::Delete(_)
        | Request::React(_)
        | Request::Search(_)
        | Request::Read(_)
        | Request::Notify(_)
        | Request::DirectEdit(_)
        | Request::DirectDelete(_)
        | Request::DirectReact(_)
        | Request::DirectChanges(_)
        | Request::DirectRead(_)
        | Request::FileBegin(_) => None,
    }
}
