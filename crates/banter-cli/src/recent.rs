//! What `banter-cli join` remembers of what it heard: who is online, the host's rooms, and each room's recent
//! messages, so that `/who` and `/rooms` can answer, `/reply`, `/edit`, `/delete` and `/react` can find "the last
//! message", and a change can be told as what changed.

use std::collections::{BTreeMap, HashMap, VecDeque};

use banter_core::client::ClientEvent;
use banter_core::keys::RoomKey;
use banter_core::protocol::{Message, RoomInfo};
use banter_core::validate;

/// Messages remembered per room: enough to find the last ones and describe changes to them, bounded so that a
/// long session does not grow without end. A change to an older message is still printed, with less context.
const MESSAGES_PER_ROOM: usize = 500;

#[derive(Debug, Default)]
pub struct Recent {
    me: String,
    /// Online people by name key, with their names as shown.
    online: BTreeMap<String, String>,
    rooms: Vec<RoomInfo>,
    messages: HashMap<RoomKey, VecDeque<Message>>,
}

impl Recent {
    /// Takes in an event; for a change, returns the message as it was before (if it was remembered).
    pub fn observe(&mut self, event: &ClientEvent) -> Option<Message> {
        match event {
            ClientEvent::Welcome(welcome) => {
                self.me = welcome.user.name.clone();
                self.online = welcome.users.iter().map(|user| (key(&user.name), user.name.clone())).collect();
                self.rooms = welcome.rooms.clone();
                welcome.history.iter().for_each(|message| self.remember(message));
            }
            ClientEvent::UserOnline(user) => {
                self.online.insert(key(&user.name), user.name.clone());
            }
            ClientEvent::UserOffline(user) => {
                self.online.remove(&key(&user.name));
            }
            ClientEvent::Rooms(rooms) => self.rooms = rooms.clone(),
            ClientEvent::Message(message) => self.remember(message),
            ClientEvent::MissedMessages { messages, .. } => messages.iter().for_each(|message| self.remember(message)),
            ClientEvent::Joined(joined) => joined.history.iter().for_each(|message| self.remember(message)),
            ClientEvent::Changed(message) => {
                let kept = self.messages.get_mut(&validate::room_key(&message.room))?;
                let known = kept.iter_mut().find(|known| known.seq == message.seq)?;
                // Of two states of a message, the one with the higher change number is the newer.
                if known.rev < message.rev {
                    return Some(std::mem::replace(known, message.clone()));
                }
                return None;
            }
            _ => {}
        }
        None
    }

    /// Remembers a message, in its room's order.
    pub fn remember(&mut self, message: &Message) {
        let kept = self.messages.entry(validate::room_key(&message.room)).or_default();
        match kept.binary_search_by_key(&message.seq, |known| known.seq) {
            Ok(_) => return,
            Err(at) => kept.insert(at, message.clone()),
        }
        while kept.len() > MESSAGES_PER_ROOM {
            kept.pop_front();
        }
    }

    #[cfg(test)]
    fn message(&self, room: &str, seq: u64) -> Option<&Message> {
        self.messages.get(&validate::room_key(room))?.iter().find(|message| message.seq == seq)
    }

    fn last_where(&self, room: &str, mut wanted: impl FnMut(&Message) -> bool) -> Option<u64> {
        let kept = self.messages.get(&validate::room_key(room))?;
        kept.iter().rev().find(|message| !message.deleted && wanted(message)).map(|message| message.seq)
    }

    /// The room's last message from someone else: what `/reply` and `/react` answer by default.
    pub fn last_from_others(&self, room: &str) -> Option<u64> {
        let me = key(&self.me);
        self.last_where(room, |message| key(&message.from) != me)
    }

    /// This user's last message in the room: what `/edit` and `/delete` change by default.
    pub fn my_last(&self, room: &str) -> Option<u64> {
        let me = key(&self.me);
        self.last_where(room, |message| key(&message.from) == me)
    }

    /// `/who`: one line.
    pub fn who(&self) -> String {
        if self.online.is_empty() {
            return "* nobody is online".to_owned();
        }
        let names: Vec<&str> = self.online.values().map(String::as_str).collect();
        format!("* online ({}): {}", names.len(), names.join(", "))
    }

    /// `/rooms`: one line per room.
    pub fn rooms(&self) -> Vec<String> {
        if self.rooms.is_empty() {
            return vec!["* no rooms yet".to_owned()];
        }
        self.rooms
            .iter()
            .map(|room| {
                let people = if room.members == 1 { "1 person".to_owned() } else { format!("{} people", room.members) };
                format!("* {} ({people} in it)", room.name)
            })
            .collect()
    }
}

fn key(name: &str) -> String {
    validate::name_key(name).as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(seq: u64, from: &str, text: &str, rev: u64) -> Message {
        Message {
            id: format!("m{seq}"),
            room: "ops".into(),
            seq,
            from: from.into(),
            text: text.into(),
            rev,
            ..Message::default()
        }
    }

    #[test]
    fn the_last_messages_are_found_by_author_and_changes_return_what_they_replace() {
        let mut recent = Recent { me: "Ann".into(), ..Recent::default() };
        for (seq, from) in [(1, "ann"), (2, "bert"), (3, "Ann"), (4, "carl")] {
            recent.observe(&ClientEvent::Message(message(seq, from, "text", 0)));
        }
        assert_eq!((recent.my_last("ops"), recent.last_from_others("Ops")), (Some(3), Some(4)));
        let before = recent.observe(&ClientEvent::Changed(message(3, "Ann", "edited", 7)));
        assert_eq!(before.map(|message| message.text), Some("text".into()));
        assert_eq!(recent.observe(&ClientEvent::Changed(message(3, "Ann", "older", 5))), None, "an older state");
        assert_eq!(recent.message("ops", 3).map(|message| message.text.as_str()), Some("edited"));
        let mut deleted = message(4, "carl", "", 8);
        deleted.deleted = true;
        recent.observe(&ClientEvent::Changed(deleted));
        assert_eq!(recent.last_from_others("ops"), Some(2), "a deleted message is not answered");
    }
}
