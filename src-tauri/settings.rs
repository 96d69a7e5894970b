//! What the app remembers across restarts, in the platform's config directory (`~/.config/chat.banter.desktop/`
//! on Linux): the display name last used, the hosts joined recently (by host id, with the address they were at and
//! the access code that let this user in), whether the embedded host announces itself, and this user's key. The
//! file holds secrets (the key, codes), so it is readable by its owner only.

use std::path::PathBuf;
use std::sync::Mutex;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::ipc::{IpcError, SettingsUpdate, Theme};

/// How many addresses, and how many hosts, are remembered.
const REMEMBERED: usize = 8;

/// What `settings.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub name: String,
    /// Addresses typed and joined, most recent first, for the address field's suggestions.
    pub recent_addresses: Vec<String>,
    /// Hosts joined, most recent first, one per host id.
    pub recent_hosts: Vec<RecentHost>,
    /// The key that holds this user's name on every host: made on first start, kept, and movable to another
    /// device (the settings panel shows it and takes one).
    pub user_key: String,
    /// Whether the embedded host announces itself on the network (mDNS), so that people find it without typing.
    pub advertise: bool,
    /// The port hosting uses: the one hosted on last, or the one set in Settings (`None`: the default, 7878), so
    /// that guests find the chat where it was.
    pub host_port: Option<u16>,
    /// Whether hosting requires an access code.
    pub require_code: bool,
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            name: String::new(),
            recent_addresses: Vec::new(),
            recent_hosts: Vec::new(),
            user_key: String::new(),
            advertise: true,
            host_port: None,
            require_code: false,
            theme: Theme::System,
        }
    }
}

/// A host this user joined: known by its id, since its address may change (DHCP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentHost {
    pub host_id: String,
    /// Where it was last joined.
    pub address: String,
    /// What it calls itself on the network; empty if it was never seen there.
    #[serde(default)]
    pub title: String,
    /// The code that last let this user in, given again without asking; forgotten when the host refuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_code: Option<String>,
}

/// A successful join, as the settings remember it.
#[derive(Debug, Clone, Default)]
pub struct Joined<'a> {
    pub name: &'a str,
    /// As typed, for the address suggestions; `None` for the app's own host.
    pub typed_address: Option<&'a str>,
    /// The host's id, its address and title, and the code used; `None` for a server that sent no id.
    pub host: Option<RecentHost>,
}

fn new_user_key() -> String {
    format!("{:032x}", rand::thread_rng().gen::<u128>())
}

/// Whether a user key is one the hosts accept.
pub fn check_user_key(key: &str) -> Result<(), IpcError> {
    if (8..=128).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(IpcError::new("invalid", "A user key is 8 to 128 visible ASCII characters, with no spaces."))
    }
}

/// The settings and the file they live in.
#[derive(Debug)]
pub struct SettingsStore {
    file: Option<PathBuf>,
    settings: Mutex<Settings>,
}

impl SettingsStore {
    /// Loads `folder/settings.json`; a missing or unreadable file gives the defaults. A user key is made (and
    /// saved) when there is none.
    pub fn load(folder: Option<PathBuf>) -> Self {
        let file = folder.map(|folder| folder.join("settings.json"));
        let mut settings = file
            .as_ref()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .and_then(|text| serde_json::from_str::<Settings>(&text).ok())
            .unwrap_or_default();
        let fresh = check_user_key(&settings.user_key).is_err();
        if fresh {
            settings.user_key = new_user_key();
        }
        let store = SettingsStore { file, settings: Mutex::new(settings) };
        if fresh {
            store.save();
        }
        store
    }

    pub fn get(&self) -> Settings {
        self.settings.lock().map(|settings| settings.clone()).unwrap_or_default()
    }

    pub fn user_key(&self) -> String {
        self.get().user_key
    }

    /// Remembers the name used to host or join, the address typed and the host joined, and saves. Failing to
    /// save is logged: it costs a convenience, not a chat.
    pub fn remember(&self, joined: Joined<'_>) {
        {
            let Ok(mut settings) = self.settings.lock() else { return };
            settings.name = joined.name.trim().to_owned();
            if let Some(address) = joined.typed_address {
                push_front_unique(&mut settings.recent_addresses, address.trim());
            }
            if let Some(mut host) = joined.host {
                let previous = settings.recent_hosts.iter().position(|known| known.host_id == host.host_id);
                let previous = previous.map(|index| settings.recent_hosts.remove(index));
                if host.title.is_empty() {
                    host.title = previous.map(|previous| previous.title).unwrap_or_default();
                }
                settings.recent_hosts.insert(0, host);
                settings.recent_hosts.truncate(REMEMBERED);
            }
        }
        self.save();
    }

    /// The host last joined at `address`, if any.
    pub fn host_at(&self, address: &str) -> Option<RecentHost> {
        let address = address.trim();
        self.get().recent_hosts.into_iter().find(|host| host.address.eq_ignore_ascii_case(address))
    }

    pub fn host(&self, host_id: &str) -> Option<RecentHost> {
        self.get().recent_hosts.into_iter().find(|host| host.host_id == host_id)
    }

    /// Forgets the code kept for a host, which refused it (hosts make a new code each time they start).
    pub fn forget_code(&self, host_id: &str) {
        {
            let Ok(mut settings) = self.settings.lock() else { return };
            let Some(host) = settings.recent_hosts.iter_mut().find(|host| host.host_id == host_id) else { return };
            if host.access_code.take().is_none() {
                return;
            }
        }
        self.save();
    }

    /// Remembers how the user hosted, so that hosting again offers the same.
    pub fn remember_hosting(&self, port: u16, require_code: bool, advertise: bool) {
        {
            let Ok(mut settings) = self.settings.lock() else { return };
            settings.host_port = Some(port);
            settings.require_code = require_code;
            settings.advertise = advertise;
        }
        self.save();
    }

    /// Applies what the Settings screen changed, after checking all of it: a change with one bad field changes
    /// nothing.
    pub fn update(&self, update: SettingsUpdate) -> Result<(), IpcError> {
        let name = match &update.name {
            Some(name) if name.trim().is_empty() => Some(String::new()),
            Some(name) => Some(
                banter_core::validate::display_name(name, banter_core::limits::Limits::default().max_name_chars)
                    .map_err(|refused| IpcError::new("invalid_name", refused.message))?,
            ),
            None => None,
        };
        {
            let Ok(mut settings) = self.settings.lock() else {
                return Err(IpcError::new("internal", "The settings are unavailable."));
            };
            if let Some(name) = name {
                settings.name = name;
            }
            if let Some(theme) = update.theme {
                settings.theme = theme;
            }
            if let Some(port) = update.host_port {
                settings.host_port = Some(port);
            }
            if let Some(require_code) = update.require_code {
                settings.require_code = require_code;
            }
            if let Some(advertise) = update.advertise {
                settings.advertise = advertise;
            }
        }
        self.save();
        Ok(())
    }

    /// Takes a key from another device: from the next connection on, this app is that user.
    pub fn set_user_key(&self, key: &str) -> Result<(), IpcError> {
        let key = key.trim();
        check_user_key(key)?;
        if let Ok(mut settings) = self.settings.lock() {
            settings.user_key = key.to_owned();
        }
        self.save();
        Ok(())
    }

    fn save(&self) {
        let Some(file) = &self.file else { return };
        let text = self.settings.lock().map(|settings| serde_json::to_vec_pretty(&*settings).unwrap_or_default());
        let Ok(text) = text else { return };
        let saved = std::fs::create_dir_all(file.parent().unwrap_or(file)).and_then(|()| write_private(file, &text));
        if let Err(error) = saved {
            tracing::warn!(file = %file.display(), %error, "could not save the settings");
        }
    }
}

/// Writes a file only its owner can read: it holds the user key and access codes.
fn write_private(file: &std::path::Path, text: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // A file made by an older version keeps its mode through `open`: narrow it first.
        if file.exists() {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    options.open(file)?.write_all(text)
}

fn push_front_unique(addresses: &mut Vec<String>, address: &str) {
    addresses.retain(|known| !known.eq_ignore_ascii_case(address));
    addresses.insert(0, address.to_owned());
    addresses.truncate(REMEMBERED);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_address_comes_first_once_and_the_list_is_bounded() {
        let mut addresses = Vec::new();
        for address in ["a", "b", "c", "A"] {
            push_front_unique(&mut addresses, address);
        }
        assert_eq!(addresses, ["A", "c", "b"]);
        (0..20).for_each(|n| push_front_unique(&mut addresses, &n.to_string()));
        assert_eq!(addresses.len(), REMEMBERED);
    }

    #[test]
    fn settings_survive_a_restart() {
        let folder = std::env::temp_dir().join(format!("banter-settings-{}", std::process::id()));
        let first = SettingsStore::load(Some(folder.clone()));
        let host = RecentHost {
            host_id: "host-one".into(),
            address: "192.168.1.20:7878".into(),
            title: "Ann's Banter".into(),
            access_code: Some("CODE-1234".into()),
        };
        first.remember(Joined { name: " Ann ", typed_address: Some("192.168.1.20:7878"), host: Some(host.clone()) });
        first.remember_hosting(7900, true, false);
        first.update(SettingsUpdate { theme: Some(Theme::Dark), ..SettingsUpdate::default() }).unwrap();
        let key = first.user_key();
        let settings = SettingsStore::load(Some(folder.clone())).get();
        let expected = Settings {
            name: "Ann".into(),
            recent_addresses: vec!["192.168.1.20:7878".into()],
            recent_hosts: vec![host],
            user_key: key.clone(),
            advertise: false,
            host_port: Some(7900),
            require_code: true,
            theme: Theme::Dark,
        };
        assert_eq!(settings, expected);
        assert_eq!(key.len(), 32, "a key is made on first start");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(folder.join("settings.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only its owner reads the file: {mode:o}");
        }
        let _ = std::fs::remove_dir_all(folder);
    }

    #[test]
    fn hosts_are_remembered_by_id_with_their_latest_address_and_code() {
        let store = SettingsStore::load(None);
        let at = |host_id: &str, address: &str, title: &str, code: Option<&str>| RecentHost {
            host_id: host_id.into(),
            address: address.into(),
            title: title.into(),
            access_code: code.map(str::to_owned),
        };
        let joined = |host| Joined { name: "Ann", typed_address: None, host: Some(host) };
        store.remember(joined(at("one", "10.0.0.5:7878", "Ann's", Some("A"))));
        store.remember(joined(at("two", "10.0.0.6:7878", "", None)));
        // Host one moved (DHCP) and was joined at its new address, without a title this time.
        store.remember(joined(at("one", "10.0.0.9:7878", "", Some("A"))));
        let hosts = store.get().recent_hosts;
        assert_eq!(hosts.iter().map(|host| host.host_id.as_str()).collect::<Vec<_>>(), ["one", "two"]);
        assert_eq!((hosts[0].address.as_str(), hosts[0].title.as_str()), ("10.0.0.9:7878", "Ann's"));
        assert_eq!(store.host_at("10.0.0.6:7878").map(|host| host.host_id), Some("two".to_owned()));
        assert_eq!(store.host_at("10.0.0.5:7878"), None, "the old address is not host one's any more");
        store.forget_code("one");
        assert_eq!(store.host("one").and_then(|host| host.access_code), None);
        for n in 0..20 {
            store.remember(joined(at(&format!("h{n}"), "x", "", None)));
        }
        assert_eq!(store.get().recent_hosts.len(), REMEMBERED);
    }

    #[test]
    fn an_update_is_checked_whole_and_changes_only_what_it_names() {
        let store = SettingsStore::load(None);
        store.remember(Joined { name: "Ann", ..Joined::default() });
        store.remember_hosting(7878, false, true);
        let bad = SettingsUpdate {
            name: Some("\u{202E}evil".into()),
            theme: Some(Theme::Light),
            ..SettingsUpdate::default()
        };
        assert_eq!(store.update(bad).err().map(|error| error.kind), Some("invalid_name".to_owned()));
        assert_eq!((store.get().name.as_str(), store.get().theme), ("Ann", Theme::System), "nothing changed");
        let good = SettingsUpdate {
            name: Some("  Ann Host ".into()),
            host_port: Some(0),
            require_code: Some(true),
            ..SettingsUpdate::default()
        };
        store.update(good).unwrap();
        let settings = store.get();
        assert_eq!(settings.name, "Ann Host");
        assert_eq!((settings.host_port, settings.require_code, settings.advertise), (Some(0), true, true));
        let json = r#"{"theme":"dark","hostPort":70000}"#;
        assert!(serde_json::from_str::<SettingsUpdate>(json).is_err(), "a port past 65535 is refused");
        assert!(serde_json::from_str::<SettingsUpdate>(r#"{"colour":"red"}"#).is_err(), "unknown fields too");
    }

    #[test]
    fn settings_from_an_older_version_load_with_the_new_defaults() {
        let folder = std::env::temp_dir().join(format!("banter-settings-old-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let old = r#"{"name":"Ann","recentAddresses":["a:1"],"userKey":"an-old-key-0001"}"#;
        std::fs::write(folder.join("settings.json"), old).unwrap();
        let settings = SettingsStore::load(Some(folder.clone())).get();
        assert_eq!((settings.name.as_str(), settings.user_key.as_str()), ("Ann", "an-old-key-0001"));
        assert!(settings.advertise && settings.recent_hosts.is_empty());
        let _ = std::fs::remove_dir_all(folder);
    }

    #[test]
    fn a_key_from_another_device_replaces_this_one_and_bad_ones_are_refused() {
        let folder = std::env::temp_dir().join(format!("banter-settings-key-{}", std::process::id()));
        let store = SettingsStore::load(Some(folder.clone()));
        assert_eq!(store.set_user_key("short").err().map(|error| error.kind), Some("invalid".to_owned()));
        assert_eq!(store.set_user_key("with spaces inside").err().map(|error| error.kind), Some("invalid".to_owned()));
        assert!(store.set_user_key("  the-key-from-my-laptop  ").is_ok());
        assert_eq!(SettingsStore::load(Some(folder.clone())).user_key(), "the-key-from-my-laptop");
        let _ = std::fs::remove_dir_all(folder);
    }
}
