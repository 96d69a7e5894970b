//! Addresses the user joined recently, kept across restarts in the app's data folder.

use std::path::PathBuf;
use std::sync::Mutex;

/// How many addresses are remembered.
const REMEMBERED: usize = 8;

/// The recent addresses, most recent first, and the file they live in.
#[derive(Debug)]
pub struct RecentAddresses {
    file: Option<PathBuf>,
    addresses: Mutex<Vec<String>>,
}

impl RecentAddresses {
    /// Loads the list from `folder/recent-addresses.json`; a missing or unreadable file is an empty list.
    pub fn load(folder: Option<PathBuf>) -> Self {
        let file = folder.map(|folder| folder.join("recent-addresses.json"));
        let addresses = file
            .as_ref()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .and_then(|text| serde_json::from_str::<Vec<String>>(&text).ok())
            .unwrap_or_default();
        RecentAddresses { file, addresses: Mutex::new(addresses) }
    }

    pub fn list(&self) -> Vec<String> {
        self.addresses.lock().map(|addresses| addresses.clone()).unwrap_or_default()
    }

    /// Puts an address first and saves the list. Failing to save is logged: it costs a convenience, not a chat.
    pub fn remember(&self, address: &str) {
        let Ok(mut addresses) = self.addresses.lock() else { return };
        push_front_unique(&mut addresses, address.trim());
        let Some(file) = &self.file else { return };
        let saved = std::fs::create_dir_all(file.parent().unwrap_or(file))
            .and_then(|()| std::fs::write(file, serde_json::to_vec(&*addresses).unwrap_or_default()));
        if let Err(error) = saved {
            tracing::warn!(file = %file.display(), %error, "could not save the recent addresses");
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
    fn the_list_survives_a_restart() {
        let folder = std::env::temp_dir().join(format!("banter-recent-{}", std::process::id()));
        RecentAddresses::load(Some(folder.clone())).remember("192.168.1.20:7878");
        assert_eq!(RecentAddresses::load(Some(folder.clone())).list(), ["192.168.1.20:7878"]);
        let _ = std::fs::remove_dir_all(folder);
    }
}
