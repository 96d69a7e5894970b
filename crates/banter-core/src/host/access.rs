//! Access codes: a host may let in only people who know its code. People read codes aloud and type them on
//! phones, so case, spaces and dashes do not count, and a random code avoids letters that look like digits.

use rand::Rng;
use subtle::ConstantTimeEq;

/// Characters of a code, as people type it, once spaces and dashes are left out.
pub const ACCESS_CODE_CHARS: std::ops::RangeInclusive<usize> = 4..=64;

/// Random codes are made of Crockford's base 32 (no I, L, O or U), as fingerprints are.
const RANDOM_ALPHABET: &[u8] = crate::fingerprint::CROCKFORD;

/// A host's access code.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode {
    /// As the owner chose it or as it was made, for showing.
    shown: String,
    /// As it is compared.
    folded: String,
}

impl std::fmt::Debug for AccessCode {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A code in a log would be a code given away.
        formatter.write_str("AccessCode(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessCodeError {
    #[error("An access code has 4 to 64 letters or digits (spaces and dashes do not count).")]
    Length,
    #[error("An access code has visible characters only.")]
    Invisible,
}

fn fold(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect()
}

impl AccessCode {
    pub fn new(text: &str) -> Result<AccessCode, AccessCodeError> {
        let folded = fold(text);
        if !ACCESS_CODE_CHARS.contains(&folded.chars().count()) {
            return Err(AccessCodeError::Length);
        }
        if folded.chars().any(char::is_control) {
            return Err(AccessCodeError::Invisible);
        }
        Ok(AccessCode { shown: text.trim().to_owned(), folded })
    }

    /// Ten random characters in two groups (`7KQ2M-XW9DB`): 50 bits, which the per-address limit on wrong codes
    /// (five a minute) makes far beyond guessing.
    pub fn random() -> AccessCode {
        let mut rng = rand::thread_rng();
        let mut pick = || char::from(RANDOM_ALPHABET[rng.gen_range(0..RANDOM_ALPHABET.len())]);
        let first: String = (0..5).map(|_| pick()).collect();
        let second: String = (0..5).map(|_| pick()).collect();
        let shown = format!("{first}-{second}");
        AccessCode { folded: fold(&shown), shown }
    }

    pub fn as_str(&self) -> &str {
        &self.shown
    }

    /// Whether someone typed this code, compared in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(fold(presented).as_bytes().ct_eq(self.folded.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_spaces_and_dashes_do_not_count() {
        let code = AccessCode::new("Blue-Kettle 42").unwrap();
        assert!(code.matches("bluekettle42"));
        assert!(code.matches(" BLUE KETTLE-42 "));
        assert!(!code.matches("bluekettle43"));
        assert!(!code.matches(""));
        assert_eq!(code.as_str(), "Blue-Kettle 42");
    }

    #[test]
    fn codes_are_neither_too_short_nor_invisible() {
        assert_eq!(AccessCode::new("a-b c"), Err(AccessCodeError::Length));
        assert_eq!(AccessCode::new(&"x".repeat(65)), Err(AccessCodeError::Length));
        assert_eq!(AccessCode::new("abc\u{7}d"), Err(AccessCodeError::Invisible));
        assert!(AccessCode::new("1234").is_ok());
    }

    #[test]
    fn random_codes_are_readable_and_differ() {
        let code = AccessCode::random();
        assert_eq!(code.as_str().len(), 11);
        assert!(code.as_str().chars().all(|c| c == '-' || RANDOM_ALPHABET.contains(&(c as u8))));
        assert!(code.matches(&code.as_str().to_lowercase().replace('-', "")));
        assert_ne!(AccessCode::random(), AccessCode::random());
        assert_eq!(format!("{code:?}"), "AccessCode(…)");
    }
}
