//! How `banter-cli join` prints what it hears: one line per event, as text for people or JSON for programs.

use banter_core::client::{ClientEvent, ConnectionState, ServerKind};
use banter_core::host::files::size_text;
use banter_core::protocol::{ClosingReason, DirectMessage, FileInfo, LeaveReason, Message, Reaction};
use serde_json::{json, Value};

/// Where a line goes: chat to stdout, connection chatter to stderr.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Out(String),
    Err(String),
}

/// How messages are shown.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// Show each message's number in its room (`[ops #12]`), for `/reply #12` and the like.
    pub numbers: bool,
    /// The host's address (`http://host:port`), which a shared file's URL starts with.
    pub base: String,
}

/// A shared file as a line shows it, after the message's text (if any): its name, its size, and an absolute URL
/// that `banter-cli get` takes.
fn file_text(file: &FileInfo, text: &str, style: &Style) -> String {
    let space = if text.is_empty() { "" } else { " " };
    let base = style.base.trim_end_matches('/');
    format!("{space}[file {}, {}: {base}/files/{}]", file.name, size_text(file.size), file.id)
}

/// The start of a text, to recognise a message by.
fn snippet(text: &str) -> String {
    const CHARS: usize = 40;
    let mut short: String = text.chars().take(CHARS).collect();
    if text.chars().nth(CHARS).is_some() {
        short.push('…');
    }
    short
}

fn room_tag(message: &Message, style: &Style) -> String {
    if style.numbers {
        format!("[{} #{}]", message.room, message.seq)
    } else {
        format!("[{}]", message.room)
    }
}

fn reactions_text(reactions: &[Reaction]) -> String {
    let each: Vec<String> = reactions.iter().map(|r| format!("{} {}", r.emoji, r.users.join(", "))).collect();
    each.join(" · ")
}

fn message_line(message: &Message, style: &Style) -> String {
    let tag = room_tag(message, style);
    if message.deleted {
        return format!("{tag} * a message from {} was deleted", message.from);
    }
    let mut attachment = message
        .attachment
        .as_ref()
        .map(|a| format!(" [image {} bytes: /attachments/{}]", a.size, a.id))
        .unwrap_or_default();
    if let Some(file) = &message.file {
        attachment.push_str(&file_text(file, &message.text, style));
    }
    let answering = match &message.reply_to {
        Some(quote) if quote.deleted => " ↩ (a deleted message)".to_owned(),
        Some(quote) => format!(" ↩ {} “{}”", quote.from, snippet(&quote.snippet)),
        None => String::new(),
    };
    let edited = if message.edited_at.is_some() { " (edited)" } else { "" };
    let reactions = if message.reactions.is_empty() {
        String::new()
    } else {
        format!("  [{}]", reactions_text(&message.reactions))
    };
    format!("{tag} {}{answering}{edited}: {}{attachment}{reactions}", message.from, message.text)
}

/// The line for a change to a message, told against how it was (`before`, if it was remembered): a deletion, an
/// edit, or the reactions as they are now. A change only to the count of replies has no line: the reply had one.
pub fn changed_line(before: Option<&Message>, message: &Message, style: &Style) -> Option<Line> {
    let tag = room_tag(message, style);
    let what = before.map_or_else(
        || format!("{}'s message", message.from),
        |before| format!("{}'s “{}”", message.from, snippet(&before.text)),
    );
    let line = if message.deleted {
        if before.is_some_and(|before| before.deleted) {
            return None;
        }
        format!("{tag} * {what} was deleted")
    } else if before.map_or(message.edited_at.is_some(), |before| before.text != message.text) {
        format!("{tag} {} (edited): {}", message.from, message.text)
    } else if before.map_or(!message.reactions.is_empty(), |before| before.reactions != message.reactions) {
        if message.reactions.is_empty() {
            format!("{tag} * no reactions left on {what}")
        } else {
            format!("{tag} * reactions on {what}: {}", reactions_text(&message.reactions))
        }
    } else {
        return None;
    };
    Some(Line::Out(line))
}

fn direct_line(direct: &DirectMessage, style: &Style) -> String {
    let answering = match &direct.reply_to {
        Some(quote) if quote.deleted => " ↩ (a deleted message)".to_owned(),
        Some(quote) => format!(" ↩ {} “{}”", quote.from, snippet(&quote.snippet)),
        None => String::new(),
    };
    let file = direct.file.as_ref().map(|file| file_text(file, &direct.text, style)).unwrap_or_default();
    format!("[dm] {} → {}{answering}: {}{file}", direct.from, direct.to, direct.text)
}

/// A changed direct message, as a terminal can tell it: an edit shows the new text, a deletion says so; reactions
/// and counts of replies, which a line cannot redraw, are left out.
fn direct_changed_line(direct: &DirectMessage, style: &Style) -> Option<Line> {
    if direct.deleted {
        Some(Line::Err(format!("* {} deleted a direct message (#{})", direct.from, direct.seq)))
    } else if direct.edited_at.is_some() {
        Some(Line::Out(format!("{} (edited)", direct_line(direct, style))))
    } else {
        None
    }
}

/// The text lines for an event, if it deserves any: most events are one line, missed messages one per message.
/// A change is told against the message as it was (`before`).
pub fn lines(event: &ClientEvent, before: Option<&Message>, style: &Style) -> Vec<Line> {
    match event {
        ClientEvent::MissedMessages { messages, .. } => {
            messages.iter().map(|m| Line::Out(message_line(m, style))).collect()
        }
        ClientEvent::MissedDirects { messages, .. } => {
            messages.iter().map(|m| Line::Out(direct_line(m, style))).collect()
        }
        ClientEvent::Changed(message) => changed_line(before, message, style).into_iter().collect(),
        other => text(other, style).into_iter().collect(),
    }
}

/// The text line for an event, if it deserves one.
pub fn text(event: &ClientEvent, style: &Style) -> Option<Line> {
    let line = match event {
        ClientEvent::Message(message) => Line::Out(message_line(message, style)),
        ClientEvent::Direct(direct) => Line::Out(direct_line(direct, style)),
        ClientEvent::DirectChanged(direct) => return direct_changed_line(direct, style),
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
        ClientEvent::Held { error, .. } => {
            Line::Err(format!("* not kept yet, sent again by itself: {}", error.message))
        }
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
        | ClientEvent::Changed(_)
        | ClientEvent::Read(_)
        | ClientEvent::DirectRead(_)
        | ClientEvent::NotifyChanged(_)
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

/// The JSON line for an event: `{"type": …, …}` with the wire's own field names. A message's shared file also
/// carries `url`, the absolute address `banter-cli get` takes.
pub fn json(event: &ClientEvent, style: &Style) -> Value {
    let mut value = wire_json(event);
    if let Some(file) = value.get_mut("message").and_then(|message| message.get_mut("file")) {
        if let Some(id) = file.get("id").and_then(Value::as_str) {
            let url = format!("{}/files/{id}", style.base.trim_end_matches('/'));
            file["url"] = Value::String(url);
        }
    }
    value
}

fn wire_json(event: &ClientEvent) -> Value {
    match event {
        ClientEvent::Message(message) => json!({ "type": "message", "message": message }),
        ClientEvent::Changed(message) => json!({ "type": "changed", "message": message }),
        ClientEvent::Read(mark) => json!({ "type": "read", "room": mark.room, "seq": mark.seq }),
        ClientEvent::NotifyChanged(setting) => {
            json!({ "type": "notify", "room": setting.room, "level": setting.level })
        }
        ClientEvent::Direct(direct) => json!({ "type": "direct", "message": direct }),
        ClientEvent::DirectChanged(direct) => json!({ "type": "direct_changed", "message": direct }),
        ClientEvent::DirectRead(mark) => {
            json!({ "type": "direct_read", "conversation": mark.conversation, "seq": mark.seq })
        }
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
        ClientEvent::Held { client_id, error } => json!({ "type": "held", "clientId": client_id, "error": error }),
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
        let message = Message {
            id: "m1".into(),
            room: room.into(),
            seq: 1,
            from: from.into(),
            text: text.into(),
            ..Message::default()
        };
        ClientEvent::Message(message)
    }

    fn plain(event: ClientEvent) -> Message {
        match event {
            ClientEvent::Message(message) => message,
            _ => unreachable!("a message"),
        }
    }

    #[test]
    fn messages_print_as_room_name_and_text() {
        let style = Style::default();
        assert_eq!(text(&message("design", "ann", "hello"), &style), Some(Line::Out("[design] ann: hello".into())));
        let numbered = Style { numbers: true, ..Style::default() };
        assert_eq!(text(&message("design", "ann", "hi"), &numbered), Some(Line::Out("[design #1] ann: hi".into())));
        let json = json(&message("design", "ann", "hello"), &style);
        assert_eq!((json["type"].as_str(), json["message"]["from"].as_str()), (Some("message"), Some("ann")));
    }

    #[test]
    fn replies_edits_deletions_and_reactions_are_told_in_words() {
        let style = Style::default();
        let mut reply = plain(message("ops", "bert", "I do."));
        reply.reply_to = Some(banter_core::protocol::Quote {
            seq: 1,
            from: "ann".into(),
            snippet: "Who has the keys to the server room? Asking for a friend".into(),
            deleted: false,
        });
        assert_eq!(message_line(&reply, &style), "[ops] bert ↩ ann “Who has the keys to the server room? Ask…”: I do.");
        let before = plain(message("ops", "ann", "lunch at 12?"));
        let mut edited = before.clone();
        edited.text = "lunch at 1?".into();
        edited.edited_at = Some(5);
        assert_eq!(
            changed_line(Some(&before), &edited, &style),
            Some(Line::Out("[ops] ann (edited): lunch at 1?".into()))
        );
        let mut reacted = before.clone();
        reacted.reactions = vec![Reaction { emoji: "🎉".into(), users: vec!["bert".into(), "carl".into()] }];
        assert_eq!(
            changed_line(Some(&before), &reacted, &style),
            Some(Line::Out("[ops] * reactions on ann's “lunch at 12?”: 🎉 bert, carl".into()))
        );
        let mut deleted = before.clone();
        deleted.deleted = true;
        deleted.text.clear();
        assert_eq!(
            changed_line(Some(&before), &deleted, &style),
            Some(Line::Out("[ops] * ann's “lunch at 12?” was deleted".into()))
        );
        let mut counted = before.clone();
        counted.replies = 1;
        assert_eq!(changed_line(Some(&before), &counted, &style), None, "the reply itself was printed");
    }

    #[test]
    fn departures_name_every_room() {
        let left = ClientEvent::MemberLeft(MemberLeft {
            rooms: vec!["lobby".into(), "ops".into()],
            user: "bo".into(),
            reason: LeaveReason::Disconnected,
        });
        assert_eq!(text(&left, &Style::default()), Some(Line::Out("* bo left lobby, ops (disconnected)".into())));
    }
}
