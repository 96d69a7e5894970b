//! Forwards the engine's events to the webview, and raises desktop notifications while the window is unfocused.

use banter_core::client::{ClientEvent, ClientEvents};
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

fn notify_if_unfocused<R: Runtime>(app: &AppHandle<R>, me: &str, event: &ClientEvent) {
    let (title, body) = match event {
        ClientEvent::Message(message) if !message.from.eq_ignore_ascii_case(me) => {
            (format!("{} in {}", message.from, message.room), message.text.clone())
        }
        ClientEvent::Direct(message) if !message.from.eq_ignore_ascii_case(me) => {
            (format!("{} (direct message)", message.from), message.text.clone())
        }
        _ => return,
    };
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
