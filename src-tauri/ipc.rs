//! The types that cross between Rust and the webview, declared once here; `tests/bindings.rs` writes their
//! TypeScript twins to `ui/src/bindings.ts`. Engine types (messages, rooms, users) come from the wire protocol.

use banter_core::address::AddressError;
use banter_core::client::{ClientError, ClientEvent, ConnectionState, ServerKind};
use banter_core::host::{BindError, StartError};
use banter_core::protocol::{
    AnnouncedLimits, BanInfo, ClosingReason, Conversation, DirectMessage, ErrorBody, LeaveReason, Message,
    NotifySetting, ReadMark, RoomInfo, RoomJoined, UserInfo,
};
use banter_core::store::StoreError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An error as the UI sees it: switch on `kind`, show `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    /// `invalid_address`, `unreachable`, `timeout`, `name_taken`, `invalid`, `port_in_use`, `not_connected`,
    /// `different_host` (another host answers where a remembered one was),
    /// `unsupported`, `outbox_full`, `closed`, `store_unwritable`, `store_not_banter`, `store_newer`,
    /// `store_locked`, `store_failed`, `opener` (the system could not open a link), `window`, or one of the wire's error kinds.
    pub kind: String,
    pub message: String,
}

impl IpcError {
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        IpcError { kind: kind.to_owned(), message: message.into() }
    }

    pub fn not_connected() -> Self {
        IpcError::new("not_connected", "You are not in a chat: host one or join one first.")
    }
}

impl From<ClientError> for IpcError {
    fn from(error: ClientError) -> Self {
        IpcError::new(error.kind(), error.to_string())
    }
}

impl From<ErrorBody> for IpcError {
    fn from(error: ErrorBody) -> Self {
        IpcError::new(error.kind.as_str(), error.message)
    }
}

impl From<AddressError> for IpcError {
    fn from(error: AddressError) -> Self {
        IpcError::new("invalid_address", error.to_string())
    }
}

impl From<BindError> for IpcError {
    fn from(error: BindError) -> Self {
        let kind = match error {
            BindError::PortInUse { .. } => "port_in_use",
            BindError::Other { .. } => "bind_failed",
        };
        IpcError::new(kind, error.to_string())
    }
}

impl From<StartError> for IpcError {
    fn from(error: StartError) -> Self {
        let kind = match &error {
            StartError::Store(StoreError::Unwritable { .. }) => "store_unwritable",
            StartError::Store(StoreError::NotBanter { .. }) => "store_not_banter",
            StartError::Store(StoreError::Newer { .. }) => "store_newer",
            StartError::Store(StoreError::Locked { .. }) => "store_locked",
            StartError::Store(StoreError::Full) => "storage_full",
            StartError::Store(StoreError::Unavailable(_)) => "storage_unavailable",
            StartError::Store(StoreError::Failed(_) | StoreError::Stopped) => "store_failed",
            StartError::Io(_) => "io",
            StartError::WeakAdminToken => "weak_admin_token",
            StartError::Cluster(_) => "cluster",
        };
        IpcError::new(kind, error.to_string())
    }
}

impl From<std::io::Error> for IpcError {
    fn from(error: std::io::Error) -> Self {
        IpcError::new("io", error.to_string())
    }
}

/// What the host panel shows after `host_start`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HostInfo {
    pub port: u16,
    /// Where the host keeps its rooms and history.
    pub data: String,
    /// `address:port` for every LAN address of this machine, loopback last.
    pub addresses: Vec<String>,
    /// The page browser guests open, for each address, with a QR code of it (carrying the access code, if any).
    pub guests: Vec<GuestLink>,
    /// The host's short fingerprint, which guests compare to know they reached this host.
    pub fingerprint: String,
    /// The code guests must give, when hosting with one.
    #[serde(rename = "accessCode")]
    #[ts(rename = "accessCode")]
    pub access_code: Option<String>,
    /// Bans the host kept from before (they outlive it).
    pub bans: Vec<BanInfo>,
    /// The title the host announces itself under on the network, or `None` when it does not.
    pub advertised: Option<String>,
}

/// A URL for browser guests and its QR code, for phones.
#[derive(Debug, Clone, Serialize, TS)]
pub struct GuestLink {
    pub url: String,
    /// A `data:image/svg+xml` URL of the QR code, for an `<img>`.
    #[serde(rename = "qrCode")]
    #[ts(rename = "qrCode")]
    pub qr_code: String,
}

impl GuestLink {
    /// The guest page at `address`; an access code travels in the fragment (`#code=`), which browsers send
    /// neither to the host nor in a `Referer`, so it stays out of logs.
    pub fn new(address: &str, access_code: Option<&str>) -> Self {
        let fragment = access_code.map(|code| format!("#code={}", percent_encode(code))).unwrap_or_default();
        let url = format!("http://{address}/{fragment}");
        GuestLink { qr_code: qr_code(&url), url }
    }
}

/// A `data:image/svg+xml` URL of a QR code of `text` (empty if the text is too long for one).
fn qr_code(text: &str) -> String {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|code| code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(160, 160).quiet_zone(true).build())
        .unwrap_or_default();
    format!("data:image/svg+xml;utf8,{}", percent_encode(&svg))
}

/// The settings, as the start screen and the settings panel show them.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub name: String,
    /// Most recent first.
    pub recent_addresses: Vec<String>,
    /// Hosts joined, most recent first.
    pub recent_hosts: Vec<RecentHostView>,
    /// Whether hosting announces the chat on the network.
    pub advertise: bool,
    /// This user's key: whoever has it is this user on every host. Shown so it can be carried to another device.
    pub user_key: String,
    /// A QR code of the key, for a phone.
    pub user_key_qr: String,
    /// The port hosting uses next; `null`: the default.
    pub host_port: Option<u16>,
    /// Whether hosting requires an access code.
    pub require_code: bool,
    pub theme: Theme,
}

/// The app's colours: the system's choice, or always light or dark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// What the Settings screen changes; a field left out stays as it is.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsUpdate {
    /// The name to host and join with from now on (the chat joined now keeps the name it was joined with).
    #[ts(optional)]
    pub name: Option<String>,
    #[ts(optional)]
    pub theme: Option<Theme>,
    /// 0 lets the system pick a free port (hosting then keeps the one it got).
    #[ts(optional)]
    pub host_port: Option<u16>,
    #[ts(optional)]
    pub require_code: Option<bool>,
    #[ts(optional)]
    pub advertise: Option<bool>,
}

impl From<crate::settings::Settings> for SettingsView {
    fn from(settings: crate::settings::Settings) -> Self {
        SettingsView {
            user_key_qr: qr_code(&settings.user_key),
            name: settings.name,
            recent_addresses: settings.recent_addresses,
            recent_hosts: settings.recent_hosts.into_iter().map(RecentHostView::from).collect(),
            advertise: settings.advertise,
            user_key: settings.user_key,
            host_port: settings.host_port,
            require_code: settings.require_code,
            theme: settings.theme,
        }
    }
}

/// A remembered host, as the Join screen lists it. The access code stays in Rust: the webview only learns that
/// one is kept.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecentHostView {
    pub host_id: String,
    pub fingerprint: String,
    /// Where it was last joined.
    pub address: String,
    /// What it calls itself on the network; empty if it was never seen there.
    pub title: String,
    pub has_code: bool,
}

impl From<crate::settings::RecentHost> for RecentHostView {
    fn from(host: crate::settings::RecentHost) -> Self {
        RecentHostView {
            fingerprint: banter_core::fingerprint::fingerprint(&host.host_id),
            host_id: host.host_id,
            address: host.address,
            title: host.title,
            has_code: host.access_code.is_some(),
        }
    }
}

/// Enough percent-encoding for SVG inside a data URL.
fn percent_encode(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            '%' | '#' | '<' | '>' | '"' | '\'' | '\n' | '\r' | ' ' | '?' | '&' => {
                format!("%{:02X}", u32::from(character))
            }
            other => other.to_string(),
        })
        .collect()
}

/// The connection's state, as the banner shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Status {
    Connecting {
        attempt: u32,
    },
    Connected {
        /// False on a plain Socket.IO server: lobby messages only.
        rich: bool,
    },
    Reconnecting {
        attempt: u32,
        #[serde(rename = "retryInMs")]
        #[ts(rename = "retryInMs")]
        retry_in_ms: u32,
        reason: String,
        /// The host ended the chat on purpose; the app waits quietly for it to come back.
        #[serde(rename = "endedByHost")]
        #[ts(rename = "endedByHost")]
        ended_by_host: bool,
    },
    Closed {
        reason: String,
        /// Why, when it was not the user's own doing.
        kind: Option<String>,
    },
}

/// Everything the webview hears from the chat, on the `banter:event` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UiEvent {
    Status {
        status: Status,
    },
    /// How an upload or a download stands, on every change.
    Transfer {
        transfer: crate::transfers::TransferView,
    },
    /// Files were dropped on the window; they are chosen, for the UI to send where the user is.
    FilesDropped {
        files: Vec<crate::transfers::LocalFile>,
    },
    /// Files are being dragged over the window (`over`), or no longer.
    DropHover {
        over: bool,
    },
    Welcome {
        me: String,
        /// A different id from the last welcome's means a different (or wiped) host: what was shown is gone.
        #[serde(rename = "hostId")]
        #[ts(rename = "hostId")]
        host_id: String,
        users: Vec<UserInfo>,
        rooms: Vec<RoomInfo>,
        /// Lobby messages not shown before, oldest first.
        history: Vec<Message>,
        /// Rooms this user is in (on any device), which the engine rejoins.
        #[serde(rename = "memberOf")]
        #[ts(rename = "memberOf")]
        member_of: Vec<String>,
        conversations: Vec<Conversation>,
        /// What the host refuses past: the UI says so before sending.
        limits: AnnouncedLimits,
        /// How far this user has read each room (on any device).
        reads: Vec<ReadMark>,
        /// The rooms whose notification level this user set to other than mentions (on any device).
        notify: Vec<NotifySetting>,
    },
    Message {
        message: Message,
    },
    /// How far this user has read a room now, marked on this device or another.
    Read {
        room: String,
        seq: u64,
    },
    /// Which messages of a room notify this user now, set on this device or another.
    NotifyChanged {
        setting: NotifySetting,
    },
    /// A message changed (edited, deleted, reacted to, replied to): it carries the message as it is now. Keep it
    /// only if its `rev` is higher than that of the copy shown.
    Changed {
        message: Message,
    },
    Direct {
        message: DirectMessage,
    },
    /// A direct message changed, as `changed` says of a room's.
    DirectChanged {
        message: DirectMessage,
    },
    /// How far this user has read a direct conversation now, marked on this device or another.
    DirectRead {
        conversation: String,
        seq: u64,
    },
    /// Messages of a room that were missed while away, oldest first.
    Missed {
        room: String,
        messages: Vec<Message>,
    },
    /// Direct messages missed while away, oldest first.
    MissedDirects {
        with: String,
        messages: Vec<DirectMessage>,
    },
    RoomDeleted {
        room: String,
    },
    Delivered {
        #[serde(rename = "clientId")]
        #[ts(rename = "clientId")]
        client_id: String,
    },
    /// Not kept yet: the host cannot store it now (`storage_unavailable`); it is sent again by itself.
    Held {
        #[serde(rename = "clientId")]
        #[ts(rename = "clientId")]
        client_id: String,
        error: ErrorBody,
    },
    SendFailed {
        #[serde(rename = "clientId")]
        #[ts(rename = "clientId")]
        client_id: String,
        error: ErrorBody,
    },
    Joined {
        joined: RoomJoined,
    },
    MemberJoined {
        room: String,
        user: String,
    },
    MemberLeft {
        rooms: Vec<String>,
        user: String,
        reason: LeaveReason,
    },
    UserOnline {
        user: UserInfo,
    },
    UserOffline {
        user: UserInfo,
    },
    Rooms {
        rooms: Vec<RoomInfo>,
    },
    Typing {
        room: String,
        user: String,
        active: bool,
    },
    /// A `chat message` string from a plain Socket.IO server.
    Plain {
        text: String,
    },
    Closing {
        reason: ClosingReason,
        message: String,
    },
    /// The user closed the window while this app hosts a chat: the window stays until they choose (stop hosting
    /// and quit with the `quit` command, or keep hosting), since closing would end the chat for everyone.
    CloseRequested,
}

/// Where a message the UI acts on is: a room, or a direct conversation (by its id, and the other person's name,
/// which a reply is sent to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Place {
    Room { room: String },
    Dm { conversation: String, with: String },
}

/// A message as an action left it: a room's or a direct one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(untagged)]
pub enum AnyMessage {
    Room(Message),
    Direct(DirectMessage),
}

impl UiEvent {
    /// The UI's view of an engine event; `None` for events the UI has no use for.
    pub fn from_client(event: ClientEvent) -> Option<UiEvent> {
        let ui = match event {
            ClientEvent::State(state) => UiEvent::Status { status: Status::from(state) },
            ClientEvent::Welcome(welcome) => UiEvent::Welcome {
                me: welcome.user.name,
                host_id: welcome.host_id,
                users: welcome.users,
                rooms: welcome.rooms,
                history: welcome.history,
                member_of: welcome.member_of,
                conversations: welcome.conversations,
                limits: welcome.limits,
                reads: welcome.reads,
                notify: welcome.notify,
            },
            ClientEvent::Message(message) => UiEvent::Message { message },
            ClientEvent::Changed(message) => UiEvent::Changed { message },
            ClientEvent::Read(mark) => UiEvent::Read { room: mark.room, seq: mark.seq },
            ClientEvent::NotifyChanged(setting) => UiEvent::NotifyChanged { setting },
            ClientEvent::Direct(message) => UiEvent::Direct { message },
            ClientEvent::DirectChanged(message) => UiEvent::DirectChanged { message },
            ClientEvent::DirectRead(mark) => UiEvent::DirectRead { conversation: mark.conversation, seq: mark.seq },
            ClientEvent::MissedMessages { room, messages } => UiEvent::Missed { room, messages },
            ClientEvent::MissedDirects { with, messages } => UiEvent::MissedDirects { with, messages },
            ClientEvent::RoomDeleted(room) => UiEvent::RoomDeleted { room },
            ClientEvent::Delivered { client_id } => UiEvent::Delivered { client_id },
            ClientEvent::Held { client_id, error } => UiEvent::Held { client_id, error },
            ClientEvent::SendFailed { client_id, error } => UiEvent::SendFailed { client_id, error },
            ClientEvent::Joined(joined) => UiEvent::Joined { joined },
            ClientEvent::MemberJoined(joined) => UiEvent::MemberJoined { room: joined.room, user: joined.user },
            ClientEvent::MemberLeft(left) => {
                UiEvent::MemberLeft { rooms: left.rooms, user: left.user, reason: left.reason }
            }
            ClientEvent::UserOnline(user) => UiEvent::UserOnline { user },
            ClientEvent::UserOffline(user) => UiEvent::UserOffline { user },
            ClientEvent::Rooms(rooms) => UiEvent::Rooms { rooms },
            ClientEvent::Typing(update) => {
                UiEvent::Typing { room: update.room, user: update.user, active: update.active }
            }
            ClientEvent::Plain(text) => UiEvent::Plain { text },
            ClientEvent::Closing(closing) => UiEvent::Closing { reason: closing.reason, message: closing.message },
            // Tutorial private messages address socket ids, which the desktop UI does not show.
            ClientEvent::PrivateMessage { .. } => return None,
        };
        Some(ui)
    }
}

impl From<ConnectionState> for Status {
    fn from(state: ConnectionState) -> Self {
        match state {
            ConnectionState::Connecting { attempt } => Status::Connecting { attempt },
            ConnectionState::Connected { server } => Status::Connected { rich: server == ServerKind::Banter },
            ConnectionState::Reconnecting { attempt, retry_in, reason, ended_by_host } => Status::Reconnecting {
                attempt,
                retry_in_ms: u32::try_from(retry_in.as_millis()).unwrap_or(u32::MAX),
                reason,
                ended_by_host,
            },
            ConnectionState::Closed { reason, error } => {
                Status::Closed { reason, kind: error.map(|error| error.kind().to_owned()) }
            }
        }
    }
}
