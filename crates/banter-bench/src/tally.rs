//! What the generator counts while a scenario runs, and the per-step figures it reports.
//!
//! One clock for everything: a message's marker carries the send time its schedule intended, in microseconds on
//! [`Clock`], and the receiver reads the same clock, so a send that the generator made late is counted as late
//! (no coordinated omission).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::wire::Marker;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Clock { epoch: Instant::now() }
    }

    pub fn micros(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    pub fn instant(&self, micros: u64) -> Instant {
        self.epoch + Duration::from_micros(micros)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// Latencies are kept from 1 µs to 10 minutes at three significant digits.
fn histogram() -> Histogram<u64> {
    // The bounds are constants that the library accepts.
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!("valid histogram bounds"))
}

/// Deliveries and latencies of one step, counted at each receiver.
#[derive(Debug)]
pub struct StepTally {
    pub latency: Histogram<u64>,
    pub per_receiver: Vec<u64>,
    pub delivered: u64,
    pub acks: u64,
    pub ack_errors: u64,
}

/// Every step of one scenario run.
#[derive(Debug)]
pub struct Tally {
    clock: Clock,
    receivers: usize,
    steps: Vec<StepTally>,
    /// Deliveries whose marker names no step: a bug in a server or the generator, reported rather than dropped.
    pub strays: u64,
    /// Deliveries whose room number was not above the last one the receiver had: out of order, or twice.
    pub out_of_order: u64,
    /// Room numbers a receiver skipped: messages of its room it never got.
    pub gaps: u64,
    /// Each receiver's last room number.
    last_room_seq: Vec<Option<u64>>,
    /// Every delivery recorded, all steps together.
    pub recorded: u64,
}

impl Tally {
    pub fn new(clock: Clock, receivers: usize) -> Self {
        Tally {
            clock,
            receivers,
            steps: Vec::new(),
            strays: 0,
            out_of_order: 0,
            gaps: 0,
            last_room_seq: vec![None; receivers],
            recorded: 0,
        }
    }

    /// Opens step `index` (steps are numbered from 0, in order).
    pub fn begin_step(&mut self) -> u32 {
        self.steps.push(StepTally {
            latency: histogram(),
            per_receiver: vec![0; self.receivers],
            delivered: 0,
            acks: 0,
            ack_errors: 0,
        });
        u32::try_from(self.steps.len() - 1).unwrap_or(u32::MAX)
    }

    pub fn record(&mut self, receiver: usize, marker: Marker) {
        let now = self.clock.micros();
        // Every receiver is in one room: its numbers must come 1 by 1 (after the first it hears).
        if let (Some(seq), Some(last)) = (marker.room_seq, self.last_room_seq.get_mut(receiver)) {
            match *last {
                Some(before) if seq <= before => self.out_of_order += 1,
                Some(before) => self.gaps += seq - before - 1,
                None => {}
            }
            *last = Some(last.map_or(seq, |before| before.max(seq)));
        }
        let Some(step) = usize::try_from(marker.step).ok().and_then(|index| self.steps.get_mut(index)) else {
            self.strays += 1;
            return;
        };
        let Some(count) = step.per_receiver.get_mut(receiver) else {
            self.strays += 1;
            return;
        };
        *count += 1;
        step.delivered += 1;
        self.recorded += 1;
        step.latency.saturating_record(now.saturating_sub(marker.micros).max(1));
    }

    /// Counts an ack against the step now running.
    pub fn ack(&mut self, error: bool) {
        if let Some(step) = self.steps.last_mut() {
            step.acks += 1;
            step.ack_errors += u64::from(error);
        }
    }

    pub fn step(&self, index: u32) -> Option<&StepTally> {
        self.steps.get(usize::try_from(index).ok()?)
    }
}

/// One step's figures, as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// Messages per second offered: by the one sender (S1) or by each member (S2).
    pub rate: f64,
    pub sent: u64,
    pub expected: u64,
    pub delivered: u64,
    /// Receivers that got fewer deliveries than they should have.
    pub short_receivers: usize,
    /// The fewest and the most deliveries any one receiver counted.
    pub min_per_receiver: u64,
    pub max_per_receiver: u64,
    pub delivery_pct: f64,
    pub deliveries_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub server_cpu_us_per_delivery: f64,
    /// The server's CPU use over the step, in % of one core.
    pub server_cpu_pct: f64,
    /// The generator's CPU use over the step, in % of one core: near 100, the generator is the limit.
    pub generator_cpu_pct: f64,
    pub acks: u64,
    pub ack_errors: u64,
}

/// What one step measured besides the tally.
#[derive(Debug, Clone, Copy)]
pub struct StepSpan {
    pub rate: f64,
    pub sent: u64,
    pub expected_per_receiver: u64,
    pub send_time: Duration,
    pub wall: Duration,
    pub server_cpu: Duration,
    pub generator_cpu: Duration,
}

impl StepResult {
    pub fn new(tally: &StepTally, span: StepSpan) -> Self {
        let expected = span.expected_per_receiver * tally.per_receiver.len() as u64;
        let ms = |quantile: f64| tally.latency.value_at_quantile(quantile) as f64 / 1000.0;
        let empty = tally.latency.is_empty();
        let wall = span.wall.as_secs_f64().max(1e-9);
        StepResult {
            rate: span.rate,
            sent: span.sent,
            expected,
            delivered: tally.delivered,
            short_receivers: tally.per_receiver.iter().filter(|count| **count < span.expected_per_receiver).count(),
            min_per_receiver: tally.per_receiver.iter().copied().min().unwrap_or(0),
            max_per_receiver: tally.per_receiver.iter().copied().max().unwrap_or(0),
            delivery_pct: if expected == 0 { 0.0 } else { tally.delivered as f64 * 100.0 / expected as f64 },
            deliveries_per_s: tally.delivered as f64 / span.send_time.as_secs_f64().max(1e-9),
            p50_ms: if empty { f64::NAN } else { ms(0.5) },
            p99_ms: if empty { f64::NAN } else { ms(0.99) },
            p999_ms: if empty { f64::NAN } else { ms(0.999) },
            max_ms: tally.latency.max() as f64 / 1000.0,
            server_cpu_us_per_delivery: if tally.delivered == 0 {
                f64::NAN
            } else {
                span.server_cpu.as_secs_f64() * 1e6 / tally.delivered as f64
            },
            server_cpu_pct: span.server_cpu.as_secs_f64() * 100.0 / wall,
            generator_cpu_pct: span.generator_cpu.as_secs_f64() * 100.0 / wall,
            acks: tally.acks,
            ack_errors: tally.ack_errors,
        }
    }

    /// Sustained: every message reached every receiver, and p99 stayed within the limit.
    pub fn sustained(&self, p99_limit_ms: f64) -> bool {
        self.delivered >= self.expected && self.short_receivers == 0 && self.p99_ms <= p99_limit_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receiver_s_room_numbers_out_of_order_twice_or_skipped_are_counted() {
        let mut tally = Tally::new(Clock::new(), 2);
        let step = tally.begin_step();
        let at = |room_seq| Marker { step, seq: 0, micros: 0, room_seq: Some(room_seq) };
        for seq in [4, 5, 7, 7, 6, 8] {
            tally.record(0, at(seq));
        }
        for seq in [1, 2, 3] {
            tally.record(1, at(seq));
        }
        assert_eq!((tally.out_of_order, tally.gaps), (2, 1), "7 twice and 6 late; 6 skipped once, at 7");
    }

    #[test]
    fn a_step_counts_each_receiver_and_strays() {
        let clock = Clock::new();
        let mut tally = Tally::new(clock, 2);
        let step = tally.begin_step();
        let marker = Marker { step, seq: 0, micros: 0, room_seq: None };
        tally.record(0, marker);
        tally.record(1, marker);
        tally.record(1, marker);
        tally.record(5, marker);
        tally.record(0, Marker { step: 9, ..marker });
        assert_eq!(tally.strays, 2);
        let span = StepSpan {
            rate: 1.0,
            sent: 2,
            expected_per_receiver: 2,
            send_time: Duration::from_secs(1),
            wall: Duration::from_secs(2),
            server_cpu: Duration::from_millis(3),
            generator_cpu: Duration::from_millis(10),
        };
        let result = StepResult::new(tally.step(step).unwrap(), span);
        assert_eq!((result.delivered, result.expected, result.short_receivers), (3, 4, 1));
        assert!(!result.sustained(100.0));
        assert!((result.server_cpu_us_per_delivery - 1000.0).abs() < 1e-6);
    }
}
