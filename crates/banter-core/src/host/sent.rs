//! What users already sent, remembered so that a resend after a reconnect is answered, not posted again.

use std::collections::{HashMap, VecDeque};

use crate::protocol::{DirectMessage, Message};

/// A message accepted from a user, as the resend of its client id is answered.
#[derive(Debug, Clone)]
pub(super) enum Sent {
    Room(Message),
    Direct(DirectMessage),
}

/// What users already sent, by user key and client message id, so that a resend is answered, not posted again.
#[derive(Debug, Default)]
pub(super) struct SentMemory {
    by_user_key: HashMap<String, VecDeque<(String, Sent)>>,
    /// User keys, oldest first, to forget whole users once too many are remembered.
    order: VecDeque<String>,
}

/// User keys whose sent messages are remembered; the oldest is forgotten past this.
const REMEMBERED_USER_KEYS: usize = 10_000;

impl SentMemory {
    pub(super) fn find(&self, user_key: &str, client_id: &str) -> Option<Sent> {
        let sent = self.by_user_key.get(user_key)?;
        sent.iter().rev().find(|(id, _)| id == client_id).map(|(_, sent)| sent.clone())
    }

    pub(super) fn remember(&mut self, user_key: &str, client_id: &str, sent: Sent, per_user: usize) {
        if !self.by_user_key.contains_key(user_key) {
            self.order.push_back(user_key.to_owned());
            while self.order.len() > REMEMBERED_USER_KEYS {
                if let Some(oldest) = self.order.pop_front() {
                    self.by_user_key.remove(&oldest);
                }
            }
        }
        let entries = self.by_user_key.entry(user_key.to_owned()).or_default();
        entries.push_back((client_id.to_owned(), sent));
        while entries.len() > per_user {
            entries.pop_front();
        }
    }
}
