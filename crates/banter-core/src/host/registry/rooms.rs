//! The room directory: every room the host keeps, who created it, when it was last active, and which users are
//! in it right now. Rooms outlive their members; only the host's owner deletes one.

use std::collections::BTreeMap;

use crate::keys::{NameKey, RoomKey, UserId};
use crate::protocol::RoomInfo;
use crate::store::RoomRecord;

#[derive(Debug, Default)]
pub(super) struct RoomDirectory {
    rooms: BTreeMap<RoomKey, Room>,
}

#[derive(Debug)]
pub(super) struct Room {
    pub name: String,
    pub created_by: Option<UserId>,
    pub last_active: u64,
    /// Users in the room now, with how many of their connections are in it.
    pub online: BTreeMap<NameKey, u32>,
}

fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl RoomDirectory {
    pub(super) fn load(records: Vec<RoomRecord>) -> Self {
        let rooms = records
            .into_iter()
            .map(|record| {
                let room = Room {
                    name: record.name,
                    created_by: record.created_by,
                    last_active: record.last_active,
                    online: BTreeMap::new(),
                };
                (record.key, room)
            })
            .collect();
        RoomDirectory { rooms }
    }

    pub(super) fn get(&self, key: &RoomKey) -> Option<&Room> {
        self.rooms.get(key)
    }

    pub(super) fn len(&self) -> usize {
        self.rooms.len()
    }

    /// How many of the rooms this user created still exist.
    pub(super) fn created_by(&self, user: &UserId) -> usize {
        self.rooms.values().filter(|room| room.created_by.as_ref() == Some(user)).count()
    }

    pub(super) fn insert(&mut self, key: RoomKey, name: String, created_by: Option<UserId>, now: u64) {
        self.rooms.insert(key, Room { name, created_by, last_active: now, online: BTreeMap::new() });
    }

    pub(super) fn remove(&mut self, key: &RoomKey) -> Option<Room> {
        self.rooms.remove(key)
    }

    /// A connection of `user` entered the room; true if the user was not in it before.
    pub(super) fn enter(&mut self, key: &RoomKey, user: &NameKey) -> bool {
        let Some(room) = self.rooms.get_mut(key) else { return false };
        let sockets = room.online.entry(user.clone()).or_insert(0);
        *sockets += 1;
        *sockets == 1
    }

    /// A connection of `user` left the room; true if the user has no other connection in it.
    pub(super) fn exit(&mut self, key: &RoomKey, user: &NameKey) -> bool {
        let Some(room) = self.rooms.get_mut(key) else { return false };
        let Some(sockets) = room.online.get_mut(user) else { return false };
        *sockets = sockets.saturating_sub(1);
        if *sockets == 0 {
            room.online.remove(user);
            return true;
        }
        false
    }

    pub(super) fn note_active(&mut self, key: &RoomKey, at: u64) {
        if let Some(room) = self.rooms.get_mut(key) {
            room.last_active = room.last_active.max(at);
        }
    }

    /// Every room, with its members here and the `elsewhere` counts for each (a cluster's other hosts).
    pub(super) fn list(&self, elsewhere: impl Fn(&RoomKey, &BTreeMap<NameKey, u32>) -> u32) -> Vec<RoomInfo> {
        self.rooms
            .iter()
            .map(|(key, room)| RoomInfo {
                name: room.name.clone(),
                members: count(room.online.len()).saturating_add(elsewhere(key, &room.online)),
                last_active: room.last_active,
            })
            .collect()
    }
}
