//! The rules for what users type that others will see: display names, room names and message text.
//!
//! Names are shown in member lists and next to every message, so they must not be able to hide, reorder or
//! impersonate: control characters, bidirectional overrides and zero-width characters are refused outright rather
//! than silently stripped, so that the user sees why their name was not accepted.

use crate::protocol::{ErrorBody, ErrorKind};

/// Characters that change how the text around them is displayed without being visible themselves.
fn is_invisible_or_reordering(character: char) -> bool {
    matches!(
        character,
        // Bidirectional marks, embeddings, overrides and isolates.
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        // Zero-width space, joiners, word joiner, invisible operators, byte-order mark, soft hyphen,
        // Mongolian vowel separator, Hangul fillers.
        | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
        // Line and paragraph separators, interlinear annotations and tag characters.
        | '\u{2028}' | '\u{2029}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}'
    )
}

fn check_name(what: &str, raw: &str, max_chars: usize) -> Result<String, ErrorBody> {
    let name = raw.trim();
    let invalid = |message: String| Err(ErrorBody::new(ErrorKind::Invalid, message));
    if name.is_empty() {
        return invalid(format!("The {what} is empty."));
    }
    let length = name.chars().count();
    if length > max_chars {
        return invalid(format!("The {what} has {length} characters; at most {max_chars} are allowed."));
    }
    if let Some(bad) = name.chars().find(|c| c.is_control() || is_invisible_or_reordering(*c)) {
        return invalid(format!(
            "The {what} contains an invisible or control character (U+{:04X}), which is not allowed.",
            u32::from(bad)
        ));
    }
    Ok(name.to_owned())
}

/// A display name, trimmed, or why it is refused.
pub fn display_name(raw: &str, max_chars: usize) -> Result<String, ErrorBody> {
    check_name("display name", raw, max_chars)
}

/// A room name, trimmed, or why it is refused.
pub fn room_name(raw: &str, max_chars: usize) -> Result<String, ErrorBody> {
    check_name("room name", raw, max_chars)
}

/// The key under which a name is unique: "Alice" and "alice" are the same person to the people reading.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Message text, or why it is refused. Line breaks and tabs are text; other control characters are not. Text
/// may be empty only when an attachment carries the message.
pub fn message_text(raw: &str, max_chars: usize, has_attachment: bool) -> Result<String, ErrorBody> {
    if raw.trim().is_empty() && !has_attachment {
        return Err(ErrorBody::new(ErrorKind::Invalid, "The message is empty."));
    }
    let length = raw.chars().count();
    if length > max_chars {
        return Err(ErrorBody::new(
            ErrorKind::TooLarge,
            format!("The message has {length} characters; at most {max_chars} are allowed."),
        ));
    }
    if let Some(bad) = raw.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
        return Err(ErrorBody::new(
            ErrorKind::Invalid,
            format!("The message contains a control character (U+{:04X}).", u32::from(bad)),
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of<T>(result: Result<T, ErrorBody>) -> Option<ErrorKind> {
        result.err().map(|error| error.kind)
    }

    #[test]
    fn names_are_trimmed_and_kept_as_typed() {
        assert_eq!(display_name("  Zoë Ødegård ", 32).ok().as_deref(), Some("Zoë Ødegård"));
        assert_eq!(display_name("李小龍", 32).ok().as_deref(), Some("李小龍"));
        assert_eq!(room_name("release-2.0 🚀", 48).ok().as_deref(), Some("release-2.0 🚀"));
    }

    #[test]
    fn names_that_could_hide_or_reorder_text_are_refused() {
        for bad in [
            "ali\u{202E}ecila",
            "a\u{200B}lice",
            "bob\u{0007}",
            "\u{FEFF}carol",
            "dan\nnewline",
            "e\u{2066}f",
            "g\u{2028}h",
            "i\u{E0041}",
        ] {
            assert_eq!(kind_of(display_name(bad, 32)), Some(ErrorKind::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn name_length_counts_characters_not_bytes() {
        assert!(display_name(&"é".repeat(32), 32).is_ok());
        let error = display_name(&"é".repeat(33), 32).err();
        assert_eq!(error.as_ref().map(|e| e.kind), Some(ErrorKind::Invalid));
        assert!(error.map(|e| e.message).unwrap_or_default().contains("33 characters"));
        assert_eq!(kind_of(display_name("   ", 32)), Some(ErrorKind::Invalid));
    }

    #[test]
    fn name_keys_ignore_case() {
        assert_eq!(name_key("Alice"), name_key("aLICE"));
    }

    #[test]
    fn message_text_rules() {
        assert!(message_text("line one\nline two\ttab", 100, false).is_ok());
        assert_eq!(kind_of(message_text(" \n ", 100, false)), Some(ErrorKind::Invalid));
        assert!(message_text("", 100, true).is_ok());
        assert_eq!(kind_of(message_text(&"x".repeat(101), 100, false)), Some(ErrorKind::TooLarge));
        assert_eq!(kind_of(message_text("nul\u{0000}", 100, false)), Some(ErrorKind::Invalid));
    }
}
