//! Every command the webview may call, by name. `build.rs` lists them in the app manifest; `lib.rs` registers the
//! handlers; `tests/security.rs` checks that the capability allows exactly these.

pub const NAMES: &[&str] = &[
    "host_start",
    "host_stop",
    "host_ban",
    "host_unban",
    "host_delete_room",
    "host_release_name",
    "connect",
    "network_watch",
    "disconnect",
    "send_message",
    "send_direct",
    "send_image",
    "join_room",
    "create_room",
    "leave_room",
    "history_page",
    "dm_history",
    "set_typing",
    "fetch_attachment",
    "settings",
    "set_user_key",
    "copy_text",
];
