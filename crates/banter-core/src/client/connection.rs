//! One rust_socketio connection, with its callbacks reduced to forwarding into a channel.
//!
//! rust_socketio runs callbacks while holding its own lock, so they do nothing but forward; all the work happens
//! in the supervisor, which reads the channel.

use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use rust_socketio::asynchronous::{Client as SocketClient, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::Value;
use tokio::sync::mpsc;
use url::Url;

use crate::protocol::{ErrorBody, ErrorKind, CHAT_NAMESPACE};

/// What the connection reports, in the order it happened.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// The namespace accepted the socket.
    Open,
    /// The server closed the socket.
    Close,
    /// A transport error, or the namespace refused the socket (the text then starts with rust_socketio's
    /// "Received an ConnectError frame: ").
    Error(String),
    Event {
        name: String,
        args: Vec<Value>,
    },
    /// The answer to request `sequence`.
    Ack {
        sequence: u64,
        payload: Option<Value>,
    },
}

/// Why a connection attempt failed.
#[derive(Debug)]
pub(crate) enum OpenFailure {
    /// The server refused this client: retrying would not help.
    Refused(ErrorBody),
    /// The server could not be reached or did not answer: retrying may help.
    Transient(String),
}

pub(crate) struct Connection {
    socket: SocketClient,
    incoming: mpsc::Receiver<Incoming>,
    forward: mpsc::Sender<Incoming>,
    /// The longest any write may take: a host that vanished with a full TCP buffer must not freeze the client.
    write_timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Connection").finish_non_exhaustive()
    }
}

const CONNECT_ERROR_PREFIX: &str = "Received an ConnectError frame: ";

fn forward(sender: &mpsc::Sender<Incoming>, incoming: Incoming) -> futures_util::future::BoxFuture<'static, ()> {
    let sender = sender.clone();
    async move {
        if sender.send(incoming).await.is_err() {
            tracing::trace!("connection event after the supervisor stopped listening");
        }
    }
    .boxed()
}

fn payload_values(payload: Payload) -> Vec<Value> {
    match payload {
        Payload::Text(values) => values,
        Payload::Binary(bytes) => vec![Value::from(bytes.to_vec())],
        #[allow(deprecated)]
        Payload::String(text) => vec![Value::String(text)],
    }
}

/// Reads the refusal out of a connect error: the host sends `{"message": "kind: text"}`; other servers send
/// whatever they like, which becomes a `forbidden` refusal with their text.
fn parse_refusal(raw: &str) -> ErrorBody {
    let message = serde_json::from_str::<Value>(raw)
        .ok()
        .and_then(|value| value.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| raw.trim_matches('"').to_owned());
    parse_refusal_message(&message)
}

/// Splits a refusal message of the form `kind: text`; text without a known kind becomes a `forbidden` refusal.
pub(crate) fn parse_refusal_message(message: &str) -> ErrorBody {
    match message.split_once(": ").and_then(|(kind, text)| ErrorKind::parse(kind).map(|kind| (kind, text))) {
        Some((kind, text)) => ErrorBody::new(kind, text),
        None => ErrorBody::new(ErrorKind::Forbidden, message),
    }
}

impl Connection {
    /// Connects over WebSocket and waits until the namespace accepts or refuses the socket.
    pub(crate) async fn open(url: &Url, auth: Value, timeout: Duration) -> Result<Connection, OpenFailure> {
        let (sender, mut incoming) = mpsc::channel(1024);
        let builder = ClientBuilder::new(url.as_str())
            .namespace(CHAT_NAMESPACE)
            .auth(auth)
            .transport_type(TransportType::Websocket)
            .reconnect(false)
            .on(Event::Connect, {
                let sender = sender.clone();
                move |_, _| forward(&sender, Incoming::Open)
            })
            .on(Event::Close, {
                let sender = sender.clone();
                move |_, _| forward(&sender, Incoming::Close)
            })
            .on(Event::Error, {
                let sender = sender.clone();
                move |payload, _| {
                    let text = payload_values(payload)
                        .first()
                        .map(|value| value.as_str().map_or_else(|| value.to_string(), str::to_owned))
                        .unwrap_or_default();
                    forward(&sender, Incoming::Error(text))
                }
            })
            .on_any({
                let sender = sender.clone();
                move |event, payload, _| {
                    forward(&sender, Incoming::Event { name: event.as_str().to_owned(), args: payload_values(payload) })
                }
            });
        let socket = match tokio::time::timeout(timeout, builder.connect()).await {
            Ok(Ok(socket)) => socket,
            Ok(Err(error)) => return Err(OpenFailure::Transient(describe_transport_error(&error))),
            Err(_) => return Err(OpenFailure::Transient("the host did not answer in time".into())),
        };
        let accepted = tokio::time::timeout(timeout, async {
            loop {
                match incoming.recv().await {
                    Some(Incoming::Open) => return Ok(()),
                    Some(Incoming::Error(text)) => match text.strip_prefix(CONNECT_ERROR_PREFIX) {
                        // A host that cannot keep a new name now (a full disk) may later: that is worth a retry.
                        Some(raw) => {
                            let body = parse_refusal(raw);
                            return Err(match body.kind {
                                ErrorKind::StorageFull | ErrorKind::StorageUnavailable | ErrorKind::Internal => {
                                    OpenFailure::Transient(body.message)
                                }
                                _ => OpenFailure::Refused(body),
                            });
                        }
                        None => tracing::debug!(%text, "error while connecting"),
                    },
                    Some(Incoming::Close) | None => {
                        return Err(OpenFailure::Transient("the host closed the connection".into()))
                    }
                    Some(other) => tracing::debug!(?other, "ignored before the namespace accepted the socket"),
                }
            }
        })
        .await;
        let connection = Connection { socket, incoming, forward: sender, write_timeout: timeout };
        match accepted {
            Ok(Ok(())) => Ok(connection),
            Ok(Err(failure)) => {
                connection.disconnect().await;
                Err(failure)
            }
            Err(_) => {
                connection.disconnect().await;
                Err(OpenFailure::Transient(
                    "the host accepted the connection but not the chat namespace in time".into(),
                ))
            }
        }
    }

    /// The next thing the connection reports; `None` once rust_socketio has stopped.
    pub(crate) async fn next(&mut self) -> Option<Incoming> {
        self.incoming.recv().await
    }

    pub(crate) async fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), String> {
        self.bounded(self.socket.emit(event, Payload::Text(args))).await
    }

    pub(crate) async fn emit_binary(&self, event: &str, bytes: Bytes) -> Result<(), String> {
        self.bounded(self.socket.emit(event, Payload::Binary(bytes))).await
    }

    async fn bounded(
        &self,
        write: impl std::future::Future<Output = Result<(), rust_socketio::Error>>,
    ) -> Result<(), String> {
        match tokio::time::timeout(self.write_timeout, write).await {
            Ok(result) => result.map_err(|error| error.to_string()),
            Err(_) => Err("the host stopped reading".into()),
        }
    }

    /// Sends a request whose ack arrives later as [`Incoming::Ack`] with this `sequence`.
    pub(crate) async fn request(
        &self,
        event: &str,
        data: Value,
        sequence: u64,
        timeout: Duration,
    ) -> Result<(), String> {
        let sender = self.forward.clone();
        let callback = move |payload: Payload, _: SocketClient| {
            // rust_socketio hands an ack's arguments over as one JSON array; Banter acks have one argument.
            let first = payload_values(payload).into_iter().next().map(|value| match value {
                Value::Array(mut arguments) if !arguments.is_empty() => arguments.swap_remove(0),
                other => other,
            });
            forward(&sender, Incoming::Ack { sequence, payload: first })
        };
        self.bounded(self.socket.emit_with_ack(event, Payload::Text(vec![data]), timeout, callback)).await
    }

    pub(crate) async fn disconnect(self) {
        match tokio::time::timeout(self.write_timeout, self.socket.disconnect()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "disconnect of an already broken connection"),
            Err(_) => tracing::debug!("the host did not take the disconnect in time; dropping the connection"),
        }
    }
}

/// Words a user understands for the usual transport failures.
fn describe_transport_error(error: &rust_socketio::Error) -> String {
    // rust_socketio's own message is only "EngineIO Error"; the cause is further down the chain.
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    let lower = text.to_lowercase();
    if lower.contains("connection refused") {
        "connection refused: nothing is listening at that address and port".into()
    } else if lower.contains("failed to lookup") || lower.contains("dns") || lower.contains("name or service not known")
    {
        format!("the host name could not be resolved ({text})")
    } else if lower.contains("timed out") {
        "the host did not answer in time".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_their_kind() {
        let body = parse_refusal(r#"{"message":"name_taken: Someone here is already called “ann”."}"#);
        assert_eq!(body.kind, ErrorKind::NameTaken);
        assert!(body.message.starts_with("Someone"));
        let foreign = parse_refusal(r#"{"message":"not authorized"}"#);
        assert_eq!((foreign.kind, foreign.message.as_str()), (ErrorKind::Forbidden, "not authorized"));
    }
}
