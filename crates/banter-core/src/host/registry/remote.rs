//! Who is online on a cluster's other hosts, as this host last read it (`host::presence`): the registry counts
//! them with its own connections wherever people are listed or counted, and refuses a name someone else is online
//! under there. It is a second or so behind those hosts; see docs/SCALING.md for what that costs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{ConnectionId, Registry};
use crate::cluster::presence::{Others, Shared};
use crate::keys::{LookalikeKey, NameKey, RoomKey, UserId};
use crate::protocol::{AdminConnection, AdminUser};
use crate::validate;

#[derive(Debug, Default)]
pub(super) struct Remote {
    users: BTreeMap<NameKey, RemoteUser>,
    lookalikes: HashMap<LookalikeKey, NameKey>,
}

#[derive(Debug)]
pub(super) struct RemoteUser {
    pub name: String,
    pub id: UserId,
    /// Connection id → the rooms it is in.
    pub connections: BTreeMap<ConnectionId, BTreeSet<RoomKey>>,
}

/// Someone who was online only on other hosts and is not online anywhere now (their host died, or they left
/// while this host was not looking), with the rooms they were in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vanished {
    pub name: String,
    pub rooms: Vec<(RoomKey, String)>,
}

impl Remote {
    fn from_others(others: &Others) -> Remote {
        let mut remote = Remote::default();
        for (id, Shared { name, user, rooms }) in others.values().flatten() {
            let key = validate::name_key(name);
            remote.lookalikes.entry(validate::lookalike_key(name)).or_insert_with(|| key.clone());
            let entry = remote.users.entry(key).or_insert_with(|| RemoteUser {
                name: name.clone(),
                id: user.clone(),
                connections: BTreeMap::new(),
            });
            entry.connections.insert(id.clone(), rooms.iter().cloned().collect());
        }
        remote
    }

    pub(super) fn user(&self, key: &NameKey) -> Option<&RemoteUser> {
        self.users.get(key)
    }

    pub(super) fn online_alike(&self, key: &NameKey, lookalike: &LookalikeKey) -> Option<(&str, &UserId)> {
        let user = self.users.get(key).or_else(|| self.lookalikes.get(lookalike).and_then(|key| self.users.get(key)));
        user.map(|user| (user.name.as_str(), &user.id))
    }

    pub(super) fn connections(&self, key: &NameKey) -> usize {
        self.users.get(key).map_or(0, |user| user.connections.len())
    }

    pub(super) fn in_room(&self, key: &NameKey, room: &RoomKey) -> bool {
        self.users.get(key).is_some_and(|user| user.connections.values().any(|rooms| rooms.contains(room)))
    }

    /// The users in a room on other hosts.
    pub(super) fn members<'a>(&'a self, room: &'a RoomKey) -> impl Iterator<Item = (&'a NameKey, &'a str)> + 'a {
        self.users
            .iter()
            .filter(move |(_, user)| user.connections.values().any(|rooms| rooms.contains(room)))
            .map(|(key, user)| (key, user.name.as_str()))
    }

    pub(super) fn users(&self) -> impl Iterator<Item = (&NameKey, &RemoteUser)> {
        self.users.iter()
    }
}

impl Registry {
    /// What this host shares of its own connections with the other hosts.
    pub fn shared_presence(&self) -> BTreeMap<ConnectionId, Shared> {
        self.presence.shared()
    }

    /// Takes in what the other hosts share now; answers who went offline with it (they are on no host now), for
    /// this host to tell its own people.
    pub fn follow_presence(&mut self, others: &Others) -> Vec<Vanished> {
        let next = Remote::from_others(others);
        let mut vanished = Vec::new();
        for (key, before) in self.remote.users() {
            if next.users.contains_key(key) || self.presence.is_online(key) {
                continue;
            }
            let rooms: BTreeSet<&RoomKey> = before.connections.values().flatten().collect();
            let rooms = rooms
                .into_iter()
                .filter(|room| !self.rooms.get(room).is_some_and(|room| room.online.contains_key(key)))
                .filter_map(|room| self.rooms.get(room).map(|found| (room.clone(), found.name.clone())))
                .collect();
            vanished.push(Vanished { name: before.name.clone(), rooms });
        }
        self.remote = next;
        vanished
    }

    /// The user online on other hosts under this display name, and how many connections they have there.
    pub fn elsewhere(&self, name: &str) -> Option<(UserId, usize)> {
        self.remote.user(&validate::name_key(name)).map(|user| (user.id.clone(), user.connections.len()))
    }

    /// The other hosts' users and connections, for the moderator's list.
    pub(super) fn remote_admin_view(&self) -> Vec<AdminUser> {
        self.remote
            .users()
            .map(|(_, user)| AdminUser {
                name: user.name.clone(),
                connections: user
                    .connections
                    .iter()
                    .map(|(id, rooms)| AdminConnection {
                        socket_id: id.clone(),
                        rooms: rooms
                            .iter()
                            .filter_map(|room| self.rooms.get(room).map(|room| room.name.clone()))
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }
}
