//! The commands the webview calls: each one a few lines handing the work to the engine.

use std::net::{IpAddr, Ipv4Addr};

use banter_core::client::ClientConfig;
use banter_core::host::access::AccessCode;
use banter_core::host::{self, HostConfig};
use banter_core::limits::Limits;
use banter_core::protocol::{
    BanInfo, BanRequest, DirectHistoryPage, HistoryPage, Message, NotifyLevel, NotifySetting, RoomJoined, RoomLeft,
    SearchRequest, SearchResults,
};
use banter_core::store::Location;
use tauri::ipc::Response;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_opener::OpenerExt;

use crate::ipc::{GuestLink, HostInfo, IpcError, SettingsUpdate, SettingsView};
use crate::network::{self, NetworkView};
use crate::settings::{Joined, RecentHost};
use crate::state::AppState;

/// How long fetching one image may take.
const ATTACHMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The interface the embedded host listens on: every interface, so that the LAN can join, unless
/// `BANTER_HOST_BIND` names another (tests use 127.0.0.1).
fn host_interface() -> IpAddr {
    std::env::var("BANTER_HOST_BIND").ok().and_then(|ip| ip.parse().ok()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Starts the embedded host on `port` and joins it over loopback as `name`. The host keeps its data in the
/// app's data folder (`~/.local/share/chat.banter.desktop/host` on Linux), so stopping and starting again brings
/// every room and message back. With `advertise` (remembered; on unless `BANTER_DISCOVERY=off`) it announces
/// itself on the network under the owner's name.
#[tauri::command]
pub async fn host_start<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
    port: u16,
    require_code: Option<bool>,
    advertise: Option<bool>,
) -> Result<HostInfo, IpcError> {
    state.stop_hosting().await;
    let folder = app
        .path()
        .app_data_dir()
        .map_err(|error| IpcError::new("store_unwritable", format!("This system names no data folder: {error}")))?
        .join("host");
    let listener = host::bind(host_interface(), port).await?;
    // A new code each time hosting starts: one given out before no longer opens the chat.
    let access_code = require_code.unwrap_or(false).then(AccessCode::random);
    let advertise = advertise.unwrap_or_else(|| state.settings.get().advertise);
    let discovery = (advertise && banter_core::discovery::enabled_by_env()).then(|| host::Discovery {
        title: name.trim().to_owned(),
        interfaces: banter_core::discovery::Interfaces::from_env(),
    });
    let advertised = discovery.as_ref().map(|discovery| discovery.title.clone());
    let config = HostConfig {
        web: Some(banter_web::client()),
        location: Location::Folder(folder),
        access_code,
        discovery,
        ..HostConfig::default()
    };
    let handle = host::spawn(listener, config).await?;
    let access_code = handle.access_code().map(str::to_owned);
    let fingerprint = handle.fingerprint();
    let bans = handle.bans();
    let data = handle.data_location();
    let local = handle.local_addr();
    let addresses: Vec<String> = host::shareable_addresses(local).iter().map(ToString::to_string).collect();
    let guests = addresses.iter().map(|address| GuestLink::new(address, access_code.as_deref())).collect();
    state.keep_host(handle).await;
    let mut own = ClientConfig::new(format!("127.0.0.1:{}", local.port()), name.clone());
    own.access_code = access_code.clone();
    let joined = state.join(&app, own).await;
    if let Err(error) = joined {
        state.stop_hosting().await;
        return Err(error);
    }
    state.settings.remember(Joined { name: &name, ..Joined::default() });
    // The port got, not the one asked for (0: any): hosting again keeps the chat where guests found it.
    state.settings.remember_hosting(local.port(), access_code.is_some(), advertise);
    Ok(HostInfo { port: local.port(), data, addresses, guests, fingerprint, access_code, bans, advertised })
}

/// Tells the guests, disconnects them and stops the embedded host.
#[tauri::command]
pub async fn host_stop(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.stop_hosting().await;
    Ok(())
}

/// Stops hosting (telling the guests the chat is over, as Stop hosting does) and quits the app: what the user
/// chose when closing the window while hosting.
#[tauri::command]
pub async fn quit<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<(), IpcError> {
    state.stop_hosting().await;
    app.exit(0);
    Ok(())
}

/// Bans a user from the embedded host, for `minutes` or for good, and disconnects them; answers with the bans
/// that now hold.
#[tauri::command]
pub async fn host_ban(
    state: State<'_, AppState>,
    name: String,
    minutes: Option<u32>,
    reason: Option<String>,
) -> Result<Vec<BanInfo>, IpcError> {
    state.ban(BanRequest { name, minutes, reason }).await
}

/// Lifts a ban on the embedded host; answers with the bans that still hold.
#[tauri::command]
pub async fn host_unban(state: State<'_, AppState>, name: String) -> Result<Vec<BanInfo>, IpcError> {
    state.unban(&name).await
}

/// Deletes a room of the embedded host and its history; everyone in it is taken out and told.
#[tauri::command]
pub async fn host_delete_room(state: State<'_, AppState>, room: String) -> Result<String, IpcError> {
    state.delete_room(&room).await
}

/// Disconnects someone from the embedded host (all their devices); they may join again, unlike after a ban.
#[tauri::command]
pub async fn host_kick(state: State<'_, AppState>, name: String) -> Result<u32, IpcError> {
    state.kick(&name).await
}

/// Frees a name that someone's key holds on the embedded host, so that anyone may take it.
#[tauri::command]
pub async fn host_release_name(state: State<'_, AppState>, name: String) -> Result<String, IpcError> {
    state.release_name(&name).await
}

/// Deletes anyone's message on the embedded host, for its owner; answers its tombstone.
#[tauri::command]
pub async fn host_delete_message(state: State<'_, AppState>, room: String, seq: u64) -> Result<Message, IpcError> {
    state.delete_message(&room, seq).await
}

/// Joins the host at `address` (`host`, `host:port` or a URL) as `name`, and answers with the address joined.
///
/// The host meant is `host_id` when the user picked one (from the network or the recent hosts), or the one last
/// joined at that address. Such a host is joined where the network says it is now, with the access code that let
/// this user in before (unless one is typed); and if another host answers there, the join stops with
/// `different_host` before anything is sent, unless `accept_new_host` says the user was told.
#[tauri::command]
pub async fn connect<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    address: String,
    name: String,
    access_code: Option<String>,
    host_id: Option<String>,
    accept_new_host: Option<bool>,
) -> Result<String, IpcError> {
    let typed = address.trim().to_owned();
    let picked = host_id.is_some();
    let remembered = match &host_id {
        Some(host_id) => state.settings.host(host_id),
        None => state.settings.host_at(&typed),
    };
    let expected = host_id.or_else(|| remembered.as_ref().map(|host| host.host_id.clone()));
    let target = network::where_to_join(&typed, expected.as_deref(), &state.network);
    if let (Some(remembered), false) = (&remembered, accept_new_host.unwrap_or(false)) {
        if let Some(health) = network::health(&target).await {
            if health.host_id != remembered.host_id {
                return Err(different_host(&target, &health.host_id, &remembered.host_id));
            }
        }
    }
    if network::refuses(&target).await {
        return Err(IpcError::new(
            "unreachable",
            // The join form puts this in "Could not reach that address: …. Check the address and that the host
            // is running."
            format!("nothing listens at {target} (connection refused)"),
        ));
    }
    let typed_code = access_code.map(|code| code.trim().to_owned()).filter(|code| !code.is_empty());
    let kept_code = remembered.as_ref().and_then(|host| host.access_code.clone()).filter(|_| typed_code.is_none());
    let mut config = ClientConfig::new(target.clone(), name);
    config.access_code = typed_code.or_else(|| kept_code.clone());
    // A person is waiting at the join form: a few retries, then say why.
    config.give_up_after = Some(std::time::Duration::from_secs(5));
    let name = config.name.clone();
    let code = config.access_code.clone();
    let joined = state.join(&app, config).await;
    let joined_id = match joined {
        Ok(joined_id) => joined_id,
        Err(error) => {
            if let (Some(host), true, "forbidden") = (&remembered, kept_code.is_some(), error.kind.as_str()) {
                // The host made a new code since: asking for it beats failing with the old one every time.
                state.settings.forget_code(&host.host_id);
            }
            return Err(error);
        }
    };
    let host = joined_id.map(|host_id| RecentHost {
        title: state.network.title_of(&host_id).unwrap_or_default(),
        host_id,
        address: target.clone(),
        access_code: code,
    });
    state.settings.remember(Joined { name: &name, typed_address: (!picked).then_some(typed.as_str()), host });
    Ok(target)
}

fn different_host(address: &str, found: &str, remembered: &str) -> IpcError {
    let (found, remembered) =
        (banter_core::fingerprint::fingerprint(found), banter_core::fingerprint::fingerprint(remembered));
    IpcError::new(
        "different_host",
        format!(
            "The host at {address} is not the one you joined there before: its fingerprint is {found}, not \
             {remembered}. Join only if you expected a new host at this address."
        ),
    )
}

/// Starts looking for hosts on the network (once; `banter:network` events follow) and answers with those known.
#[tauri::command]
pub fn network_watch<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> NetworkView {
    state.network.watch(&app)
}

#[tauri::command]
pub async fn disconnect(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.leave().await;
    Ok(())
}

/// Queues a message; returns its client id, which `delivered` or `sendFailed` events name later.
#[tauri::command]
pub async fn send_message(state: State<'_, AppState>, room: String, text: String) -> Result<String, IpcError> {
    Ok(state.client().await?.send_message(&room, &text).await?)
}

#[tauri::command]
pub async fn send_direct(state: State<'_, AppState>, to: String, text: String) -> Result<String, IpcError> {
    Ok(state.client().await?.send_direct(&to, &text).await?)
}

#[tauri::command]
pub async fn join_room(state: State<'_, AppState>, room: String) -> Result<RoomJoined, IpcError> {
    Ok(state.client().await?.join_room(&room).await?)
}

#[tauri::command]
pub async fn create_room(state: State<'_, AppState>, room: String) -> Result<RoomJoined, IpcError> {
    Ok(state.client().await?.create_room(&room).await?)
}

#[tauri::command]
pub async fn leave_room(state: State<'_, AppState>, room: String) -> Result<RoomLeft, IpcError> {
    Ok(state.client().await?.leave_room(&room).await?)
}

/// Sets which messages of a room notify this user, on all their devices; answers the setting the host kept.
#[tauri::command]
pub async fn set_notify(
    state: State<'_, AppState>,
    room: String,
    level: NotifyLevel,
) -> Result<NotifySetting, IpcError> {
    Ok(state.client().await?.set_notify(&room, level).await?)
}

/// Shows how many messages are unread in all: in the window's title, and in the taskbar's badge where the platform
/// has one (elsewhere that part is skipped).
#[tauri::command]
pub fn show_unread<R: Runtime>(app: AppHandle<R>, count: u32) -> Result<(), IpcError> {
    let Some(window) = app.get_webview_window(crate::events::MAIN_WINDOW) else { return Ok(()) };
    let title = if count > 0 { format!("({count}) Banter") } else { "Banter".to_owned() };
    window.set_title(&title).map_err(|error| IpcError::new("window", error.to_string()))?;
    if let Err(error) = window.set_badge_count((count > 0).then_some(i64::from(count))) {
        tracing::debug!(%error, "no taskbar badge here");
    }
    Ok(())
}

/// Searches every room and this user's direct messages on the host joined.
#[tauri::command]
pub async fn search(state: State<'_, AppState>, request: SearchRequest) -> Result<SearchResults, IpcError> {
    Ok(state.client().await?.search(request).await?)
}

/// Older messages of a room, for scrolling back.
#[tauri::command]
pub async fn history_page(
    state: State<'_, AppState>,
    room: String,
    before_seq: Option<u64>,
    limit: u32,
) -> Result<HistoryPage, IpcError> {
    Ok(state.client().await?.history(&room, before_seq, limit).await?)
}

/// Older messages of a direct conversation, for scrolling back.
#[tauri::command]
pub async fn dm_history(
    state: State<'_, AppState>,
    with: String,
    before_seq: Option<u64>,
    limit: u32,
) -> Result<DirectHistoryPage, IpcError> {
    Ok(state.client().await?.direct_history(&with, before_seq, limit).await?)
}

#[tauri::command]
pub async fn set_typing(state: State<'_, AppState>, room: String, active: bool) -> Result<(), IpcError> {
    Ok(state.client().await?.set_typing(&room, active).await?)
}

/// The bytes of an attachment, fetched from the host over HTTP: the webview loads no remote content itself.
#[tauri::command]
pub async fn fetch_attachment(state: State<'_, AppState>, id: String) -> Result<Response, IpcError> {
    let url = state
        .base_url()
        .await?
        .join(&format!("attachments/{id}"))
        .map_err(|error| IpcError::new("invalid", error.to_string()))?;
    let unreachable = |error: reqwest::Error| IpcError::new("unreachable", error.to_string());
    let client = reqwest::Client::builder().timeout(ATTACHMENT_TIMEOUT).build().map_err(unreachable)?;
    let mut response = client.get(url).send().await.map_err(unreachable)?;
    if !response.status().is_success() {
        return Err(IpcError::new("not_found", "The image is no longer on the host."));
    }
    // Read in chunks against the limit: a host that lies about (or omits) the length cannot exhaust memory.
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if bytes.len() + chunk.len() > Limits::default().max_attachment_bytes {
            return Err(IpcError::new("too_large", "The host sent an image larger than Banter allows."));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Response::new(bytes))
}

/// The remembered display name, recent addresses and this user's key.
#[tauri::command]
pub fn settings(state: State<'_, AppState>) -> SettingsView {
    SettingsView::from(state.settings.get())
}

/// Takes the user key from another device; it is used from the next host or join on.
#[tauri::command]
pub fn set_user_key(state: State<'_, AppState>, key: String) -> Result<SettingsView, IpcError> {
    state.settings.set_user_key(&key)?;
    Ok(SettingsView::from(state.settings.get()))
}

/// Changes what the Settings screen shows: the name, the theme, how hosting starts; answers the settings as kept.
#[tauri::command]
pub fn update_settings(state: State<'_, AppState>, update: SettingsUpdate) -> Result<SettingsView, IpcError> {
    state.settings.update(update)?;
    Ok(SettingsView::from(state.settings.get()))
}

#[tauri::command]
pub fn copy_text<R: Runtime>(app: AppHandle<R>, text: String) -> Result<(), IpcError> {
    app.clipboard().write_text(text).map_err(|error| IpcError::new("clipboard", error.to_string()))
}

/// Opens a link from a message in the system's browser. Only `http` and `https`: a message cannot make the app
/// open a file, a mail client or any other handler, and the webview itself never navigates.
#[tauri::command]
pub fn open_link<R: Runtime>(app: AppHandle<R>, url: String) -> Result<(), IpcError> {
    let link = web_link(&url)?;
    app.opener().open_url(link.as_str(), None::<&str>).map_err(|error| IpcError::new("opener", error.to_string()))
}

/// A link the app may hand to the system's browser: `http` or `https`, and nothing else.
fn web_link(url: &str) -> Result<url::Url, IpcError> {
    let parsed = url::Url::parse(url).map_err(|error| IpcError::new("invalid", format!("Not a link: {error}")))?;
    if matches!(parsed.scheme(), "http" | "https") {
        Ok(parsed)
    } else {
        Err(IpcError::new("invalid", "Only http and https links are opened."))
    }
}

#[cfg(test)]
mod tests {
    use super::web_link;

    #[test]
    fn only_web_links_reach_the_system_browser() {
        assert!(web_link("https://example.org/a?b=1").is_ok());
        assert!(web_link("http://192.168.1.20:7878/").is_ok());
        for refused in ["javascript:alert(1)", "file:///etc/passwd", "mailto:a@b.c", "smb://server/share", "not a url"]
        {
            assert_eq!(web_link(refused).err().map(|error| error.kind), Some("invalid".to_owned()), "{refused}");
        }
    }
}
