//! The types that cross between Rust and the webview, declared once here; `tests/bindings.rs` writes their
//! TypeScript twins to `ui/src/bindings.ts`. Engine types (messages, rooms, users) come from the wire protocol.

use banter_core::address::AddressError;
use banter_core::client::{ClientError, ClientEvent, ConnectionState, ServerKind};
use banter_core::host::BindError;
use banter_core::protocol::{
    ClosingReason, DirectMessage, ErrorBody, LeaveReason, Message, RoomInfo, RoomJoined, UserInfo,
};
use serde::Serialize;
use ts_rs::TS;

/// An error as the UI sees it: switch on `kind`, show `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    /// `invalid_address`, `unreachable`, `timeout`, `name_taken`, `invalid`, `port_in_use`, `not_connected`,
    /// `unsupported`, `outbox_full`, `closed`, or one of the wire's error kinds.
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

impl From<std::io::Error> for IpcError {
    fn from(error: std::io::Error) -> Self {
        IpcError::new("io", error.to_string())
    }
}

/// What the host panel shows after `host_start`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HostInfo {
    pub port: u16,
    /// `address:port` for every LAN address of this machine, loopback last.
    pub addresses: Vec<String>,
    /// The page browser guests open, for each address, with a QR code of it.
    pub guests: Vec<GuestLink>,
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
    pub fn new(address: &str) -> Self {
        let url = format!("http://{address}/");
        let svg = qrcode::QrCode::new(url.as_bytes())
            .map(|code| {
                code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(160, 160).quiet_zone(true).build()
            })
            .unwrap_or_default();
        GuestLink { url, qr_code: format!("data:image/svg+xml;utf8,{}", percent_encode(&svg)) }
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
    Welcome {
        me: String,
        users: Vec<UserInfo>,
        rooms: Vec<RoomInfo>,
        history: Vec<Message>,
    },
    Message {
        message: Message,
    },
    Direct {
        message: DirectMessage,
    },
    Delivered {
        #[serde(rename = "clientId")]
        #[ts(rename = "clientId")]
        client_id: String,
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
}

impl UiEvent {
    /// The UI's view of an engine event; `None` for events the UI has no use for.
    pub fn from_client(event: ClientEvent) -> Option<UiEvent> {
        let ui = match event {
            ClientEvent::State(state) => UiEvent::Status { status: Status::from(state) },
            ClientEvent::Welcome(welcome) => UiEvent::Welcome {
                me: welcome.user.name,
                users: welcome.users,
                rooms: welcome.rooms,
                history: welcome.history,
            },
            ClientEvent::Message(message) => UiEvent::Message { message },
            ClientEvent::Direct(message) => UiEvent::Direct { message },
            ClientEvent::Delivered { client_id } => UiEvent::Delivered { client_id },
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
            ConnectionState::Reconnecting { attempt, retry_in, reason } => Status::Reconnecting {
                attempt,
                retry_in_ms: u32::try_from(retry_in.as_millis()).unwrap_or(u32::MAX),
                reason,
            },
            ConnectionState::Closed { reason, error } => {
                Status::Closed { reason, kind: error.map(|error| error.kind().to_owned()) }
            }
        }
    }
}
