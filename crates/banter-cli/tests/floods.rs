//! Hostile floods from one address against a real `banter-cli serve`, while two honest people chat.
//!
//! The host runs with the usual desktop limit of 1,024 open files (`prlimit`), on 127.0.0.1. Each flood comes
//! from an address of its own in 127.0.0.2–6 (all of 127.0.0.0/8 is this machine), so that the per-address
//! limits hold it and not the honest pair on 127.0.0.1. Each has hundreds of connections: handshakes that never
//! join, idle joined sessions, headers sent a byte at a time, huge headers, and more connections than files.
//! Then a crowd of idle sessions from a dozen addresses comes and goes. The test checks that every flood is held
//! to its limit, that the honest pair loses nothing, and that the host's memory comes back once the floods end;
//! it prints the host's peak memory and the pair's latencies (measured, not asserted).

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use banter_core::client::{wait_until_connected, Client, ClientConfig, ClientEvent, ConnectionState};
use futures_util::{SinkExt, StreamExt};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Every flood ends by this long after it began, whatever the host does.
const FLOOD_LIMIT: Duration = Duration::from_secs(20);

/// Opens a TCP connection to the host from `from`.
async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

/// Sends one request on a fresh connection and returns the status of the answer (0 if there was none).
async fn status_of(from: IpAddr, to: SocketAddr, request: &[u8]) -> u16 {
    let Ok(mut stream) = connect_from(from, to).await else { return 0 };
    if stream.write_all(request).await.is_err() {
        return 0;
    }
    let mut head = vec![0u8; 64];
    match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut head)).await {
        Ok(Ok(read)) if read >= 12 => std::str::from_utf8(&head[9..12]).ok().and_then(|s| s.parse().ok()).unwrap_or(0),
        _ => 0,
    }
}

/// The host's resident memory now and at its peak, in KiB.
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Two honest people on 127.0.0.1: one says something every 150 ms (within the request budget), the other
/// measures how long each message took to reach them.
struct HonestPair {
    speaker: Client,
    listener: Client,
    heard: Arc<std::sync::Mutex<Vec<Duration>>>,
    said: Arc<AtomicUsize>,
    tasks: [tokio::task::JoinHandle<()>; 2],
}

fn honest_config(address: &str, name: &str) -> ClientConfig {
    let mut config = ClientConfig::new(address, name);
    config.user_key = Some(format!("{name}-honest-key-0001"));
    config
}

impl HonestPair {
    async fn start(address: &str) -> HonestPair {
        let (listener, mut heard_events) = Client::connect(honest_config(address, "bob")).unwrap();
        assert!(wait_until_connected(&mut heard_events, WAIT).await.0.is_ok());
        let (speaker, mut spoken) = Client::connect(honest_config(address, "ann")).unwrap();
        assert!(wait_until_connected(&mut spoken, WAIT).await.0.is_ok());
        let started = Instant::now();
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hearing = {
            let heard = Arc::clone(&heard);
            tokio::spawn(async move {
                while let Some(event) = heard_events.recv().await {
                    // Live, or caught up after a reconnect (which a loaded machine can cause): heard either way.
                    let messages = match event {
                        ClientEvent::Message(message) => vec![message],
                        ClientEvent::MissedMessages { messages, .. } => messages,
                        ClientEvent::State(ConnectionState::Reconnecting { reason, .. }) => {
                            println!("the honest listener reconnects: {reason}");
                            continue;
                        }
                        _ => continue,
                    };
                    for message in messages {
                        let Some(at) = message.text.strip_prefix("at ").and_then(|micros| micros.parse().ok()) else {
                            continue;
                        };
                        heard.lock().unwrap().push(started.elapsed().saturating_sub(Duration::from_micros(at)));
                    }
                }
            })
        };
        let said = Arc::new(AtomicUsize::new(0));
        let talking = {
            let (speaker, said) = (speaker.clone(), Arc::clone(&said));
            tokio::spawn(async move {
                let _spoken = spoken;
                loop {
                    let text = format!("at {}", started.elapsed().as_micros());
                    speaker.send_message("lobby", &text).await.unwrap();
                    said.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
            })
        };
        HonestPair { speaker, listener, heard, said, tasks: [hearing, talking] }
    }

    /// Stops talking, waits until everything said was heard, and returns the latencies.
    async fn finish(self) -> Vec<Duration> {
        self.tasks[1].abort();
        self.speaker.flush().await.unwrap();
        let said = self.said.load(Ordering::Relaxed);
        let deadline = Instant::now() + WAIT;
        while self.heard.lock().unwrap().len() < said && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.tasks[0].abort();
        self.speaker.close().await;
        self.listener.close().await;
        let heard = self.heard.lock().unwrap().clone();
        assert_eq!(heard.len(), said, "every message the honest speaker said was heard, once");
        heard
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// Polling handshakes that never join, as fast as eight connections can ask. Returns (accepted, refused).
async fn handshake_flood(from: IpAddr, to: SocketAddr, length: Duration) -> (usize, usize) {
    let request = format!("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {to}\r\n\r\n");
    let until = Instant::now() + length;
    let workers = (0..8).map(|_| {
        let request = request.clone();
        tokio::spawn(async move {
            let (mut accepted, mut refused) = (0, 0);
            while Instant::now() < until {
                match status_of(from, to, request.as_bytes()).await {
                    200 => accepted += 1,
                    429 | 503 => refused += 1,
                    other => panic!("a handshake was answered {other}"),
                }
            }
            (accepted, refused)
        })
    });
    let mut totals = (0, 0);
    for worker in workers.collect::<Vec<_>>() {
        let (accepted, refused) = worker.await.unwrap();
        totals = (totals.0 + accepted, totals.1 + refused);
    }
    totals
}

/// Opens a WebSocket session from `from` and joins the chat namespace as a tutorial page would, then holds it.
async fn joined_session(from: IpAddr, to: SocketAddr) -> Option<tokio_tungstenite::WebSocketStream<TcpStream>> {
    let stream = connect_from(from, to).await.ok()?;
    let url = format!("ws://{to}/socket.io/?EIO=4&transport=websocket");
    let (mut socket, _) = tokio_tungstenite::client_async(url, stream).await.ok()?;
    socket.next().await?.ok()?;
    socket.send(WsMessage::text("40")).await.ok()?;
    loop {
        match socket.next().await?.ok()? {
            WsMessage::Text(text) if text.starts_with("40") => return Some(socket),
            WsMessage::Text(text) if text.starts_with("44") => return None,
            _ => {}
        }
    }
}

/// Sessions that join and then sit idle, `count` of them from one address. Returns the ones held.
async fn idle_sessions(
    from: IpAddr,
    to: SocketAddr,
    count: usize,
) -> Vec<tokio_tungstenite::WebSocketStream<TcpStream>> {
    let opening: Vec<_> = (0..count).map(|_| tokio::spawn(joined_session(from, to))).collect();
    let mut held = Vec::new();
    for session in opening {
        if let Some(socket) = session.await.unwrap() {
            held.push(socket);
        }
    }
    held
}

/// `count` connections from one address that send a request's headers a byte every 500 ms. Returns how many
/// were refused at once and how long the host took to close the last of the others.
async fn slow_headers(from: IpAddr, to: SocketAddr, count: usize) -> (usize, Duration) {
    let started = Instant::now();
    let connections: Vec<_> = (0..count)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = connect_from(from, to).await.unwrap();
                stream.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
                let mut answer = Vec::new();
                loop {
                    tokio::select! {
                        read = stream.read_buf(&mut answer) => match read {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        },
                        () = tokio::time::sleep(Duration::from_millis(500)) => {
                            if stream.write_all(b"x").await.is_err() {
                                break;
                            }
                        }
                    }
                    assert!(started.elapsed() < FLOOD_LIMIT, "the host held a slow request for {FLOOD_LIMIT:?}");
                }
                (answer.starts_with(b"HTTP/1.1 503"), started.elapsed())
            })
        })
        .collect();
    let (mut refused, mut last_closed) = (0, Duration::ZERO);
    for connection in connections {
        let (was_refused, closed_after) = connection.await.unwrap();
        if was_refused {
            refused += 1;
        } else {
            last_closed = last_closed.max(closed_after);
        }
    }
    (refused, last_closed)
}

/// `count` connections from one address that each send 64 KiB of headers. Returns the statuses they got.
async fn huge_headers(from: IpAddr, to: SocketAddr, count: usize) -> std::collections::BTreeMap<u16, usize> {
    let filler = "a".repeat(64 * 1024);
    let request = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: {filler}\r\n\r\n");
    let answers: Vec<_> = (0..count)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move { status_of(from, to, request.as_bytes()).await })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for answer in answers {
        *statuses.entry(answer.await.unwrap()).or_insert(0) += 1;
    }
    statuses
}

async fn health(to: SocketAddr) -> u16 {
    status_of(IpAddr::V4(Ipv4Addr::LOCALHOST), to, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_from_one_address_are_held_to_their_limits_while_others_chat() {
    let home = Home::new();
    let log = home.path().join("host.log");
    let mut command = banter_cli_with_open_files(&home, 1024);
    command.env("BANTER_LOG", "info").stderr(Stdio::from(std::fs::File::create(&log).unwrap()));
    let served = Served::start_command(command, home, &["--ephemeral"]).await;
    let pid = served.child.id().unwrap();
    let address: SocketAddr = served.address.parse().unwrap();
    let honest = HonestPair::start(&served.address).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = memory_of(pid);

    // Four floods at once, each from an address of its own.
    let started = Instant::now();
    let flooder = |last: u8| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last));
    let (handshakes, idle, slow, huge) = tokio::join!(
        handshake_flood(flooder(2), address, Duration::from_secs(3)),
        idle_sessions(flooder(3), address, 300),
        slow_headers(flooder(4), address, 300),
        huge_headers(flooder(5), address, 300),
    );
    let flooding = started.elapsed();
    let (during, _) = memory_of(pid);
    assert_eq!(health(address).await, 200, "the host answers others during the floods");

    // Handshakes: the burst (64) and then 16 a second, and never more than 64 waiting to join.
    let allowed = 64 + 16 * (flooding.as_secs() as usize + 1);
    println!("handshake flood: {} accepted, {} refused in {flooding:.1?}", handshakes.0, handshakes.1);
    assert!(handshakes.0 <= allowed && handshakes.1 > 0, "{handshakes:?}");
    // Idle sessions: as many as the handshake budget allows.
    println!("idle sessions: {} of 300 held", idle.len());
    assert!(idle.len() >= 64 && idle.len() <= allowed, "{}", idle.len());
    // Slow headers: 256 connections held from one address at most, each closed after the 10 s header timeout.
    println!("slow headers: {} refused at once, the others closed after {:.1?}", slow.0, slow.1);
    assert!(slow.0 >= 300 - 256, "{slow:?}");
    assert!(slow.1 >= Duration::from_secs(9) && slow.1 < Duration::from_secs(16), "{slow:?}");
    // Huge headers: refused as too large (431), or at once when the address already has its 256.
    println!("huge headers: {huge:?}");
    assert_eq!(huge.iter().filter(|(status, _)| ![431, 503].contains(*status)).count(), 0, "{huge:?}");
    drop(idle);

    // More connections than the host has files: one address holds 256, the others are refused, and the host
    // still answers and admits an honest newcomer.
    let mut held = Vec::new();
    for _ in 0..1100 {
        if let Ok(stream) = connect_from(flooder(6), address).await {
            held.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut open = 0;
    for stream in &mut held {
        let mut byte = [0u8; 1];
        // A refused connection has its 503 waiting; a held one has nothing to read yet.
        if tokio::time::timeout(Duration::from_millis(2), stream.peek(&mut byte)).await.is_err() {
            open += 1;
        }
    }
    println!("1100 connections from one address: {open} held open");
    assert!(open <= 256, "{open}");
    assert_eq!(health(address).await, 200, "the host answers while one address holds its connections");
    let (newcomer, mut newcomer_events) = Client::connect(honest_config(&served.address, "cy")).unwrap();
    assert!(wait_until_connected(&mut newcomer_events, WAIT).await.0.is_ok(), "an honest newcomer is admitted");
    newcomer.close().await;
    drop(held);

    // A crowd: a dozen addresses with 64 idle sessions each, which the limits admit, then all of them leave.
    let crowd: Vec<_> = (10..22).map(|last| tokio::spawn(idle_sessions(flooder(last), address, 64))).collect();
    let mut crowd_sessions = Vec::new();
    for addresses_sessions in crowd {
        crowd_sessions.extend(addresses_sessions.await.unwrap());
    }
    let (with_crowd, _) = memory_of(pid);
    println!("crowd: {} idle sessions from 12 addresses, host at {} MiB", crowd_sessions.len(), with_crowd / 1024);
    assert!(crowd_sessions.len() >= 12 * 60, "{}", crowd_sessions.len());
    drop(crowd_sessions);

    // Memory comes back once the floods end.
    let (_, peak) = memory_of(pid);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut after = memory_of(pid).0;
    while after > before + 8 * 1024 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = memory_of(pid).0;
    }
    let latencies = {
        let mut latencies = honest.finish().await;
        latencies.sort();
        latencies
    };
    println!(
        "host memory: {} MiB before, {} MiB at the end of the floods, {} MiB with the crowd, {} MiB peak, {} MiB \
         after",
        before / 1024,
        during / 1024,
        with_crowd / 1024,
        peak / 1024,
        after / 1024
    );
    println!(
        "honest pair: {} messages, p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );
    assert!(after <= before + 16 * 1024, "memory went back near its start: {before} KiB before, {after} KiB after");

    // Thousands of refusals, a few lines: each address's refusals are summarised.
    let text = std::fs::read_to_string(&log).unwrap();
    let refusal_lines = text.lines().filter(|line| line.contains("refused")).count();
    println!("log: {refusal_lines} lines about refusals");
    assert!(refusal_lines < 60, "refusals are summarised, not repeated: {refusal_lines} lines");
}
