//! Forwards the engine's events to the webview, and raises desktop notifications while the window is unfocused.

use banter_core::client::{ClientEvent, ClientEvents};
use banter_core::mention;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::ipc::UiEvent;

/// The one Tauri event the webview listens to.
pub const EVENT: &str = "banter:event";
/// The window that shows the chat.
pub const MAIN_WINDOW: &str = "main";

/// Runs until the client's event stream ends. `seen` are the events that arrived while joining.
pub async fn forward<R: Runtime>(app: AppHandle<R>, me: String, seen: Vec<ClientEvent>, mut events: ClientEvents) {
    for event in seen {
        deliver(&app, &me, event);
    }
    while let Some(event) = events.recv().await {
        deliver(&app, &me, event);
    }
}

fn deliver<R: Runtime>(app: &AppHandle<R>, me: &str, event: ClientEvent) {
    notify_if_unfocused(app, me, &event);
    let Some(ui_event) = UiEvent::from_client(event) else { return };
    if let Err(error) = app.emit_to(MAIN_WINDOW, EVENT, &ui_event) {
        tracing::warn!(%error, "could not forward an event to the window");
    }
}

/// Many Linux notification servers read a little HTML in the body; other people's text must stay text.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// What deserves a desktop notification, as its title and body: a direct message, or a room message that mentions
/// the user, from someone else. Other room messages only count as unread, as in other chats by default.
fn notice(me: &str, event: &ClientEvent) -> Option<(String, String)> {
    match event {
        ClientEvent::Message(message)
            if !message.from.eq_ignore_ascii_case(me) && mention::mentions(&message.text, me) =>
        {
            Some((format!("{} mentioned you in #{}", message.from, message.room), message.text.clone()))
        }
        ClientEvent::Direct(message) if !message.from.eq_ignore_ascii_case(me) => {
            Some((format!("{} (direct message)", message.from), message.text.clone()))
        }
        _ => None,
    }
}

fn notify_if_unfocused<R: Runtime>(app: &AppHandle<R>, me: &str, event: &ClientEvent) {
    let Some((title, body)) = notice(me, event) else { return };
    let focused = app.get_webview_window(MAIN_WINDOW).and_then(|window| window.is_focused().ok()).unwrap_or(true);
    if focused {
        return;
    }
    let body = if body.is_empty() { "sent an image".to_owned() } else { escape_markup(&body) };
    if let Err(error) = app.notification().builder().title(escape_markup(&title)).body(body).show() {
        // No notification service (a bare X server, a locked-down desktop) costs the notice, not the message.
        tracing::debug!(%error, "desktop notification not shown");
    }
}

#[cfg(test)]
mod tests {
    use banter_core::client::ClientEvent;
    use banter_core::protocol::{DirectMessage, Message};

    use super::notice;

    fn said(from: &str, text: &str) -> ClientEvent {
        let message = Message {
            id: "m".into(),
            room: "ops".into(),
            seq: 1,
            from: from.into(),
            text: text.into(),
            ..Message::default()
        };
        ClientEvent::Message(message)
    }

    #[test]
    fn direct_messages_and_mentions_notify_and_the_rest_of_a_room_does_not() {
        assert_eq!(
            notice("Mira", &said("rex", "@mira the deploy?")),
            Some(("rex mentioned you in #ops".to_owned(), "@mira the deploy?".to_owned()))
        );
        assert_eq!(notice("Mira", &said("rex", "the deploy?")), None);
        assert_eq!(notice("Mira", &said("mira", "@Mira note to self")), None);
        let direct = ClientEvent::Direct(DirectMessage {
            id: "d".into(),
            conversation: "c1".into(),
            seq: 1,
            ts: 0,
            from: "rex".into(),
            to: "Mira".into(),
            text: "psst".into(),
            client_id: None,
            attachment: None,
        });
        assert_eq!(notice("Mira", &direct).map(|(title, _)| title), Some("rex (direct message)".to_owned()));
    }
}
