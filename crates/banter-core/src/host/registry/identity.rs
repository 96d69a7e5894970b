//! Names bound to people: the first user to take a name on a host keeps it, online or offline, until the host's
//! owner releases it. Loaded from the store when the host starts; every binding made here is written to the store
//! before the user is welcomed under it.

use std::collections::HashMap;

use crate::keys::{LookalikeKey, NameKey};
use crate::store::NameBinding;
use crate::validate;

#[derive(Debug, Default)]
pub(super) struct Names {
    bindings: HashMap<NameKey, NameBinding>,
    /// Each binding's second key (see [`validate::lookalike_key`]), to its first.
    lookalikes: HashMap<LookalikeKey, NameKey>,
}

impl Names {
    pub(super) fn load(bindings: Vec<NameBinding>) -> Self {
        let mut names = Names::default();
        bindings.into_iter().for_each(|binding| names.bind(binding));
        names
    }

    /// Whoever holds this name, or one that looks the same.
    pub(super) fn holder(&self, key: &NameKey, lookalike: &LookalikeKey) -> Option<&NameBinding> {
        self.bindings.get(key).or_else(|| self.lookalikes.get(lookalike).and_then(|key| self.bindings.get(key)))
    }

    pub(super) fn len(&self) -> usize {
        self.bindings.len()
    }

    pub(super) fn bind(&mut self, binding: NameBinding) {
        self.lookalikes.insert(validate::lookalike_key(&binding.name), binding.key.clone());
        self.bindings.insert(binding.key.clone(), binding);
    }

    pub(super) fn release(&mut self, key: &NameKey) -> Option<NameBinding> {
        let binding = self.bindings.remove(key)?;
        let lookalike = validate::lookalike_key(&binding.name);
        if self.lookalikes.get(&lookalike) == Some(key) {
            self.lookalikes.remove(&lookalike);
        }
        Some(binding)
    }
}
