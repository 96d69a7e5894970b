//! Who is online on the hosts of a cluster (ARCHITECTURE.md, "Several hosts, one chat"). Each host renews a
//! heartbeat that expires on its own and shares its connections (who, and in which rooms) in a hash of its own;
//! every host reads the others' and merges them with its own. A host that dies stops renewing: once its heartbeat
//! has expired, the next look leaves its people out and clears what it left behind.
//!
//! Keys: `banter:hosts` (the set of host ids), `banter:host:{id}` (the heartbeat), `banter:host:{id}:online` (a
//! hash from connection id to [`Shared`], as JSON).

use std::collections::BTreeMap;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::RedisResult;
use serde::{Deserialize, Serialize};

use crate::keys::{RoomKey, UserId};

const HOSTS: &str = "banter:hosts";

fn beat_key(host: &str) -> String {
    format!("banter:host:{host}")
}

fn online_key(host: &str) -> String {
    format!("banter:host:{host}:online")
}

/// One connection, as its host shares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shared {
    pub name: String,
    pub user: UserId,
    pub rooms: Vec<RoomKey>,
}

/// What every other live host shares: host → connection id → connection.
pub type Others = BTreeMap<String, BTreeMap<String, Shared>>;

/// One host's part of the cluster's presence.
#[derive(Clone)]
pub struct Presence {
    connection: ConnectionManager,
    host: String,
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Presence").field("host", &self.host).finish()
    }
}

impl Presence {
    /// This host's presence, on a connection that comes back by itself after the server does.
    pub async fn open(client: &redis::Client, host: &str, limit: Duration) -> RedisResult<Presence> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(limit))
            .set_response_timeout(Some(limit));
        let connection = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(Presence { connection, host: host.to_owned() })
    }

    /// Says this host is alive for `ttl` more: renewed well within it, it never lapses while the host runs.
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

    /// Replaces what this host shares with its connections now.
    pub async fn publish(&self, connections: &BTreeMap<String, Shared>) -> RedisResult<()> {
        let mut connection = self.connection.clone();
        let mut replace = redis::pipe();
        replace.atomic().cmd("DEL").arg(online_key(&self.host)).ignore();
        if !connections.is_empty() {
            let mut set = redis::cmd("HSET");
            set.arg(online_key(&self.host));
            for (id, shared) in connections {
                set.arg(id).arg(serde_json::to_string(shared).unwrap_or_default());
            }
            replace.add_command(set).ignore();
        }
        replace.query_async(&mut connection).await
    }

    /// What every other live host shares; the hosts found dead are cleared.
    pub async fn others(&self) -> RedisResult<Others> {
        let mut connection = self.connection.clone();
        let hosts: Vec<String> = redis::cmd("SMEMBERS").arg(HOSTS).query_async(&mut connection).await?;
        let mut others = Others::new();
        for host in hosts.into_iter().filter(|host| *host != self.host) {
            let alive: bool = redis::cmd("EXISTS").arg(beat_key(&host)).query_async(&mut connection).await?;
            if !alive {
                // Its heartbeat lapsed: the host is gone, and so is everyone who was on it.
                forget(&mut connection, &host).await?;
                continue;
            }
            let shared: BTreeMap<String, String> =
                redis::cmd("HGETALL").arg(online_key(&host)).query_async(&mut connection).await?;
            let connections = shared
                .into_iter()
                .filter_map(|(id, json)| serde_json::from_str::<Shared>(&json).ok().map(|shared| (id, shared)))
                .collect();
            others.insert(host, connections);
        }
        Ok(others)
    }

    /// This host stops: its people leave with it at once, not when its heartbeat lapses.
    pub async fn leave(&self) -> RedisResult<()> {
        let mut connection = self.connection.clone();
        forget(&mut connection, &self.host).await
    }
}

async fn forget(connection: &mut ConnectionManager, host: &str) -> RedisResult<()> {
    redis::pipe()
        .atomic()
        .cmd("SREM")
        .arg(HOSTS)
        .arg(host)
        .ignore()
        .cmd("DEL")
        .arg(online_key(host))
        .ignore()
        .cmd("DEL")
        .arg(beat_key(host))
        .ignore()
        .query_async(connection)
        .await
}
