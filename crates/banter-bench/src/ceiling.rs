//! The ceiling: a broadcast server on raw tokio-tungstenite, with no Socket.IO library.
//!
//! It answers just enough of the wire format for the generator's sessions (the open packet, CONNECT, `room:join`,
//! `message:send` and their acks) and fans each message out as one shared frame to every member of the room,
//! through the same kind of per-connection queue and write batching socketioxide uses. The frame has the shape
//! and size of the Banter host's `message:new` (id, room, seq, ts, from, text) and the ack carries the message, so
//! the same bytes cross the wire; but it keeps no history, checks nothing and parses no JSON: the least work that
//! does that, so no chat server on this machine can do better.

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

/// A room: its members (connection id and queue) and the last sequence number given out.
#[derive(Debug, Default)]
struct Room {
    members: Vec<(u64, mpsc::Sender<Utf8Bytes>)>,
    seq: u64,
}
type Members = HashMap<String, Room>;
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
            for room in lock(&rooms).values_mut() {
                room.members.retain(|(member, _)| *member != id);
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
    let mut name = String::from("guest");
    while let Some(message) = source.next().await {
        let Message::Text(text) = message? else { continue };
        let text = text.as_str();
        if let Some(auth) = text.strip_prefix("40") {
            if let Some(given) = field(auth, "name") {
                given.clone_into(&mut name);
            }
            queue.send(format!(r#"40{{"sid":"c{id}"}}"#).into()).await?;
            continue;
        }
        let Some(rest) = text.strip_prefix("42") else { continue };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (ack_id, body) = rest.split_at(digits);
        if let Some(payload) = body.strip_prefix(r#"["room:join","#) {
            if let Some(room) = field(payload, "room") {
                let mut rooms = lock(rooms);
                let members = &mut rooms.entry(room.to_owned()).or_default().members;
                // A join asked again (its ack was lost) does not make the connection a member twice.
                if !members.iter().any(|(member, _)| *member == id) {
                    members.push((id, queue.clone()));
                }
            }
            queue.send(format!(r#"43{ack_id}[{{"data":{{}}}}]"#).into()).await?;
        } else if let Some(payload) = body.strip_prefix(r#"["message:send","#) {
            // `payload` is `{…}]`: the message is the payload with the host's fields in front.
            let Some(fields) = payload.strip_prefix('{').and_then(|rest| rest.strip_suffix(']')) else { continue };
            let Some(room) = field(payload, "room") else { continue };
            let message = {
                let mut rooms = lock(rooms);
                let Some(room) = rooms.get_mut(room) else { continue };
                room.seq += 1;
                let ts =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |now| now.as_millis());
                let message = format!(
                    r#"{{"id":"{:016x}","seq":{},"ts":{ts},"from":"{name}",{fields}"#,
                    room.seq.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    room.seq
                );
                let frame: Utf8Bytes = format!(r#"42["message:new",{message}]"#).into();
                // try_send never waits, so the lock is held for the fan-out only; a full queue drops the frame,
                // as socketioxide's does.
                for (_, member) in &room.members {
                    let _ = member.try_send(frame.clone());
                }
                message
            };
            queue.send(format!(r#"43{ack_id}[{{"data":{message}}}]"#).into()).await?;
        }
    }
    drop(queue);
    writer.abort();
    Ok(())
}

fn lock(rooms: &Rooms) -> std::sync::MutexGuard<'_, Members> {
    rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A string field of a JSON object, found by its key rather than parsed (the generator's payloads hold no escapes).
fn field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let opening = format!(r#""{key}":""#);
    let start = json.find(&opening)? + opening.len();
    let end = start + json[start..].find('"')?;
    Some(&json[start..end])
}
