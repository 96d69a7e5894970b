//! One generator session: a WebSocket-only Socket.IO v4 connection over tokio-tungstenite.
//!
//! The generator runs on a current-thread runtime pinned to its own core, so sessions are `!Send` local tasks that
//! share their counters through `Rc<RefCell<…>>` without any lock.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::wire::{self, Frame};

pub type Ws = WebSocketStream<TcpStream>;

/// Opens a session and joins the main namespace: as a Banter client when `name` is given, as a tutorial-style
/// client otherwise. Fails if the server refuses or does not answer within `timeout`.
pub async fn connect(address: SocketAddr, name: Option<&str>, timeout: Duration) -> anyhow::Result<Ws> {
    tokio::time::timeout(timeout, connect_inner(address, name))
        .await
        .map_err(|_| anyhow!("no Socket.IO session within {timeout:?}"))?
}

async fn connect_inner(address: SocketAddr, name: Option<&str>) -> anyhow::Result<Ws> {
    let stream = TcpStream::connect(address).await.context("TCP connect")?;
    stream.set_nodelay(true)?;
    // The generator's sockets are closed with a reset rather than left in TIME_WAIT: tens of thousands of them
    // per run would otherwise exhaust the loopback's ephemeral ports across runs.
    stream.set_zero_linger()?;
    let config = WebSocketConfig::default();
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(wire::session_url(address), stream, Some(config))
        .await
        .context("WebSocket upgrade")?;
    let mut sent_connect = false;
    while let Some(frame) = ws.next().await {
        let Message::Text(text) = frame.context("reading the handshake")? else { continue };
        match wire::classify(text.as_bytes()) {
            Frame::Open if !sent_connect => {
                ws.send(Message::text(wire::connect(name))).await?;
                sent_connect = true;
            }
            Frame::Connected => return Ok(ws),
            Frame::ConnectError => bail!("the server refused the session: {}", text.as_str()),
            Frame::Ping => ws.send(Message::text("3")).await?,
            _ => {}
        }
    }
    bail!("the server closed the connection during the handshake")
}

/// Sends `room:join` and waits for its ack, answering pings and skipping notices meanwhile. A host drops packets
/// to a socket whose queue is full (socketioxide's buffer), and while hundreds of sessions join at once their
/// notices can fill it, an ack included; joining again is harmless, so the join is asked again, each time with a
/// new ack id, up to `attempts` times.
pub async fn join_room(ws: &mut Ws, room: &str, timeout: Duration, attempts: u64) -> anyhow::Result<()> {
    let mut packet = String::new();
    for ack_id in 0..attempts {
        wire::emit_with_ack(&mut packet, ack_id, "room:join", &wire::room_payload(room));
        ws.send(Message::text(packet.as_str())).await?;
        let wait = async {
            while let Some(frame) = ws.next().await {
                let Message::Text(text) = frame? else { continue };
                match wire::classify(text.as_bytes()) {
                    Frame::Ack { id, error: false } if id == ack_id => return Ok(()),
                    Frame::Ack { id, error: true } if id == ack_id => {
                        bail!("room:join refused: {}", text.as_str())
                    }
                    Frame::Ping => ws.send(Message::text("3")).await?,
                    Frame::Close => break,
                    _ => {}
                }
            }
            bail!("the server closed the connection before acknowledging room:join")
        };
        if let Ok(outcome) = tokio::time::timeout(timeout, wait).await {
            return outcome;
        }
        tracing::debug!(room, ack_id, "no room:join ack; asking again");
    }
    bail!("no room:join ack after {attempts} attempts of {timeout:?}")
}

/// Reads until the connection closes, answering pings and handing every other frame to `on_frame`.
pub async fn read_until_closed(ws: &mut Ws, mut on_frame: impl FnMut(Frame)) {
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else { continue };
        match wire::classify(text.as_bytes()) {
            Frame::Ping => {
                if ws.send(Message::text("3")).await.is_err() {
                    return;
                }
            }
            Frame::Close => return,
            frame => on_frame(frame),
        }
    }
}
