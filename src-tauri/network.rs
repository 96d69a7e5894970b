//! Hosts on the network, for the Join screen. From the first `network_watch` on, the app browses for Banter hosts
//! (mDNS, `banter_core::discovery`) for as long as it runs, unless `BANTER_DISCOVERY=off`, and sends the whole list
//! to the webview on [`NETWORK_EVENT`] whenever it changes. The list also lets a join find a remembered host that
//! came back at a new address.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use banter_core::discovery::{self, Browser, Found, FoundHost, Interfaces};
use banter_core::protocol::Health;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use ts_rs::TS;

use crate::events::MAIN_WINDOW;

/// The Tauri event that carries a [`NetworkView`].
pub const NETWORK_EVENT: &str = "banter:network";

/// Whether the app is looking for hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Looking {
    On,
    /// `BANTER_DISCOVERY=off`.
    Off,
    /// mDNS could not start (no usable interface, for one): why.
    Failed {
        reason: String,
    },
}

/// What the Join screen's "On your network" list shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct NetworkView {
    pub looking: Looking,
    /// Sorted by title.
    pub hosts: Vec<FoundHost>,
}

/// The hosts heard of, by host id, and whether browsing runs.
#[derive(Debug, Clone)]
pub struct Network {
    inner: Arc<Mutex<Heard>>,
}

#[derive(Debug)]
struct Heard {
    /// `None` until the first watch.
    looking: Option<Looking>,
    hosts: BTreeMap<String, FoundHost>,
}

impl Default for Network {
    fn default() -> Self {
        Network { inner: Arc::new(Mutex::new(Heard { looking: None, hosts: BTreeMap::new() })) }
    }
}

impl Network {
    /// Starts browsing, the first time only, and answers with what is known now.
    pub fn watch<R: Runtime>(&self, app: &AppHandle<R>) -> NetworkView {
        let browser = {
            let Ok(mut heard) = self.inner.lock() else { return self.view() };
            if heard.looking.is_some() {
                None
            } else {
                let (looking, browser) = start_browsing();
                heard.looking = Some(looking);
                browser
            }
        };
        if let Some(browser) = browser {
            tauri::async_runtime::spawn(self.clone().follow(app.clone(), browser));
        }
        self.view()
    }

    pub fn view(&self) -> NetworkView {
        let Ok(heard) = self.inner.lock() else {
            return NetworkView { looking: Looking::Failed { reason: "internal".into() }, hosts: Vec::new() };
        };
        let mut hosts: Vec<FoundHost> = heard.hosts.values().cloned().collect();
        hosts.sort_by(FoundHost::listing_order);
        NetworkView { looking: heard.looking.clone().unwrap_or(Looking::Off), hosts }
    }

    /// Where the host with this id is now, if it is on the network.
    pub fn addresses_of(&self, host_id: &str) -> Vec<String> {
        let Ok(heard) = self.inner.lock() else { return Vec::new() };
        heard
            .hosts
            .get(host_id)
            .map(|host| host.addresses.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }

    /// What the network calls a host, if it is there.
    pub fn title_of(&self, host_id: &str) -> Option<String> {
        self.inner.lock().ok()?.hosts.get(host_id).map(|host| host.title.clone())
    }

    async fn follow<R: Runtime>(self, app: AppHandle<R>, mut browser: Browser) {
        while let Some(found) = browser.change().await {
            if let Ok(mut heard) = self.inner.lock() {
                match found {
                    Found::Host(host) => {
                        heard.hosts.insert(host.host_id.clone(), host);
                    }
                    Found::Gone(host_id) => {
                        heard.hosts.remove(&host_id);
                    }
                }
            }
            if let Err(error) = app.emit_to(MAIN_WINDOW, NETWORK_EVENT, self.view()) {
                tracing::debug!(%error, "could not send the network's hosts to the window");
            }
        }
        tracing::warn!("the mDNS daemon stopped: no longer looking for hosts");
        if let Ok(mut heard) = self.inner.lock() {
            heard.looking = Some(Looking::Failed { reason: "the mDNS daemon stopped".into() });
            heard.hosts.clear();
        }
        let _ = app.emit_to(MAIN_WINDOW, NETWORK_EVENT, self.view());
    }
}

fn start_browsing() -> (Looking, Option<Browser>) {
    if !discovery::enabled_by_env() {
        return (Looking::Off, None);
    }
    match Browser::start(&Interfaces::from_env()) {
        Ok(browser) => (Looking::On, Some(browser)),
        Err(error) => {
            tracing::warn!(%error, "not looking for hosts on the network");
            (Looking::Failed { reason: error.to_string() }, None)
        }
    }
}

/// Where to join: the address asked for, unless the host the user meant (by id) is on the network elsewhere, as
/// after its DHCP lease changed.
pub fn where_to_join(address: &str, expected: Option<&str>, network: &Network) -> String {
    let Some(host_id) = expected else { return address.to_owned() };
    let found = network.addresses_of(host_id);
    if found.is_empty() || found.iter().any(|known| known.eq_ignore_ascii_case(address.trim())) {
        address.to_owned()
    } else {
        tracing::info!(host_id, from = address, to = %found[0], "the host moved: joining it at its new address");
        found[0].clone()
    }
}

/// How long a host has to say who it is before a join goes ahead without knowing.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);
/// More than any `/health` answer: a hostile server cannot make the app read without end.
const HEALTH_MAX_BYTES: usize = 16 * 1024;

/// What the host at `address` says about itself (`GET /health`), if it answers within a moment. A plain
/// Socket.IO server, or nothing at all, gives `None`, and the join itself then says what is wrong.
pub async fn health(address: &str) -> Option<Health> {
    let url = banter_core::address::parse_host_address(address).ok()?.join("health").ok()?;
    let client = reqwest::Client::builder().timeout(HEALTH_TIMEOUT).build().ok()?;
    let mut response = client.get(url).send().await.ok()?.error_for_status().ok()?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > HEALTH_MAX_BYTES {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).ok()
}

/// Whether the machine at `address` refuses connections on its port, meaning that nothing listens there. The join
/// then fails at once with that reason, instead of retrying for seconds, as it does for a host that may come back.
pub async fn refuses(address: &str) -> bool {
    let Ok(url) = banter_core::address::parse_host_address(address) else { return false };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let probe = tokio::time::timeout(HEALTH_TIMEOUT, tokio::net::TcpStream::connect((host, port)));
    matches!(probe.await, Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_port_nobody_listens_on_is_told_apart_from_one_that_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        assert!(!refuses(&open.to_string()).await);
        drop(listener);
        assert!(refuses(&open.to_string()).await, "nothing listens on {open} once it is closed");
        assert!(!refuses("not an address at all::").await);
    }

    fn found(host_id: &str, address: &str) -> FoundHost {
        FoundHost {
            host_id: host_id.into(),
            fingerprint: banter_core::fingerprint::fingerprint(host_id),
            title: host_id.into(),
            addresses: vec![address.parse().unwrap()],
            online: 0,
            access_code: false,
            protocol: banter_core::protocol::PROTOCOL_VERSION,
        }
    }

    #[test]
    fn a_host_that_moved_is_joined_where_it_is_now() {
        let network = Network::default();
        network.inner.lock().unwrap().hosts.insert("one".into(), found("one", "10.0.0.9:7878"));
        assert_eq!(where_to_join("10.0.0.5:7878", Some("one"), &network), "10.0.0.9:7878");
        assert_eq!(where_to_join("10.0.0.9:7878", Some("one"), &network), "10.0.0.9:7878");
        // Not on the network (or not looked for): the address asked for.
        assert_eq!(where_to_join("10.0.0.5:7878", Some("two"), &network), "10.0.0.5:7878");
        assert_eq!(where_to_join("10.0.0.5:7878", None, &network), "10.0.0.5:7878");
    }
}
