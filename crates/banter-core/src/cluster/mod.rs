//! Several hosts serving one chat through one Valkey or Redis server: what a host must know of that server before
//! it relies on it. (The cluster itself, its store and its adapter, is being built: see ARCHITECTURE.md.)

mod probe;

pub use probe::{probe, ClusterDurability, ProbeError, ServerInfo};
