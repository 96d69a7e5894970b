//! One socket's requests, handled in the order they arrived.
//!
//! socketioxide runs every handler in a task of its own, and tokio may run a task spawned later first (the newest
//! task takes the worker's next slot), so two messages one socket sent back to back could be kept in either order:
//! a guest resending ten messages after a reconnect saw them shuffled. Extraction, though, runs in packet order,
//! before the task is spawned. [`InOrder`] takes a numbered ticket there, and the handler waits for its number's
//! turn before it decides anything.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use socketioxide::adapter::Adapter;
use socketioxide::extract::State;
use socketioxide::handler::{FromMessageParts, Value};
use socketioxide::socket::Socket;
use tokio::sync::Notify;

use super::Hub;

/// The turns of one socket.
#[derive(Debug, Default)]
pub struct Turns {
    state: Mutex<TurnState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct TurnState {
    issued: u64,
    serving: u64,
    /// Tickets dropped before their turn (their handler never ran): skipped when reached.
    abandoned: BTreeSet<u64>,
}

impl TurnState {
    fn advance_past(&mut self, number: u64) {
        if self.serving == number {
            self.serving += 1;
            while self.abandoned.remove(&self.serving) {
                self.serving += 1;
            }
        } else {
            self.abandoned.insert(number);
        }
    }
}

impl Turns {
    fn lock(&self) -> std::sync::MutexGuard<'_, TurnState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn take(self: &Arc<Self>) -> Ticket {
        let mut state = self.lock();
        let number = state.issued;
        state.issued += 1;
        Ticket { turns: Some(Arc::clone(self)), number }
    }

    fn pass(&self, number: u64) {
        self.lock().advance_past(number);
        self.changed.notify_waiters();
    }
}

/// A place in a socket's order. Dropped unused, it gives its turn away.
#[derive(Debug)]
pub struct Ticket {
    turns: Option<Arc<Turns>>,
    number: u64,
}

/// This socket's turn, until dropped.
#[derive(Debug)]
pub struct Turn {
    turns: Arc<Turns>,
    number: u64,
}

impl Ticket {
    /// Waits until every earlier request of the socket is done.
    pub async fn wait(mut self) -> Option<Turn> {
        let turns = self.turns.take()?;
        loop {
            let changed = turns.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so that a turn passed in between is not missed.
            changed.as_mut().enable();
            if turns.lock().serving == self.number {
                break;
            }
            changed.await;
        }
        Some(Turn { turns, number: self.number })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(turns) = self.turns.take() {
            turns.pass(self.number);
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.turns.pass(self.number);
    }
}

/// The turns of every connected socket.
#[derive(Debug, Default)]
pub struct Queues(Mutex<HashMap<String, Arc<Turns>>>);

impl Queues {
    pub fn open(&self, connection: &str) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(connection.to_owned(), Arc::default());
    }

    pub fn close(&self, connection: &str) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(connection);
    }

    fn of(&self, connection: &str) -> Option<Arc<Turns>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(connection).cloned()
    }
}

/// An extractor: the handler's place in its socket's order. Put it last, so that a ticket is taken only for a
/// handler that will run.
#[derive(Debug)]
pub struct InOrder(pub Ticket);

#[derive(Debug, thiserror::Error)]
#[error("the socket has no request order (it is not admitted, or has left)")]
pub struct NoOrder;

impl<A: Adapter> FromMessageParts<A> for InOrder {
    type Error = NoOrder;

    fn from_message_parts(
        socket: &Arc<Socket<A>>,
        value: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Self::Error> {
        let State(hub) = State::<Hub>::from_message_parts(socket, value, ack_id).map_err(|_| NoOrder)?;
        let turns = hub.turns().of(&socket.id.to_string()).ok_or(NoOrder)?;
        Ok(InOrder(turns.take()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turns_come_in_ticket_order_and_dropped_tickets_are_skipped() {
        let turns = Arc::new(Turns::default());
        let first = turns.take();
        let second = turns.take();
        let third = turns.take();
        let order = Arc::new(Mutex::new(Vec::new()));
        let record = |n: u32, ticket: Ticket| {
            let order = Arc::clone(&order);
            tokio::spawn(async move {
                let _turn = ticket.wait().await;
                order.lock().unwrap_or_else(|p| p.into_inner()).push(n);
            })
        };
        let last = record(3, third);
        tokio::task::yield_now().await;
        drop(second);
        let early = record(1, first);
        let _ = tokio::join!(last, early);
        assert_eq!(*order.lock().unwrap_or_else(|p| p.into_inner()), vec![1, 3]);
    }
}
