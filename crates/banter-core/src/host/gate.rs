//! What each source address may open: connections, Engine.IO sessions that have not joined yet, guesses at a
//! secret, and lines in the log. Plain synchronous bookkeeping behind one lock; the accept loop (`listen.rs`),
//! the HTTP middleware (`http.rs`) and the connect middlewares consult it.
//!
//! Everything here is bounded: an address is forgotten once it has nothing open and its budgets have refilled,
//! so a flood from many addresses leaves nothing behind.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::throttle::TokenBucket;
use crate::limits::NetworkLimits;

/// A source address as the limits count it: an IPv4 address, or the /64 of an IPv6 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    pub fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(_) => Source(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Source(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(formatter, "{v4}"),
            IpAddr::V6(v6) => write!(formatter, "{v6}/64"),
        }
    }
}

/// Why the gate refused something. The text is what the refused client is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("Too many connections from your address ({0} open); close some and try again.")]
    ConnectionsFromAddress(usize),
    #[error("The host has as many connections as it can take; try again in a moment.")]
    Connections,
    #[error("Too many new connections from your address; wait a few seconds and try again.")]
    Handshakes,
    #[error("Too many unfinished connections from your address; wait a few seconds and try again.")]
    UnjoinedFromAddress,
    #[error("The host is busy with unfinished connections; try again in a moment.")]
    Unjoined,
}

/// What the gate knows of one source.
#[derive(Debug)]
struct Tally {
    connections: usize,
    handshakes: TokenBucket,
    /// When each session that has not joined a namespace yet was opened, oldest first.
    unjoined: VecDeque<Instant>,
    secrets: TokenBucket,
    refusals_logged_at: Option<Instant>,
    refusals_unlogged: u64,
    seen_at: Instant,
}

#[derive(Debug)]
struct State {
    sources: HashMap<Source, Tally>,
    connections: usize,
    unjoined: usize,
    swept_at: Instant,
}

/// How long a source with nothing open is remembered: longer than any of its budgets takes to refill, so that
/// forgetting it never hands out a fresh budget early.
const FORGET_AFTER: Duration = Duration::from_secs(300);
/// How often the whole table is swept for expired sessions and forgotten sources.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The per-address bookkeeping of one host.
#[derive(Debug)]
pub struct Gate {
    limits: NetworkLimits,
    max_connections: usize,
    connect_timeout: Duration,
    state: Mutex<State>,
}

impl Gate {
    /// `max_connections` is the total the host allows (its limit, lowered to fit the open-file limit);
    /// `connect_timeout` is how long an unjoined session lives.
    pub fn new(limits: NetworkLimits, max_connections: usize, connect_timeout: Duration) -> Arc<Gate> {
        let state = State { sources: HashMap::new(), connections: 0, unjoined: 0, swept_at: Instant::now() };
        Arc::new(Gate { limits, max_connections, connect_timeout, state: Mutex::new(state) })
    }

    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The bookkeeping stays consistent even if a holder panicked: every change is a single step.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn tally<'a>(&self, state: &'a mut State, source: Source, now: Instant) -> &'a mut Tally {
        let limits = &self.limits;
        let tally = state.sources.entry(source).or_insert_with(|| Tally {
            connections: 0,
            handshakes: TokenBucket::new(
                limits.handshake_burst_per_address,
                limits.handshakes_per_second_per_address,
                now,
            ),
            unjoined: VecDeque::new(),
            secrets: TokenBucket::with_rate(
                limits.secret_attempt_burst,
                f64::from(limits.secret_attempts_per_minute) / 60.0,
                now,
            ),
            refusals_logged_at: None,
            refusals_unlogged: 0,
            seen_at: now,
        });
        tally.seen_at = now;
        tally
    }

    /// Counts a new TCP connection from `ip`; the permit gives it back when dropped.
    pub fn open_connection(self: &Arc<Self>, ip: IpAddr, now: Instant) -> Result<ConnectionPermit, Refused> {
        let source = Source::of(ip);
        let mut state = self.state();
        self.sweep(&mut state, now);
        if state.connections >= self.max_connections {
            return Err(Refused::Connections);
        }
        let per_address = self.limits.max_connections_per_address;
        let tally = self.tally(&mut state, source, now);
        if tally.connections >= per_address {
            return Err(Refused::ConnectionsFromAddress(tally.connections));
        }
        tally.connections += 1;
        state.connections += 1;
        Ok(ConnectionPermit { gate: Arc::clone(self), source })
    }

    fn close_connection(&self, source: Source) {
        let mut state = self.state();
        state.connections = state.connections.saturating_sub(1);
        if let Some(tally) = state.sources.get_mut(&source) {
            tally.connections = tally.connections.saturating_sub(1);
        }
    }

    /// Counts a new Engine.IO session (a handshake) from `ip`. It stays unjoined until [`Gate::session_joined`]
    /// or until the connect timeout passes, when socketioxide closes it.
    pub fn open_session(&self, ip: IpAddr, now: Instant) -> Result<(), Refused> {
        let source = Source::of(ip);
        let mut state = self.state();
        self.sweep(&mut state, now);
        let (per_address, total) = (self.limits.max_unjoined_per_address, self.limits.max_unjoined);
        let unjoined = state.unjoined;
        let connect_timeout = self.connect_timeout;
        let tally = self.tally(&mut state, source, now);
        let expired = expire(&mut tally.unjoined, now, connect_timeout);
        if !tally.handshakes.try_take(now) {
            state.unjoined = state.unjoined.saturating_sub(expired);
            return Err(Refused::Handshakes);
        }
        let refusal = if tally.unjoined.len() >= per_address {
            Some(Refused::UnjoinedFromAddress)
        } else if unjoined.saturating_sub(expired) >= total {
            Some(Refused::Unjoined)
        } else {
            tally.unjoined.push_back(now);
            None
        };
        state.unjoined = state.unjoined.saturating_sub(expired) + usize::from(refusal.is_none());
        refusal.map_or(Ok(()), Err)
    }

    /// A session from `ip` joined a namespace: it no longer counts as unjoined. The oldest one is taken, which is
    /// the one that joins first for an honest client.
    pub fn session_joined(&self, ip: IpAddr) {
        let mut state = self.state();
        let Some(tally) = state.sources.get_mut(&Source::of(ip)) else { return };
        if tally.unjoined.pop_front().is_some() {
            state.unjoined = state.unjoined.saturating_sub(1);
        }
    }

    /// Whether `ip` may try a secret now: `Err` says how long it must wait. The budget is spent only by wrong
    /// secrets ([`Gate::secret_failed`]), so someone who types the right one is never slowed down.
    pub fn may_try_secret(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut state = self.state();
        let wait = self.tally(&mut state, Source::of(ip), now).secrets.wait_for_token(now);
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    pub fn secret_failed(&self, ip: IpAddr, now: Instant) {
        let mut state = self.state();
        self.tally(&mut state, Source::of(ip), now).secrets.try_take(now);
    }

    /// Whether a refusal of a request from `ip` may be logged now. `Some(n)` means yes, and that `n` earlier ones
    /// were counted without a line since the last; `None` means count it and say nothing.
    pub fn log_refusal(&self, ip: IpAddr, now: Instant) -> Option<u64> {
        let interval = self.limits.refusal_log_interval;
        let mut state = self.state();
        let tally = self.tally(&mut state, Source::of(ip), now);
        let due = tally.refusals_logged_at.is_none_or(|at| now.saturating_duration_since(at) >= interval);
        if due {
            tally.refusals_logged_at = Some(now);
            Some(std::mem::take(&mut tally.refusals_unlogged))
        } else {
            tally.refusals_unlogged += 1;
            None
        }
    }

    /// Expires unjoined sessions everywhere and forgets sources with nothing left, at most once a second.
    fn sweep(&self, state: &mut State, now: Instant) {
        if now.saturating_duration_since(state.swept_at) < SWEEP_EVERY {
            return;
        }
        state.swept_at = now;
        let mut expired = 0;
        state.sources.retain(|_, tally| {
            expired += expire(&mut tally.unjoined, now, self.connect_timeout);
            let idle = now.saturating_duration_since(tally.seen_at) >= FORGET_AFTER;
            let refilled = tally.handshakes.is_full(now) && tally.secrets.is_full(now);
            !(tally.connections == 0 && tally.unjoined.is_empty() && tally.refusals_unlogged == 0 && idle && refilled)
        });
        state.unjoined = state.unjoined.saturating_sub(expired);
        // A flood from many addresses grew the table; its memory goes back once they are forgotten.
        if state.sources.capacity() > 4 * state.sources.len() + 64 {
            state.sources.shrink_to_fit();
        }
    }

    /// Sources the gate remembers, for tests that check it forgets.
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.state().sources.len()
    }
}

/// Drops the sessions opened longer than `timeout` ago and says how many.
fn expire(unjoined: &mut VecDeque<Instant>, now: Instant, timeout: Duration) -> usize {
    let before = unjoined.len();
    while unjoined.front().is_some_and(|opened| now.saturating_duration_since(*opened) >= timeout) {
        unjoined.pop_front();
    }
    before - unjoined.len()
}

/// One counted connection; dropping it gives the count back.
#[derive(Debug)]
pub struct ConnectionPermit {
    gate: Arc<Gate>,
    source: Source,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.gate.close_connection(self.source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 7));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 8));
    const TIMEOUT: Duration = Duration::from_secs(10);

    fn limits() -> NetworkLimits {
        NetworkLimits {
            max_connections_per_address: 2,
            handshake_burst_per_address: 3,
            handshakes_per_second_per_address: 1,
            max_unjoined_per_address: 2,
            max_unjoined: 3,
            secret_attempt_burst: 2,
            secret_attempts_per_minute: 6,
            ..NetworkLimits::default()
        }
    }

    #[test]
    fn connections_are_capped_per_address_and_in_all_and_given_back() {
        let gate = Gate::new(limits(), 3, TIMEOUT);
        let now = Instant::now();
        let first = gate.open_connection(A, now).unwrap();
        let _second = gate.open_connection(A, now).unwrap();
        assert_eq!(gate.open_connection(A, now).unwrap_err(), Refused::ConnectionsFromAddress(2));
        let _third = gate.open_connection(B, now).unwrap();
        assert_eq!(gate.open_connection(B, now).unwrap_err(), Refused::Connections);
        drop(first);
        assert!(gate.open_connection(A, now).is_ok());
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other_in_same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.168.1.7".parse().unwrap();
        assert_eq!(Source::of(one), Source::of(other_in_same_64));
        assert_ne!(Source::of(one), Source::of("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(Source::of(mapped), Source::of(A));
        assert_eq!(Source::of(one).to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn handshakes_have_a_burst_then_a_rate() {
        let gate =
            Gate::new(NetworkLimits { max_unjoined_per_address: 100, max_unjoined: 100, ..limits() }, 10, TIMEOUT);
        let now = Instant::now();
        for _ in 0..3 {
            gate.open_session(A, now).unwrap();
        }
        assert_eq!(gate.open_session(A, now), Err(Refused::Handshakes));
        // Another address has its own budget.
        assert!(gate.open_session(B, now).is_ok());
        assert!(gate.open_session(A, now + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn unjoined_sessions_are_capped_until_they_join_or_time_out() {
        let gate = Gate::new(NetworkLimits { handshake_burst_per_address: 100, ..limits() }, 10, TIMEOUT);
        let now = Instant::now();
        gate.open_session(A, now).unwrap();
        gate.open_session(A, now).unwrap();
        assert_eq!(gate.open_session(A, now), Err(Refused::UnjoinedFromAddress));
        gate.session_joined(A);
        gate.open_session(A, now).unwrap();
        // Three unjoined in all: B is refused by the total, not by its own count.
        gate.open_session(B, now).unwrap();
        assert_eq!(gate.open_session(B, now), Err(Refused::Unjoined));
        // Once the connect timeout has passed, socketioxide has closed them: they no longer count.
        let later = now + TIMEOUT;
        assert!(gate.open_session(B, later).is_ok());
        assert!(gate.open_session(A, later).is_ok());
        assert!(gate.open_session(A, later).is_ok());
    }

    #[test]
    fn wrong_secrets_run_out_and_refill_while_right_ones_cost_nothing() {
        let gate = Gate::new(limits(), 10, TIMEOUT);
        let now = Instant::now();
        for _ in 0..10 {
            assert!(gate.may_try_secret(A, now).is_ok(), "trying costs nothing until it fails");
        }
        gate.secret_failed(A, now);
        gate.secret_failed(A, now);
        let wait = gate.may_try_secret(A, now).unwrap_err();
        assert!((9.9..10.1).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(gate.may_try_secret(B, now).is_ok());
        assert!(gate.may_try_secret(A, now + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn refusals_are_logged_once_an_interval_with_a_count_of_the_rest() {
        let gate = Gate::new(limits(), 10, TIMEOUT);
        let now = Instant::now();
        assert_eq!(gate.log_refusal(A, now), Some(0));
        for _ in 0..500 {
            assert_eq!(gate.log_refusal(A, now + Duration::from_secs(1)), None);
        }
        assert_eq!(gate.log_refusal(B, now), Some(0));
        assert_eq!(gate.log_refusal(A, now + Duration::from_secs(10)), Some(500));
    }

    #[test]
    fn sources_with_nothing_open_are_forgotten() {
        let gate =
            Gate::new(NetworkLimits { max_unjoined: 10_000, max_unjoined_per_address: 10, ..limits() }, 10, TIMEOUT);
        let now = Instant::now();
        for host in 0..1000u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + host));
            gate.open_session(ip, now).unwrap();
        }
        let kept = gate.open_connection(A, now).unwrap();
        assert_eq!(gate.remembered(), 1001);
        // Sessions expire, budgets refill, and only the address with a connection open is remembered.
        assert!(gate.open_connection(B, now + FORGET_AFTER + Duration::from_secs(1)).is_ok());
        assert_eq!(gate.remembered(), 2);
        drop(kept);
    }
}
