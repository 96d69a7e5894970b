//! The last change number (`rev`) a client has of each room (or direct conversation), so that after a reconnect
//! it asks only for the messages that changed since (edits, deletions, reactions, replies), and so that a change it
//! missed on the way is fetched rather than lost.
//!
//! The host numbers a room's changes 1, 2, 3… and sends each one to the room as `message:changed`, in that order
//! (a conversation's, as `dm:changed`).
//! Unlike messages, changes need no holding back: each carries its message as it is now, and of two states of one
//! message the one with the higher number wins, whatever order they arrive in. What this tracks is only how far the
//! client is sure to have everything.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use crate::keys::RoomKey;

/// By room key, or (for direct conversations) by conversation id.
#[derive(Debug)]
pub(crate) struct Revisions<K = RoomKey> {
    last: HashMap<K, u64>,
    /// Rooms whose missed changes have been asked for and not answered yet.
    fetching: HashSet<K>,
}

impl<K> Default for Revisions<K> {
    fn default() -> Self {
        Self { last: HashMap::new(), fetching: HashSet::new() }
    }
}

impl<K: Hash + Eq + Clone> Revisions<K> {
    pub(crate) fn last(&self, room: &K) -> Option<u64> {
        self.last.get(room).copied()
    }

    /// A join was answered. Without `asked` (a first join) its history is the room as it is now, so the client is
    /// up to date; with it, the join carried the first page of what changed after it, whose last change number is
    /// `reached`. Returns where to ask for more.
    pub(crate) fn joined(&mut self, room: &K, asked: Option<u64>, reached: Option<u64>, latest: u64) -> Option<u64> {
        match asked {
            None => {
                self.last.insert(room.clone(), latest);
                self.fetching.remove(room);
                None
            }
            Some(_) => self.page(room, reached, latest),
        }
    }

    /// Where a conversation stands when it is first seen: its welcome says how far its changes go.
    pub(crate) fn start_at(&mut self, room: &K, latest: u64) {
        self.last.entry(room.clone()).or_insert(latest);
    }

    /// A page of changes, in change order, answered (`reached`: the last one's number, `None` if the page is
    /// empty); returns where to ask for the next one.
    pub(crate) fn page(&mut self, room: &K, reached: Option<u64>, latest: u64) -> Option<u64> {
        // An empty page means nothing changed after what was asked: the client has everything up to `latest`.
        let reached = reached.unwrap_or(latest);
        let last = self.last.entry(room.clone()).or_insert(0);
        *last = (*last).max(reached);
        if reached < latest {
            self.fetching.insert(room.clone());
            Some(reached)
        } else {
            self.fetching.remove(room);
            None
        }
    }

    /// A change arrived as it happened. Returns where to ask from if changes before it were missed.
    pub(crate) fn live(&mut self, room: &K, rev: u64) -> Option<u64> {
        // Before the room's first join is answered: the answer will bring this change.
        let last = self.last.get_mut(room)?;
        if rev == *last + 1 {
            *last = rev;
            return None;
        }
        if rev <= *last || self.fetching.contains(room) {
            return None;
        }
        self.fetching.insert(room.clone());
        Some(*last)
    }

    /// A session ended: what was being fetched is asked for again, from the numbers reached by then.
    pub(crate) fn forget_fetches(&mut self) {
        self.fetching.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(rev: u64) -> Option<u64> {
        Some(rev)
    }

    #[test]
    fn live_changes_advance_one_at_a_time_and_a_gap_is_fetched_once() {
        let room = RoomKey::lobby();
        let mut revisions: Revisions = Revisions::default();
        assert_eq!(revisions.live(&room, 3), None, "nothing is known before the join is answered");
        assert_eq!(revisions.joined(&room, None, None, 4), None);
        assert_eq!(revisions.live(&room, 5), None);
        assert_eq!(revisions.live(&room, 5), None, "an old change changes nothing");
        assert_eq!(revisions.live(&room, 8), Some(5), "6 and 7 were missed");
        assert_eq!(revisions.live(&room, 9), None, "already being fetched");
        assert_eq!(revisions.page(&room, changed(9), 9), None, "a page of 6, 7 and 9");
        assert_eq!(revisions.last(&room), Some(9));
    }

    #[test]
    fn a_rejoin_pages_through_what_changed_until_the_latest() {
        let room = RoomKey::lobby();
        let mut revisions = Revisions::default();
        revisions.joined(&room, None, None, 2);
        assert_eq!(revisions.joined(&room, Some(2), changed(5), 9), Some(5), "a page of 3 and 5");
        assert_eq!(revisions.page(&room, changed(9), 9), None, "a page of 7 and 9");
        assert_eq!(revisions.last(&room), Some(9));
        assert_eq!(revisions.page(&room, None, 12), None, "an empty page means up to date");
        assert_eq!(revisions.last(&room), Some(12));
    }
}

#[cfg(test)]
mod direct_tests {
    use super::*;

    #[test]
    fn a_conversation_first_seen_by_a_change_is_fetched_from_its_start() {
        let mut revisions: Revisions<String> = Revisions::default();
        let conversation = "c7".to_owned();
        revisions.start_at(&conversation, 0);
        assert_eq!(revisions.live(&conversation, 1), None, "its first change");
        let other = "c8".to_owned();
        revisions.start_at(&other, 0);
        assert_eq!(revisions.live(&other, 4), Some(0), "changes 1 to 3 happened before this client saw it");
        revisions.start_at(&other, 9);
        assert_eq!(revisions.last(&other), Some(0), "a later start does not skip what is being fetched");
    }
}
