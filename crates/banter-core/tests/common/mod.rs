//! Shared helpers for the engine's integration tests: a real host on 127.0.0.1:0, real clients, and bounded waits.
#![allow(dead_code, clippy::unwrap_used)]

pub mod proxy;
pub mod uploads;
pub mod valkey;

use std::net::SocketAddr;
use std::time::Duration;

use banter_core::client::{Client, ClientConfig, ClientEvent, ClientEvents, ConnectionState, ServerKind};
use banter_core::host::{self, HostConfig, HostHandle};
use banter_core::limits::Limits;
use futures_util::FutureExt;
use rust_socketio::asynchronous::{Client as SocketClient, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How long any single expectation may wait. Generous for a loaded 2-core CI machine; a passing test never waits
/// this long.
pub const WAIT: Duration = Duration::from_secs(10);

/// A host for a test, alone or (with `BANTER_TEST_BACKEND=cluster`) the one host of a cluster on a redis-server
/// of its own: `make test` runs the host's suites both ways, so that a cluster's host is held to everything a host
/// alone does.
pub struct TestHost {
    handle: HostHandle,
    _server: Option<valkey::Valkey>,
}

impl std::ops::Deref for TestHost {
    type Target = HostHandle;

    fn deref(&self) -> &HostHandle {
        &self.handle
    }
}

impl TestHost {
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.handle.shutdown().await
    }
}

/// Whether this run holds the host's suites to a cluster's host.
pub fn testing_a_cluster() -> bool {
    std::env::var("BANTER_TEST_BACKEND").is_ok_and(|backend| backend == "cluster")
}

pub async fn start_host() -> TestHost {
    start_host_with(Limits::default()).await
}

pub async fn start_host_with(limits: Limits) -> TestHost {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = if testing_a_cluster() { Some(valkey::Valkey::start(&[]).await) } else { None };
    let config = HostConfig {
        limits,
        admin_token: Some("test-admin-token".into()),
        cluster: server.as_ref().map(valkey::Valkey::url),
        ..HostConfig::default()
    };
    TestHost { handle: host::spawn(listener, config).await.unwrap(), _server: server }
}

/// Starts a host on a given address (to restart one where its clients expect it), keeping nothing.
pub async fn start_host_at(address: SocketAddr) -> HostHandle {
    let listener = TcpListener::bind(address).await.unwrap();
    host::spawn(listener, HostConfig::default()).await.unwrap()
}

/// Starts a host that keeps its data in `folder`, on `address` if given (to restart one where its clients
/// expect it).
pub async fn start_durable_host(folder: &std::path::Path, address: Option<SocketAddr>) -> HostHandle {
    let listener = TcpListener::bind(address.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())).await.unwrap();
    let config = HostConfig {
        admin_token: Some("test-admin-token".into()),
        location: banter_core::store::Location::Folder(folder.to_owned()),
        ..HostConfig::default()
    };
    host::spawn(listener, config).await.unwrap()
}

/// Starts one host of the cluster kept on `server` (`redis://…`), keeping files' bytes in memory.
pub async fn start_cluster_host(server: &str) -> HostHandle {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = HostConfig {
        admin_token: Some("test-admin-token".into()),
        cluster: Some(server.to_owned()),
        ..HostConfig::default()
    };
    host::spawn(listener, config).await.unwrap()
}

pub fn fast_config(address: SocketAddr, name: &str) -> ClientConfig {
    let mut config = ClientConfig::new(address.to_string(), name);
    config.backoff_min = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(300);
    config.ping_interval = Duration::from_secs(1);
    config.request_timeout = Duration::from_secs(3);
    config
}

/// A Banter client that has connected and been welcomed.
pub async fn join(address: SocketAddr, name: &str) -> (Client, ClientEvents) {
    join_with(fast_config(address, name)).await
}

pub async fn join_with(config: ClientConfig) -> (Client, ClientEvents) {
    let (client, mut events) = Client::connect(config).unwrap();
    expect(&mut events, |event| {
        matches!(event, ClientEvent::State(ConnectionState::Connected { server: ServerKind::Banter })).then_some(())
    })
    .await;
    (client, events)
}

/// Waits for the first event `pick` accepts, skipping the others; panics with what was seen after [`WAIT`].
pub async fn expect<T>(events: &mut ClientEvents, mut pick: impl FnMut(&ClientEvent) -> Option<T>) -> T {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
                seen.push(event);
            }
            Ok(None) => panic!("the event stream ended; seen: {seen:#?}"),
            Err(_) => panic!("timed out; seen: {seen:#?}"),
        }
    }
}

/// Asserts that no event `pick` accepts arrives within `window`.
pub async fn expect_none(events: &mut ClientEvents, window: Duration, mut pick: impl FnMut(&ClientEvent) -> bool) {
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        assert!(!pick(&event), "unexpected event: {event:#?}");
    }
}

/// A message event with this text.
pub fn message_with_text(text: &str) -> impl FnMut(&ClientEvent) -> Option<banter_core::protocol::Message> + '_ {
    move |event| match event {
        ClientEvent::Message(message) if message.text == text => Some(message.clone()),
        _ => None,
    }
}

/// A bare rust_socketio socket, as a third-party client would use it: every event arrives as (name, args).
pub struct RawSocket {
    pub socket: SocketClient,
    pub events: mpsc::UnboundedReceiver<(String, Vec<Value>)>,
}

impl RawSocket {
    /// Connects with an optional auth payload and waits for the namespace to accept (or reports the refusal).
    pub async fn connect(address: SocketAddr, namespace: &str, auth: Option<Value>) -> Result<RawSocket, String> {
        let (sender, events) = mpsc::unbounded_channel();
        let forward = |sender: mpsc::UnboundedSender<(String, Vec<Value>)>| {
            move |event: Event, payload: Payload, _: SocketClient| {
                let values = match payload {
                    Payload::Text(values) => values,
                    Payload::Binary(bytes) => vec![Value::from(bytes.to_vec())],
                    #[allow(deprecated)]
                    Payload::String(text) => vec![Value::String(text)],
                };
                let _ = sender.send((String::from(event), values));
                async {}.boxed()
            }
        };
        let mut builder = ClientBuilder::new(format!("http://{address}/"))
            .namespace(namespace)
            .transport_type(TransportType::Websocket)
            .reconnect(false)
            .on_any(forward(sender.clone()));
        for special in [Event::Connect, Event::Error, Event::Close] {
            let handler = forward(sender.clone());
            let name = special.clone();
            builder = builder.on(special, move |payload, socket| handler(name.clone(), payload, socket));
        }
        if let Some(auth) = auth {
            builder = builder.auth(auth);
        }
        let socket = builder.connect().await.map_err(|error| error.to_string())?;
        let mut raw = RawSocket { socket, events };
        match raw.next_named(&["open", "error"]).await {
            (name, _) if name == "open" => Ok(raw),
            (_, args) => Err(args.first().map(|value| value.to_string()).unwrap_or_default()),
        }
    }

    /// The next event with one of these names.
    pub async fn next_named(&mut self, names: &[&str]) -> (String, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, args))) if names.contains(&name.as_str()) => return (name, args),
                Ok(Some(_)) => continue,
                Ok(None) => panic!("raw socket closed while waiting for {names:?}"),
                Err(_) => panic!("timed out waiting for {names:?}"),
            }
        }
    }

    /// Sends a request and returns its ack's first argument.
    pub async fn request(&self, event: &str, data: impl Into<Payload>) -> Value {
        let (sender, mut answer) = mpsc::unbounded_channel();
        let callback = move |payload: Payload, _: SocketClient| {
            let value = match payload {
                // rust_socketio hands an ack's arguments over as one JSON array.
                Payload::Text(mut values) if !values.is_empty() => match values.remove(0) {
                    Value::Array(mut arguments) if !arguments.is_empty() => arguments.remove(0),
                    other => other,
                },
                other => Value::String(format!("{other:?}")),
            };
            let _ = sender.send(value);
            async {}.boxed()
        };
        self.socket.emit_with_ack(event, data, WAIT, callback).await.unwrap();
        tokio::time::timeout(WAIT, answer.recv()).await.expect("ack in time").expect("an ack")
    }

    pub async fn emit(&self, event: &str, data: impl Into<Payload>) {
        self.socket.emit(event, data).await.unwrap();
    }
}

/// The auth a Banter client sends.
pub fn banter_auth(name: &str, key: &str) -> Value {
    serde_json::json!({ "name": name, "userKey": key, "protocol": 1 })
}

/// Up to 10,000 of a room's kept messages, oldest first, read from the host's store.
pub async fn kept_messages(host: &HostHandle, room: &str) -> Vec<banter_core::protocol::Message> {
    let key = banter_core::validate::room_key(room);
    let page = host.hub().store().room_page(&key, banter_core::store::PageRequest::Latest, 10_000).await.unwrap();
    page.map(|page| page.messages).unwrap_or_default()
}
