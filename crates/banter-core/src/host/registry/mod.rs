//! The domain: who may be here under which name, which rooms exist and who is in them, and what a post may say.
//! Plain synchronous code that knows nothing of sockets or storage: handlers turn its decisions into emits, and
//! into writes to the store, which keeps history and the client ids it has answered.
//!
//! `Registry` is the composition of three concerns:
//! - [`presence`]: who is connected now (not kept);
//! - [`rooms`]: the room directory and who is in each room now (rooms are kept);
//! - [`identity`]: names bound to people (kept).
//!
//! A *user* is a display name plus a user key. Several connections (tabs, devices) with the same name and key are
//! one user. Room membership is kept per connection, as Socket.IO does, and counted per user, as people expect.

mod actions;
mod bans;
mod follow;
mod identity;
mod presence;
mod remote;
mod rooms;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use rand::Rng;

pub use presence::{ConnectionId, Dialect};
pub use remote::Vanished;

use super::gate::Source;
use super::throttle::TokenBucket;
use crate::keys::{NameKey, RoomKey, UserId};
use crate::limits::Limits;
use crate::protocol::{AdminUser, ErrorBody, ErrorKind, Handshake, RoomInfo, SendDirect, SendMessage, UserInfo, LOBBY};
use crate::store::{Author, DirectPost, NameBinding, RoomPost, RoomRecord, Snapshot};
use crate::validate;

/// The registry of one host.
#[derive(Debug)]
pub struct Registry {
    limits: Limits,
    presence: presence::Presence,
    rooms: rooms::RoomDirectory,
    names: identity::Names,
    bans: bans::Bans,
    /// Who is online on a cluster's other hosts (nobody, for a host alone).
    remote: remote::Remote,
    /// Rooms created from each source address since the host started (see `max_rooms_per_address`). One entry per
    /// address that created a room, so it is bounded by the rooms created.
    rooms_created_from: HashMap<Source, usize>,
}

/// Who a handshake asks to be.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    name: String,
    key: NameKey,
    user: UserId,
    /// The name is to be bound to the user's key (if it is free): the client gave a key and is not a guest.
    /// Guests' names are theirs only while they are connected.
    binds: bool,
}

/// A connection was admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub user: UserInfo,
    pub user_id: UserId,
    /// This is the user's first connection: others should hear that they came online.
    pub came_online: bool,
}

/// A connection left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departed {
    pub user: UserInfo,
    /// That was the user's last connection.
    pub went_offline: bool,
    /// Rooms the user is no longer in (the user may still be in others through another connection), by key and
    /// name.
    pub left_rooms: Vec<(RoomKey, String)>,
}

/// A connection joined a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub key: RoomKey,
    pub room: String,
    pub user: String,
    pub user_id: UserId,
    /// Names of the users in the room now, this one included.
    pub members: Vec<String>,
    /// The user was not in the room before (through another connection).
    pub new_member: bool,
    /// The room did not exist: it is in the directory now, and must be kept before the join is answered.
    pub created: Option<RoomRecord>,
    /// Where the connection that created it came from: the address's count goes back down if the room is not kept.
    pub(crate) created_from: Option<Source>,
}

/// Whether a join may create the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinMode {
    /// `room:create`: the room must not exist yet.
    Create,
    /// `room:join`: created when missing.
    JoinOrCreate,
    /// A rejoin or a catch-up (`mustExist`): a room deleted meanwhile stays deleted.
    Existing,
}

/// A connection left a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub key: RoomKey,
    pub room: String,
    pub user: String,
    pub user_id: UserId,
    /// The user has no other connection in the room.
    pub member_left: bool,
}

/// A room the host's owner deleted, with the connections that were in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub room: String,
    pub connections: Vec<ConnectionId>,
}

/// Who a person is, found by name: online now, or holding the name while offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub key: NameKey,
    pub id: UserId,
}

fn error(kind: ErrorKind, message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(kind, message)
}

fn unknown_connection() -> ErrorBody {
    error(ErrorKind::Internal, "This connection is not registered on the host.")
}

impl Registry {
    /// A registry holding what the store kept: rooms and name bindings.
    pub fn new(limits: Limits, snapshot: Snapshot) -> Self {
        let mut rooms = rooms::RoomDirectory::load(snapshot.rooms);
        if rooms.get(&RoomKey::lobby()).is_none() {
            rooms.insert(RoomKey::lobby(), LOBBY.to_owned(), None, crate::clock::now_millis());
        }
        Registry {
            limits,
            presence: presence::Presence::default(),
            rooms,
            names: identity::Names::load(snapshot.names),
            bans: bans::Bans::load(snapshot.bans),
            remote: remote::Remote::default(),
            rooms_created_from: HashMap::new(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Who a handshake asks to be, validated, or why it is refused.
    fn identity(&self, handshake: &Handshake) -> Result<Identity, ErrorBody> {
        let user = match &handshake.user_key {
            Some(key) if (8..=128).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) => {
                UserId::of_key(key)
            }
            Some(_) => {
                return Err(error(ErrorKind::Invalid, "The user key must be 8 to 128 visible ASCII characters."))
            }
            None => UserId::of_key(&format!("{:032x}", rand::thread_rng().gen::<u128>())),
        };
        if let Some(refusal) = self.bans.refusal(&user, crate::clock::now_millis()) {
            return Err(refusal);
        }
        let binds = handshake.user_key.is_some() && handshake.guest != Some(true) && handshake.name.is_some();
        let name = match &handshake.name {
            Some(raw) => validate::display_name(raw, self.limits.max_name_chars)?,
            None => self.free_guest_name(),
        };
        let key = validate::name_key(&name);
        let lookalike = validate::lookalike_key(&name);
        if let Some(holder) = self.names.holder(&key, &lookalike) {
            if holder.user != user {
                let message = if holder.name == name {
                    format!("“{name}” belongs to someone else on this host. Choose another name.")
                } else {
                    format!(
                        "“{name}” looks the same as “{}”, which belongs to someone else on this host. Choose another \
                         name.",
                        holder.name
                    )
                };
                return Err(error(ErrorKind::NameTaken, message));
            }
        }
        let online =
            self.presence.online_alike(&key, &lookalike).or_else(|| self.remote.online_alike(&key, &lookalike));
        if let Some((holder, id)) = online {
            if id != &user {
                return Err(error(
                    ErrorKind::NameTaken,
                    format!("Someone here is already called “{holder}”. Choose another name."),
                ));
            }
        }
        Ok(Identity { name, key, user, binds })
    }

    fn free_guest_name(&self) -> String {
        // Short names while they are easy to find; longer ones once many guests are here, so this never loops
        // for long however crowded the host is.
        let mut rng = rand::thread_rng();
        let taken = |name: &str| {
            let (key, lookalike) = (validate::name_key(name), validate::lookalike_key(name));
            self.presence.online_alike(&key, &lookalike).is_some() || self.names.holder(&key, &lookalike).is_some()
        };
        for digits in [4u32, 6, 9] {
            for _ in 0..32 {
                let name = format!("guest-{:0width$}", rng.gen_range(0..10u64.pow(digits)), width = digits as usize);
                if !taken(&name) {
                    return name;
                }
            }
        }
        format!("guest-{:016x}", rng.gen::<u64>())
    }

    /// Whether a handshake would be admitted now, without admitting it: the connect middleware refuses early with
    /// this, before the socket joins the namespace. A handshake that takes a free name with a user key gets the
    /// binding to keep: the caller writes it to the store, then [`Registry::bind`]s it, before admitting.
    pub fn check_admission(&self, handshake: &Handshake) -> Result<Option<NameBinding>, ErrorBody> {
        let identity = self.identity(handshake)?;
        if !identity.binds || self.names.holder(&identity.key, &validate::lookalike_key(&identity.name)).is_some() {
            return Ok(None);
        }
        if self.names.len() >= self.limits.max_bound_names {
            return Err(error(
                ErrorKind::TooLarge,
                format!(
                    "This host keeps {} names, its limit; ask its owner to release some, or join as a guest.",
                    self.limits.max_bound_names
                ),
            ));
        }
        Ok(Some(NameBinding {
            key: identity.key,
            name: identity.name,
            user: identity.user,
            bound_at: crate::clock::now_millis(),
        }))
    }

    /// Records a name binding the store has kept (or one the store says another user holds).
    pub fn bind(&mut self, binding: NameBinding) {
        self.names.bind(binding);
    }

    /// Admits a connection from `from` (unknown for a client that did not come over TCP): the user comes online
    /// (or gains a connection) and enters the lobby.
    pub fn admit(
        &mut self,
        connection: &ConnectionId,
        handshake: &Handshake,
        dialect: Dialect,
        from: Option<IpAddr>,
        now: Instant,
    ) -> Result<Admitted, ErrorBody> {
        let identity = self.identity(handshake)?;
        let budget = TokenBucket::new(self.limits.request_burst, self.limits.requests_per_second, now);
        let typing = TokenBucket::new(self.limits.typing_burst, self.limits.typing_per_second, now);
        let entry = presence::Connection::new(
            identity.key.clone(),
            identity.user.clone(),
            dialect,
            from.map(Source::of),
            budget,
            typing,
        );
        let (mut user, came_online) = self.presence.connect(connection, identity.name, entry);
        // Online on another host of the cluster already: more connections, not a newcomer.
        let elsewhere = self.remote.connections(&identity.key);
        user.connections += u32::try_from(elsewhere).unwrap_or(u32::MAX);
        self.enter_room(connection, &RoomKey::lobby());
        Ok(Admitted { user, user_id: identity.user, came_online: came_online && elsewhere == 0 })
    }

    /// The connections admitted at least `age` ago.
    pub fn connections_older_than(&self, age: std::time::Duration) -> Vec<ConnectionId> {
        self.presence.connections_older_than(age)
    }

    /// Removes a connection from its rooms and its user. Unknown connections (never admitted) give `None`.
    pub fn depart(&mut self, connection: &ConnectionId) -> Option<Departed> {
        let mut gone = self.presence.disconnect(connection)?;
        let mut left_rooms = Vec::new();
        for key in &gone.rooms {
            if self.rooms.exit(key, &gone.key) && !self.remote.in_room(&gone.key, key) {
                if let Some(room) = self.rooms.get(key) {
                    left_rooms.push((key.clone(), room.name.clone()));
                }
            }
        }
        let elsewhere = self.remote.connections(&gone.key);
        gone.user.connections += u32::try_from(elsewhere).unwrap_or(u32::MAX);
        Some(Departed { user: gone.user, went_offline: gone.went_offline && elsewhere == 0, left_rooms })
    }

    /// Spends one typing notice from the connection's own budget for them; `false` past it (the notice is dropped).
    pub fn spend_typing(&mut self, connection: &ConnectionId, now: Instant) -> Result<bool, ErrorBody> {
        let entry = self.presence.connection_mut(connection).ok_or_else(unknown_connection)?;
        Ok(entry.typing.try_take(now))
    }

    /// Spends one request from the connection's budget.
    pub fn spend_request(&mut self, connection: &ConnectionId, now: Instant) -> Result<(), ErrorBody> {
        match self.presence.spend(connection, now) {
            Some(true) => Ok(()),
            Some(false) => {
                Err(error(ErrorKind::RateLimited, "Too many requests from this connection; slow down and retry."))
            }
            None => Err(unknown_connection()),
        }
    }

    /// Joins a room, creating it or not as `mode` says.
    pub fn join(&mut self, connection: &ConnectionId, raw_room: &str, mode: JoinMode) -> Result<Joined, ErrorBody> {
        let name = validate::room_name(raw_room, self.limits.max_room_chars)?;
        let key = validate::room_key(&name);
        let entry = self.presence.connection(connection).ok_or_else(unknown_connection)?;
        let user_id = entry.id.clone();
        let source = entry.source;
        let already_in = entry.rooms.contains(&key);
        if !already_in && entry.rooms.len() >= self.limits.max_rooms_per_connection {
            return Err(error(
                ErrorKind::TooLarge,
                format!(
                    "One connection can be in at most {} rooms; leave one first.",
                    self.limits.max_rooms_per_connection
                ),
            ));
        }
        let created = match (self.rooms.get(&key), mode) {
            (Some(room), JoinMode::Create) => {
                return Err(error(
                    ErrorKind::AlreadyExists,
                    format!("A room called “{}” exists already; join it instead.", room.name),
                ))
            }
            (Some(_), _) => None,
            (None, JoinMode::Existing) => {
                return Err(error(ErrorKind::NotFound, format!("There is no room called “{name}” any more.")))
            }
            (None, _) => Some(self.create_room(key.clone(), name, &user_id, source)?),
        };
        let entered = if already_in { false } else { self.enter_room(connection, &key) };
        let user_key = self.presence.connection(connection).map(|entry| entry.user.clone());
        let new_member = entered && !user_key.is_some_and(|user| self.remote.in_room(&user, &key));
        let room = self.rooms.get(&key).ok_or_else(|| error(ErrorKind::Internal, "room vanished"))?;
        let mut members: std::collections::BTreeMap<&NameKey, &str> =
            room.online.keys().filter_map(|member| Some((member, self.presence.name_of_user(member)?))).collect();
        members.extend(self.remote.members(&key));
        let members = members.into_values().map(str::to_owned).collect();
        Ok(Joined {
            key,
            room: room.name.clone(),
            user: self.presence.name_of(connection).unwrap_or_default().to_owned(),
            user_id,
            members,
            new_member,
            created_from: created.as_ref().and(source),
            created,
        })
    }

    fn create_room(
        &mut self,
        key: RoomKey,
        name: String,
        creator: &UserId,
        source: Option<Source>,
    ) -> Result<RoomRecord, ErrorBody> {
        if self.rooms.len() >= self.limits.max_rooms {
            return Err(error(
                ErrorKind::TooLarge,
                format!("This host has {} rooms, its limit; its owner can delete some.", self.limits.max_rooms),
            ));
        }
        if self.rooms.created_by(creator) >= self.limits.max_rooms_per_user {
            return Err(error(
                ErrorKind::TooLarge,
                format!(
                    "You have created {} rooms on this host, the most one person may.",
                    self.limits.max_rooms_per_user
                ),
            ));
        }
        let per_address = self.limits.network.max_rooms_per_address;
        if let Some(source) = source {
            let created = self.rooms_created_from.entry(source).or_default();
            if *created >= per_address {
                return Err(error(
                    ErrorKind::TooLarge,
                    format!("{per_address} rooms have been created from your address, the most one address may."),
                ));
            }
            *created += 1;
        }
        let now = crate::clock::now_millis();
        self.rooms.insert(key.clone(), name.clone(), Some(creator.clone()), now);
        Ok(RoomRecord {
            key,
            name,
            created_by: Some(creator.clone()),
            created_at: now,
            last_active: now,
            latest_seq: 0,
        })
    }

    /// Takes back a join whose new room could not be kept.
    pub fn undo_create(&mut self, connection: &ConnectionId, joined: &Joined) {
        if let Some(entry) = self.presence.connection_mut(connection) {
            entry.rooms.remove(&joined.key);
        }
        self.rooms.remove(&joined.key);
        // A room the store refused was never created: it does not count against its address.
        if let Some(created) = joined.created_from.and_then(|source| self.rooms_created_from.get_mut(&source)) {
            *created = created.saturating_sub(1);
        }
    }

    /// Leaves a room; the lobby cannot be left.
    pub fn leave(&mut self, connection: &ConnectionId, raw_room: &str) -> Result<Left, ErrorBody> {
        self.room_fits(raw_room)?;
        let key = validate::room_key(raw_room);
        if key.is_lobby() {
            return Err(error(ErrorKind::Forbidden, "Everyone stays in the lobby; it cannot be left."));
        }
        let entry = self.presence.connection_mut(connection).ok_or_else(unknown_connection)?;
        if !entry.rooms.remove(&key) {
            return Err(error(ErrorKind::NotFound, format!("You are not in a room called “{}”.", raw_room.trim())));
        }
        let (user_key, user_id) = (entry.user.clone(), entry.id.clone());
        let member_left = self.rooms.exit(&key, &user_key) && !self.remote.in_room(&user_key, &key);
        let room = self.rooms.get(&key).map(|room| room.name.clone()).unwrap_or_else(|| raw_room.trim().to_owned());
        let user = self.presence.name_of(connection).unwrap_or_default().to_owned();
        Ok(Left { key, room, user, user_id, member_left })
    }

    /// A room name too long to be one is refused before any Unicode work is spent on it, under the lock.
    fn room_fits(&self, raw_room: &str) -> Result<(), ErrorBody> {
        if validate::fits(raw_room, self.limits.max_room_chars) {
            Ok(())
        } else {
            Err(error(ErrorKind::NotFound, "There is no room with so long a name."))
        }
    }

    /// Whether the connection is in a room, by its key; for reading history.
    pub fn is_in(&self, connection: &ConnectionId, raw_room: &str) -> Result<(RoomKey, String), ErrorBody> {
        self.room_fits(raw_room)?;
        let key = validate::room_key(raw_room);
        let entry = self.presence.connection(connection).ok_or_else(unknown_connection)?;
        match (entry.rooms.contains(&key), self.rooms.get(&key)) {
            (true, Some(room)) => Ok((key, room.name.clone())),
            _ => Err(error(ErrorKind::Forbidden, format!("Join “{}” to read it.", raw_room.trim()))),
        }
    }

    /// The post a `message:send` makes, for the store to keep. Whether the author may post there is recorded in
    /// it rather than refused here: the store answers a resend with the original first.
    pub fn room_post(&self, connection: &ConnectionId, request: &SendMessage) -> Result<RoomPost, ErrorBody> {
        let entry = self.presence.connection(connection).ok_or_else(unknown_connection)?;
        check_client_id(request.client_id.as_deref())?;
        let carries = request.attachment.is_some() || request.file.is_some();
        let text = validate::message_text(&request.text, self.limits.max_message_chars, carries)?;
        self.room_fits(&request.room)?;
        let key = validate::room_key(&request.room);
        let room_name = self.rooms.get(&key).map(|room| room.name.clone());
        let permitted = if entry.rooms.contains(&key) && room_name.is_some() {
            Ok(())
        } else {
            Err(error(ErrorKind::Forbidden, format!("Join “{}” before posting to it.", request.room.trim())))
        };
        Ok(RoomPost {
            room: key,
            room_name: room_name.unwrap_or_else(|| request.room.trim().to_owned()),
            author: self.author(connection)?,
            text,
            client_id: request.client_id.clone(),
            attachment: request.attachment.clone(),
            reply_to: request.reply_to,
            file: request.file.clone(),
            permitted,
        })
    }

    /// The post a `dm:send` makes. The recipient may be offline if their name is bound: they read it when back.
    pub fn direct_post(&self, connection: &ConnectionId, request: &SendDirect) -> Result<DirectPost, ErrorBody> {
        check_client_id(request.client_id.as_deref())?;
        let carries = request.attachment.is_some() || request.file.is_some();
        let text = validate::message_text(&request.text, self.limits.max_message_chars, carries)?;
        let from = self.author(connection)?;
        let (to, permitted) = match self.person(&request.to) {
            Some(person) if self.presence.is_online(&person.key) && !self.presence.reads_banter(&person.key) => {
                let refusal = error(
                    ErrorKind::Forbidden,
                    format!("{} uses a plain Socket.IO page, which cannot show direct messages.", person.name),
                );
                (Author { name: person.name, id: person.id }, Err(refusal))
            }
            Some(person) => (Author { name: person.name, id: person.id }, Ok(())),
            None => {
                let refusal = error(ErrorKind::NotFound, format!("Nobody here is called “{}”.", request.to.trim()));
                (Author { name: request.to.trim().to_owned(), id: from.id.clone() }, Err(refusal))
            }
        };
        Ok(DirectPost {
            from,
            to,
            text,
            client_id: request.client_id.clone(),
            attachment: request.attachment.clone(),
            reply_to: request.reply_to,
            file: request.file.clone(),
            permitted,
        })
    }

    fn author(&self, connection: &ConnectionId) -> Result<Author, ErrorBody> {
        let entry = self.presence.connection(connection).ok_or_else(unknown_connection)?;
        let name = self.presence.name_of(connection).unwrap_or_default().to_owned();
        Ok(Author { name, id: entry.id.clone() })
    }

    /// A person by name: whoever is online under it, else whoever holds it.
    pub fn person(&self, raw_name: &str) -> Option<Person> {
        if !validate::fits(raw_name, self.limits.max_name_chars) {
            return None;
        }
        let key = validate::name_key(raw_name);
        if let Some((name, id)) = self.presence.online(&key) {
            return Some(Person { name: name.to_owned(), key, id: id.clone() });
        }
        if let Some(user) = self.remote.user(&key) {
            return Some(Person { name: user.name.clone(), key, id: user.id.clone() });
        }
        let lookalike = validate::lookalike_key(raw_name);
        self.names.holder(&key, &lookalike).map(|binding| Person {
            name: binding.name.clone(),
            key: binding.key.clone(),
            id: binding.user.clone(),
        })
    }

    /// The room's display name and the user's, if the connection is in the room: typing notices need both.
    pub fn typing_in(&self, connection: &ConnectionId, raw_room: &str) -> Result<(String, String), ErrorBody> {
        let (_, room) = self
            .is_in(connection, raw_room)
            .map_err(|_| error(ErrorKind::Forbidden, "Typing notices go only to rooms you are in."))?;
        Ok((room, self.presence.name_of(connection).unwrap_or_default().to_owned()))
    }

    /// Records that a room had a message at `at`, for the room list.
    pub fn note_active(&mut self, room: &RoomKey, at: u64) {
        self.rooms.note_active(room, at);
    }

    /// The key and name of a room that may be deleted (any but the lobby).
    pub fn deletable(&self, raw_room: &str) -> Result<(RoomKey, String), ErrorBody> {
        self.room_fits(raw_room)?;
        let key = validate::room_key(raw_room);
        if key.is_lobby() {
            return Err(error(ErrorKind::Forbidden, "The lobby cannot be deleted."));
        }
        let room = self
            .rooms
            .get(&key)
            .ok_or_else(|| error(ErrorKind::NotFound, format!("There is no room called “{}”.", raw_room.trim())))?;
        Ok((key, room.name.clone()))
    }

    /// Deletes a room (not the lobby) from the directory and from every connection in it.
    pub fn delete_room(&mut self, raw_room: &str) -> Result<Deleted, ErrorBody> {
        let key = validate::room_key(raw_room);
        if key.is_lobby() {
            return Err(error(ErrorKind::Forbidden, "The lobby cannot be deleted."));
        }
        let room = self
            .rooms
            .remove(&key)
            .ok_or_else(|| error(ErrorKind::NotFound, format!("There is no room called “{}”.", raw_room.trim())))?;
        let connections = self.presence.evict_from_room(&key);
        Ok(Deleted { room: room.name, connections })
    }

    /// Frees a bound name. Whoever is online under it keeps it until they leave.
    pub fn release_name(&mut self, raw_name: &str) -> Result<NameBinding, ErrorBody> {
        let key = validate::name_key(raw_name);
        self.names
            .release(&key)
            .ok_or_else(|| error(ErrorKind::NotFound, format!("Nobody holds the name “{}”.", raw_name.trim())))
    }

    /// Every room, counting its members on every host of a cluster.
    pub fn room_list(&self) -> Vec<RoomInfo> {
        self.rooms.list(|key, here| {
            let elsewhere = self.remote.members(key).filter(|(member, _)| !here.contains_key(*member)).count();
            u32::try_from(elsewhere).unwrap_or(u32::MAX)
        })
    }

    /// Everyone online, on every host of a cluster, with their connections on all of them.
    pub fn users(&self) -> Vec<UserInfo> {
        let mut users: std::collections::BTreeMap<NameKey, UserInfo> =
            self.presence.users().into_iter().map(|user| (validate::name_key(&user.name), user)).collect();
        for (key, remote) in self.remote.users() {
            let count = u32::try_from(remote.connections.len()).unwrap_or(u32::MAX);
            users
                .entry(key.clone())
                .and_modify(|user| user.connections += count)
                .or_insert_with(|| UserInfo { name: remote.name.clone(), connections: count });
        }
        users.into_values().collect()
    }

    /// The display name of a connection's user.
    pub fn user_name(&self, connection: &ConnectionId) -> Option<String> {
        self.presence.name_of(connection).map(str::to_owned)
    }

    /// The id of a connection's user, which names the user's own socket room.
    pub fn user_id_of(&self, connection: &ConnectionId) -> Option<UserId> {
        self.presence.connection(connection).map(|entry| entry.id.clone())
    }

    /// The user behind a connection that a handler is serving (it is registered until it departs).
    pub fn user_id(&self, connection: &ConnectionId) -> Result<UserId, ErrorBody> {
        self.user_id_of(connection).ok_or_else(unknown_connection)
    }

    pub fn dialect(&self, connection: &ConnectionId) -> Option<Dialect> {
        self.presence.connection(connection).map(|entry| entry.dialect)
    }

    /// Every connection of the user online under this display name.
    pub fn connections_of(&self, name: &str) -> Vec<ConnectionId> {
        self.presence.connections_of(&validate::name_key(name))
    }

    /// Users and connections, for the moderator.
    pub fn admin_view(&self) -> Vec<AdminUser> {
        let mut users: std::collections::BTreeMap<NameKey, AdminUser> = self
            .presence
            .admin_view(|key| self.rooms.get(key).map(|room| room.name.clone()))
            .into_iter()
            .map(|user| (validate::name_key(&user.name), user))
            .collect();
        for remote in self.remote_admin_view() {
            let key = validate::name_key(&remote.name);
            match users.get_mut(&key) {
                Some(user) => user.connections.extend(remote.connections),
                None => {
                    users.insert(key, remote);
                }
            }
        }
        users.into_values().collect()
    }

    /// Adds the connection to a room that exists; returns whether the user became a member.
    fn enter_room(&mut self, connection: &ConnectionId, room: &RoomKey) -> bool {
        let Some(entry) = self.presence.connection_mut(connection) else { return false };
        if !entry.rooms.insert(room.clone()) {
            return false;
        }
        let user = entry.user.clone();
        self.rooms.enter(room, &user)
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

#[cfg(test)]
mod tests;
