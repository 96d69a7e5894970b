//! Finding hosts without typing addresses: every host advertises itself with DNS-SD over mDNS (`mdns-sd`), and
//! clients browse for it. The record is documented in docs/PROTOCOL.md ("Discovery") so that other clients can
//! find Banter hosts.
//!
//! mDNS uses every interface that is up, loopback included; [`Interfaces::Only`] restricts it, which is how the
//! tests keep multicast inside network namespaces of their own.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent, ServiceInfo};
use serde::Serialize;

use crate::fingerprint::fingerprint;
use crate::protocol::PROTOCOL_VERSION;

/// The DNS-SD service type of a Banter host.
pub const SERVICE_TYPE: &str = "_banter._tcp.local.";

/// TXT keys of the record.
pub mod txt {
    /// The protocol version the host speaks.
    pub const PROTOCOL: &str = "v";
    /// The host's id (its fingerprint is derived from it).
    pub const HOST_ID: &str = "id";
    /// What the host calls itself: its owner's name, or `--title`.
    pub const TITLE: &str = "title";
    /// `1` when joining needs an access code, `0` otherwise.
    pub const ACCESS_CODE: &str = "code";
    /// How many people are online.
    pub const ONLINE: &str = "online";
}

/// Which network interfaces mDNS may use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Interfaces {
    /// Every interface that is up.
    #[default]
    All,
    /// Only these, by name (`eth0`).
    Only(Vec<String>),
}

impl Interfaces {
    /// `BANTER_DISCOVERY_INTERFACES=veth0,eth1` restricts discovery to those interfaces; unset, every one is used.
    pub fn from_env() -> Interfaces {
        match std::env::var("BANTER_DISCOVERY_INTERFACES") {
            Ok(names) if !names.trim().is_empty() => {
                Interfaces::Only(names.split(',').map(|name| name.trim().to_owned()).collect())
            }
            _ => Interfaces::All,
        }
    }
}

/// Whether discovery is on: `BANTER_DISCOVERY=off` turns it off (tests, and people who do not want it).
pub fn enabled_by_env() -> bool {
    !matches!(std::env::var("BANTER_DISCOVERY").as_deref(), Ok("off" | "0" | "false" | "no"))
}

#[derive(Debug, thiserror::Error)]
#[error("mDNS: {0}")]
pub struct DiscoveryError(String);

impl From<mdns_sd::Error> for DiscoveryError {
    fn from(error: mdns_sd::Error) -> Self {
        DiscoveryError(error.to_string())
    }
}

fn daemon(interfaces: &Interfaces) -> Result<ServiceDaemon, DiscoveryError> {
    let daemon = ServiceDaemon::new()?;
    if let Interfaces::Only(names) = interfaces {
        daemon.disable_interface(IfKind::All)?;
        daemon.enable_interface(names.iter().map(|name| IfKind::Name(name.clone())).collect::<Vec<_>>())?;
    }
    Ok(daemon)
}

/// What a host says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    pub host_id: String,
    pub title: String,
    pub port: u16,
    pub access_code: bool,
    pub online: usize,
}

/// A host's record on the network. Dropping it withdraws the record (an mDNS goodbye, so that browsers drop it
/// at once) and stops the daemon.
pub struct Advertisement {
    daemon: ServiceDaemon,
    advert: Advert,
    fullname: String,
}

impl std::fmt::Debug for Advertisement {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Advertisement").field("advert", &self.advert).field("fullname", &self.fullname).finish()
    }
}

impl Advertisement {
    pub fn start(advert: Advert, interfaces: &Interfaces) -> Result<Advertisement, DiscoveryError> {
        let daemon = daemon(interfaces)?;
        let info = service_info(&advert)?;
        let fullname = info.get_fullname().to_owned();
        daemon.register(info)?;
        Ok(Advertisement { daemon, advert, fullname })
    }

    /// Announces a new online count (the record is registered again with its new TXT).
    pub fn set_online(&mut self, online: usize) -> Result<(), DiscoveryError> {
        if online == self.advert.online {
            return Ok(());
        }
        self.advert.online = online;
        self.daemon.register(service_info(&self.advert)?)?;
        Ok(())
    }
}

/// How long withdrawing the record may hold up a host that stops.
const GOODBYE_WAIT: Duration = Duration::from_secs(1);

impl Drop for Advertisement {
    fn drop(&mut self) {
        // The goodbye is sent by the daemon's thread: waiting (briefly) for it to be out means that a host whose
        // process ends right after this does not stay listed on the network until its record expires. The wait
        // blocks, once, while the host stops.
        match self.daemon.unregister(&self.fullname) {
            Ok(withdrawn) => {
                if withdrawn.recv_timeout(GOODBYE_WAIT).is_err() {
                    tracing::debug!("the mDNS goodbye was not confirmed in time");
                }
            }
            Err(error) => tracing::warn!(%error, "could not withdraw the mDNS record"),
        }
        if let Err(error) = self.daemon.shutdown() {
            tracing::debug!(%error, "the mDNS daemon was already stopped");
        }
    }
}

fn service_info(advert: &Advert) -> Result<ServiceInfo, DiscoveryError> {
    let short = fingerprint(&advert.host_id);
    // Instance names must be unique on the network: the fingerprint tells apart two hosts with one title.
    let instance = format!("{} ({short})", advert.title);
    let hostname = format!("banter-{}.local.", short.to_lowercase());
    let properties = [
        (txt::PROTOCOL, PROTOCOL_VERSION.to_string()),
        (txt::HOST_ID, advert.host_id.clone()),
        (txt::TITLE, advert.title.clone()),
        (txt::ACCESS_CODE, if advert.access_code { "1" } else { "0" }.to_owned()),
        (txt::ONLINE, advert.online.to_string()),
    ];
    Ok(ServiceInfo::new(SERVICE_TYPE, &instance, &hostname, "", advert.port, &properties[..])?.enable_addr_auto())
}

/// A host found on the network.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundHost {
    pub host_id: String,
    pub fingerprint: String,
    pub title: String,
    /// `ip:port` for each IPv4 address it announced, in order.
    #[cfg_attr(feature = "ts", ts(type = "string[]"))]
    pub addresses: Vec<SocketAddr>,
    pub online: usize,
    pub access_code: bool,
    pub protocol: u32,
}

impl FoundHost {
    /// The order lists show hosts in: by title, ignoring case, then by id so that the order is stable.
    pub fn listing_order(a: &FoundHost, b: &FoundHost) -> std::cmp::Ordering {
        a.title.to_lowercase().cmp(&b.title.to_lowercase()).then_with(|| a.host_id.cmp(&b.host_id))
    }

    fn from_resolved(service: &mdns_sd::ResolvedService) -> Option<FoundHost> {
        let property = |key: &str| service.get_property_val_str(key).map(str::to_owned);
        let host_id = property(txt::HOST_ID)?;
        let mut addresses: Vec<SocketAddr> = service
            .get_addresses_v4()
            .into_iter()
            .map(|ip| SocketAddr::new(IpAddr::V4(ip), service.get_port()))
            .collect();
        addresses.sort();
        Some(FoundHost {
            fingerprint: fingerprint(&host_id),
            title: property(txt::TITLE).unwrap_or_default(),
            addresses,
            online: property(txt::ONLINE).and_then(|online| online.parse().ok()).unwrap_or(0),
            access_code: property(txt::ACCESS_CODE).as_deref() == Some("1"),
            protocol: property(txt::PROTOCOL).and_then(|version| version.parse().ok()).unwrap_or(0),
            host_id,
        })
    }
}

/// What browsing reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A host appeared, or its record changed (its online count, its addresses).
    Host(FoundHost),
    /// A host withdrew its record, or it expired: the host's id.
    Gone(String),
}

/// Browses for hosts until dropped.
pub struct Browser {
    daemon: ServiceDaemon,
    events: mdns_sd::Receiver<ServiceEvent>,
    /// Instance name → host id, so that a withdrawal says which host went.
    instances: HashMap<String, String>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Browser").field("instances", &self.instances).finish()
    }
}

impl Browser {
    pub fn start(interfaces: &Interfaces) -> Result<Browser, DiscoveryError> {
        let daemon = daemon(interfaces)?;
        let events = daemon.browse(SERVICE_TYPE)?;
        Ok(Browser { daemon, events, instances: HashMap::new() })
    }

    /// The next change, or `None` once `within` has passed without one (or the daemon has stopped).
    pub async fn next(&mut self, within: Duration) -> Option<Found> {
        tokio::time::timeout(within, self.change()).await.ok().flatten()
    }

    /// The next change, however long it takes; `None` once the daemon has stopped. Cancel-safe: an event is
    /// taken off the channel and handled without an await in between.
    pub async fn change(&mut self) -> Option<Found> {
        loop {
            match self.events.recv_async().await.ok()? {
                ServiceEvent::ServiceResolved(service) => {
                    let Some(host) = FoundHost::from_resolved(&service) else { continue };
                    self.instances.insert(service.fullname.clone(), host.host_id.clone());
                    return Some(Found::Host(host));
                }
                ServiceEvent::ServiceRemoved(_, fullname) => {
                    if let Some(host_id) = self.instances.remove(&fullname) {
                        return Some(Found::Gone(host_id));
                    }
                }
                _ => {}
            }
        }
    }

    /// Every host heard of within `window`, each once, with its latest record.
    pub async fn collect(&mut self, window: Duration) -> Vec<FoundHost> {
        let deadline = tokio::time::Instant::now() + window;
        let mut hosts: Vec<FoundHost> = Vec::new();
        while let Some(found) = self.next(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
            match found {
                Found::Host(host) => {
                    hosts.retain(|known| known.host_id != host.host_id);
                    hosts.push(host);
                }
                Found::Gone(host_id) => hosts.retain(|known| known.host_id != host_id),
            }
        }
        hosts.sort_by(FoundHost::listing_order);
        hosts
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.daemon.stop_browse(SERVICE_TYPE);
        let _ = self.daemon.shutdown();
    }
}
