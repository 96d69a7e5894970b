//! Several hosts serving one chat through one Valkey or Redis server: what a host must know of that server before
//! it relies on it (`probe`), and the log every post is numbered and ordered by (`log`). The rest of the cluster,
//! its store and its adapter, is being built: see ARCHITECTURE.md, "Several hosts, one chat".

pub mod log;
pub mod names;
pub mod presence;
mod probe;

pub use probe::{probe, ClusterDurability, ProbeError, ServerInfo};
