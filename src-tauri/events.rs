//! Forwards the engine's events to the webview, and raises desktop notifications while the window is unfocused:
//! for direct messages, and for room messages as the user's level for the room says (mentions by default).

use std::collections::HashMap;

use banter_core::client::{ClientEvent, ClientEvents};
use banter_core::keys::RoomKey;
use banter_core::mention;
use banter_core::protocol::NotifyLevel;
use banter_core::validate;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::ipc::UiEvent;

/// The one Tauri event the webview listens to.
pub const EVENT: &str = "banter:event";
/// The window that shows the chat.
pub const MAIN_WINDOW: &str = "main";

/// The user's notification level of each room, as the host keeps it for them (set on any device).
#[derive(Debug, Default)]
struct Levels(HashMap<RoomKey, NotifyLevel>);

impl Levels {
    /// Follows the welcome (every setting the user made) and each change since.
    fn follow(&mut self, event: &ClientEvent) {
        match event {
            ClientEvent::Welcome(welcome) => {
                self.0 = welcome.notify.iter().map(|each| (validate::room_key(&each.room), each.level)).collect();
            }
            ClientEvent::NotifyChanged(setting) => {
                self.0.insert(validate::room_key(&setting.room), setting.level);
            }
            _ => {}
        }
    }

    fn of(&self, room: &str) -> NotifyLevel {
        self.0.get(&validate::room_key(room)).copied().unwrap_or_default()
    }
}

/// Runs until the client's event stream ends. `seen` are the events that arrived while joining.
pub async fn forward<R: Runtime>(app: AppHandle<R>, me: String, seen: Vec<ClientEvent>, mut events: ClientEvents) {
    let mut levels = Levels::default();
    for event in seen {
        deliver(&app, &me, &mut levels, event);
    }
    while let Some(event) = events.recv().await {
        deliver(&app, &me, &mut levels, event);
    }
}

fn deliver<R: Runtime>(app: &AppHandle<R>, me: &str, levels: &mut Levels, event: ClientEvent) {
    levels.follow(&event);
    notify_if_unfocused(app, me, levels, &event);
    let Some(ui_event) = UiEvent::from_client(event) else { return };
    if let Err(error) = app.emit_to(MAIN_WINDOW, EVENT, &ui_event) {
        tracing::warn!(%error, "could not forward an event to the window");
    }
}

/// Many Linux notification servers read a little HTML in the body; other people's text must stay text.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// What deserves a desktop notification, as its title and body: a direct message from someone else, or a room
/// message from someone else that the room's level lets through (by default, one that mentions the user). Other
/// room messages only count as unread, as in other chats by default.
fn notice(me: &str, levels: &Levels, event: &ClientEvent) -> Option<(String, String)> {
    match event {
        ClientEvent::Message(message) if !message.from.eq_ignore_ascii_case(me) => {
            let mentioned = mention::mentions(&message.text, me);
            if !levels.of(&message.room).notifies(mentioned) {
                return None;
            }
            let title = if mentioned {
                format!("{} mentioned you in #{}", message.from, message.room)
            } else {
                format!("{} in #{}", message.from, message.room)
            };
            Some((title, message.text.clone()))
        }
        ClientEvent::Direct(message) if !message.from.eq_ignore_ascii_case(me) => {
            Some((format!("{} (direct message)", message.from), message.text.clone()))
        }
        _ => None,
    }
}

fn notify_if_unfocused<R: Runtime>(app: &AppHandle<R>, me: &str, levels: &Levels, event: &ClientEvent) {
    let Some((title, body)) = notice(me, levels, event) else { return };
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
    use banter_core::protocol::{DirectMessage, Message, NotifyLevel, NotifySetting};

    use super::{notice, Levels};

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
        let levels = Levels::default();
        assert_eq!(
            notice("Mira", &levels, &said("rex", "@mira the deploy?")),
            Some(("rex mentioned you in #ops".to_owned(), "@mira the deploy?".to_owned()))
        );
        assert_eq!(notice("Mira", &levels, &said("rex", "the deploy?")), None);
        assert_eq!(notice("Mira", &levels, &said("mira", "@Mira note to self")), None);
        let direct = ClientEvent::Direct(DirectMessage {
            id: "d".into(),
            conversation: "c1".into(),
            seq: 1,
            ts: 0,
            from: "rex".into(),
            to: "Mira".into(),
            text: "psst".into(),
            ..DirectMessage::default()
        });
        assert_eq!(notice("Mira", &levels, &direct).map(|(title, _)| title), Some("rex (direct message)".to_owned()));
    }

    #[test]
    fn a_rooms_level_set_on_any_device_decides_what_it_notifies() {
        let mut levels = Levels::default();
        levels.follow(&ClientEvent::NotifyChanged(NotifySetting { room: "OPS".into(), level: NotifyLevel::All }));
        assert_eq!(
            notice("Mira", &levels, &said("rex", "the deploy?")).map(|(title, _)| title),
            Some("rex in #ops".to_owned())
        );
        assert_eq!(notice("Mira", &levels, &said("mira", "mine")), None, "never one's own messages");
        levels.follow(&ClientEvent::NotifyChanged(NotifySetting { room: "ops".into(), level: NotifyLevel::Nothing }));
        assert_eq!(notice("Mira", &levels, &said("rex", "@Mira the deploy?")), None, "not even mentions");
        levels.follow(&ClientEvent::NotifyChanged(NotifySetting { room: "ops".into(), level: NotifyLevel::Mentions }));
        assert!(notice("Mira", &levels, &said("rex", "@Mira the deploy?")).is_some());
        assert_eq!(notice("Mira", &levels, &said("rex", "the deploy?")), None);
    }
}
