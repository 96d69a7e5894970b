//! Full-text search through a real host: words in any order and of any case, the last one as a prefix; rooms and
//! one's own direct messages, never someone else's; filters and pages; edits and deletions followed by the index;
//! and typed text that looks like query syntax taken as words.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::client::{Client, ClientConfig};
use banter_core::limits::Limits;
use banter_core::protocol::{SearchRequest, SearchResults, LOBBY};
use common::*;
use serde_json::json;

fn keyed(address: std::net::SocketAddr, name: &str) -> ClientConfig {
    let mut config = fast_config(address, name);
    config.user_key = Some(format!("{name}-search-key-0001"));
    config
}

fn query(q: &str) -> SearchRequest {
    SearchRequest { q: q.into(), room: None, from: None, before: None, limit: None }
}

fn texts(results: &SearchResults) -> Vec<String> {
    results.hits.iter().map(|hit| hit.snippet.iter().map(|part| part.text.as_str()).collect::<String>()).collect()
}

async fn search(client: &Client, request: SearchRequest) -> SearchResults {
    client.search(request).await.unwrap()
}

#[tokio::test]
async fn words_are_found_in_rooms_and_in_ones_own_direct_messages_only() {
    let limits = Limits { request_burst: 1000, requests_per_second: 1000, ..Limits::default() };
    let host = start_host_with(limits).await;
    let (ann, _a) = join_with(keyed(host.local_addr(), "ann")).await;
    let (bert, _b) = join_with(keyed(host.local_addr(), "bert")).await;
    let (carl, _c) = join_with(keyed(host.local_addr(), "carl")).await;
    ann.join_room("ops").await.unwrap();
    ann.send_message("ops", "The deploy is on Friday, after the café meeting").await.unwrap();
    bert.send_message(LOBBY, "friday lunch anyone?").await.unwrap();
    ann.send_message(LOBBY, "nothing to see here").await.unwrap();
    bert.send_direct("ann", "psst: the Friday surprise party").await.unwrap();
    for client in [&ann, &bert] {
        client.flush().await.unwrap();
    }

    // Case and accents do not matter; the last word may be the start of one.
    let found = search(&ann, query("FRIDAY")).await;
    assert_eq!(found.hits.len(), 3, "{:?}", texts(&found));
    assert!(!found.more);
    let marked: Vec<&str> = found
        .hits
        .iter()
        .flat_map(|hit| hit.snippet.iter().filter(|part| part.hit).map(|part| part.text.as_str()))
        .collect();
    assert!(marked.iter().all(|word| word.eq_ignore_ascii_case("friday")), "{marked:?}");
    assert_eq!(texts(&search(&ann, query("cafe meet")).await), ["The deploy is on Friday, after the café meeting"]);
    // Newest first: the direct message, then the lobby, then the room.
    let places: Vec<(Option<&str>, Option<&str>)> =
        found.hits.iter().map(|hit| (hit.room.as_deref(), hit.with.as_deref())).collect();
    assert_eq!(places, [(None, Some("bert")), (Some("lobby"), None), (Some("ops"), None)]);
    // Carl is in none of those direct messages.
    assert_eq!(search(&carl, query("friday")).await.hits.len(), 2);

    // Filters: one room, one person.
    let in_ops = search(&ann, SearchRequest { room: Some("Ops".into()), ..query("friday") }).await;
    assert_eq!(texts(&in_ops), ["The deploy is on Friday, after the café meeting"]);
    let by_bert = search(&ann, SearchRequest { from: Some("bert".into()), ..query("friday") }).await;
    assert_eq!(by_bert.hits.len(), 2);
    let nobody = ann.search(SearchRequest { from: Some("zed".into()), ..query("friday") }).await;
    assert_eq!(nobody.err().map(|error| error.kind()), Some("not_found"));

    // Pages: one hit at a time, on from the last one's time.
    let first = search(&ann, SearchRequest { limit: Some(1), ..query("friday") }).await;
    assert!(first.more);
    let second =
        search(&ann, SearchRequest { limit: Some(1), before: Some(first.hits[0].ts), ..query("friday") }).await;
    assert!(second.hits[0].ts <= first.hits[0].ts && second.hits[0].id != first.hits[0].id);
}

#[tokio::test]
async fn the_index_follows_edits_and_deletions() {
    let host = start_host().await;
    let (ann, mut events) = join_with(keyed(host.local_addr(), "ann")).await;
    ann.send_message(LOBBY, "the password is tangerine").await.unwrap();
    let posted = expect(&mut events, message_with_text("the password is tangerine")).await;
    ann.edit_message(LOBBY, posted.seq, "the password is mango").await.unwrap();
    assert!(search(&ann, query("tangerine")).await.hits.is_empty());
    assert_eq!(search(&ann, query("mango")).await.hits.len(), 1);
    ann.delete_message(LOBBY, posted.seq).await.unwrap();
    assert!(search(&ann, query("mango")).await.hits.is_empty());
    assert!(search(&ann, query("password")).await.hits.is_empty());
}

#[tokio::test]
async fn typed_query_syntax_is_only_words_and_bad_searches_say_why() {
    let host = start_host().await;
    let (ann, _events) = join_with(keyed(host.local_addr(), "ann")).await;
    ann.send_message(LOBBY, "NEAR the OR gate, \"quoted\" text and a-b-c").await.unwrap();
    ann.flush().await.unwrap();
    for typed in ["\"quoted", "NEAR(", "OR gate", "a-b-c", "text*", "^gate", "quoted\" OR \"x", "col:text", "-gate"] {
        let found = ann.search(query(typed)).await;
        assert!(found.is_ok(), "{typed:?}: {found:?}");
    }
    assert_eq!(search(&ann, query("\"quoted")).await.hits.len(), 1);
    assert_eq!(search(&ann, query("OR gate")).await.hits.len(), 1);
    for (typed, kind) in [("", "invalid"), ("!!! ???", "invalid")] {
        assert_eq!(ann.search(query(typed)).await.err().map(|error| error.kind()), Some(kind), "{typed:?}");
    }
    let too_long = ann.search(query(&"word ".repeat(50))).await;
    assert_eq!(too_long.err().map(|error| error.kind()), Some("too_large"));
    // A raw client with a malformed payload is answered, not ignored.
    let raw = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("rae", "rae-key-0000001"))).await.unwrap();
    assert_eq!(raw.request("search:query", json!({ "q": 5 })).await["error"]["kind"], "bad_request");
}
