//! Users the host's owner banned, by user id: every handshake under a banned key is refused until the ban ends.
//! A ban is kept in the store before it takes effect here, and loaded again when the host starts.
//!
//! Guests have no lasting key (a new one each visit), so there is nothing to ban: they can only be kicked.

use std::collections::HashMap;

use super::{error, Registry};
use crate::keys::UserId;
use crate::protocol::{BanInfo, ErrorBody, ErrorKind};
use crate::store::BanRecord;
use crate::validate;

#[derive(Debug, Default)]
pub(super) struct Bans(HashMap<UserId, BanRecord>);

impl Bans {
    pub(super) fn load(bans: Vec<BanRecord>) -> Self {
        Bans(bans.into_iter().map(|ban| (ban.user.clone(), ban)).collect())
    }

    /// Why a handshake of `user` is refused, if they are banned at `now`.
    pub(super) fn refusal(&self, user: &UserId, now: u64) -> Option<ErrorBody> {
        let ban = self.0.get(user).filter(|ban| ban.holds_at(now))?;
        let how_long = match ban.until {
            Some(until) => format!(" for another {}", minutes(until.saturating_sub(now))),
            None => String::new(),
        };
        let why = ban.reason.as_deref().map(|reason| format!(": {reason}")).unwrap_or_default();
        Some(error(ErrorKind::Banned, format!("The host's owner banned you from this chat{how_long}{why}.")))
    }
}

/// A duration in milliseconds as people say it, rounded up to the minute.
fn minutes(millis: u64) -> String {
    match millis.div_ceil(60_000) {
        1 => "minute".into(),
        count if count < 120 => format!("{count} minutes"),
        count if count < 48 * 60 => format!("{} hours", count.div_ceil(60)),
        count => format!("{} days", count.div_ceil(24 * 60)),
    }
}

impl Registry {
    /// The ban the owner asks for: whom a name belongs to, for how long. Only a name bound to a user key can be
    /// banned; a name nobody holds is `not_found`, a guest's is `invalid`.
    pub fn bannable(
        &self,
        raw_name: &str,
        minutes: Option<u32>,
        reason: Option<String>,
        now: u64,
    ) -> Result<BanRecord, ErrorBody> {
        let key = validate::name_key(raw_name);
        let name = raw_name.trim();
        let Some(binding) = self.names.holder(&key, &validate::lookalike_key(name)) else {
            return Err(if self.presence.connections_of(&key).is_empty() {
                error(ErrorKind::NotFound, format!("Nobody holds the name “{name}”."))
            } else {
                error(ErrorKind::Invalid, format!("“{name}” is a guest, with no key to ban: kick them instead."))
            });
        };
        let until = minutes.map(|minutes| now.saturating_add(u64::from(minutes) * 60_000));
        let reason = reason.map(|reason| reason.trim().to_owned()).filter(|reason| !reason.is_empty());
        Ok(BanRecord { user: binding.user.clone(), name: binding.name.clone(), until, reason, banned_at: now })
    }

    /// Records a ban the store has kept, and says what the banned user is told (now, as they are disconnected,
    /// and at any later handshake); nothing if it has already ended.
    pub fn ban(&mut self, ban: BanRecord) -> Option<String> {
        let user = ban.user.clone();
        self.bans.0.insert(user.clone(), ban);
        self.bans.refusal(&user, crate::clock::now_millis()).map(|refusal| refusal.message)
    }

    /// The ban of whoever holds this name, for lifting it.
    pub fn ban_of(&self, raw_name: &str) -> Result<BanRecord, ErrorBody> {
        let name = raw_name.trim();
        let key = validate::name_key(name);
        let lookalike = validate::lookalike_key(name);
        let by_holder = self.names.holder(&key, &lookalike).and_then(|binding| self.bans.0.get(&binding.user));
        // A name released after its holder was banned is found by the name the ban remembers.
        let by_name = || self.bans.0.values().find(|ban| validate::name_key(&ban.name) == key);
        by_holder
            .or_else(by_name)
            .cloned()
            .ok_or_else(|| error(ErrorKind::NotFound, format!("“{name}” is not banned.")))
    }

    pub fn unban(&mut self, user: &UserId) {
        self.bans.0.remove(user);
    }

    /// Bans that hold at `now`, oldest first, for the owner.
    pub fn bans(&self, now: u64) -> Vec<BanInfo> {
        let mut bans: Vec<&BanRecord> = self.bans.0.values().filter(|ban| ban.holds_at(now)).collect();
        bans.sort_by_key(|ban| ban.banned_at);
        bans.into_iter()
            .map(|ban| BanInfo {
                name: ban.name.clone(),
                until: ban.until,
                reason: ban.reason.clone(),
                banned_at: ban.banned_at,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_holds_until_its_end_and_a_ban_for_good_always() {
        let ban = |key: &str, until| BanRecord {
            user: UserId::of_key(key),
            name: key.into(),
            until,
            reason: None,
            banned_at: 1_000,
        };
        let bans = Bans::load(vec![ban("for-a-while", Some(61_000)), ban("for-good", None)]);
        let refusal = bans.refusal(&UserId::of_key("for-a-while"), 1_000).unwrap();
        assert_eq!(
            (refusal.kind, refusal.message.as_str()),
            (ErrorKind::Banned, "The host's owner banned you from this chat for another minute.")
        );
        assert!(bans.refusal(&UserId::of_key("for-a-while"), 61_000).is_none());
        assert!(bans.refusal(&UserId::of_key("for-good"), u64::MAX).is_some());
        assert!(bans.refusal(&UserId::of_key("someone-else"), 1_000).is_none());
    }

    #[test]
    fn durations_are_said_in_round_units() {
        assert_eq!(minutes(1), "minute");
        assert_eq!(minutes(59 * 60_000 + 1), "60 minutes");
        assert_eq!(minutes(3 * 3_600_000), "3 hours");
        assert_eq!(minutes(7 * 86_400_000), "7 days");
    }
}
