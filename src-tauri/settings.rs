//! What the app remembers across restarts, in the platform's config directory (`~/.config/chat.banter.desktop/`
//! on Linux): the display name last used, the addresses joined recently, and this user's key.

use std::path::PathBuf;
use std::sync::Mutex;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::ipc::IpcError;

/// How many addresses are remembered.
const REMEMBERED: usize = 8;

/// What `settings.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub name: String,
    /// Most recent first.
    pub recent_addresses: Vec<String>,
    /// The key that holds this user's name on every host: made on first start, kept, and movable to another
    /// device (the settings panel shows it and takes one).
    pub user_key: String,
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

    /// Remembers the name used to host or join, and the address joined (if any), and saves. Failing to save is
    /// logged: it costs a convenience, not a chat.
    pub fn remember(&self, name: &str, address: Option<&str>) {
        {
            let Ok(mut settings) = self.settings.lock() else { return };
            settings.name = name.trim().to_owned();
            if let Some(address) = address {
                push_front_unique(&mut settings.recent_addresses, address.trim());
            }
        }
        self.save();
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
        let saved = std::fs::create_dir_all(file.parent().unwrap_or(file)).and_then(|()| std::fs::write(file, text));
        if let Err(error) = saved {
            tracing::warn!(file = %file.display(), %error, "could not save the settings");
        }
    }
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
        first.remember(" Ann ", Some("192.168.1.20:7878"));
        let key = first.user_key();
        let settings = SettingsStore::load(Some(folder.clone())).get();
        let expected =
            Settings { name: "Ann".into(), recent_addresses: vec!["192.168.1.20:7878".into()], user_key: key.clone() };
        assert_eq!(settings, expected);
        assert_eq!(key.len(), 32, "a key is made on first start");
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
