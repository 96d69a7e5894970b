//! The desktop app: a thin Tauri shell around the engine. Commands (`commands.rs`) delegate to `banter-core`; one
//! module (`events.rs`) forwards the engine's events to the webview, another (`network.rs`) the hosts found on the
//! network; `AppState` is the only managed state.

pub mod actions;
mod command_names;
pub mod commands;
mod events;
pub mod ipc;
pub mod network;
mod previews;
pub mod settings;
mod state;
pub mod transfers;

use tauri::{Builder, Emitter, Manager, Runtime};

pub use command_names::NAMES as COMMAND_NAMES;
pub use events::EVENT;

/// Registers the plugins, the state and the commands on any runtime (the real one, or a test's).
pub fn build<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .register_asynchronous_uri_scheme_protocol(previews::SCHEME, previews::serve)
        .setup(|app| {
            app.manage(state::AppState::new(app.path().app_config_dir().ok(), app.path().app_cache_dir().ok()));
            Ok(())
        })
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::CloseRequested { api, .. } => ask_before_closing_while_hosting(window, api),
            tauri::WindowEvent::DragDrop(drop) => transfers::dropped(window, drop),
            _ => {}
        })
        .invoke_handler(tauri::generate_handler![
            commands::host_start,
            commands::host_stop,
            commands::host_ban,
            commands::host_unban,
            commands::host_delete_room,
            commands::host_release_name,
            commands::host_delete_message,
            commands::connect,
            commands::network_watch,
            commands::disconnect,
            commands::send_message,
            commands::send_direct,
            transfers::pick_files,
            transfers::keep_pasted,
            transfers::send_file,
            transfers::save_file,
            transfers::cancel_transfer,
            transfers::retry_transfer,
            transfers::show_in_folder,
            actions::send_reply,
            actions::edit_message,
            actions::delete_message,
            actions::react,
            commands::join_room,
            commands::create_room,
            commands::leave_room,
            commands::history_page,
            commands::dm_history,
            commands::set_typing,
            commands::fetch_attachment,
            commands::settings,
            commands::set_user_key,
            commands::update_settings,
            commands::copy_text,
            commands::open_link,
            commands::search,
            actions::mark_read,
            commands::set_notify,
            commands::quit,
            commands::host_kick,
            commands::show_unread,
        ])
}

/// Closing the window while hosting would end the chat for everyone in it without a word: the window stays, and
/// the UI asks whether to stop hosting and quit (the `quit` command) or keep hosting.
fn ask_before_closing_while_hosting<R: Runtime>(window: &tauri::Window<R>, api: &tauri::CloseRequestApi) {
    let hosting = window.try_state::<state::AppState>().is_some_and(|state| state.hosting_now());
    if !hosting || window.label() != events::MAIN_WINDOW {
        return;
    }
    api.prevent_close();
    if let Err(error) = window.emit_to(events::MAIN_WINDOW, EVENT, ipc::UiEvent::CloseRequested) {
        // Without the question the window would never close: let it, as before.
        tracing::warn!(%error, "could not ask before closing; closing");
        let _ = window.destroy();
    }
}

/// Starts the app.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BANTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // First, so that a second launch stops before anything else starts: it only brings this window forward.
    let builder = Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window(events::MAIN_WINDOW) {
                // Best effort: a window manager may refuse focus; the second launch has ended either way.
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build());
    if let Err(error) = build(builder).run(tauri::generate_context!()) {
        eprintln!("banter: could not start: {error}");
        std::process::exit(1);
    }
}
