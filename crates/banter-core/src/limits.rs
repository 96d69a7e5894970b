//! Every limit the host enforces, in one place, with the reason for its value. docs/PROTOCOL.md lists them too.

use std::time::Duration;

use crate::protocol::AnnouncedLimits;

/// The host's limits. [`Limits::default`] is what `banter-cli serve` and the desktop app use; tests shrink some of
/// them to reach the edges quickly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Characters in a display name. Long enough for "Firstname Lastname", short enough for a member list.
    pub max_name_chars: usize,
    /// Characters in a room name.
    pub max_room_chars: usize,
    /// Characters in one message: a long paragraph, not a file.
    pub max_message_chars: usize,
    /// Bytes in one image attachment.
    pub max_attachment_bytes: usize,
    /// Bytes of attachments the host keeps in all; past it the oldest are evicted, and messages that showed them
    /// say the image is no longer available.
    pub attachment_store_bytes: u64,
    /// Messages in one history answer (a join, `history:page`, `dm:history`, the welcome's lobby history). History
    /// itself has no limit: clients page through it.
    pub history_page: usize,
    /// Direct conversations listed in the welcome, most recent first.
    pub welcome_conversations: usize,
    /// Rooms on the host; creating one more is refused. Rooms outlive their members, so this counts every room
    /// until the host's owner deletes some.
    pub max_rooms: usize,
    /// Rooms one user (one user key) may create, so that a few people cannot fill the directory.
    pub max_rooms_per_user: usize,
    /// Names bound to user keys on the host, so that nobody can make it remember names without end.
    pub max_bound_names: usize,
    /// Rooms one connection may be in at once, the lobby included, so that one socket cannot hold every room.
    pub max_rooms_per_connection: usize,
    /// Requests a socket may make in a burst, and per second after it (a token bucket).
    pub request_burst: u32,
    pub requests_per_second: u32,
    /// Bytes of one engine.io packet over HTTP long-polling, and of one WebSocket message. An attachment travels in
    /// one message, so this is the attachment limit plus room for the packet around it.
    pub max_payload_bytes: usize,
    /// Bytes of one WebSocket frame (a message may span several frames).
    pub max_frame_bytes: usize,
    /// Packets waiting to be written to one socket before emits to it fail; a reader that stops reading loses
    /// notices, the host does not grow without bound.
    pub socket_buffer_packets: usize,
    /// Binary attachments in one incoming packet.
    pub max_incoming_binaries: usize,
    /// How long a socket may take to join a namespace after its transport opened.
    pub connect_timeout: Duration,
    /// How long the host waits for the rest of a packet whose binary parts are announced but not yet received.
    pub packet_completion_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let max_attachment_bytes = 1024 * 1024;
        Limits {
            max_name_chars: 32,
            max_room_chars: 48,
            max_message_chars: 4000,
            max_attachment_bytes,
            attachment_store_bytes: 1024 * 1024 * 1024,
            history_page: 100,
            welcome_conversations: 100,
            max_rooms: 500,
            max_rooms_per_user: 20,
            max_bound_names: 10_000,
            max_rooms_per_connection: 50,
            request_burst: 30,
            requests_per_second: 10,
            // Base64 over long-polling makes binary a third larger; 2 MiB covers a full attachment either way.
            max_payload_bytes: 2 * max_attachment_bytes,
            max_frame_bytes: 2 * max_attachment_bytes,
            socket_buffer_packets: 1024,
            max_incoming_binaries: 1,
            connect_timeout: Duration::from_secs(10),
            packet_completion_timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// The part of the limits a client needs to know to avoid being refused.
    pub fn announced(&self) -> AnnouncedLimits {
        let clamp = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
        AnnouncedLimits {
            max_message_chars: clamp(self.max_message_chars),
            max_name_chars: clamp(self.max_name_chars),
            max_room_chars: clamp(self.max_room_chars),
            max_attachment_bytes: clamp(self.max_attachment_bytes),
            history_page: clamp(self.history_page),
        }
    }
}
