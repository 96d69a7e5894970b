//! The rules for what users type that others will see: display names, room names and message text, and the keys
//! under which names are unique.
//!
//! Names are shown in member lists and next to every message, so they must not be able to hide, reorder or
//! impersonate. Two rules do that:
//!
//! - Characters that are invisible or have no text of their own are refused outright, by Unicode property rather
//!   than by a hand-made list, so that the user sees why their name was not accepted.
//! - Names that *look* the same are the same name: [`name_key`] folds width, case and Unicode confusables (UTS #39
//!   skeletons), so "Аlice" (Cyrillic А), "Ａｌｉｃｅ" and "alice" are one name, as people reading them would think.

use icu_casemap::CaseMapper;
use icu_properties::props::{BinaryProperty, WhiteSpace};
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, LineBreak, NoncharacterCodePoint};
use icu_properties::props::{Emoji, EmojiComponent, ExtendedPictographic, RegionalIndicator};
use icu_properties::CodePointMapData;
use unicode_normalization::UnicodeNormalization;

use crate::keys::{LookalikeKey, NameKey, RoomKey};
use crate::protocol::{ErrorBody, ErrorKind};

/// Why a character may not appear in a name, if it may not.
fn refused_in_names(character: char) -> Option<&'static str> {
    let category = CodePointMapData::<GeneralCategory>::new().get(character);
    match category {
        GeneralCategory::Control => return Some("a control character"),
        // Format characters are the bidirectional controls, joiners, the soft hyphen and the like: they change
        // how the text around them looks without being seen themselves.
        GeneralCategory::Format => return Some("an invisible formatting character"),
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => return Some("a line break"),
        GeneralCategory::PrivateUse | GeneralCategory::Surrogate | GeneralCategory::Unassigned => {
            return Some("a character with no agreed meaning")
        }
        _ => {}
    }
    if DefaultIgnorableCodePoint::for_char(character) {
        // Variation selectors, the combining grapheme joiner, Hangul fillers, tag characters: renderers draw
        // nothing for them, so "Alice" followed by one looks exactly like "Alice".
        return Some("an invisible character");
    }
    if NoncharacterCodePoint::for_char(character) {
        return Some("a character with no agreed meaning");
    }
    // The object replacement character stands in for an embedded object and is the only character of its line
    // breaking class: it has no text of its own, and fonts draw it as a blank or a box.
    if CodePointMapData::<LineBreak>::new().get(character) == LineBreak::ContingentBreak {
        return Some("a placeholder character");
    }
    None
}

/// Trims a name and replaces every run of whitespace inside it (any Unicode space: no-break, hair, ideographic)
/// with one plain space, so that "Ann  Host" and "Ann\u{200A}Host" read as the "Ann Host" they look like.
fn collapse_whitespace(raw: &str) -> String {
    let mut collapsed = String::with_capacity(raw.len());
    let mut pending_space = false;
    for character in raw.chars() {
        if WhiteSpace::for_char(character) {
            pending_space = !collapsed.is_empty();
        } else {
            if pending_space {
                collapsed.push(' ');
                pending_space = false;
            }
            collapsed.push(character);
        }
    }
    collapsed
}

/// The most bytes a name of `max_chars` characters can take (4 per character in UTF-8). Anything longer is refused
/// before any Unicode work is spent on it: names are checked under the host's registry lock.
pub fn fits(raw: &str, max_chars: usize) -> bool {
    raw.len() <= max_chars.saturating_mul(4).saturating_add(64)
}

fn check_name(what: &str, raw: &str, max_chars: usize) -> Result<String, ErrorBody> {
    let invalid = |message: String| Err(ErrorBody::new(ErrorKind::Invalid, message));
    if !fits(raw, max_chars) {
        return invalid(format!("The {what} is {} bytes long; at most {max_chars} characters are allowed.", raw.len()));
    }
    // Checked before whitespace is collapsed: a tab or a line break is refused, not turned into a space.
    if let Some((bad, why)) = raw.chars().find_map(|c| refused_in_names(c).map(|why| (c, why))) {
        return invalid(format!(
            "The {what} contains {why} (U+{:04X}), which is not allowed in names.",
            u32::from(bad)
        ));
    }
    let name = collapse_whitespace(raw);
    if name.is_empty() {
        return invalid(format!("The {what} is empty."));
    }
    let length = name.chars().count();
    if length > max_chars {
        return invalid(format!("The {what} has {length} characters; at most {max_chars} are allowed."));
    }
    Ok(name)
}

/// A display name, trimmed with inner whitespace collapsed, or why it is refused.
pub fn display_name(raw: &str, max_chars: usize) -> Result<String, ErrorBody> {
    check_name("display name", raw, max_chars)
}

/// A room name, trimmed with inner whitespace collapsed, or why it is refused.
pub fn room_name(raw: &str, max_chars: usize) -> Result<String, ErrorBody> {
    check_name("room name", raw, max_chars)
}

/// The normalised form of a name, under which it is unique: two names with the same key look alike to the people
/// reading them, and are one name.
///
/// In order: whitespace trimmed and collapsed, NFKC (so full-width and other compatibility forms become their
/// plain letters), full case folding, the UTS #39 skeleton (so Cyrillic "А" and Latin "A" meet, as do NFD and NFC
/// spellings), then case folding and whitespace again, because skeletons map some characters to capitals or
/// spaces.
fn normalised(name: &str) -> String {
    let cases = CaseMapper::new();
    let folded = cases.fold_string(&collapse_whitespace(name).nfkc().collect::<String>()).into_owned();
    let skeleton: String = unicode_security::skeleton(&folded).collect();
    collapse_whitespace(&cases.fold_string(&skeleton.nfc().collect::<String>()))
}

/// The key of a display name.
pub fn name_key(name: &str) -> NameKey {
    NameKey::from_normalised(normalised(name))
}

/// A second key of a display name, for the look-alikes that case folding hides: the UTS #39 skeleton of the name
/// as typed, without folding case. Capital I and small l are confusable, but folding makes "AIice" (capital i)
/// "aiice" before the skeleton could see it; the case-sensitive skeleton of both "AIice" and "Alice" is "Alice".
/// Two names are the same name when either key is the same.
pub fn lookalike_key(name: &str) -> LookalikeKey {
    let composed: String = collapse_whitespace(name).nfkc().collect();
    let skeleton: String = unicode_security::skeleton(&composed).collect();
    LookalikeKey::from_normalised(collapse_whitespace(&skeleton.nfc().collect::<String>()))
}

/// The key of a room name ("Design" and "design" are one room).
pub fn room_key(name: &str) -> RoomKey {
    RoomKey::from_normalised(normalised(name))
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

/// Code points in one reaction: the longest emoji sequences (a kiss with two skin tones, a subdivision flag) have
/// ten.
pub const MAX_EMOJI_CODE_POINTS: usize = 16;

/// A reaction's emoji, or why it is refused: one emoji or emoji sequence, told apart by Unicode's emoji
/// properties rather than by a list, so that new emoji work without a new Banter. Every code point must be part of
/// emoji (an emoji, a skin tone, a joiner, a variation selector, a keycap, a tag of a flag), and one of them must
/// be a picture or a flag's letter: a digit or `#` alone is an emoji component, not an emoji.
pub fn emoji(raw: &str) -> Result<String, ErrorBody> {
    let emoji = raw.trim();
    let refuse = |why: &str| Err(ErrorBody::new(ErrorKind::Invalid, format!("A reaction must be one emoji; {why}.")));
    if emoji.is_empty() {
        return refuse("this one is empty");
    }
    if emoji.chars().count() > MAX_EMOJI_CODE_POINTS {
        return refuse("this one is too long");
    }
    let joins = |c: char| matches!(c, '\u{200D}' | '\u{FE0F}' | '\u{20E3}' | '\u{E0020}'..='\u{E007F}');
    if let Some(other) = emoji.chars().find(|&c| !(Emoji::for_char(c) || EmojiComponent::for_char(c) || joins(c))) {
        return refuse(&format!("“{other}” is not part of an emoji"));
    }
    let pictured = |c: char| ExtendedPictographic::for_char(c) || RegionalIndicator::for_char(c) || c == '\u{20E3}';
    if !emoji.chars().any(pictured) {
        return refuse("this one is a letter or digit");
    }
    Ok(emoji.to_owned())
}

/// The most bytes in a file's name: what common file systems (ext4, NTFS, APFS) take in one name.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// A shared file's name as the host keeps it, or why it is refused. Only the last component of a path is kept
/// (`../../etc/passwd` is `passwd`, `C:\x\y.txt` is `y.txt`): a name never says where a file goes. Control
/// characters (NUL included) are refused, and so are names that are empty, `.` or `..`, or too long.
pub fn file_name(raw: &str) -> Result<String, ErrorBody> {
    let refuse = |why: String| Err(ErrorBody::new(ErrorKind::Invalid, why));
    if raw.chars().any(char::is_control) {
        return refuse("A file name cannot hold control characters.".into());
    }
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if last.is_empty() || last == "." || last == ".." {
        return refuse("A file needs a name.".into());
    }
    if last.len() > MAX_FILE_NAME_BYTES {
        return refuse(format!("A file name can be at most {MAX_FILE_NAME_BYTES} bytes; this one is {}.", last.len()));
    }
    Ok(last.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_is_its_last_component_and_never_a_path() {
        assert_eq!(file_name("../../etc/passwd").ok().as_deref(), Some("passwd"));
        assert_eq!(file_name("C:\\Users\\ann\\notes.txt").ok().as_deref(), Some("notes.txt"));
        assert_eq!(file_name(" holiday video.mp4 ").ok().as_deref(), Some("holiday video.mp4"));
        assert_eq!(file_name("Ünïcödé 🦊.pdf").ok().as_deref(), Some("Ünïcödé 🦊.pdf"));
        for bad in ["", "/", "..", "a/..", "x\0y", "tab\there", &"n".repeat(256)] {
            assert_eq!(kind_of(file_name(bad)), Some(ErrorKind::Invalid), "{bad:?}");
        }
    }

    fn kind_of<T>(result: Result<T, ErrorBody>) -> Option<ErrorKind> {
        result.err().map(|error| error.kind)
    }

    #[test]
    fn names_are_trimmed_collapsed_and_otherwise_kept_as_typed() {
        assert_eq!(display_name("  Zoë Ødegård ", 32).ok().as_deref(), Some("Zoë Ødegård"));
        assert_eq!(display_name("Ann \u{00A0} Host", 32).ok().as_deref(), Some("Ann Host"));
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
            "tab\there",
            "e\u{2066}f",
            "g\u{2028}h",
            "i\u{E0041}",
            "Alice\u{FE0F}",
            "Alice\u{034F}",
            "Alice\u{180B}",
            "Alice\u{FFFC}",
            "Alice\u{E0100}",
            "Alice\u{115F}",
            "soft\u{00AD}hyphen",
            "private\u{E000}",
            "unassigned\u{0378}",
        ] {
            assert_eq!(kind_of(display_name(bad, 32)), Some(ErrorKind::Invalid), "{bad:?}");
            assert_eq!(kind_of(room_name(bad, 48)), Some(ErrorKind::Invalid), "{bad:?}");
        }
        let message = display_name("Alice\u{FE0F}", 32).err().map(|error| error.message).unwrap_or_default();
        assert!(message.contains("U+FE0F"), "{message}");
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
    fn names_that_look_alike_have_one_key() {
        let same = |a: &str, b: &str| name_key(a) == name_key(b);
        assert!(same("Alice", "aLICE"));
        assert!(same("Ann Host", "Ann  Host"));
        assert!(same("Ann Host", "Ann\u{200A}Host"));
        // A hair space inside a word would make "Al ice" look like "Alice": it is shown as the plain space it is.
        assert_eq!(display_name("Al\u{200A}ice", 32).ok().as_deref(), Some("Al ice"));
        assert!(!same("Alice", "Al\u{200A}ice"));
        assert!(same("Alice", "\u{0410}lice"), "Cyrillic А");
        assert!(same("Alice", "Ａｌｉｃｅ"), "full width");
        assert!(same("Zo\u{00EB}", "Zoe\u{0308}"), "NFC and NFD");
        assert!(same("Alice", "Alice\u{2800}"), "a braille blank looks like nothing");
        assert!(same("Straße", "STRASSE"), "full case folding");
        assert!(!same("Alice", "Alicia"));
        assert!(!same("Ann Host", "AnnHost"));
        // Capital I and small l, which folding case alone would keep apart.
        let alike = |a: &str, b: &str| same(a, b) || lookalike_key(a) == lookalike_key(b);
        assert!(alike("Alice", "AIice") && alike("Bill", "BiII"));
        assert!(!alike("Ian", "Lan") && !alike("Alice", "ALIGE"));
        assert_eq!(room_key("Lobby"), RoomKey::lobby());
    }

    #[test]
    fn reactions_are_emoji_by_unicode_property() {
        for good in ["👍", "❤️", "🇫🇷", "👩🏽‍💻", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👩🏻‍❤️‍💋‍👨🏿", " 🎉 "]
        {
            assert_eq!(emoji(good).ok().as_deref(), Some(good.trim()), "{good:?}");
        }
        for bad in ["", " ", "a", "1", "#", "👍a", "<b>", "\u{202E}👍", "\u{200B}", "👍 👍"] {
            assert_eq!(kind_of(emoji(bad)), Some(ErrorKind::Invalid), "{bad:?}");
        }
        assert_eq!(kind_of(emoji(&"👍".repeat(MAX_EMOJI_CODE_POINTS + 1))), Some(ErrorKind::Invalid));
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
