//! The two message scenarios: one big room with one sender (S1) and many small rooms where everyone talks (S2).
//!
//! Sessions speak Banter's protocol (a named handshake, `room:join`, `message:send` with an ack), so the Banter
//! host runs its real handlers; the Node.js server implements the same events.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::stream::{SplitSink, StreamExt as _};
use futures_util::SinkExt as _;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use tokio::task::spawn_local;
use tokio_tungstenite::tungstenite::Message;

use crate::crosscheck::{JsCounts, JsReceiver};
use crate::servers::{self, Server};
use crate::session::{self, Ws};
use crate::tally::{Clock, StepResult, StepSpan, Tally};
use crate::wire::{self, Frame};

/// How long a handshake may take during set-up.
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to wait for a room:join ack before asking again, and how many times to ask.
const JOIN_TIMEOUT: Duration = Duration::from_secs(5);
const JOIN_ATTEMPTS: u64 = 4;
/// Sessions set up at once.
const SETUP_CONCURRENCY: usize = 16;
/// The pause between set-up and the first step.
const SETTLE: Duration = Duration::from_secs(1);
/// How much longer than its schedule a step's sending may take before the server is deemed stuck.
const SEND_GRACE: Duration = Duration::from_secs(30);
/// After a failed step: how long nothing must arrive before the next step, and the longest wait for that.
const QUIET: Duration = Duration::from_secs(1);
const QUIET_LIMIT: Duration = Duration::from_secs(30);

type Sink = Rc<tokio::sync::Mutex<SplitSink<Ws, Message>>>;

/// S1's shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneRoomPlan {
    pub receivers: usize,
    /// Offered rates, in order; the ramp stops at the first that is not sustained, then refines between it and the
    /// last one sustained.
    pub rates: Vec<f64>,
    pub refinements: usize,
    /// How many failed steps of a ramp are run once more at the same rate before the ramp takes them as failed:
    /// one stall of the machine (a pause of 100 ms at a rate the server handles easily) must not end a ramp.
    #[serde(default)]
    pub retries: usize,
    pub step: Duration,
    /// How long after its last send a step waits for stragglers.
    pub drain: Duration,
    pub text_bytes: usize,
    pub p99_limit_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneRoomResult {
    /// Seconds to connect every receiver and join the room.
    pub setup_s: f64,
    pub steps: Vec<StepResult>,
    /// The highest offered rate sustained (100% delivered, p99 within the limit); 0 if none was.
    pub sustained_rate: f64,
    pub pss_bytes: u64,
    pub strays: u64,
    /// What the stock client counted, when it listened.
    pub crosscheck: Option<JsCounts>,
}

/// S1: one room, `receivers` listening, one sender stepping its rate up.
/// With `crosscheck` (the repository), a stock socket.io-client listens beside the receivers.
pub async fn one_room(
    server: &Server,
    plan: &OneRoomPlan,
    clock: Clock,
    crosscheck: Option<&std::path::Path>,
) -> anyhow::Result<OneRoomResult> {
    let address = server.address;
    let setup = Instant::now();
    let tally = Rc::new(RefCell::new(Tally::new(clock, plan.receivers)));
    let place = |index| (format!("r{index}"), "bench".to_owned());
    let mut readers = connect_members(&[address], plan.receivers, place, |index, mut ws| {
        let tally = tally.clone();
        spawn_local(async move {
            session::read_until_closed(&mut ws, |frame| {
                if let Frame::Delivery(marker) = frame {
                    tally.borrow_mut().record(index, marker);
                }
            })
            .await;
        })
    })
    .await?;
    let (sink, ack_reader) = sender(address, "sender", "bench", tally.clone()).await?;
    readers.push(ack_reader);
    let setup_s = setup.elapsed().as_secs_f64();
    let js = match crosscheck {
        Some(repo) => Some(JsReceiver::start(repo, address).await?),
        None => None,
    };
    // The notices of the last joins and the gathered room list go out before the first step is timed.
    tokio::time::sleep(SETTLE).await;

    let mut steps = Vec::new();
    let mut sustained_rate: f64 = 0.0;
    let mut failed_rate = None;
    let mut rates = plan.rates.iter().copied();
    let mut refinements = 0;
    let mut retries = plan.retries;
    let mut again = None;
    loop {
        let rate = match (again.take(), failed_rate) {
            (Some(rate), _) => rate,
            (None, None) => match rates.next() {
                Some(rate) => rate,
                None => break,
            },
            (None, Some(failed)) if refinements < plan.refinements && sustained_rate > 0.0 => {
                refinements += 1;
                let between: f64 = f64::sqrt(sustained_rate * failed);
                if between / sustained_rate < 1.05 {
                    break;
                }
                between.round()
            }
            _ => break,
        };
        let result = one_room_step(server, plan, clock, &tally, &sink, rate).await?;
        let sustained = result.sustained(plan.p99_limit_ms);
        tracing::info!(
            server = server.kind.label(),
            rate,
            delivered = format!("{:.2}%", result.delivery_pct),
            p99_ms = result.p99_ms,
            cpu_us = result.server_cpu_us_per_delivery,
            generator_cpu = format!("{:.0}%", result.generator_cpu_pct),
            sustained,
            "S1 step"
        );
        steps.push(result);
        if sustained {
            sustained_rate = sustained_rate.max(rate);
        } else if retries > 0 && failed_rate.is_none() {
            // Once more at the same rate, after the backlog has drained.
            retries -= 1;
            again = Some(rate);
            wait_until_quiet(&tally).await;
        } else {
            failed_rate = Some(failed_rate.map_or(rate, |failed: f64| failed.min(rate)));
            // The server may still be working through the failed step's backlog: the next, lower rate starts
            // once nothing has arrived for a while.
            wait_until_quiet(&tally).await;
        }
    }
    let pss_bytes = server.pss_bytes();
    let crosscheck = match js {
        Some(js) => {
            // The stock client hears the last messages at about the time the receivers do, but on a busy
            // machine a moment later: it is given that moment before it is asked for its counts.
            tokio::time::sleep(SETTLE).await;
            Some(js.finish().await?)
        }
        None => None,
    };
    let strays = tally.borrow().strays;
    for reader in readers {
        reader.abort();
    }
    Ok(OneRoomResult { setup_s, steps, sustained_rate, pss_bytes, strays, crosscheck })
}

async fn one_room_step(
    server: &Server,
    plan: &OneRoomPlan,
    clock: Clock,
    tally: &Rc<RefCell<Tally>>,
    sink: &Sink,
    rate: f64,
) -> anyhow::Result<StepResult> {
    let step = tally.borrow_mut().begin_step();
    let sent = (rate * plan.step.as_secs_f64()).round().max(1.0) as u64;
    let start = clock.micros() + 5_000;
    let interval = 1e6 / rate;
    let mut packet = String::new();
    let mut payload = String::new();
    let send = async {
        for seq in 0..sent {
            let intended = start + (seq as f64 * interval) as u64;
            if intended > clock.micros() {
                tokio::time::sleep_until(clock.instant(intended).into()).await;
            }
            wire::message_payload(&mut payload, "bench", step, seq, intended, plan.text_bytes);
            wire::emit_with_ack(&mut packet, seq + 1, "message:send", &payload);
            // Locked per message, so that the reader can answer a ping between two sends; flushed when the
            // schedule has nothing more due, so that a late sender catches up in one write.
            let mut sink = sink.lock().await;
            sink.feed(Message::text(packet.as_str())).await?;
            if start + ((seq + 1) as f64 * interval) as u64 > clock.micros() {
                sink.flush().await?;
            }
        }
        sink.lock().await.flush().await?;
        anyhow::Ok(())
    };
    let send_time = Duration::from_secs_f64(sent as f64 / rate);
    let load = StepLoad { rate, sent, send_time, expected_per_receiver: sent, receivers: plan.receivers };
    measure_step(server, tally, step, load, plan.drain, send).await
}

/// What one step offers: its rate, the messages sent and over how long, and what each receiver should get.
#[derive(Debug, Clone, Copy)]
struct StepLoad {
    rate: f64,
    sent: u64,
    /// How long the schedule sends for (each sender's messages over the rate).
    send_time: Duration,
    expected_per_receiver: u64,
    receivers: usize,
}

/// Runs a step's `send`, waits for its deliveries, and reads what the step cost the server and the generator.
async fn measure_step(
    server: &Server,
    tally: &Rc<RefCell<Tally>>,
    step: u32,
    load: StepLoad,
    drain: Duration,
    send: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<StepResult> {
    let (cpu_before, generator_before, wall) = (server.cpu(), own_cpu(), Instant::now());
    let rate = load.rate;
    tokio::time::timeout(load.send_time + SEND_GRACE, send)
        .await
        .map_err(|_| anyhow::anyhow!("the server stopped reading: the {rate} msg/s step could not be sent"))??;
    wait_for_deliveries(tally, step, load.expected_per_receiver * load.receivers as u64, drain).await;
    let span = StepSpan {
        rate,
        sent: load.sent,
        expected_per_receiver: load.expected_per_receiver,
        send_time: load.send_time,
        wall: wall.elapsed(),
        server_cpu: server.cpu().saturating_sub(cpu_before),
        generator_cpu: own_cpu().saturating_sub(generator_before),
    };
    Ok(StepResult::new(tally.borrow().step(step).context("the step's tally")?, span))
}

/// S2's shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManyRoomsPlan {
    pub rooms: usize,
    pub members: usize,
    /// Messages per second each member sends, one step each.
    pub rates: Vec<f64>,
    pub step: Duration,
    pub drain: Duration,
    pub text_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManyRoomsResult {
    pub setup_s: f64,
    pub steps: Vec<StepResult>,
    pub pss_bytes: u64,
    pub strays: u64,
    /// Deliveries out of their room's order or twice, and room numbers a receiver never got, over every step.
    #[serde(default)]
    pub out_of_order: u64,
    #[serde(default)]
    pub gaps: u64,
    /// What each step cost a cluster's Valkey or Redis server, per message sent (none for a host alone).
    #[serde(default)]
    pub valkey: Vec<ServerCost>,
}

/// What the messages of one step cost a cluster's server, from its `INFO stats` before and after.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerCost {
    pub commands_per_message: f64,
    pub bytes_in_per_message: f64,
    pub bytes_out_per_message: f64,
}

/// S2: `rooms` rooms of `members`, every member sending at each step's rate and hearing its room.
pub async fn many_rooms(server: &Server, plan: &ManyRoomsPlan, clock: Clock) -> anyhow::Result<ManyRoomsResult> {
    // A cluster's hosts in turn: each room has members on every host.
    let addresses = server.addresses.clone();
    let total = plan.rooms * plan.members;
    let members = plan.members;
    let setup = Instant::now();
    let tally = Rc::new(RefCell::new(Tally::new(clock, total)));
    let place = |index| (format!("m{index}"), format!("room-{}", index / members));
    let (sinks, readers): (Vec<Sink>, Vec<_>) =
        connect_members(&addresses, total, place, |index, ws| split_session(ws, Some(index), tally.clone()))
            .await?
            .into_iter()
            .unzip();
    let setup_s = setup.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;

    let mut steps = Vec::new();
    let mut valkey = Vec::new();
    for &rate in &plan.rates {
        let step = tally.borrow_mut().begin_step();
        let per_member = (rate * plan.step.as_secs_f64()).round().max(1.0) as u64;
        let start = clock.micros() + 20_000;
        let interval = 1e6 / rate;
        let mut senders: Vec<tokio::task::JoinHandle<anyhow::Result<()>>> = Vec::new();
        for (index, sink) in sinks.iter().enumerate() {
            let sink = sink.clone();
            let room = format!("room-{}", index / members);
            let (text_bytes, phase) = (plan.text_bytes, rand::thread_rng().gen_range(0.0..interval));
            senders.push(spawn_local(async move {
                let (mut packet, mut payload) = (String::new(), String::new());
                for seq in 0..per_member {
                    let intended = start + (phase + seq as f64 * interval) as u64;
                    tokio::time::sleep_until(clock.instant(intended).into()).await;
                    wire::message_payload(&mut payload, &room, step, seq, intended, text_bytes);
                    wire::emit_with_ack(&mut packet, seq + 1, "message:send", &payload);
                    sink.lock().await.send(Message::text(packet.as_str())).await?;
                }
                anyhow::Ok(())
            }));
        }
        let all_sent = async {
            for sender in senders {
                sender.await.context("a sender task")??;
            }
            anyhow::Ok(())
        };
        let load = StepLoad {
            rate,
            sent: per_member * total as u64,
            send_time: Duration::from_secs_f64(per_member as f64 / rate),
            // Every member hears every message of its room, its own included.
            expected_per_receiver: per_member * plan.members as u64,
            receivers: total,
        };
        let sent = load.sent;
        let before = match server.valkey_port {
            Some(port) => Some(crate::servers::valkey_stats(port).await?),
            None => None,
        };
        let result = measure_step(server, &tally, step, load, plan.drain, all_sent).await?;
        if let (Some(before), Some(port)) = (before, server.valkey_port) {
            let after = crate::servers::valkey_stats(port).await?;
            let per = |field: usize| (after[field] - before[field]) as f64 / sent.max(1) as f64;
            valkey.push(ServerCost {
                commands_per_message: per(0),
                bytes_in_per_message: per(1),
                bytes_out_per_message: per(2),
            });
        }
        tracing::info!(
            server = server.kind.label(),
            rate,
            delivered = format!("{:.2}%", result.delivery_pct),
            p99_ms = result.p99_ms,
            generator_cpu = format!("{:.0}%", result.generator_cpu_pct),
            "S2 step"
        );
        steps.push(result);
    }
    let pss_bytes = server.pss_bytes();
    let (strays, out_of_order, gaps) = {
        let tally = tally.borrow();
        (tally.strays, tally.out_of_order, tally.gaps)
    };
    for reader in readers {
        reader.abort();
    }
    Ok(ManyRoomsResult { setup_s, steps, pss_bytes, strays, out_of_order, gaps, valkey })
}

/// Connects `count` Banter sessions, each named and placed in a room by `place`, a bounded number at a time,
/// and hands each to `start` as soon as it has joined: a session must be read from the moment it exists, or the
/// notices the server sends it while the others join would pile up unread.
async fn connect_members<T>(
    addresses: &[SocketAddr],
    count: usize,
    place: impl Fn(usize) -> (String, String),
    start: impl Fn(usize, Ws) -> T,
) -> anyhow::Result<Vec<T>> {
    let mut started: Vec<(usize, T)> = Vec::with_capacity(count);
    let mut joins = futures_util::stream::iter(0..count)
        .map(|index| {
            let (name, room) = place(index);
            let address = addresses[index % addresses.len()];
            async move {
                let mut ws = session::connect(address, Some(&name), SETUP_TIMEOUT)
                    .await
                    .with_context(|| format!("connecting {name}"))?;
                session::join_room(&mut ws, &room, JOIN_TIMEOUT, JOIN_ATTEMPTS)
                    .await
                    .with_context(|| format!("{name} joining"))?;
                anyhow::Ok((index, ws))
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY);
    while let Some(joined) = joins.next().await {
        let (index, ws) = joined?;
        started.push((index, start(index, ws)));
    }
    started.sort_by_key(|(index, _)| *index);
    Ok(started.into_iter().map(|(_, item)| item).collect())
}

/// A session that sends: its sink, shared with the reader that answers pings and counts acks.
async fn sender(
    address: SocketAddr,
    name: &str,
    room: &str,
    tally: Rc<RefCell<Tally>>,
) -> anyhow::Result<(Sink, tokio::task::JoinHandle<()>)> {
    let mut ws = session::connect(address, Some(name), SETUP_TIMEOUT).await?;
    session::join_room(&mut ws, room, JOIN_TIMEOUT, JOIN_ATTEMPTS).await?;
    // The sender hears its own messages too; they are not counted.
    Ok(split_session(ws, None, tally))
}

/// Splits a session into its sink and a reader that counts its acks, answers pings and, for a receiver (`index`),
/// counts its deliveries.
fn split_session(ws: Ws, index: Option<usize>, tally: Rc<RefCell<Tally>>) -> (Sink, tokio::task::JoinHandle<()>) {
    let (sink, mut source) = ws.split();
    let sink: Sink = Rc::new(tokio::sync::Mutex::new(sink));
    let pong = sink.clone();
    let reader = spawn_local(async move {
        while let Some(Ok(message)) = source.next().await {
            let Message::Text(text) = message else { continue };
            match wire::classify(text.as_bytes()) {
                Frame::Delivery(marker) => {
                    if let Some(index) = index {
                        tally.borrow_mut().record(index, marker);
                    }
                }
                Frame::Ack { error, .. } => tally.borrow_mut().ack(error),
                Frame::Ping => {
                    let _ = pong.lock().await.send(Message::text("3")).await;
                }
                Frame::Close => break,
                _ => {}
            }
        }
    });
    (sink, reader)
}

/// Waits until a step's deliveries are all in, or `drain` passes without one arriving, or four times `drain` in all
/// (an overloaded server may still be working through its queues: what arrives later counts as not delivered).
async fn wait_for_deliveries(tally: &Rc<RefCell<Tally>>, step: u32, expected: u64, drain: Duration) {
    let delivered = || tally.borrow().step(step).map_or(0, |step| step.delivered);
    let started = Instant::now();
    let mut last = (delivered(), Instant::now());
    while delivered() < expected && started.elapsed() < drain * 4 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = delivered();
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() >= drain {
            break;
        }
    }
}

/// Waits until no delivery has arrived for [`QUIET`], or [`QUIET_LIMIT`].
async fn wait_until_quiet(tally: &Rc<RefCell<Tally>>) {
    let started = Instant::now();
    let mut last = (tally.borrow().recorded, Instant::now());
    while last.1.elapsed() < QUIET && started.elapsed() < QUIET_LIMIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = tally.borrow().recorded;
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
}

fn own_cpu() -> Duration {
    servers::process_cpu(std::process::id())
}
