//! The last `seq` this client has seen in each room, so that a message is reported once.
//!
//! A message posted while this client joins a room can reach it twice: in the join's history and as
//! `message:new` (docs/PROTOCOL.md). The host sends each room's messages in `seq` order, so anything at or below
//! the last `seq` seen in a room has been reported already.

use std::collections::HashMap;

use super::ClientEvent;
use crate::protocol::{Message, LOBBY};
use crate::validate;

#[derive(Debug, Default)]
pub(super) struct SeenSeqs {
    last: HashMap<String, u64>,
}

impl SeenSeqs {
    /// Notes what `event` says about the rooms' messages; false if it is a message already reported.
    pub(super) fn admit(&mut self, event: &ClientEvent) -> bool {
        match event {
            // A new session, perhaps with a restarted host whose numbers begin again.
            ClientEvent::Welcome(welcome) => {
                self.last.clear();
                self.note_history(LOBBY, &welcome.history);
                true
            }
            ClientEvent::Joined(joined) => {
                self.note_history(&joined.room, &joined.history);
                true
            }
            ClientEvent::Message(message) => {
                let last = self.last.entry(validate::name_key(&message.room)).or_default();
                if message.seq <= *last {
                    return false;
                }
                *last = message.seq;
                true
            }
            _ => true,
        }
    }

    fn note_history(&mut self, room: &str, history: &[Message]) {
        if let Some(newest) = history.iter().map(|message| message.seq).max() {
            let last = self.last.entry(validate::name_key(room)).or_default();
            *last = (*last).max(newest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{RoomJoined, Welcome};

    fn message(room: &str, seq: u64) -> Message {
        Message {
            id: format!("m{seq}"),
            room: room.into(),
            seq,
            ts: 0,
            from: "ann".into(),
            text: "hi".into(),
            client_id: None,
            attachment: None,
        }
    }

    #[test]
    fn a_message_already_in_the_join_history_is_not_reported_again() {
        let mut seen = SeenSeqs::default();
        let joined =
            RoomJoined { room: "Ops".into(), members: vec![], history: vec![message("Ops", 4), message("Ops", 5)] };
        assert!(seen.admit(&ClientEvent::Joined(joined)));
        assert!(!seen.admit(&ClientEvent::Message(message("ops", 5))));
        assert!(seen.admit(&ClientEvent::Message(message("ops", 6))));
        assert!(!seen.admit(&ClientEvent::Message(message("Ops", 6))));
        // Other rooms keep their own numbers.
        assert!(seen.admit(&ClientEvent::Message(message("lobby", 1))));
    }

    #[test]
    fn a_new_session_starts_the_numbers_again() {
        let mut seen = SeenSeqs::default();
        assert!(seen.admit(&ClientEvent::Message(message("lobby", 7))));
        let welcome: Welcome = serde_json::from_value(serde_json::json!({
            "protocol": 1, "socketId": "s", "user": {"name": "ann", "connections": 1}, "users": [], "rooms": [],
            "history": [], "limits": {"maxMessageChars": 1, "maxNameChars": 1, "maxRoomChars": 1,
            "maxAttachmentBytes": 1, "historyPerRoom": 1}
        }))
        .unwrap();
        assert!(seen.admit(&ClientEvent::Welcome(welcome)));
        assert!(seen.admit(&ClientEvent::Message(message("lobby", 1))));
    }
}
