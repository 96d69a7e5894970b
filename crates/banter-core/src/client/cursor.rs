//! How far this client has read each conversation, so that every message is reported once and in order, and
//! nothing is skipped.
//!
//! The host numbers a room's messages 1, 2, 3… without gaps, and sends each socket a room's messages in that
//! order; a direct conversation is numbered the same way. So a client that remembers the last number it reported
//! knows what it has (anything at or below it arrives twice only when a join's history and a live message cross)
//! and what it lacks (a message numbered past the next one means some were missed: a full socket queue, a
//! reconnect). Such a message is held, and the client asks the host for what comes after its last number, a page
//! at a time, before it reports the held ones.
//!
//! A cursor with no number yet (a room whose join is still unanswered) holds everything until the join's page
//! starts it.

use std::collections::BTreeMap;

use crate::keys::Seq;
use crate::protocol::{DirectMessage, Message};

/// Something numbered within its conversation.
pub(crate) trait Numbered {
    fn seq(&self) -> Seq;
}

impl Numbered for Message {
    fn seq(&self) -> Seq {
        self.seq
    }
}

impl Numbered for DirectMessage {
    fn seq(&self) -> Seq {
        self.seq
    }
}

/// What to do after a message or a page arrived.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Advance<T> {
    /// Messages to report now, in order.
    pub ready: Vec<T>,
    /// Ask the host for what comes after this number.
    pub fetch_after: Option<Seq>,
}

impl<T> Default for Advance<T> {
    fn default() -> Self {
        Advance { ready: Vec::new(), fetch_after: None }
    }
}

/// Held messages past which a cursor gives up waiting for the gap to fill and reports what it holds, so that a
/// host that cannot answer a catch-up does not make the client hold messages without end.
const HOLD_LIMIT: usize = 5000;

#[derive(Debug)]
pub(crate) struct Cursor<T> {
    last: Option<Seq>,
    held: BTreeMap<Seq, T>,
    /// A catch-up request is on its way; do not ask again.
    fetching: bool,
}

impl<T> Default for Cursor<T> {
    fn default() -> Self {
        Cursor { last: None, held: BTreeMap::new(), fetching: false }
    }
}

impl<T: Numbered> Cursor<T> {
    /// The last number reported, if the cursor has started.
    pub(crate) fn last(&self) -> Option<Seq> {
        self.last
    }

    /// Forgets that a catch-up was asked for: the connection that carried the request is gone.
    pub(crate) fn forget_fetch(&mut self) {
        self.fetching = false;
    }

    /// Starts a cursor that has no number yet at `last` (a conversation first seen with this message).
    pub(crate) fn start_at(&mut self, last: Seq) {
        if self.last.is_none() {
            self.last = Some(last);
        }
    }

    /// A message pushed by the host.
    pub(crate) fn live(&mut self, message: T) -> Advance<T> {
        let Some(last) = self.last else {
            self.held.insert(message.seq(), message);
            return Advance::default();
        };
        if message.seq() <= last {
            return Advance::default();
        }
        self.held.insert(message.seq(), message);
        let mut advance = Advance { ready: self.release(), fetch_after: None };
        if self.held.len() > HOLD_LIMIT {
            tracing::warn!(held = self.held.len(), "a conversation's gap did not fill; reporting what arrived");
            advance.ready.extend(self.release_all());
        } else if !self.held.is_empty() && !self.fetching {
            self.fetching = true;
            advance.fetch_after = self.last;
        }
        advance
    }

    /// A page of history, oldest first, from a join or a catch-up; `latest` is the newest number the host had, and
    /// `after` the number the page was asked to start after (none for the newest messages).
    pub(crate) fn page(&mut self, messages: Vec<T>, latest: Seq, after: Option<Seq>) -> Advance<T> {
        self.fetching = false;
        if self.last.is_none() {
            self.last = Some(messages.first().map_or(latest, |first| first.seq().saturating_sub(1)));
        }
        // A page that starts after this cursor's number (or before it) says what exists from there: numbers it
        // skips were deleted with their room, and will never come.
        if let (Some(last), Some(after), Some(first)) = (self.last, after, messages.first()) {
            if after <= last && first.seq() > last + 1 {
                self.last = Some(first.seq() - 1);
            }
        }
        let empty = messages.is_empty();
        for message in messages {
            if self.last.is_some_and(|last| message.seq() > last) {
                self.held.insert(message.seq(), message);
            }
        }
        let mut ready = self.release();
        let last = self.last.unwrap_or(0);
        if last < latest && !empty {
            self.fetching = true;
            return Advance { ready, fetch_after: Some(last) };
        }
        if !self.held.is_empty() && last >= latest {
            // The host has nothing between: whatever is held is next (a gap in the numbering cannot be filled).
            ready.extend(self.release_all());
        } else if !self.held.is_empty() {
            tracing::warn!(last, latest, "a catch-up page came back empty; reporting what arrived");
            ready.extend(self.release_all());
        }
        Advance { ready, fetch_after: None }
    }

    /// Takes out the held messages that follow the last one reported.
    fn release(&mut self) -> Vec<T> {
        let mut ready = Vec::new();
        while let Some(last) = self.last {
            let Some(next) = self.held.remove(&(last + 1)) else { break };
            self.last = Some(last + 1);
            ready.push(next);
        }
        // Anything at or below the last number is a copy of what was reported.
        if let Some(last) = self.last {
            self.held = self.held.split_off(&(last + 1));
        }
        ready
    }

    fn release_all(&mut self) -> Vec<T> {
        let held = std::mem::take(&mut self.held);
        if let Some((&newest, _)) = held.last_key_value() {
            self.last = Some(self.last.map_or(newest, |last| last.max(newest)));
        }
        held.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct N(Seq);

    impl Numbered for N {
        fn seq(&self) -> Seq {
            self.0
        }
    }

    fn seqs(advance: &Advance<N>) -> Vec<Seq> {
        advance.ready.iter().map(|n| n.0).collect()
    }

    #[test]
    fn copies_are_dropped_and_the_next_number_is_reported() {
        let mut cursor = Cursor::default();
        let first = cursor.page(vec![N(4), N(5)], 5, None);
        assert_eq!((seqs(&first), first.fetch_after), (vec![4, 5], None));
        assert_eq!(seqs(&cursor.live(N(5))), Vec::<Seq>::new());
        assert_eq!(seqs(&cursor.live(N(6))), vec![6]);
    }

    #[test]
    fn a_gap_is_filled_from_the_host_before_what_came_after_it() {
        let mut cursor = Cursor::default();
        cursor.page(vec![N(1)], 1, None);
        let held = cursor.live(N(4));
        assert_eq!((seqs(&held), held.fetch_after), (vec![], Some(1)));
        // Asked once: more out-of-order messages wait for the same answer.
        assert_eq!(cursor.live(N(5)).fetch_after, None);
        let filled = cursor.page(vec![N(2), N(3), N(4)], 5, Some(1));
        assert_eq!((seqs(&filled), filled.fetch_after), (vec![2, 3, 4, 5], None));
        assert_eq!(cursor.last(), Some(5));
    }

    #[test]
    fn a_long_absence_is_caught_up_page_by_page() {
        let mut cursor = Cursor::default();
        cursor.page(vec![N(10)], 10, None);
        let page = cursor.page((11..=13).map(N).collect(), 20, Some(10));
        assert_eq!((seqs(&page), page.fetch_after), (vec![11, 12, 13], Some(13)));
        let live = cursor.live(N(21));
        assert_eq!((seqs(&live), live.fetch_after), (vec![], None), "already asking");
        let page = cursor.page((14..=20).map(N).collect(), 21, Some(13));
        assert_eq!((seqs(&page), page.fetch_after), ((14..=21).collect::<Vec<_>>(), None));
    }

    #[test]
    fn a_cursor_without_a_number_holds_until_its_first_page() {
        let mut cursor = Cursor::default();
        assert!(cursor.live(N(8)).ready.is_empty());
        let page = cursor.page(vec![N(6), N(7)], 7, None);
        assert_eq!(seqs(&page), vec![6, 7, 8]);
        let mut empty = Cursor::<N>::default();
        assert_eq!(empty.page(vec![], 0, None).ready, vec![]);
        assert_eq!(seqs(&empty.live(N(1))), vec![1]);
    }

    #[test]
    fn numbers_deleted_with_their_room_are_skipped_not_waited_for() {
        let mut cursor = Cursor::default();
        cursor.page(vec![N(10)], 10, None);
        // The room was deleted and made again while this client was away; its numbers went on from 20.
        let held = cursor.live(N(22));
        assert_eq!(held.fetch_after, Some(10));
        let page = cursor.page(vec![N(21), N(22)], 22, Some(10));
        assert_eq!((seqs(&page), page.fetch_after), (vec![21, 22], None));
        // The newest page of a room is not such a page: a gap before it is fetched, not skipped.
        let welcome = cursor.page(vec![N(40), N(41)], 41, None);
        assert_eq!((seqs(&welcome), welcome.fetch_after), (vec![], Some(22)));
    }

    #[test]
    fn a_gap_that_never_fills_does_not_hold_messages_without_end() {
        let mut cursor = Cursor::default();
        cursor.page(vec![N(1)], 1, None);
        assert_eq!(cursor.live(N(3)).fetch_after, Some(1));
        let mut reported = 0;
        for seq in 4..(HOLD_LIMIT as u64 + 10) {
            reported += cursor.live(N(seq)).ready.len();
        }
        assert!(reported > HOLD_LIMIT, "held messages are reported once too many pile up");
    }
}
