//! Who is here and what they said: users, their connections, rooms, history. Plain synchronous code that knows
//! nothing of sockets; the handlers turn what these methods return into emits.
//!
//! A *user* is a display name plus a user key. Several connections (tabs, devices) with the same name and key are
//! one user; the name is free again once the user's last connection leaves. Room membership is kept per
//! connection, as Socket.IO does, and counted per user, as people expect: a user is "in" a room while any of their
//! connections is.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;

use super::sent::{Record, SentMemory};
use super::throttle::TokenBucket;
use crate::limits::Limits;
use crate::protocol::{
    AdminConnection, AdminUser, Attachment, DirectMessage, ErrorBody, ErrorKind, Handshake, Message, RoomInfo,
    RoomJoined, SendDirect, SendMessage, UserInfo, LOBBY,
};
use crate::validate;

/// A connection's id: the host uses the Socket.IO socket id.
pub type ConnectionId = String;

/// Whether a connection speaks Banter's protocol or only the tutorial's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Banter,
    Plain,
}

/// The registry of one host.
#[derive(Debug)]
pub struct Registry {
    limits: Limits,
    /// Keyed by [`validate::name_key`] of the display name.
    users: HashMap<String, User>,
    connections: HashMap<ConnectionId, Connection>,
    /// Keyed by [`validate::name_key`] of the room name.
    rooms: BTreeMap<String, Room>,
    /// What each user key already sent. Kept apart from `users` because it must outlive a dropped connection:
    /// the resend after a reconnect is exactly when it is needed.
    sent: SentMemory,
}

#[derive(Debug)]
struct User {
    name: String,
    user_key: String,
    connections: BTreeSet<ConnectionId>,
}

#[derive(Debug)]
struct Connection {
    user: String,
    dialect: Dialect,
    rooms: BTreeSet<String>,
    budget: TokenBucket,
}

#[derive(Debug)]
struct Room {
    name: String,
    /// Users in the room, with how many of their connections are in it.
    members: BTreeMap<String, u32>,
    history: VecDeque<Message>,
    last_seq: u64,
}

/// A connection was admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub user: UserInfo,
    /// This is the user's first connection: others should hear that they came online.
    pub came_online: bool,
    /// The user was not in the lobby before, so its member count changed.
    pub joined_lobby: bool,
}

/// A connection left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departed {
    pub user: UserInfo,
    /// That was the user's last connection.
    pub went_offline: bool,
    /// Rooms the user is no longer in (the user may still be in others through another connection).
    pub left_rooms: Vec<String>,
    /// Rooms that were deleted because they became empty.
    pub deleted_rooms: Vec<String>,
}

/// A connection joined a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub state: RoomJoined,
    pub user: String,
    /// The user was not in the room before (through another connection).
    pub new_member: bool,
    pub created: bool,
}

/// A connection left a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub room: String,
    pub user: String,
    /// The user has no other connection in the room.
    pub member_left: bool,
    pub deleted: bool,
}

/// A message was accepted, or recognised as one accepted before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted<T> {
    pub message: T,
    /// The client id was seen before: acknowledge again, do not deliver again.
    pub duplicate: bool,
}

pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

fn new_message_id() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

fn error(kind: ErrorKind, message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(kind, message)
}

impl Registry {
    pub fn new(limits: Limits) -> Self {
        let limits_remembered = limits.remembered_client_ids;
        let mut registry = Registry {
            limits,
            users: HashMap::new(),
            connections: HashMap::new(),
            rooms: BTreeMap::new(),
            sent: SentMemory::new(limits_remembered),
        };
        registry.rooms.insert(validate::name_key(LOBBY), Room::new(LOBBY.to_owned()));
        registry
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The name a handshake asks for, validated, or a free guest name when it asks for none; and the user key.
    fn identity(&self, handshake: &Handshake) -> Result<(String, String), ErrorBody> {
        let user_key = match &handshake.user_key {
            Some(key) if (8..=128).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) => key.clone(),
            Some(_) => {
                return Err(error(ErrorKind::Invalid, "The user key must be 8 to 128 visible ASCII characters."))
            }
            None => format!("{:032x}", rand::thread_rng().gen::<u128>()),
        };
        let name = match &handshake.name {
            Some(raw) => validate::display_name(raw, self.limits.max_name_chars)?,
            None => self.free_guest_name(),
        };
        if let Some(holder) = self.users.get(&validate::name_key(&name)) {
            if holder.user_key != user_key {
                return Err(error(
                    ErrorKind::NameTaken,
                    format!("Someone here is already called “{}”. Choose another name.", holder.name),
                ));
            }
        }
        Ok((name, user_key))
    }

    fn free_guest_name(&self) -> String {
        // Short names while they are easy to find; longer ones once many guests are here, so this never loops
        // for long however crowded the host is.
        let mut rng = rand::thread_rng();
        for digits in [4u32, 6, 9] {
            for _ in 0..32 {
                let name = format!("guest-{:0width$}", rng.gen_range(0..10u64.pow(digits)), width = digits as usize);
                if !self.users.contains_key(&name) {
                    return name;
                }
            }
        }
        format!("guest-{:016x}", rng.gen::<u64>())
    }

    /// Whether a handshake would be admitted now, without admitting it: the connect middleware refuses early with
    /// this, before the socket joins the namespace.
    pub fn check_admission(&self, handshake: &Handshake) -> Result<(), ErrorBody> {
        self.identity(handshake).map(|_| ())
    }

    /// Admits a connection: the user comes online (or gains a connection) and enters the lobby.
    pub fn admit(
        &mut self,
        connection: &ConnectionId,
        handshake: &Handshake,
        dialect: Dialect,
        now: Instant,
    ) -> Result<Admitted, ErrorBody> {
        let (name, user_key) = self.identity(handshake)?;
        let key = validate::name_key(&name);
        let user =
            self.users.entry(key.clone()).or_insert_with(|| User { name, user_key, connections: BTreeSet::new() });
        let came_online = user.connections.is_empty();
        user.connections.insert(connection.clone());
        let info = UserInfo { name: user.name.clone(), connections: count(user.connections.len()) };
        self.connections.insert(
            connection.clone(),
            Connection {
                user: key,
                dialect,
                rooms: BTreeSet::new(),
                budget: TokenBucket::new(self.limits.request_burst, self.limits.requests_per_second, now),
            },
        );
        let joined_lobby = self.enter_room(connection, &validate::name_key(LOBBY));
        Ok(Admitted { user: info, came_online, joined_lobby })
    }

    /// Removes a connection from its rooms and its user. Unknown connections (never admitted) give `None`.
    pub fn depart(&mut self, connection: &ConnectionId) -> Option<Departed> {
        let rooms: Vec<String> = self.connections.get(connection)?.rooms.iter().cloned().collect();
        let mut left_rooms = Vec::new();
        let mut deleted_rooms = Vec::new();
        for room_key in rooms {
            let (room_name, member_left, deleted) = self.exit_room(connection, &room_key);
            if member_left {
                left_rooms.push(room_name.clone());
            }
            if deleted {
                deleted_rooms.push(room_name);
            }
        }
        let entry = self.connections.remove(connection)?;
        let user = self.users.get_mut(&entry.user)?;
        user.connections.remove(connection);
        let info = UserInfo { name: user.name.clone(), connections: count(user.connections.len()) };
        let went_offline = user.connections.is_empty();
        if went_offline {
            self.users.remove(&entry.user);
        }
        Some(Departed { user: info, went_offline, left_rooms, deleted_rooms })
    }

    /// Spends one request from the connection's budget.
    pub fn spend_request(&mut self, connection: &ConnectionId, now: Instant) -> Result<(), ErrorBody> {
        let entry = self.connection_mut(connection)?;
        if entry.budget.try_take(now) {
            Ok(())
        } else {
            Err(error(ErrorKind::RateLimited, "Too many requests from this connection; slow down and retry."))
        }
    }

    /// Joins a room, creating it when missing; with `create_only`, an existing room is an error.
    pub fn join(&mut self, connection: &ConnectionId, raw_room: &str, create_only: bool) -> Result<Joined, ErrorBody> {
        let name = validate::room_name(raw_room, self.limits.max_room_chars)?;
        let key = validate::name_key(&name);
        self.connection_mut(connection)?;
        let created = !self.rooms.contains_key(&key);
        if create_only && !created {
            return Err(error(
                ErrorKind::AlreadyExists,
                format!("A room called “{name}” exists already; join it instead."),
            ));
        }
        if created {
            if self.rooms.len() >= self.limits.max_rooms {
                return Err(error(
                    ErrorKind::TooLarge,
                    format!("This host has {} rooms, its limit.", self.limits.max_rooms),
                ));
            }
            self.rooms.insert(key.clone(), Room::new(name));
        }
        let new_member = self.enter_room(connection, &key);
        if !new_member && !self.connections.get(connection).is_some_and(|entry| entry.rooms.contains(&key)) {
            // enter_room refused: the connection is in too many rooms already.
            if created {
                self.rooms.remove(&key);
            }
            return Err(error(
                ErrorKind::TooLarge,
                format!(
                    "One connection can be in at most {} rooms; leave one first.",
                    self.limits.max_rooms_per_connection
                ),
            ));
        }
        let user = self.user_name(connection).unwrap_or_default();
        let room = self.rooms.get(&key).ok_or_else(|| error(ErrorKind::Internal, "room vanished"))?;
        let state = RoomJoined {
            room: room.name.clone(),
            members: room.members.keys().filter_map(|key| self.users.get(key)).map(|user| user.name.clone()).collect(),
            history: room.history.iter().cloned().collect(),
        };
        Ok(Joined { state, user, new_member, created })
    }

    /// Leaves a room; the lobby cannot be left.
    pub fn leave(&mut self, connection: &ConnectionId, raw_room: &str) -> Result<Left, ErrorBody> {
        let key = validate::name_key(raw_room.trim());
        if key == validate::name_key(LOBBY) {
            return Err(error(ErrorKind::Forbidden, "Everyone stays in the lobby; it cannot be left."));
        }
        if !self.connection_mut(connection)?.rooms.contains(&key) {
            return Err(error(ErrorKind::NotFound, format!("You are not in a room called “{}”.", raw_room.trim())));
        }
        let user = self.user_name(connection).unwrap_or_default();
        let (room, member_left, deleted) = self.exit_room(connection, &key);
        Ok(Left { room, user, member_left, deleted })
    }

    /// Posts a message to a room the connection is in.
    pub fn post(
        &mut self,
        connection: &ConnectionId,
        request: &SendMessage,
        attachment: Option<Attachment>,
    ) -> Result<Posted<Message>, ErrorBody> {
        let key = validate::name_key(request.room.trim());
        let user_key = self.connection_mut(connection)?.user.clone();
        check_client_id(request.client_id.as_deref())?;
        if let Some(record) = self.already_sent(&user_key, request.client_id.as_deref()) {
            let message = Message {
                id: record.id,
                room: record.place,
                seq: record.seq,
                ts: record.ts,
                from: record.from,
                text: request.text.clone(),
                client_id: request.client_id.clone(),
                attachment: record.attachment,
            };
            return Ok(Posted { message, duplicate: true });
        }
        if !self.connection_mut(connection)?.rooms.contains(&key) {
            return Err(error(ErrorKind::Forbidden, format!("Join “{}” before posting to it.", request.room.trim())));
        }
        let text = validate::message_text(&request.text, self.limits.max_message_chars, attachment.is_some())?;
        let from = self.users.get(&user_key).map(|user| user.name.clone()).unwrap_or_default();
        let history_limit = self.limits.history_per_room;
        let room = self.rooms.get_mut(&key).ok_or_else(|| error(ErrorKind::NotFound, "No such room."))?;
        room.last_seq += 1;
        let message = Message {
            id: new_message_id(),
            room: room.name.clone(),
            seq: room.last_seq,
            ts: now_millis(),
            from,
            text,
            client_id: request.client_id.clone(),
            attachment,
        };
        room.history.push_back(message.clone());
        while room.history.len() > history_limit {
            room.history.pop_front();
        }
        self.remember_sent(&user_key, request.client_id.as_deref(), || {
            record_of(&message.id, message.seq, message.ts, &message.from, &message.room, &message.attachment)
        });
        Ok(Posted { message, duplicate: false })
    }

    /// Sends a direct message to a user who is online. Returns the recipient's name key too, for routing.
    pub fn direct(
        &mut self,
        connection: &ConnectionId,
        request: &SendDirect,
        attachment: Option<Attachment>,
    ) -> Result<(Posted<DirectMessage>, String), ErrorBody> {
        let user_key = self.connection_mut(connection)?.user.clone();
        let recipient_key = validate::name_key(request.to.trim());
        check_client_id(request.client_id.as_deref())?;
        if let Some(record) = self.already_sent(&user_key, request.client_id.as_deref()) {
            let message = DirectMessage {
                id: record.id,
                ts: record.ts,
                from: record.from,
                to: record.place,
                text: request.text.clone(),
                client_id: request.client_id.clone(),
                attachment: record.attachment,
            };
            return Ok((Posted { message, duplicate: true }, recipient_key));
        }
        let recipient = self
            .users
            .get(&recipient_key)
            .ok_or_else(|| error(ErrorKind::NotFound, format!("Nobody called “{}” is online.", request.to.trim())))?;
        let reachable = recipient.connections.iter().any(|id| self.dialect(id) == Some(Dialect::Banter));
        if !reachable {
            return Err(error(
                ErrorKind::Forbidden,
                format!("{} uses a plain Socket.IO page, which cannot show direct messages.", recipient.name),
            ));
        }
        let text = validate::message_text(&request.text, self.limits.max_message_chars, attachment.is_some())?;
        let message = DirectMessage {
            id: new_message_id(),
            ts: now_millis(),
            from: self.users.get(&user_key).map(|user| user.name.clone()).unwrap_or_default(),
            to: recipient.name.clone(),
            text,
            client_id: request.client_id.clone(),
            attachment,
        };
        self.remember_sent(&user_key, request.client_id.as_deref(), || {
            record_of(&message.id, 0, message.ts, &message.from, &message.to, &message.attachment)
        });
        Ok((Posted { message, duplicate: false }, recipient_key))
    }

    /// The room's display name and the user's, if the connection is in the room: typing notices need both.
    pub fn typing_in(&self, connection: &ConnectionId, raw_room: &str) -> Result<(String, String), ErrorBody> {
        let entry = self.connections.get(connection).ok_or_else(unknown_connection)?;
        let key = validate::name_key(raw_room.trim());
        match (entry.rooms.contains(&key), self.rooms.get(&key)) {
            (true, Some(room)) => Ok((room.name.clone(), self.user_name(connection).unwrap_or_default())),
            _ => Err(error(ErrorKind::Forbidden, "Typing notices go only to rooms you are in.")),
        }
    }

    pub fn room_list(&self) -> Vec<RoomInfo> {
        self.rooms
            .values()
            .map(|room| RoomInfo { name: room.name.clone(), members: count(room.members.len()) })
            .collect()
    }

    pub fn users(&self) -> Vec<UserInfo> {
        let mut users: Vec<UserInfo> = self
            .users
            .values()
            .map(|user| UserInfo { name: user.name.clone(), connections: count(user.connections.len()) })
            .collect();
        users.sort_by_key(|user| validate::name_key(&user.name));
        users
    }

    pub fn lobby_history(&self) -> Vec<Message> {
        self.rooms
            .get(&validate::name_key(LOBBY))
            .map(|room| room.history.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The display name of a connection's user.
    pub fn user_name(&self, connection: &ConnectionId) -> Option<String> {
        let entry = self.connections.get(connection)?;
        self.users.get(&entry.user).map(|user| user.name.clone())
    }

    /// The name key of a connection's user, which the host uses as the user's own socket room.
    pub fn user_key_of(&self, connection: &ConnectionId) -> Option<String> {
        self.connections.get(connection).map(|entry| entry.user.clone())
    }

    pub fn dialect(&self, connection: &ConnectionId) -> Option<Dialect> {
        self.connections.get(connection).map(|entry| entry.dialect)
    }

    /// Every connection of the user with this display name.
    pub fn connections_of(&self, name: &str) -> Vec<ConnectionId> {
        self.users
            .get(&validate::name_key(name.trim()))
            .map(|user| user.connections.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Users and connections, for the moderator.
    pub fn admin_view(&self) -> Vec<AdminUser> {
        let mut users: Vec<AdminUser> = self
            .users
            .values()
            .map(|user| AdminUser {
                name: user.name.clone(),
                connections: user
                    .connections
                    .iter()
                    .map(|id| AdminConnection {
                        socket_id: id.clone(),
                        rooms: self.connections.get(id).map(|entry| self.room_names(&entry.rooms)).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        users.sort_by_key(|user| validate::name_key(&user.name));
        users
    }

    fn room_names(&self, keys: &BTreeSet<String>) -> Vec<String> {
        keys.iter().filter_map(|key| self.rooms.get(key)).map(|room| room.name.clone()).collect()
    }

    fn connection_mut(&mut self, connection: &ConnectionId) -> Result<&mut Connection, ErrorBody> {
        self.connections.get_mut(connection).ok_or_else(unknown_connection)
    }

    /// Adds the connection to a room that exists; returns whether the user became a member.
    fn enter_room(&mut self, connection: &ConnectionId, room_key: &str) -> bool {
        let Some(entry) = self.connections.get_mut(connection) else { return false };
        let Some(room) = self.rooms.get_mut(room_key) else { return false };
        if entry.rooms.len() >= self.limits.max_rooms_per_connection && !entry.rooms.contains(room_key) {
            return false;
        }
        if !entry.rooms.insert(room_key.to_owned()) {
            return false;
        }
        let sockets = room.members.entry(entry.user.clone()).or_insert(0);
        *sockets += 1;
        *sockets == 1
    }

    /// Removes the connection from a room; returns the room's name, whether the user stopped being a member and
    /// whether the room was deleted (it became empty and is not the lobby).
    fn exit_room(&mut self, connection: &ConnectionId, room_key: &str) -> (String, bool, bool) {
        let Some(entry) = self.connections.get_mut(connection) else { return (String::new(), false, false) };
        entry.rooms.remove(room_key);
        let Some(room) = self.rooms.get_mut(room_key) else { return (String::new(), false, false) };
        let mut member_left = false;
        if let Some(sockets) = room.members.get_mut(&entry.user) {
            *sockets = sockets.saturating_sub(1);
            if *sockets == 0 {
                room.members.remove(&entry.user);
                member_left = true;
            }
        }
        let name = room.name.clone();
        let deleted = room.members.is_empty() && room_key != validate::name_key(LOBBY);
        if deleted {
            self.rooms.remove(room_key);
        }
        (name, member_left, deleted)
    }

    fn already_sent(&self, user_name_key: &str, client_id: Option<&str>) -> Option<Record> {
        let user = self.users.get(user_name_key)?;
        self.sent.find(&user.user_key, client_id?).cloned()
    }

    /// Whether this connection's user already sent a message with this client id: a resend is answered before
    /// anything else about it (such as an attachment since dropped) is checked.
    pub fn is_resend(&self, connection: &ConnectionId, client_id: Option<&str>) -> bool {
        self.connections.get(connection).is_some_and(|entry| self.already_sent(&entry.user, client_id).is_some())
    }

    /// Records a message under its client id, if it has one; `record` runs only then.
    fn remember_sent(&mut self, user_name_key: &str, client_id: Option<&str>, record: impl FnOnce() -> Record) {
        let (Some(client_id), Some(user)) = (client_id, self.users.get(user_name_key)) else { return };
        self.sent.remember(&user.user_key, client_id, record());
    }
}

impl Room {
    fn new(name: String) -> Self {
        Room { name, members: BTreeMap::new(), history: VecDeque::new(), last_seq: 0 }
    }
}

/// Client ids are opaque to the host but bounded: they are stored and echoed in every copy of the message.
fn check_client_id(client_id: Option<&str>) -> Result<(), ErrorBody> {
    match client_id {
        Some(id) if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_graphic()) => {
            Err(error(ErrorKind::Invalid, "A client id is 1 to 64 visible ASCII characters."))
        }
        _ => Ok(()),
    }
}

fn record_of(id: &str, seq: u64, ts: u64, from: &str, place: &str, attachment: &Option<Attachment>) -> Record {
    Record {
        id: id.to_owned(),
        seq,
        ts,
        from: from.to_owned(),
        place: place.to_owned(),
        attachment: attachment.clone(),
    }
}

fn unknown_connection() -> ErrorBody {
    error(ErrorKind::Internal, "This connection is not registered on the host.")
}

fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
