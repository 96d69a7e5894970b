//! Who is online on any host of a cluster (ARCHITECTURE.md, "Several hosts, one chat"). Each host renews a
//! heartbeat that expires on its own and keeps its connections in a hash of its own; who is online is the union
//! over the hosts whose heartbeat is alive. A host that dies stops renewing: once its heartbeat has expired, the
//! next look leaves its people out, and clears what it left behind.
//!
//! Keys: `banter:hosts` (the set of host ids), `banter:host:{id}` (the heartbeat), `banter:host:{id}:online` (a
//! hash from connection id to user name).

use std::collections::BTreeMap;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::RedisResult;

const HOSTS: &str = "banter:hosts";

fn beat_key(host: &str) -> String {
    format!("banter:host:{host}")
}

fn online_key(host: &str) -> String {
    format!("banter:host:{host}:online")
}

/// One host's part of the cluster's presence.
#[derive(Clone)]
pub struct Presence {
    connection: MultiplexedConnection,
    host: String,
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Presence").field("host", &self.host).finish()
    }
}

impl Presence {
    pub fn new(connection: MultiplexedConnection, host: &str) -> Presence {
        Presence { connection, host: host.to_owned() }
    }

    /// Says this host is alive for `ttl` more: renewed well within it (a third of it, say), it never lapses while
    /// the host runs.
    pub async fn beat(&self, ttl: Duration) -> RedisResult<()> {
        let mut connection = self.connection.clone();
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        redis::pipe()
            .atomic()
            .cmd("SADD")
            .arg(HOSTS)
            .arg(&self.host)
            .ignore()
            .cmd("SET")
            .arg(beat_key(&self.host))
            .arg(1)
            .arg("PX")
            .arg(millis)
            .ignore()
            .query_async(&mut connection)
            .await
    }

    pub async fn connected(&self, connection_id: &str, user: &str) -> RedisResult<()> {
        let mut connection = self.connection.clone();
        redis::cmd("HSET").arg(online_key(&self.host)).arg(connection_id).arg(user).query_async(&mut connection).await
    }

    pub async fn disconnected(&self, connection_id: &str) -> RedisResult<()> {
        let mut connection = self.connection.clone();
        redis::cmd("HDEL").arg(online_key(&self.host)).arg(connection_id).query_async(&mut connection).await
    }

    /// Everyone online on a live host, with how many connections each has; the hosts found dead are cleared.
    pub async fn online(&self) -> RedisResult<BTreeMap<String, usize>> {
        let mut connection = self.connection.clone();
        let hosts: Vec<String> = redis::cmd("SMEMBERS").arg(HOSTS).query_async(&mut connection).await?;
        let mut online = BTreeMap::new();
        for host in hosts {
            let alive: bool = redis::cmd("EXISTS").arg(beat_key(&host)).query_async(&mut connection).await?;
            if !alive {
                // Its heartbeat lapsed: the host is gone, and so is everyone who was on it.
                redis::pipe()
                    .atomic()
                    .cmd("SREM")
                    .arg(HOSTS)
                    .arg(&host)
                    .ignore()
                    .cmd("DEL")
                    .arg(online_key(&host))
                    .ignore()
                    .query_async::<()>(&mut connection)
                    .await?;
                continue;
            }
            let users: Vec<String> = redis::cmd("HVALS").arg(online_key(&host)).query_async(&mut connection).await?;
            for user in users {
                *online.entry(user).or_insert(0) += 1;
            }
        }
        Ok(online)
    }
}
