//! Checks a Valkey or Redis server before a host relies on it: that it can be reached, that the password is right,
//! that it speaks RESP3 (which `socketioxide-redis` needs) and is recent enough (Redis 7, or any Valkey), and how
//! durable what it keeps is (`appendonly`, `appendfsync`), which the host logs at start.

use std::time::Duration;

use url::Url;

/// The oldest Redis that serves a cluster: RESP3 and sharded pub/sub came with 7.0.
const OLDEST_REDIS: (u32, u32) = (7, 0);

/// How much of what the server acknowledged a crash of the server itself can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterDurability {
    /// `appendonly yes`, `appendfsync always`: every acknowledged write is on disk.
    EveryWrite,
    /// `appendonly yes`, `appendfsync everysec`: about the last second.
    EverySecond,
    /// `appendonly yes`, `appendfsync no`: whatever the operating system had not written yet.
    WhenTheSystemWrites,
    /// `appendonly no`: only snapshots, if any; everything since the last one.
    Snapshots,
    /// The server does not say (`CONFIG` is disabled, as on some managed services).
    Unknown,
}

impl ClusterDurability {
    fn from_config(appendonly: Option<&str>, appendfsync: Option<&str>) -> ClusterDurability {
        match (appendonly, appendfsync) {
            (Some("yes"), Some("always")) => ClusterDurability::EveryWrite,
            (Some("yes"), Some("everysec")) => ClusterDurability::EverySecond,
            (Some("yes"), Some("no")) => ClusterDurability::WhenTheSystemWrites,
            (Some("no"), _) => ClusterDurability::Snapshots,
            _ => ClusterDurability::Unknown,
        }
    }

    /// The sentence the host logs at start.
    pub fn describe(self) -> &'static str {
        match self {
            ClusterDurability::EveryWrite => {
                "appendonly yes, appendfsync always: an acknowledged message survives a crash of any host or of the \
                 server"
            }
            ClusterDurability::EverySecond => {
                "appendonly yes, appendfsync everysec: a crash of the server itself can lose about the last second \
                 of acknowledged messages"
            }
            ClusterDurability::WhenTheSystemWrites => {
                "appendonly yes, appendfsync no: a crash of the server's machine can lose what its system had not \
                 written yet (usually up to 30 seconds)"
            }
            ClusterDurability::Snapshots => {
                "appendonly no: a crash of the server loses every acknowledged message since its last snapshot; set \
                 appendonly yes"
            }
            ClusterDurability::Unknown => {
                "unknown: the server does not answer CONFIG GET, so its durability is its own"
            }
        }
    }
}

/// What the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// `HOST:PORT`, without the password the URL may hold: for people.
    pub address: String,
    /// `Valkey` or `Redis`.
    pub software: String,
    pub version: String,
    pub durability: ClusterDurability,
}

/// Why a server cannot serve a cluster, in words a host's owner can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "{0} is not a Valkey or Redis address: use redis://HOST:PORT[/DB] (with redis://:PASSWORD@… if it needs one)"
    )]
    BadUrl(String),
    #[error("could not reach Valkey/Redis at {address}: {why}")]
    Unreachable { address: String, why: String },
    #[error("Valkey/Redis at {0} needs a password: give it in the URL, redis://:PASSWORD@HOST:PORT")]
    NeedsPassword(String),
    #[error("Valkey/Redis at {0} refused the password (or the user) in the URL")]
    WrongPassword(String),
    #[error("the server at {0} does not speak RESP3, which a cluster needs: use Redis 7 or later, or Valkey")]
    NoResp3(String),
    #[error("the server at {address} is {software} {version}; a cluster needs Redis 7.0 or later, or Valkey")]
    TooOld { address: String, software: String, version: String },
    #[error(
        "the server at {address} may evict keys when its memory is full (maxmemory-policy {policy}), which would lose \
         the chat's history: set maxmemory-policy noeviction"
    )]
    Evicts { address: String, policy: String },
    #[error("the server at {address} answered what Banter cannot use: {why}")]
    Unexpected { address: String, why: String },
}

/// The URL the `redis` client is given: the host's, asking for RESP3.
fn client_url(raw: &str) -> Result<(Url, String), ProbeError> {
    let mut url = Url::parse(raw).map_err(|_| ProbeError::BadUrl(raw.to_owned()))?;
    if url.scheme() != "redis" || url.host_str().is_none() {
        return Err(ProbeError::BadUrl(raw.to_owned()));
    }
    let address = format!("{}:{}", url.host_str().unwrap_or_default(), url.port().unwrap_or(6379));
    let others: Vec<(String, String)> =
        url.query_pairs().filter(|(key, _)| key != "protocol").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    url.query_pairs_mut().clear().extend_pairs(others).append_pair("protocol", "resp3");
    Ok((url, address))
}

/// `INFO server`'s lines, as (software, version).
fn software_and_version(info: &str) -> Option<(String, String)> {
    let field = |name: &str| {
        info.lines().find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(':'))).map(str::trim)
    };
    if let Some(version) = field("valkey_version") {
        return Some(("Valkey".to_owned(), version.to_owned()));
    }
    field("redis_version").map(|version| ("Redis".to_owned(), version.to_owned()))
}

/// Whether this software at this version can serve a cluster.
fn recent_enough(software: &str, version: &str) -> bool {
    if software == "Valkey" {
        return true;
    }
    let mut parts = version.split('.').map(|part| part.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= OLDEST_REDIS
}

fn classify(address: &str, error: &redis::RedisError) -> ProbeError {
    let said = error.to_string();
    let upper = said.to_ascii_uppercase();
    if upper.contains("NOAUTH") || upper.contains("AUTHENTICATION REQUIRED") {
        ProbeError::NeedsPassword(address.to_owned())
    } else if upper.contains("WRONGPASS") || upper.contains("INVALID PASSWORD") || upper.contains("INVALID USERNAME") {
        ProbeError::WrongPassword(address.to_owned())
    } else if upper.contains("HELLO") || upper.contains("NOPROTO") {
        ProbeError::NoResp3(address.to_owned())
    } else if error.is_io_error() || error.is_connection_refusal() || error.is_timeout() {
        ProbeError::Unreachable { address: address.to_owned(), why: said }
    } else {
        ProbeError::Unexpected { address: address.to_owned(), why: said }
    }
}

/// Connects to the server at `url` (within `limit`), and says what it is or why it will not do. Answers the client,
/// to go on with.
pub async fn probe(url: &str, limit: Duration) -> Result<(redis::Client, ServerInfo), ProbeError> {
    let (client_url, address) = client_url(url)?;
    let client = redis::Client::open(client_url.as_str()).map_err(|_| ProbeError::BadUrl(url.to_owned()))?;
    let unreachable = |why: String| ProbeError::Unreachable { address: address.clone(), why };
    let mut connection = tokio::time::timeout(limit, client.get_multiplexed_async_connection())
        .await
        .map_err(|_| unreachable(format!("no answer within {} s", limit.as_secs())))?
        .map_err(|error| classify(&address, &error))?;
    let info: String = tokio::time::timeout(limit, redis::cmd("INFO").arg("server").query_async(&mut connection))
        .await
        .map_err(|_| unreachable("no answer to INFO".to_owned()))?
        .map_err(|error| classify(&address, &error))?;
    let Some((software, version)) = software_and_version(&info) else {
        return Err(ProbeError::Unexpected { address, why: "INFO named no version".to_owned() });
    };
    if !recent_enough(&software, &version) {
        return Err(ProbeError::TooOld { address, software, version });
    }
    let config = |name: &'static str| {
        let mut connection = connection.clone();
        async move {
            // A map in RESP3 (a list of pairs in RESP2): read as one either way.
            let answer: redis::RedisResult<std::collections::HashMap<String, String>> =
                redis::cmd("CONFIG").arg("GET").arg(name).query_async(&mut connection).await;
            answer.ok().and_then(|mut pairs| pairs.remove(name))
        }
    };
    let (appendonly, appendfsync) = (config("appendonly").await, config("appendfsync").await);
    let durability = ClusterDurability::from_config(appendonly.as_deref(), appendfsync.as_deref());
    // The log is the chat: a server that may drop keys to make room would drop history.
    if let Some(policy) = config("maxmemory-policy").await.filter(|policy| policy != "noeviction") {
        return Err(ProbeError::Evicts { address, policy });
    }
    Ok((client, ServerInfo { address, software, version, durability }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_redis_urls_are_taken_and_each_asks_for_resp3() {
        let (url, address) = client_url("redis://:secret@10.0.0.5:6380/2").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(url.as_str(), "redis://:secret@10.0.0.5:6380/2?protocol=resp3");
        assert_eq!(address, "10.0.0.5:6380");
        assert_eq!(client_url("redis://db.local").map(|(_, address)| address), Ok("db.local:6379".to_owned()));
        assert!(matches!(client_url("http://db.local:6379"), Err(ProbeError::BadUrl(_))));
        assert!(matches!(client_url("db.local:6379"), Err(ProbeError::BadUrl(_))));
    }

    #[test]
    fn valkey_is_named_by_its_own_version_and_old_redis_is_refused() {
        let valkey = "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.2\r\n";
        assert_eq!(software_and_version(valkey), Some(("Valkey".to_owned(), "8.0.2".to_owned())));
        let redis = "# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\n";
        assert_eq!(software_and_version(redis), Some(("Redis".to_owned(), "6.2.14".to_owned())));
        assert!(!recent_enough("Redis", "6.2.14"));
        assert!(recent_enough("Redis", "7.0.15"));
        assert!(recent_enough("Valkey", "7.2.5"));
    }

    #[test]
    fn durability_is_read_from_the_append_only_settings() {
        assert_eq!(ClusterDurability::from_config(Some("yes"), Some("always")), ClusterDurability::EveryWrite);
        assert_eq!(ClusterDurability::from_config(Some("yes"), Some("everysec")), ClusterDurability::EverySecond);
        assert_eq!(ClusterDurability::from_config(Some("no"), Some("everysec")), ClusterDurability::Snapshots);
        assert_eq!(ClusterDurability::from_config(None, None), ClusterDurability::Unknown);
    }
}
