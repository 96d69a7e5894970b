//! Several hosts serving one chat through one Valkey or Redis server: what a host must know of that server before
//! it relies on it (`probe`), and who is online on which host (`presence`). The chat itself, kept in the server's
//! log and applied by every host, is [`crate::store::ClusterStore`]. See ARCHITECTURE.md, "Several hosts, one
//! chat".

pub mod driver;
pub mod presence;
mod probe;

pub use probe::{probe, ClusterDurability, ProbeError, ServerInfo};
