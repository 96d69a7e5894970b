//! The cluster's log: one Valkey Stream, `banter:log`, that every host appends its writes to and reads back in the
//! stream's order. `XADD` is the ordering point: Valkey runs commands one at a time, so the stream has one order
//! that every reader sees, and an entry is on the server's disk (with `appendfsync always`) before `XADD` answers.
//!
//! An entry's fields: `o`, the host instance that wrote it; `t`, that instance's ticket, which tells it which of
//! its callers waits for the outcome; `c`, the command as JSON; `b`, the bytes of an attachment, raw.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::RedisResult;

pub(super) const LOG: &str = "banter:log";
/// The chat's id and the time it began (`id:millis`), made by the first host that opened the log and kept by every
/// one after it.
const CHAT: &str = "banter:chat";
/// How long one waiting read lasts before it asks again; short, so that a dead link is noticed soon.
const WAIT: Duration = Duration::from_secs(2);

/// What `XREAD` answers: each stream's entries, each an id and its fields.
type Streams = HashMap<String, Vec<(String, HashMap<String, Vec<u8>>)>>;

/// One entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The stream's id (`milliseconds-sequence`), to read on from.
    pub id: String,
    pub origin: String,
    pub ticket: u64,
    pub command: Vec<u8>,
    pub bytes: Vec<u8>,
}

impl Entry {
    /// A number drawn from the entry's id, the same on every host: new messages' ids are made from it.
    pub fn seed(&self) -> u64 {
        let (millis, sequence) = self.id.split_once('-').unwrap_or((&self.id, "0"));
        let (millis, sequence) = (millis.parse::<u64>().unwrap_or(0), sequence.parse::<u64>().unwrap_or(0));
        millis.rotate_left(20) ^ sequence
    }
}

/// The log on two connections that reconnect by themselves: one for appends, and one for the reads that wait,
/// since a connection waiting in `XREAD BLOCK` answers nothing else meanwhile.
#[derive(Clone)]
pub(super) struct Log {
    appending: ConnectionManager,
    reading: ConnectionManager,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Log")
    }
}

impl Log {
    pub async fn open(client: &redis::Client, limit: Duration) -> RedisResult<Log> {
        // A broken link fails the call at hand (the caller hears the server is unreachable); the next call gets a
        // new connection. Retries are the caller's: a write is never sent twice behind its back.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1))
            .set_connection_timeout(Some(limit))
            .set_response_timeout(Some(limit));
        let appending = ConnectionManager::new_with_config(client.clone(), config.clone()).await?;
        // A wait is as long as the reader asks for, and a little more for the answer.
        let reading =
            ConnectionManager::new_with_config(client.clone(), config.set_response_timeout(Some(WAIT + limit))).await?;
        Ok(Log { appending, reading })
    }

    /// The chat's id and the time it began: this host's proposal if it is the first, else what the first host
    /// made.
    pub async fn chat(&self, id: &str, began: u64) -> RedisResult<(String, u64)> {
        let mut connection = self.appending.clone();
        let proposal = format!("{id}:{began}");
        let _: Option<String> =
            redis::cmd("SET").arg(CHAT).arg(proposal).arg("NX").query_async(&mut connection).await?;
        let kept: String = redis::cmd("GET").arg(CHAT).query_async(&mut connection).await?;
        let (id, began) = kept.split_once(':').unwrap_or((&kept, "0"));
        Ok((id.to_owned(), began.parse().unwrap_or(0)))
    }

    /// Appends one entry; answers its id once the server has it.
    pub async fn append(&self, origin: &str, ticket: u64, command: &[u8], bytes: &[u8]) -> RedisResult<String> {
        let mut connection = self.appending.clone();
        let mut append = redis::cmd("XADD");
        append.arg(LOG).arg("*").arg("o").arg(origin).arg("t").arg(ticket).arg("c").arg(command);
        if !bytes.is_empty() {
            append.arg("b").arg(bytes);
        }
        append.query_async(&mut connection).await
    }

    /// Up to `count` entries after `after` (`0-0` for the start), in the log's order. With `wait`, a read that finds
    /// nothing waits a moment for an entry and then answers empty.
    pub async fn read(&self, after: &str, count: usize, wait: bool) -> RedisResult<Vec<Entry>> {
        let mut connection = if wait { self.reading.clone() } else { self.appending.clone() };
        let mut command = redis::cmd("XREAD");
        command.arg("COUNT").arg(count);
        if wait {
            command.arg("BLOCK").arg(u64::try_from(WAIT.as_millis()).unwrap_or(u64::MAX));
        }
        command.arg("STREAMS").arg(LOG).arg(after);
        // RESP3 answers a map of stream to entries; nil when the wait ended with nothing.
        let answer: Option<Streams> = command.query_async(&mut connection).await?;
        let entries = answer.and_then(|mut streams| streams.remove(LOG)).unwrap_or_default();
        Ok(entries
            .into_iter()
            .map(|(id, mut fields)| {
                let text = |value: Option<Vec<u8>>| String::from_utf8(value.unwrap_or_default()).unwrap_or_default();
                Entry {
                    origin: text(fields.remove("o")),
                    ticket: text(fields.remove("t")).parse().unwrap_or(0),
                    command: fields.remove("c").unwrap_or_default(),
                    bytes: fields.remove("b").unwrap_or_default(),
                    id,
                }
            })
            .collect())
    }

    /// The id of the newest entry the server has ever appended (`0-0` for none), which survives trimming: a copy
    /// that has read past it holds entries the server has lost.
    pub async fn last_id(&self) -> RedisResult<String> {
        let mut connection = self.appending.clone();
        let info: redis::RedisResult<HashMap<String, redis::Value>> =
            redis::cmd("XINFO").arg("STREAM").arg(LOG).query_async(&mut connection).await;
        match info {
            Ok(info) => Ok(info
                .get("last-generated-id")
                .and_then(|value| redis::from_redis_value_ref::<String>(value).ok())
                .unwrap_or_else(|| "0-0".to_owned())),
            // No stream yet.
            Err(error) if error.to_string().contains("no such key") => Ok("0-0".to_owned()),
            Err(error) => Err(error),
        }
    }
}

/// Whether stream id `a` comes after `b`.
pub(super) fn is_after(a: &str, b: &str) -> bool {
    let parts = |id: &str| {
        let (millis, sequence) = id.split_once('-').unwrap_or((id, "0"));
        (millis.parse::<u64>().unwrap_or(0), sequence.parse::<u64>().unwrap_or(0))
    };
    parts(a) > parts(b)
}
