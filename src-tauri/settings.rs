//! What the app remembers across restarts, in the platform's config directory (`~/.config/chat.banter.desktop/`
//! on Linux): the display name last used and the addresses joined recently.

use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How many addresses are remembered.
const REMEMBERED: usize = 8;

/// The remembered settings, as the start screen uses them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub name: String,
    /// Most recent first.
    pub recent_addresses: Vec<String>,
}

/// The settings and the file they live in.
#[derive(Debug)]
pub struct SettingsStore {
    file: Option<PathBuf>,
    settings: Mutex<Settings>,
}

impl SettingsStore {
    /// Loads `folder/settings.json`; a missing or unreadable file gives the defaults.
    pub fn load(folder: Option<PathBuf>) -> Self {
        let file = folder.map(|folder| folder.join("settings.json"));
        let settings = file
            .as_ref()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .and_then(|text| serde_json::from_str::<Settings>(&text).ok())
            .unwrap_or_default();
        SettingsStore { file, settings: Mutex::new(settings) }
    }

    pub fn get(&self) -> Settings {
        self.settings.lock().map(|settings| settings.clone()).unwrap_or_default()
    }

    /// Remembers the name used to host or join, and the address joined (if any), and saves. Failing to save is
    /// logged: it costs a convenience, not a chat.
    pub fn remember(&self, name: &str, address: Option<&str>) {
        let Ok(mut settings) = self.settings.lock() else { return };
        settings.name = name.trim().to_owned();
        if let Some(address) = address {
            push_front_unique(&mut settings.recent_addresses, address.trim());
        }
        let Some(file) = &self.file else { return };
        let saved = std::fs::create_dir_all(file.parent().unwrap_or(file))
            .and_then(|()| std::fs::write(file, serde_json::to_vec_pretty(&*settings).unwrap_or_default()));
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
        SettingsStore::load(Some(folder.clone())).remember(" Ann ", Some("192.168.1.20:7878"));
        let settings = SettingsStore::load(Some(folder.clone())).get();
        assert_eq!(settings, Settings { name: "Ann".into(), recent_addresses: vec!["192.168.1.20:7878".into()] });
        let _ = std::fs::remove_dir_all(folder);
    }
}
