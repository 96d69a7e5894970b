//! Banter's chat engine: an embedded Socket.IO v4 host ([`host`]) and a reconnecting client ([`client`]) that
//! speak the same wire ([`protocol`]). Nothing here depends on Tauri: the desktop app, the CLI and the tests all
//! drive the same engine.

pub mod address;
pub mod client;
pub mod clock;
pub mod cluster;
pub mod discovery;
pub mod fingerprint;
pub mod host;
pub mod keys;
pub mod limits;
pub mod mention;
pub mod protocol;
pub mod store;
pub mod validate;
