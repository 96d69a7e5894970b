//! How `banter-cli join` prints what it hears: one line per event, as text for people or JSON for programs.

use banter_core::client::{ClientEvent, ConnectionState, ServerKind};
use banter_core::protocol::{ClosingReason, DirectMessage, LeaveReason, Message};
use serde_json::{json, Value};

/// Where a line goes: chat to stdout, connection chatter to stderr.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Out(String),
    Err(String),
}

fn message_line(message: &Message) -> String {
    let attachment = message
        .attachment
        .as_ref()
        .map(|a| format!(" [image {} bytes: /attachments/{}]", a.size, a.id))
        .unwrap_or_default();
    format!("[{}] {}: {}{}", message.room, message.from, message.text, attachment)
}

fn direct_line(direct: &DirectMessage) -> String {
    format!("[dm] {} → {}: {}", direct.from, direct.to, direct.text)
}

/// The text lines for an event, if it deserves any: most events are one line, missed messages one per message.
pub fn lines(event: &ClientEvent) -> Vec<Line> {
    match event {
        ClientEvent::MissedMessages { messages, .. } => messages.iter().map(|m| Line::Out(message_line(m))).collect(),
        ClientEvent::MissedDirects { messages, .. } => messages.iter().map(|m| Line::Out(direct_line(m))).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// The text line for an event, if it deserves one.
pub fn text(event: &ClientEvent) -> Option<Line> {
    let line = match event {
        ClientEvent::Message(message) => Line::Out(message_line(message)),
        ClientEvent::Direct(direct) => Line::Out(direct_line(direct)),
        ClientEvent::Plain(text) => Line::Out(format!("[lobby] {text}")),
        ClientEvent::PrivateMessage { from_socket, text } => Line::Out(format!("[private from {from_socket}] {text}")),
        ClientEvent::MemberJoined(joined) => Line::Out(format!("* {} joined {}", joined.user, joined.room)),
        ClientEvent::MemberLeft(left) => {
            let how = match left.reason {
                LeaveReason::Left => "",
                LeaveReason::Disconnected => " (disconnected)",
            };
            Line::Out(format!("* {} left {}{how}", left.user, left.rooms.join(", ")))
        }
        ClientEvent::Joined(joined) => Line::Err(format!("* in {} with {}", joined.room, joined.members.join(", "))),
        ClientEvent::SendFailed { error, .. } => Line::Err(format!("! not sent: {}", error.message)),
        ClientEvent::Closing(closing) if closing.reason == ClosingReason::Shutdown => {
            Line::Err(format!("* {} Waiting for it to come back (Ctrl-C to quit)…", closing.message))
        }
        ClientEvent::Closing(closing) => Line::Err(format!("* {}", closing.message)),
        ClientEvent::RoomDeleted(room) => Line::Err(format!("* the host's owner deleted the room {room}")),
        ClientEvent::State(state) => Line::Err(match state {
            ConnectionState::Connecting { attempt: 1 } => "* connecting…".to_owned(),
            ConnectionState::Connecting { attempt } => format!("* connecting (attempt {attempt})…"),
            ConnectionState::Connected { server: ServerKind::Banter } => "* connected".to_owned(),
            ConnectionState::Connected { server: ServerKind::Plain } => {
                "* connected to a plain Socket.IO server: lobby messages only".to_owned()
            }
            // The host said it was ending the chat: the wait for it to come back is quiet.
            ConnectionState::Reconnecting { ended_by_host: true, .. } => return None,
            ConnectionState::Reconnecting { retry_in, reason, .. } if !retry_in.is_zero() => {
                format!("* connection lost ({reason}); retrying in {:.1}s", retry_in.as_secs_f64())
            }
            ConnectionState::Reconnecting { .. } => return None,
            ConnectionState::Closed { reason, .. } => format!("* disconnected: {reason}"),
        }),
        ClientEvent::Welcome(_)
        | ClientEvent::MissedMessages { .. }
        | ClientEvent::MissedDirects { .. }
        | ClientEvent::Delivered { .. }
        | ClientEvent::UserOnline(_)
        | ClientEvent::UserOffline(_)
        | ClientEvent::Rooms(_)
        | ClientEvent::Typing(_) => return None,
    };
    Some(line)
}

/// The JSON line for an event: `{"type": …, …}` with the wire's own field names.
pub fn json(event: &ClientEvent) -> Value {
    match event {
        ClientEvent::Message(message) => json!({ "type": "message", "message": message }),
        ClientEvent::Direct(direct) => json!({ "type": "direct", "message": direct }),
        ClientEvent::MissedMessages { room, messages } => {
            json!({ "type": "missed", "room": room, "messages": messages })
        }
        ClientEvent::MissedDirects { with, messages } => {
            json!({ "type": "missed_direct", "with": with, "messages": messages })
        }
        ClientEvent::RoomDeleted(room) => json!({ "type": "room_deleted", "room": room }),
        ClientEvent::Plain(text) => json!({ "type": "plain", "text": text }),
        ClientEvent::PrivateMessage { from_socket, text } => {
            json!({ "type": "private", "from": from_socket, "text": text })
        }
        ClientEvent::MemberJoined(joined) => json!({ "type": "joined", "room": joined.room, "user": joined.user }),
        ClientEvent::MemberLeft(left) => {
            json!({ "type": "left", "rooms": left.rooms, "user": left.user, "reason": left.reason })
        }
        ClientEvent::UserOnline(user) => json!({ "type": "online", "user": user }),
        ClientEvent::UserOffline(user) => json!({ "type": "offline", "user": user }),
        ClientEvent::Rooms(rooms) => json!({ "type": "rooms", "rooms": rooms }),
        ClientEvent::Typing(typing) => {
            json!({ "type": "typing", "room": typing.room, "user": typing.user, "active": typing.active })
        }
        ClientEvent::Delivered { client_id } => json!({ "type": "delivered", "clientId": client_id }),
        ClientEvent::SendFailed { client_id, error } => {
            json!({ "type": "send_failed", "clientId": client_id, "error": error })
        }
        ClientEvent::Joined(joined) => json!({ "type": "room", "room": joined.room, "members": joined.members }),
        ClientEvent::Closing(closing) => {
            json!({ "type": "closing", "reason": closing.reason, "message": closing.message })
        }
        ClientEvent::Welcome(welcome) => {
            json!({ "type": "welcome", "user": welcome.user, "socketId": welcome.socket_id, "hostId": welcome.host_id })
        }
        ClientEvent::State(state) => json!({ "type": "state", "state": format!("{state:?}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use banter_core::protocol::MemberLeft;

    fn message(room: &str, from: &str, text: &str) -> ClientEvent {
        ClientEvent::Message(Message {
            id: "m1".into(),
            room: room.into(),
            seq: 1,
            ts: 0,
            from: from.into(),
            text: text.into(),
            client_id: None,
            attachment: None,
        })
    }

    #[test]
    fn messages_print_as_room_name_and_text() {
        assert_eq!(text(&message("design", "ann", "hello")), Some(Line::Out("[design] ann: hello".into())));
        let json = json(&message("design", "ann", "hello"));
        assert_eq!((json["type"].as_str(), json["message"]["from"].as_str()), (Some("message"), Some("ann")));
    }

    #[test]
    fn departures_name_every_room() {
        let left = ClientEvent::MemberLeft(MemberLeft {
            rooms: vec!["lobby".into(), "ops".into()],
            user: "bo".into(),
            reason: LeaveReason::Disconnected,
        });
        assert_eq!(text(&left), Some(Line::Out("* bo left lobby, ops (disconnected)".into())));
    }
}
