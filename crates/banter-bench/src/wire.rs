//! The Socket.IO v4 wire format, as much of it as a load generator needs, written and read as plain strings.
//!
//! A WebSocket-only Socket.IO session is a sequence of text frames: the engine.io `0{…}` open packet from the
//! server, `40{auth}` / `40{"sid":…}` to join the main namespace, `2` / `3` for ping and pong, `42[…]` for events
//! and `43<id>[…]` for acks. Nothing here parses JSON: the receivers' hot path looks for one event name at the start
//! of a frame and one marker inside the message text.

use std::fmt::Write as _;

/// The path and query of a WebSocket-only engine.io v4 session.
pub fn session_url(address: std::net::SocketAddr) -> String {
    format!("ws://{address}/socket.io/?EIO=4&transport=websocket")
}

/// The namespace CONNECT packet with the handshake as auth: a Banter session (with `protocol`) or a tutorial-style
/// one (with nothing).
pub fn connect(name: Option<&str>) -> String {
    match name {
        Some(name) => format!(r#"40{{"name":"{name}","protocol":1}}"#),
        None => "40".to_owned(),
    }
}

/// An event that asks for an ack: `42<id>["event",{payload}]`.
pub fn emit_with_ack(out: &mut String, ack_id: u64, event: &str, payload: &str) {
    out.clear();
    // Writing into a String cannot fail.
    let _ = write!(out, r#"42{ack_id}["{event}",{payload}]"#);
}

/// A room request (`room:join`) payload.
pub fn room_payload(room: &str) -> String {
    format!(r#"{{"room":"{room}"}}"#)
}

/// The marker that opens a benchmark message's text: `~B<step>.<seq>.<micros>~`. `micros` is the send time the
/// schedule intended, in microseconds since the generator started, so that a late send is counted as late.
const MARKER: &[u8] = b"~B";

/// A `message:send` payload carrying the marker, padded with `x` to `text_bytes` when asked.
pub fn message_payload(out: &mut String, room: &str, step: u32, seq: u64, micros: u64, text_bytes: usize) {
    out.clear();
    let _ = write!(out, r#"{{"room":"{room}","text":""#);
    let text_start = out.len();
    let _ = write!(out, "~B{step}.{seq}.{micros}~");
    while out.len() - text_start < text_bytes {
        out.push('x');
    }
    out.push_str("\"}");
}

/// What a received frame is, as far as the generator cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// engine.io ping: answer `3`.
    Ping,
    /// The engine.io open packet.
    Open,
    /// The namespace accepted the session.
    Connected,
    /// The namespace refused the session.
    ConnectError,
    /// A benchmark message delivered by `message:new`.
    Delivery(Marker),
    /// An ack: whether it carries an error.
    Ack { id: u64, error: bool },
    /// Anything else: presence notices, room lists, welcomes.
    Other,
    /// The server asked to close (engine.io `1`, or a namespace DISCONNECT `41`).
    Close,
}

/// The fields of a benchmark message's marker, and the room's number of the message (its `seq`) where the server
/// gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub step: u32,
    pub seq: u64,
    pub micros: u64,
    pub room_seq: Option<u64>,
}

const MESSAGE_NEW: &[u8] = br#"42["message:new","#;

/// Classifies a text frame without parsing its JSON.
pub fn classify(frame: &[u8]) -> Frame {
    match frame {
        b"2" => Frame::Ping,
        b"1" => Frame::Close,
        [b'0', ..] => Frame::Open,
        [b'4', b'0', ..] => Frame::Connected,
        [b'4', b'1', ..] => Frame::Close,
        [b'4', b'4', ..] => Frame::ConnectError,
        [b'4', b'3', rest @ ..] => {
            let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
            let id = parse_u64(&rest[..digits]).unwrap_or(u64::MAX);
            // An error ack is `[{"error":…}]`; a successful one `[{"data":…}]`.
            let error = rest[digits..].starts_with(br#"[{"error""#);
            Frame::Ack { id, error }
        }
        _ if frame.starts_with(MESSAGE_NEW) => match find_marker(frame) {
            Some(marker) => Frame::Delivery(marker),
            None => Frame::Other,
        },
        _ => Frame::Other,
    }
}

/// Finds `~B<step>.<seq>.<micros>~` in a frame.
pub fn find_marker(frame: &[u8]) -> Option<Marker> {
    let start = memchr::memmem::find(frame, MARKER)? + MARKER.len();
    let mut fields = frame[start..].split(|byte| *byte == b'.' || *byte == b'~');
    let step = u32::try_from(parse_u64(fields.next()?)?).ok()?;
    let seq = parse_u64(fields.next()?)?;
    let micros = parse_u64(fields.next()?)?;
    // The message's own `"seq":`, which comes before its text (and so before the marker) in every server's frame.
    let room_seq = memchr::memmem::find(&frame[..start], br#""seq":"#).and_then(|at| {
        let digits = &frame[at + 6..];
        parse_u64(&digits[..digits.iter().take_while(|byte| byte.is_ascii_digit()).count()])
    });
    Some(Marker { step, seq, micros, room_seq })
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |value, byte| byte.is_ascii_digit().then(|| value * 10 + u64::from(byte - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_payload_round_trips_through_a_delivery() {
        let mut payload = String::new();
        message_payload(&mut payload, "bench", 3, 41, 1_234_567, 64);
        let text: serde_json::Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(text["text"].as_str().unwrap().len(), 64);
        // The shape the Banter host broadcasts.
        let frame = format!(
            r#"42["message:new",{{"id":"m1","room":"bench","seq":9,"ts":1,"from":"b1","text":{}}}]"#,
            text["text"]
        );
        let delivery = Marker { step: 3, seq: 41, micros: 1_234_567, room_seq: Some(9) };
        assert_eq!(classify(frame.as_bytes()), Frame::Delivery(delivery));
    }

    #[test]
    fn control_frames_and_acks_are_told_apart() {
        assert_eq!(classify(b"2"), Frame::Ping);
        assert_eq!(classify(br#"0{"sid":"x","pingInterval":25000}"#), Frame::Open);
        assert_eq!(classify(br#"40{"sid":"abc"}"#), Frame::Connected);
        assert_eq!(classify(br#"44{"message":"taken"}"#), Frame::ConnectError);
        assert_eq!(classify(br#"4312[{"data":{"id":"m"}}]"#), Frame::Ack { id: 12, error: false });
        assert_eq!(classify(br#"437[{"error":{"kind":"rate_limited"}}]"#), Frame::Ack { id: 7, error: true });
        assert_eq!(classify(br#"42["user:online",{"user":{"name":"~B1.2.3~"}}]"#), Frame::Other);
        assert_eq!(classify(br#"42["message:new",{"text":"no marker"}]"#), Frame::Other);
        assert_eq!(classify(b"41"), Frame::Close);
    }

    #[test]
    fn a_broken_marker_is_not_a_delivery() {
        assert_eq!(find_marker(b"~B1.2~"), None);
        assert_eq!(find_marker(b"~B1.x.3~"), None);
        assert_eq!(find_marker(b"~B99999999999.1.1~"), None);
        assert_eq!(find_marker(b"~B1.2.99999999999999999999~"), None);
    }

    #[test]
    fn emits_carry_their_ack_id() {
        let mut out = String::new();
        emit_with_ack(&mut out, 5, "room:join", &room_payload("r1"));
        assert_eq!(out, r#"425["room:join",{"room":"r1"}]"#);
        assert_eq!(connect(Some("b1")), r#"40{"name":"b1","protocol":1}"#);
        assert_eq!(connect(None), "40");
    }
}
