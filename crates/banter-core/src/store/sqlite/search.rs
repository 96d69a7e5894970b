//! Full-text search in SQL (FTS5). What a user typed never reaches FTS5 as query syntax: it is cut into words
//! (`SearchTerms`, by the host), and each word goes in as a quoted string, the last one as a prefix.

use rusqlite::{params, Connection, Row};

use super::{failure, int, uint};
use crate::protocol::{Marked, SearchHit};
use crate::store::{SearchScope, StoreError};

/// What FTS5's `snippet()` puts around a matching word; control characters, which message text never holds.
const OPEN: char = '\u{2}';
const CLOSE: char = '\u{3}';
/// Words of context a snippet shows around what matched.
const SNIPPET_WORDS: i64 = 24;

/// The words of a search as an FTS5 query: every word quoted (a quote in it doubled), all required, the last one
/// also as the start of a longer word. `None` if there is no word in it.
pub(super) fn fts_query(words: &[String]) -> Option<String> {
    let last = words.len().checked_sub(1)?;
    let quoted: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(index, word)| {
            let word = word.replace('"', "\"\"");
            if index == last {
                format!("\"{word}\"*")
            } else {
                format!("\"{word}\"")
            }
        })
        .collect();
    Some(quoted.join(" "))
}

fn marked(snippet: &str) -> Vec<Marked> {
    let mut parts = Vec::new();
    let mut rest = snippet;
    while let Some(open) = rest.find(OPEN) {
        if open > 0 {
            parts.push(Marked { text: rest[..open].to_owned(), hit: false });
        }
        let after = &rest[open + OPEN.len_utf8()..];
        let close = after.find(CLOSE).unwrap_or(after.len());
        parts.push(Marked { text: after[..close].to_owned(), hit: true });
        rest = after.get(close + CLOSE.len_utf8()..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(Marked { text: rest.to_owned(), hit: false });
    }
    parts
}

fn room_hit(row: &Row<'_>) -> rusqlite::Result<SearchHit> {
    Ok(SearchHit {
        id: row.get(0)?,
        room: Some(row.get(1)?),
        with: None,
        seq: uint(row.get(2)?),
        ts: uint(row.get(3)?),
        from: row.get(4)?,
        snippet: marked(&row.get::<_, String>(5)?),
    })
}

/// Up to `limit` hits, newest first, from the rooms (all of a host's rooms are open to its users) and from the
/// searcher's own direct conversations.
pub(super) fn search(connection: &Connection, scope: &SearchScope, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
    let Some(query) = fts_query(&scope.words) else { return Ok(Vec::new()) };
    let before = scope.before.map_or(i64::MAX, int);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let from = scope.from.as_ref().map(|id| id.as_str().to_owned());
    let room = scope.room.as_ref().map(|key| key.as_str().to_owned());
    let mut hits = connection
        .prepare_cached(&format!(
            "SELECT m.id, r.name, m.seq, m.ts, m.author_name, \
             snippet(messages_fts, 0, char(2), char(3), '…', {SNIPPET_WORDS}) \
             FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid JOIN rooms r ON r.key = m.room \
             WHERE messages_fts MATCH ?1 AND r.deleted = 0 AND m.deleted = 0 AND m.ts < ?2 \
             AND (?3 IS NULL OR m.author_id = ?3) AND (?4 IS NULL OR m.room = ?4) \
             ORDER BY m.ts DESC, m.rowid DESC LIMIT ?5"
        ))
        .and_then(|mut statement| {
            statement
                .query_map(params![query, before, from, room, limit], room_hit)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(failure)?;
    if scope.room.is_none() {
        let me = scope.searcher.as_str();
        let directs = connection
            .prepare_cached(&format!(
                "SELECT d.id, d.thread, d.seq, d.ts, d.from_name, d.to_name, d.from_id, \
                 snippet(directs_fts, 0, char(2), char(3), '…', {SNIPPET_WORDS}) \
                 FROM directs_fts JOIN directs d ON d.rowid = directs_fts.rowid JOIN threads t ON t.id = d.thread \
                 WHERE directs_fts MATCH ?1 AND (t.user_a = ?2 OR t.user_b = ?2) AND d.ts < ?3 \
                 AND (?4 IS NULL OR d.from_id = ?4) ORDER BY d.ts DESC, d.rowid DESC LIMIT ?5"
            ))
            .and_then(|mut statement| {
                statement
                    .query_map(params![query, me, before, from, limit], |row| {
                        let from_id: String = row.get(6)?;
                        let (from_name, to_name): (String, String) = (row.get(4)?, row.get(5)?);
                        let with = if from_id == me { to_name } else { from_name.clone() };
                        Ok(SearchHit {
                            id: row.get(0)?,
                            room: None,
                            with: Some(with),
                            seq: uint(row.get(2)?),
                            ts: uint(row.get(3)?),
                            from: from_name,
                            snippet: marked(&row.get::<_, String>(7)?),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(failure)?;
        hits.extend(directs);
        hits.sort_by_key(|hit| std::cmp::Reverse(hit.ts));
        hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_words_become_quoted_strings_never_query_syntax() {
        let words = |list: &[&str]| list.iter().map(|word| (*word).to_owned()).collect::<Vec<_>>();
        assert_eq!(fts_query(&words(&["deploy", "frid"])).as_deref(), Some("\"deploy\" \"frid\"*"));
        assert_eq!(fts_query(&words(&["NEAR", "OR"])).as_deref(), Some("\"NEAR\" \"OR\"*"));
        assert_eq!(fts_query(&words(&["a\"b"])).as_deref(), Some("\"a\"\"b\"*"));
        assert_eq!(fts_query(&[]), None);
    }

    #[test]
    fn snippets_are_cut_into_marked_and_plain_parts() {
        let snippet = format!("…the {OPEN}deploy{CLOSE} is on {OPEN}Friday{CLOSE}");
        let parts = marked(&snippet);
        let shown: Vec<(&str, bool)> = parts.iter().map(|part| (part.text.as_str(), part.hit)).collect();
        assert_eq!(shown, vec![("…the ", false), ("deploy", true), (" is on ", false), ("Friday", true)]);
    }
}
