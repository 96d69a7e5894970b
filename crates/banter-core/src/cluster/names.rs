//! Names across hosts: the first user to take a name keeps it on every host, however many hosts are asked for it
//! at the same moment. One Lua script settles each bind, as Valkey runs a script, at once; a host's `Registry`
//! follows what it answers. The hash `banter:names` maps a name's key to its binding, as JSON.

use redis::aio::MultiplexedConnection;
use redis::RedisResult;
use serde::{Deserialize, Serialize};

use crate::keys::{NameKey, UserId};
use crate::store::NameBinding;

const NAMES: &str = "banter:names";

/// Binds the name to the user unless another user holds it: answers `{}` when bound (or already the user's), and
/// the holder's binding otherwise.
const BIND: &str = r"
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then
  if cjson.decode(held).user == ARGV[2] then return '' end
  return held
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return ''
";

/// Frees a name: answers the binding it had, if any.
const RELEASE: &str = r"
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then redis.call('HDEL', KEYS[1], ARGV[1]) return held end
return ''
";

#[derive(Serialize, Deserialize)]
struct Stored {
    name: String,
    user: String,
    bound_at: u64,
}

fn binding(key: &str, stored: &str) -> Option<NameBinding> {
    let stored: Stored = serde_json::from_str(stored).ok()?;
    Some(NameBinding {
        key: NameKey::from_stored(key.to_owned()),
        name: stored.name,
        user: UserId::from_stored(stored.user),
        bound_at: stored.bound_at,
    })
}

#[derive(Clone)]
pub struct Names {
    connection: MultiplexedConnection,
    bind: std::sync::Arc<redis::Script>,
    release: std::sync::Arc<redis::Script>,
}

impl std::fmt::Debug for Names {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Names")
    }
}

impl Names {
    pub fn new(connection: MultiplexedConnection) -> Names {
        Names {
            connection,
            bind: std::sync::Arc::new(redis::Script::new(BIND)),
            release: std::sync::Arc::new(redis::Script::new(RELEASE)),
        }
    }

    /// Binds `binding.key` to its user, or answers the binding another user holds.
    pub async fn bind(&self, wanted: &NameBinding) -> RedisResult<Result<(), NameBinding>> {
        let stored =
            Stored { name: wanted.name.clone(), user: wanted.user.as_str().to_owned(), bound_at: wanted.bound_at };
        let json = serde_json::to_string(&stored).unwrap_or_default();
        let mut connection = self.connection.clone();
        let held: String = self
            .bind
            .key(NAMES)
            .arg(wanted.key.as_str())
            .arg(wanted.user.as_str())
            .arg(json)
            .invoke_async(&mut connection)
            .await?;
        Ok(match binding(wanted.key.as_str(), &held) {
            Some(holder) => Err(holder),
            None => Ok(()),
        })
    }

    /// Frees a name; answers the binding it had.
    pub async fn release(&self, key: &NameKey) -> RedisResult<Option<NameBinding>> {
        let mut connection = self.connection.clone();
        let held: String = self.release.key(NAMES).arg(key.as_str()).invoke_async(&mut connection).await?;
        Ok(binding(key.as_str(), &held))
    }

    /// Every binding, for a host that starts.
    pub async fn all(&self) -> RedisResult<Vec<NameBinding>> {
        let mut connection = self.connection.clone();
        let held: std::collections::HashMap<String, String> =
            redis::cmd("HGETALL").arg(NAMES).query_async(&mut connection).await?;
        Ok(held.iter().filter_map(|(key, stored)| binding(key, stored)).collect())
    }
}
