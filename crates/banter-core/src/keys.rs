//! Keys that must not be mixed up with the names people see: the compiler keeps a display name from being used
//! where its normalised key is meant, and a user key (a secret) from being stored where its public id is meant.
//!
//! They serialise only for the cluster's log (`store::cluster`), which hosts alone write: a key in a client's
//! message is still made by [`crate::validate`], never deserialised from it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::protocol::LOBBY;

/// The key under which a display name is unique on a host ([`crate::validate::name_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NameKey(String);

/// A display name's second key, for look-alikes that differ in case ([`crate::validate::lookalike_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LookalikeKey(String);

impl LookalikeKey {
    pub(crate) fn from_normalised(key: String) -> Self {
        LookalikeKey(key)
    }
}

/// The key under which a room name is unique on a host ([`crate::validate::room_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoomKey(String);

/// Who a user is on a host: the SHA-256 of their user key, in hex. The user key itself is a secret the client
/// keeps; the host stores and compares only this, so a copy of its data folder does not let anyone speak as
/// its users.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

/// A message's number within its room, or within a direct conversation: 1, 2, 3… in the order the host kept them.
pub type Seq = u64;

impl NameKey {
    pub(crate) fn from_normalised(key: String) -> Self {
        NameKey(key)
    }

    /// Rebuilds a key read back from storage, where it was written by [`NameKey::as_str`].
    pub fn from_stored(key: String) -> Self {
        NameKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RoomKey {
    pub(crate) fn from_normalised(key: String) -> Self {
        RoomKey(key)
    }

    /// Rebuilds a key read back from storage, where it was written by [`RoomKey::as_str`].
    pub fn from_stored(key: String) -> Self {
        RoomKey(key)
    }

    /// The lobby's key: its name is plain ASCII, so the key is the name.
    pub fn lobby() -> Self {
        RoomKey(LOBBY.to_owned())
    }

    pub fn is_lobby(&self) -> bool {
        self.0 == LOBBY
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl UserId {
    /// The id of the user holding `user_key`.
    pub fn of_key(user_key: &str) -> Self {
        let digest = Sha256::digest(user_key.as_bytes());
        UserId(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// Rebuilds an id read back from storage, where it was written by [`UserId::as_str`].
    pub fn from_stored(id: String) -> Self {
        UserId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NameKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl fmt::Display for RoomKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_id_is_the_hash_of_the_key_not_the_key() {
        let id = UserId::of_key("correct horse battery staple");
        assert_eq!(id.as_str().len(), 64);
        assert!(!id.as_str().contains("horse"));
        assert_eq!(id, UserId::of_key("correct horse battery staple"));
        assert_ne!(id, UserId::of_key("correct horse battery stapler"));
    }
}
