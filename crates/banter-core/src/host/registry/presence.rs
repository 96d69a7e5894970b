//! Who is connected now: users online, their connections, and what each connection is doing. Nothing here is
//! kept: a host that restarts starts with nobody online.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use super::super::gate::Source;
use super::super::throttle::TokenBucket;
use crate::keys::{LookalikeKey, NameKey, RoomKey, UserId};
use crate::protocol::{AdminConnection, AdminUser, UserInfo};

/// A connection's id: the host uses the Socket.IO socket id.
pub type ConnectionId = String;

/// Whether a connection speaks Banter's protocol or only the tutorial's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Banter,
    Plain,
}

#[derive(Debug, Default)]
pub(super) struct Presence {
    users: HashMap<NameKey, OnlineUser>,
    /// Each online user's second name key, to the first.
    lookalikes: HashMap<LookalikeKey, NameKey>,
    connections: HashMap<ConnectionId, Connection>,
}

#[derive(Debug)]
struct OnlineUser {
    name: String,
    lookalike: LookalikeKey,
    id: UserId,
    connections: BTreeSet<ConnectionId>,
}

#[derive(Debug)]
pub(super) struct Connection {
    pub user: NameKey,
    pub id: UserId,
    pub dialect: Dialect,
    /// Where it came from, for the limits counted per address.
    pub source: Option<Source>,
    pub rooms: BTreeSet<RoomKey>,
    pub budget: TokenBucket,
    /// Typing notices have a budget of their own (`Limits::typing_burst`).
    pub typing: TokenBucket,
    pub admitted_at: Instant,
}

/// A connection went away: who it was and the rooms it was in.
#[derive(Debug)]
pub(super) struct Gone {
    pub user: UserInfo,
    pub key: NameKey,
    pub went_offline: bool,
    pub rooms: BTreeSet<RoomKey>,
}

fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl Connection {
    /// A connection just admitted, in no room yet.
    pub(super) fn new(
        user: NameKey,
        id: UserId,
        dialect: Dialect,
        source: Option<Source>,
        budget: TokenBucket,
        typing: TokenBucket,
    ) -> Self {
        Connection { user, id, dialect, source, rooms: BTreeSet::new(), budget, typing, admitted_at: Instant::now() }
    }
}

impl Presence {
    /// The user online under this name key, if any.
    pub(super) fn online(&self, key: &NameKey) -> Option<(&str, &UserId)> {
        self.users.get(key).map(|user| (user.name.as_str(), &user.id))
    }

    /// The user online under this name or one that looks the same, if any.
    pub(super) fn online_alike(&self, key: &NameKey, lookalike: &LookalikeKey) -> Option<(&str, &UserId)> {
        self.online(key).or_else(|| self.lookalikes.get(lookalike).and_then(|key| self.online(key)))
    }

    pub(super) fn is_online(&self, key: &NameKey) -> bool {
        self.users.contains_key(key)
    }

    /// Adds a connection of a user (who comes online with it, or gains a connection) under `name`. The caller has
    /// checked that nobody else is online under the name.
    pub(super) fn connect(&mut self, connection: &ConnectionId, name: String, entry: Connection) -> (UserInfo, bool) {
        let lookalike = crate::validate::lookalike_key(&name);
        self.lookalikes.entry(lookalike.clone()).or_insert_with(|| entry.user.clone());
        let user = self.users.entry(entry.user.clone()).or_insert_with(|| OnlineUser {
            name,
            lookalike,
            id: entry.id.clone(),
            connections: BTreeSet::new(),
        });
        let came_online = user.connections.is_empty();
        user.connections.insert(connection.clone());
        let info = UserInfo { name: user.name.clone(), connections: count(user.connections.len()) };
        self.connections.insert(connection.clone(), entry);
        (info, came_online)
    }

    pub(super) fn disconnect(&mut self, connection: &ConnectionId) -> Option<Gone> {
        let entry = self.connections.remove(connection)?;
        let user = self.users.get_mut(&entry.user)?;
        user.connections.remove(connection);
        let info = UserInfo { name: user.name.clone(), connections: count(user.connections.len()) };
        let went_offline = user.connections.is_empty();
        if went_offline {
            if let Some(user) = self.users.remove(&entry.user) {
                if self.lookalikes.get(&user.lookalike) == Some(&entry.user) {
                    self.lookalikes.remove(&user.lookalike);
                }
            }
        }
        Some(Gone { user: info, key: entry.user, went_offline, rooms: entry.rooms })
    }

    /// The connections admitted at least `age` ago, for the reaper that looks for sockets gone without a word.
    pub(super) fn connections_older_than(&self, age: std::time::Duration) -> Vec<ConnectionId> {
        self.connections.iter().filter(|(_, c)| c.admitted_at.elapsed() >= age).map(|(id, _)| id.clone()).collect()
    }

    pub(super) fn connection(&self, connection: &ConnectionId) -> Option<&Connection> {
        self.connections.get(connection)
    }

    pub(super) fn connection_mut(&mut self, connection: &ConnectionId) -> Option<&mut Connection> {
        self.connections.get_mut(connection)
    }

    /// The display name of a connection's user.
    pub(super) fn name_of(&self, connection: &ConnectionId) -> Option<&str> {
        let entry = self.connections.get(connection)?;
        self.users.get(&entry.user).map(|user| user.name.as_str())
    }

    /// The display name of the user online under this key.
    pub(super) fn name_of_user(&self, key: &NameKey) -> Option<&str> {
        self.users.get(key).map(|user| user.name.as_str())
    }

    pub(super) fn connections_of(&self, key: &NameKey) -> Vec<ConnectionId> {
        self.users.get(key).map(|user| user.connections.iter().cloned().collect()).unwrap_or_default()
    }

    /// Whether any connection of this user reads Banter's events (direct messages need one).
    pub(super) fn reads_banter(&self, key: &NameKey) -> bool {
        self.users.get(key).is_some_and(|user| {
            user.connections.iter().any(|id| self.connections.get(id).is_some_and(|c| c.dialect == Dialect::Banter))
        })
    }

    pub(super) fn users(&self) -> Vec<UserInfo> {
        let mut users: Vec<(&NameKey, UserInfo)> = self
            .users
            .iter()
            .map(|(key, user)| (key, UserInfo { name: user.name.clone(), connections: count(user.connections.len()) }))
            .collect();
        users.sort_by(|a, b| a.0.cmp(b.0));
        users.into_iter().map(|(_, user)| user).collect()
    }

    /// Every connection, as this host shares it with a cluster's other hosts.
    pub(super) fn shared(&self) -> std::collections::BTreeMap<ConnectionId, crate::cluster::presence::Shared> {
        self.connections
            .iter()
            .filter_map(|(id, connection)| {
                let user = self.users.get(&connection.user)?;
                let shared = crate::cluster::presence::Shared {
                    name: user.name.clone(),
                    user: connection.id.clone(),
                    rooms: connection.rooms.iter().cloned().collect(),
                };
                Some((id.clone(), shared))
            })
            .collect()
    }

    pub(super) fn admin_view(&self, room_name: impl Fn(&RoomKey) -> Option<String>) -> Vec<AdminUser> {
        let mut users: Vec<(&NameKey, AdminUser)> = self
            .users
            .iter()
            .map(|(key, user)| {
                let connections = user
                    .connections
                    .iter()
                    .map(|id| AdminConnection {
                        socket_id: id.clone(),
                        rooms: self
                            .connections
                            .get(id)
                            .map(|entry| entry.rooms.iter().filter_map(&room_name).collect())
                            .unwrap_or_default(),
                    })
                    .collect();
                (key, AdminUser { name: user.name.clone(), connections })
            })
            .collect();
        users.sort_by(|a, b| a.0.cmp(b.0));
        users.into_iter().map(|(_, user)| user).collect()
    }

    /// Every connection in a room, with the room taken out of each.
    pub(super) fn evict_from_room(&mut self, room: &RoomKey) -> Vec<ConnectionId> {
        self.connections
            .iter_mut()
            .filter_map(|(id, connection)| connection.rooms.remove(room).then(|| id.clone()))
            .collect()
    }

    pub(super) fn spend(&mut self, connection: &ConnectionId, now: Instant) -> Option<bool> {
        self.connections.get_mut(connection).map(|entry| entry.budget.try_take(now))
    }
}
