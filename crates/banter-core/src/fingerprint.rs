//! A host's short fingerprint: eight characters derived from its id, which people compare by voice ("is yours
//! K7Q2-M4XD?") to know they are joining the host they mean, whatever address it has today.

use sha2::{Digest, Sha256};

/// Crockford's base 32: digits and letters without I, L, O and U, so that nothing read aloud or off a screen is
/// taken for something else. Access codes use it too.
pub const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The fingerprint of the host with this id: 40 bits of its SHA-256, as two groups of four characters. Two
/// hosts a person meets share one by chance about once in a trillion.
pub fn fingerprint(host_id: &str) -> String {
    let digest = Sha256::digest(host_id.as_bytes());
    let bits = digest.iter().take(5).fold(0u64, |bits, byte| (bits << 8) | u64::from(*byte));
    let characters: String = (0..8)
        .rev()
        .map(|group| char::from(CROCKFORD[usize::try_from((bits >> (group * 5)) & 31).unwrap_or(0)]))
        .collect();
    format!("{}-{}", &characters[..4], &characters[4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_stable_short_and_readable() {
        let one = fingerprint("3f9a0c2e-host");
        assert_eq!(one, fingerprint("3f9a0c2e-host"));
        assert_ne!(one, fingerprint("3f9a0c2e-hosu"));
        assert_eq!(one.len(), 9);
        assert!(one.chars().all(|c| c == '-' || CROCKFORD.contains(&(c as u8))), "{one}");
        // The same 40 bits, read by hand: SHA-256("") begins e3 b0 c4 42 98.
        assert_eq!(fingerprint(""), "WERC-8GMR");
    }
}
