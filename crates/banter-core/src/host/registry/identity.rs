//! Names bound to people: the first user to take a name on a host keeps it, online or offline, until the host's
//! owner releases it. Loaded from the store when the host starts; every binding made here is written to the store
//! before the user is welcomed under it.

use std::collections::HashMap;

use crate::keys::{NameKey, UserId};
use crate::store::NameBinding;

#[derive(Debug, Default)]
pub(super) struct Names {
    bindings: HashMap<NameKey, NameBinding>,
}

impl Names {
    pub(super) fn load(bindings: Vec<NameBinding>) -> Self {
        Names { bindings: bindings.into_iter().map(|binding| (binding.key.clone(), binding)).collect() }
    }

    pub(super) fn holder(&self, key: &NameKey) -> Option<&NameBinding> {
        self.bindings.get(key)
    }

    pub(super) fn len(&self) -> usize {
        self.bindings.len()
    }

    pub(super) fn bind(&mut self, binding: NameBinding) {
        self.bindings.insert(binding.key.clone(), binding);
    }

    /// Removes a binding, but only if it is still this user's (so undoing a failed bind cannot drop another's).
    pub(super) fn unbind(&mut self, key: &NameKey, user: &UserId) {
        if self.bindings.get(key).is_some_and(|binding| &binding.user == user) {
            self.bindings.remove(key);
        }
    }

    pub(super) fn release(&mut self, key: &NameKey) -> Option<NameBinding> {
        self.bindings.remove(key)
    }
}
