//! Every limit the host enforces, in one place, with the reason for its value. docs/PROTOCOL.md lists them too.

use std::time::Duration;

use crate::protocol::AnnouncedLimits;

/// Characters of the answered message that a reply quotes: a line's worth, to recognise it by. The store cuts the
/// quote, so this is not a setting.
pub const QUOTE_CHARS: usize = 120;

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
    /// Different emoji on one message. Enough for any real conversation; without it one user could make every
    /// copy of a message carry thousands of reactions.
    pub max_reactions_per_message: usize,
    /// Hits in one search answer; clients page on.
    pub search_page: usize,
    /// Characters of a search, and the words of it that count (the rest are ignored): a search is a few words,
    /// and each word is one more pass over the index.
    pub max_search_chars: usize,
    pub max_search_words: usize,
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
    /// Typing notices a socket may send in a burst, and per second after it: a budget of their own, so that a
    /// fast typist's notices (one every few key presses) never make their messages wait. Past it, notices are
    /// dropped; the next one a moment later says the same.
    pub typing_burst: u32,
    pub typing_per_second: u32,
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
    /// What one source address may open, and what the host accepts from the network before any Socket.IO.
    pub network: NetworkLimits,
    /// Shared files: their size, the host's quota, and uploads at once.
    pub files: FileLimits,
}

/// What bounds files on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// Bytes in one file (`banter-cli serve --max-file-size`).
    pub max_file_bytes: u64,
    /// Bytes of files kept in all, unfinished uploads counted at their full size: a file that would not fit is
    /// refused before a byte is sent.
    pub quota_bytes: u64,
    /// Unfinished uploads one user may have at once.
    pub per_user: usize,
    /// Unfinished uploads on the host at once.
    pub per_host: usize,
}

impl Default for FileLimits {
    fn default() -> Self {
        // 4 GiB: a feature-length video. 64 GiB: a fraction of a disk today. Four uploads at once per person, 64
        // on the host: enough for a folder dropped at once, few enough that one person cannot hold every slot.
        FileLimits { max_file_bytes: 4 << 30, quota_bytes: 64 << 30, per_user: 4, per_host: 64 }
    }
}

/// Limits on connections and handshakes, per source address and in all. An address is an IPv4 address, or an
/// IPv6 /64 (one machine may hold a whole /64, so counting single IPv6 addresses would count nothing).
///
/// The defaults are chosen so that a household or a small office behind one address (a NAT, a VPN) never meets
/// them, while one machine that floods the host is held to a small share of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkLimits {
    /// TCP connections open at once, in all. The host lowers it further to stay below its open-file limit
    /// (less [`RESERVED_FILES`]), so that it can always open its database and accept an honest client.
    pub max_connections: usize,
    /// TCP connections open at once from one address. A person uses one (its WebSocket) and a browser briefly
    /// up to six more for the page and images: 256 is a few dozen people behind one NAT.
    pub max_connections_per_address: usize,
    /// New Engine.IO sessions (handshakes) from one address: a burst, then so many a second. A whole office
    /// behind one address reconnecting after a restart fits in the burst.
    pub handshake_burst_per_address: u32,
    pub handshakes_per_second_per_address: u32,
    /// Sessions that have not yet joined a namespace, from one address and in all. Each holds memory until it
    /// joins or its `connect_timeout` passes; an honest client joins within milliseconds.
    pub max_unjoined_per_address: usize,
    pub max_unjoined: usize,
    /// Rooms the people at one address may create, counted since the host started. User keys cost nothing to
    /// make up and a client without one gets a new identity each time it connects, so the per-user limit alone
    /// would let a few sockets fill the room directory; this one holds a single machine to a tenth of it.
    pub max_rooms_per_address: usize,
    /// Bytes of a request's start line and headers, and how many headers it may have. Browsers send 1–2 KiB.
    pub max_header_bytes: usize,
    pub max_headers: usize,
    /// How long a client may take to send a request's headers, counted from the moment the host waits for them
    /// (so an idle keep-alive connection is closed after it too).
    pub header_read_timeout: Duration,
    /// Wrong secrets (the admin token) one address may try: a burst, then so many a minute. Past it, even the
    /// right one is refused until the budget refills, so guessing is as slow as the rate.
    pub secret_attempt_burst: u32,
    pub secret_attempts_per_minute: u32,
    /// How often the host writes a line about refusals from one address (cross-origin, foreign names, limits);
    /// between lines it counts them, and the next line says how many it did not log.
    pub refusal_log_interval: Duration,
}

/// File descriptors the host keeps for itself (its database and its WAL, attachments being written, logs, DNS,
/// the listener) below the open-file limit when it caps connections.
pub const RESERVED_FILES: u64 = 128;

impl Default for NetworkLimits {
    fn default() -> Self {
        NetworkLimits {
            max_connections: 16_384,
            max_connections_per_address: 256,
            handshake_burst_per_address: 64,
            handshakes_per_second_per_address: 16,
            max_unjoined_per_address: 64,
            max_unjoined: 2048,
            max_rooms_per_address: 50,
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            header_read_timeout: Duration::from_secs(10),
            secret_attempt_burst: 5,
            secret_attempts_per_minute: 5,
            refusal_log_interval: Duration::from_secs(10),
        }
    }
}

impl NetworkLimits {
    /// Limits that no single address meets, for programs that open thousands of sessions from one address on
    /// purpose (the benchmarks). The totals stay.
    pub fn without_per_address_limits() -> Self {
        let defaults = NetworkLimits::default();
        NetworkLimits {
            max_connections_per_address: defaults.max_connections,
            handshake_burst_per_address: u32::MAX,
            handshakes_per_second_per_address: u32::MAX,
            max_unjoined_per_address: defaults.max_unjoined,
            max_rooms_per_address: usize::MAX,
            ..defaults
        }
    }
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
            max_reactions_per_message: 20,
            search_page: 50,
            max_search_chars: 200,
            max_search_words: 8,
            welcome_conversations: 100,
            max_rooms: 500,
            max_rooms_per_user: 20,
            max_bound_names: 10_000,
            max_rooms_per_connection: 50,
            request_burst: 30,
            requests_per_second: 10,
            typing_burst: 10,
            typing_per_second: 5,
            // Base64 over long-polling makes binary a third larger; 2 MiB covers a full attachment either way.
            max_payload_bytes: 2 * max_attachment_bytes,
            max_frame_bytes: 2 * max_attachment_bytes,
            socket_buffer_packets: 1024,
            max_incoming_binaries: 1,
            connect_timeout: Duration::from_secs(10),
            packet_completion_timeout: Duration::from_secs(10),
            network: NetworkLimits::default(),
            files: FileLimits::default(),
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
            max_reactions_per_message: clamp(self.max_reactions_per_message),
            quote_chars: clamp(QUOTE_CHARS),
            search_page: clamp(self.search_page),
            max_file_bytes: self.files.max_file_bytes,
        }
    }
}
