//! The ceiling: a broadcast server on raw tokio-tungstenite, with no Socket.IO library.
//!
//! It answers just enough of the wire format for the generator's sessions (the open packet, CONNECT, `room:join`,
//! `message:send` and their acks) and fans each message out as one shared frame to every member of the room,
//! through the same kind of per-connection queue and write batching socketioxide uses. It assigns no ids, keeps no
//! history and checks nothing: the least work that puts the same bytes on the wire, so no chat server on this
//! machine can do better.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Frames waiting to be written to one connection; past it, frames to that connection are dropped (socketioxide's
/// default buffer is the same size).
const QUEUE: usize = 1024;

/// Each room's members: connection id and queue.
type Members = HashMap<String, Vec<(u64, mpsc::Sender<Utf8Bytes>)>>;
type Rooms = Arc<Mutex<Members>>;

pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let rooms: Rooms = Arc::default();
    let ids = Arc::new(AtomicU64::new(1));
    loop {
        let (stream, _) = listener.accept().await?;
        let (rooms, id) = (rooms.clone(), ids.fetch_add(1, Ordering::Relaxed));
        tokio::spawn(async move {
            if let Err(error) = connection(stream, id, &rooms).await {
                tracing::debug!(%error, "ceiling connection ended");
            }
            for members in rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).values_mut() {
                members.retain(|(member, _)| *member != id);
            }
        });
    }
}

async fn connection(stream: TcpStream, id: u64, rooms: &Rooms) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let ws = tokio_tungstenite::accept_async(stream).await?;
    let (mut sink, mut source) = ws.split();
    let (queue, mut queued) = mpsc::channel::<Utf8Bytes>(QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(frame) = queued.recv().await {
            sink.feed(Message::Text(frame)).await?;
            while let Ok(frame) = queued.try_recv() {
                sink.feed(Message::Text(frame)).await?;
            }
            sink.flush().await?;
        }
        anyhow::Ok(())
    });
    let open = r#"0{"sid":"ceiling","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    queue.send(open.into()).await?;
    while let Some(message) = source.next().await {
        let Message::Text(text) = message? else { continue };
        let text = text.as_str();
        if text.starts_with("40") {
            queue.send(format!(r#"40{{"sid":"c{id}"}}"#).into()).await?;
            continue;
        }
        let Some(rest) = text.strip_prefix("42") else { continue };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (ack_id, body) = rest.split_at(digits);
        let ack: Utf8Bytes = format!(r#"43{ack_id}[{{"data":{{}}}}]"#).into();
        if let Some(payload) = body.strip_prefix(r#"["room:join","#) {
            if let Some(room) = room_of(payload) {
                lock(rooms).entry(room.to_owned()).or_default().push((id, queue.clone()));
            }
            queue.send(ack).await?;
        } else if let Some(payload) = body.strip_prefix(r#"["message:send","#) {
            let frame: Utf8Bytes = format!(r#"42["message:new",{payload}"#).into();
            if let Some(room) = room_of(payload) {
                // try_send never waits, so the lock is held for the fan-out only; a full queue drops the frame,
                // as socketioxide's does.
                if let Some(members) = lock(rooms).get(room) {
                    for (_, member) in members {
                        let _ = member.try_send(frame.clone());
                    }
                }
            }
            queue.send(ack).await?;
        }
    }
    drop(queue);
    writer.abort();
    Ok(())
}

fn lock(rooms: &Rooms) -> std::sync::MutexGuard<'_, Members> {
    rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The `room` field of a payload, found by its key rather than parsed.
fn room_of(payload: &str) -> Option<&str> {
    let start = payload.find(r#""room":""#)? + r#""room":""#.len();
    let end = start + payload[start..].find('"')?;
    Some(&payload[start..end])
}
