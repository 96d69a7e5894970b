//! The cluster's ordering point (ARCHITECTURE.md, "Several hosts, one chat"): one Lua script numbers a room's
//! post, keeps it, remembers its client id and appends `(room, seq)` to the one global stream, all at once, as
//! Valkey runs a script; every host then delivers by reading that stream in order. A resend (the same author's
//! client id) is answered with the number it got the first time, and appends nothing.
//!
//! Keys, under `banter:` (one Valkey serves one chat; a Valkey Cluster would need hash tags per room, and a log
//! per shard):
//! - `banter:room:{room}:seq`: the room's last number;
//! - `banter:room:{room}:posts`: a hash from number to the post as kept (opaque here);
//! - `banter:room:{room}:sent`: a hash from `author/client id` to the number it got;
//! - `banter:log`: the stream of `room`, `seq` entries.

use redis::aio::MultiplexedConnection;
use redis::RedisResult;

const LOG: &str = "banter:log";

/// What `XREAD` answers in RESP3: each stream's entries, each an id and its fields.
type Streams = std::collections::HashMap<String, Vec<(String, std::collections::HashMap<String, String>)>>;

/// Keeps one post, or recognises a resend: `{seq, duplicate}`.
const POST: &str = r"
local memory = ARGV[2]
if memory ~= '' then
  local known = redis.call('HGET', KEYS[3], memory)
  if known then return {tonumber(known), 1} end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], seq, ARGV[3])
if memory ~= '' then redis.call('HSET', KEYS[3], memory, seq) end
redis.call('XADD', KEYS[4], '*', 'room', ARGV[1], 'seq', seq)
return {seq, 0}
";

/// A post as the log numbered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbered {
    pub seq: u64,
    /// The same author's client id had been kept already: nothing new was kept.
    pub duplicate: bool,
}

/// One entry of the global log: which room has which new post, and where the log is at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The stream's id, to read on from.
    pub id: String,
    pub room: String,
    pub seq: u64,
}

/// The log, on two connections (multiplexed: cloning shares them): one for posts and lookups, and one for the
/// reads that wait, since a connection that waits in `XREAD BLOCK` answers nothing else meanwhile.
#[derive(Clone)]
pub struct Log {
    connection: MultiplexedConnection,
    waiting: MultiplexedConnection,
    post: std::sync::Arc<redis::Script>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Log")
    }
}

fn room_key(room: &str, what: &str) -> String {
    format!("banter:room:{room}:{what}")
}

impl Log {
    pub async fn open(client: &redis::Client) -> RedisResult<Log> {
        let connection = client.get_multiplexed_async_connection().await?;
        // A wait is as long as the reader asks for: no timeout of the client's own cuts it short.
        let patient = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        let waiting = client.get_multiplexed_async_connection_with_config(&patient).await?;
        Ok(Log { connection, waiting, post: std::sync::Arc::new(redis::Script::new(POST)) })
    }

    /// Numbers and keeps a post of `room` (`body`, as the store keeps it), or recognises the resend of
    /// `author`'s `client_id`.
    pub async fn post(&self, room: &str, author: &str, client_id: Option<&str>, body: &str) -> RedisResult<Numbered> {
        let memory = client_id.map(|id| format!("{author}/{id}")).unwrap_or_default();
        let mut connection = self.connection.clone();
        let (seq, duplicate): (u64, u8) = self
            .post
            .key(room_key(room, "seq"))
            .key(room_key(room, "posts"))
            .key(room_key(room, "sent"))
            .key(LOG)
            .arg(room)
            .arg(memory)
            .arg(body)
            .invoke_async(&mut connection)
            .await?;
        Ok(Numbered { seq, duplicate: duplicate == 1 })
    }

    /// The post numbered `seq` in `room`, as kept.
    pub async fn kept(&self, room: &str, seq: u64) -> RedisResult<Option<String>> {
        let mut connection = self.connection.clone();
        redis::cmd("HGET").arg(room_key(room, "posts")).arg(seq).query_async(&mut connection).await
    }

    /// Up to `count` entries after `after` (`0` for the start), waiting up to `block_ms` for one if there is none
    /// yet (0: not at all). In the log's order, which is every room's `seq` order.
    pub async fn read(&self, after: &str, count: usize, block_ms: u64) -> RedisResult<Vec<Entry>> {
        let mut connection = if block_ms > 0 { self.waiting.clone() } else { self.connection.clone() };
        let mut command = redis::cmd("XREAD");
        command.arg("COUNT").arg(count);
        if block_ms > 0 {
            command.arg("BLOCK").arg(block_ms);
        }
        command.arg("STREAMS").arg(LOG).arg(after);
        // RESP3 answers a map of stream to entries; nil when the wait ended with nothing.
        let answer: Option<Streams> = command.query_async(&mut connection).await?;
        let entries = answer.and_then(|mut streams| streams.remove(LOG)).unwrap_or_default();
        Ok(entries
            .into_iter()
            .filter_map(|(id, fields)| {
                let seq = fields.get("seq")?.parse().ok()?;
                Some(Entry { id, room: fields.get("room")?.clone(), seq })
            })
            .collect())
    }
}
