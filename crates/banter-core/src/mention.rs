//! Whether a message mentions someone: `@` and their name, as the UI marks it (`ui/src/markup.ts`, `mentions`),
//! so that the app notifies for exactly the mentions the user is shown. Case does not count; the name must not run
//! on into more of a word, and the `@` must not follow one (`mail@ann.org` mentions nobody).

fn is_word(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

/// Whether `text` mentions `name` with an `@`.
pub fn mentions(text: &str, name: &str) -> bool {
    let name: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    if name.is_empty() {
        return false;
    }
    let text: Vec<char> = text.chars().collect();
    text.iter().enumerate().any(|(at, &character)| {
        if character != '@' || (at > 0 && is_word(text[at - 1])) {
            return false;
        }
        let after: Vec<char> = text[at + 1..].iter().flat_map(|c| c.to_lowercase()).take(name.len() + 1).collect();
        after.len() >= name.len()
            && after[..name.len()] == name[..]
            && after.get(name.len()).is_none_or(|&c| !is_word(c))
    })
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn a_mention_is_an_at_and_the_whole_name() {
        assert!(mentions("thanks @ann", "Ann"));
        assert!(mentions("@ANN HOST, look", "Ann Host"));
        assert!(mentions("(@ann)", "ann"));
        assert!(!mentions("thanks @anna", "ann"));
        assert!(!mentions("mail@ann.org", "ann"));
        assert!(!mentions("ann, look", "ann"));
        assert!(!mentions("@", ""));
    }
}
