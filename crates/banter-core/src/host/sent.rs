//! What users already sent, remembered so that a resend after a reconnect is answered, not posted again.
//!
//! Only a small record is kept per message (not its text), in one map bounded by entry count, so that neither long
//! messages nor a peer that invents user keys can make it grow past a few tens of megabytes.

use std::collections::{HashMap, VecDeque};

use crate::protocol::Attachment;

/// What the host assigned to an accepted message: enough to answer its resend with the same id and number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    pub id: String,
    pub seq: u64,
    pub ts: u64,
    pub from: String,
    /// The room's name, or the recipient's for a direct message.
    pub place: String,
    pub attachment: Option<Attachment>,
}

/// Records by (user key, client id), oldest forgotten first past the capacity.
#[derive(Debug)]
pub(super) struct SentMemory {
    capacity: usize,
    records: HashMap<(String, String), Record>,
    order: VecDeque<(String, String)>,
}

impl SentMemory {
    pub(super) fn new(capacity: usize) -> Self {
        SentMemory { capacity, records: HashMap::new(), order: VecDeque::new() }
    }

    pub(super) fn find(&self, user_key: &str, client_id: &str) -> Option<&Record> {
        self.records.get(&(user_key.to_owned(), client_id.to_owned()))
    }

    pub(super) fn remember(&mut self, user_key: &str, client_id: &str, record: Record) {
        let key = (user_key.to_owned(), client_id.to_owned());
        if self.records.insert(key.clone(), record).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.records.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> Record {
        Record { id: id.into(), seq: 1, ts: 0, from: "ann".into(), place: "lobby".into(), attachment: None }
    }

    #[test]
    fn records_are_per_user_key_and_the_oldest_go_first() {
        let mut memory = SentMemory::new(2);
        memory.remember("key-a", "c1", record("m1"));
        memory.remember("key-b", "c1", record("m2"));
        assert_eq!(memory.find("key-a", "c1").map(|r| r.id.as_str()), Some("m1"));
        assert_eq!(memory.find("key-b", "c1").map(|r| r.id.as_str()), Some("m2"));
        memory.remember("key-a", "c2", record("m3"));
        assert!(memory.find("key-a", "c1").is_none());
        assert!(memory.find("key-a", "c2").is_some());
    }
}
