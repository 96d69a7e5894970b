//! What a host of a cluster learns from the others (through the log, `host::follow`): rooms they made or deleted,
//! names bound or freed there. Each is idempotent, since a host may follow a change it already holds.

use super::{Deleted, Registry};
use crate::keys::RoomKey;
use crate::store::{NameBinding, RoomRecord};

impl Registry {
    /// A room another host made; one already known is left as it is.
    pub fn know_room(&mut self, record: RoomRecord) {
        if self.rooms.get(&record.key).is_none() {
            self.rooms.insert(record.key, record.name, record.created_by, record.created_at);
        }
    }

    /// A room another host deleted: gone here too, with this host's connections that were in it; `None` if it was
    /// not known.
    pub fn forget_room(&mut self, key: &RoomKey) -> Option<Deleted> {
        self.delete_room(key.as_str()).ok()
    }

    /// A name another host freed, unless someone else has bound it since.
    pub fn forget_binding(&mut self, binding: &NameBinding) {
        let lookalike = crate::validate::lookalike_key(&binding.name);
        if self.names.holder(&binding.key, &lookalike).is_some_and(|holder| holder.user == binding.user) {
            self.names.release(&binding.key);
        }
    }
}
