//! The actions on a posted message, through a real host and real clients: replies, edits, deletions and reactions,
//! who may do each, that a change never overtakes the message it changes, and that a client that was away catches
//! up on every change.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use banter_core::client::{ClientEvent, ClientEvents, ConnectionState};
use banter_core::limits::Limits;
use banter_core::protocol::{Message, LOBBY};
use common::proxy::Proxy;
use common::*;
use serde_json::json;

fn keyed(address: std::net::SocketAddr, name: &str, key: &str) -> banter_core::client::ClientConfig {
    let mut config = fast_config(address, name);
    config.user_key = Some(key.into());
    config
}

/// The next change a client reports to the message `seq` of `room` that `wanted` accepts.
async fn changed(events: &mut ClientEvents, room: &str, seq: u64, mut wanted: impl FnMut(&Message) -> bool) -> Message {
    expect(events, |event| match event {
        ClientEvent::Changed(message) if message.room == room && message.seq == seq && wanted(message) => {
            Some(message.clone())
        }
        _ => None,
    })
    .await
}

fn kind_of<T>(result: Result<T, banter_core::client::ClientError>) -> Option<&'static str> {
    result.err().map(|error| error.kind())
}

#[tokio::test]
async fn a_reply_quotes_its_message_and_the_message_counts_its_replies() {
    let host = start_host().await;
    let (ann, mut ann_events) = join(host.local_addr(), "ann").await;
    let (bert, mut bert_events) = join(host.local_addr(), "bert").await;
    ann.send_message(LOBBY, "Who has the keys to the server room?").await.unwrap();
    let question = expect(&mut bert_events, message_with_text("Who has the keys to the server room?")).await;

    bert.send_reply(LOBBY, question.seq, "I do.").await.unwrap();
    let reply = expect(&mut ann_events, message_with_text("I do.")).await;
    let quote = reply.reply_to.clone().unwrap();
    assert_eq!((quote.seq, quote.from.as_str()), (question.seq, "ann"));
    assert_eq!(quote.snippet, "Who has the keys to the server room?");
    // The question follows its reply, counting it.
    let counted = changed(&mut ann_events, LOBBY, question.seq, |message| message.replies == 1).await;
    assert!(counted.rev > 0);

    // A reply to nothing is refused, and says so.
    let refusal = expect(&mut bert_events, |event| match event {
        ClientEvent::SendFailed { error, .. } => Some(error.clone()),
        _ => None,
    });
    bert.send_reply(LOBBY, 999, "to nobody").await.unwrap();
    let refusal = refusal.await;
    assert_eq!(refusal.kind.as_str(), "not_found");
    assert!(refusal.message.contains("no message 999"), "{}", refusal.message);

    // Deleting the reply takes it off the count again.
    bert.delete_message(LOBBY, reply.seq).await.unwrap();
    changed(&mut ann_events, LOBBY, question.seq, |message| message.replies == 0).await;
    let kept = kept_messages(&host, LOBBY).await;
    assert_eq!(kept[0].replies, 0);
    assert!(kept[1].deleted);
}

#[tokio::test]
async fn only_the_author_edits_and_every_device_sees_the_edit() {
    let host = start_host().await;
    let (ann, _ann_events) = join_with(keyed(host.local_addr(), "ann", "ann-key-0000001")).await;
    let (_ann_phone, mut phone_events) = join_with(keyed(host.local_addr(), "ann", "ann-key-0000001")).await;
    let (bert, mut bert_events) = join(host.local_addr(), "bert").await;
    ann.send_message(LOBBY, "lunch at 12?").await.unwrap();
    let posted = expect(&mut bert_events, message_with_text("lunch at 12?")).await;

    assert_eq!(kind_of(bert.edit_message(LOBBY, posted.seq, "lunch at 1").await), Some("forbidden"));
    assert_eq!(kind_of(ann.edit_message(LOBBY, posted.seq, "   ").await), Some("invalid"));
    assert_eq!(kind_of(ann.edit_message(LOBBY, 77, "nothing there").await), Some("not_found"));

    let edited = ann.edit_message(LOBBY, posted.seq, "lunch at 12:30?").await.unwrap();
    assert_eq!(edited.text, "lunch at 12:30?");
    assert!(edited.edited_at.is_some_and(|at| at >= posted.ts));
    for events in [&mut bert_events, &mut phone_events] {
        let seen = changed(events, LOBBY, posted.seq, |_| true).await;
        assert_eq!((seen.text.as_str(), seen.edited_at, seen.rev), ("lunch at 12:30?", edited.edited_at, edited.rev));
    }
    // The same text again changes nothing, and nobody hears of it.
    let again = ann.edit_message(LOBBY, posted.seq, "lunch at 12:30?").await.unwrap();
    assert_eq!(again.rev, edited.rev);
    expect_none(&mut bert_events, Duration::from_millis(300), |event| matches!(event, ClientEvent::Changed(_))).await;
}

#[tokio::test]
async fn a_deleted_message_is_a_tombstone_and_its_text_leaves_the_host() {
    let folder = tempfile::tempdir().unwrap();
    let host = start_durable_host(folder.path(), None).await;
    let (ann, _ann_events) = join_with(keyed(host.local_addr(), "ann", "ann-key-0000001")).await;
    let (bert, mut bert_events) = join(host.local_addr(), "bert").await;
    // Long enough to spill onto overflow pages, which a deletion frees without rewriting them.
    let secret_text = format!("{}the wifi password is pineapple-4711", "Notes from the meeting. ".repeat(120));
    ann.send_message(LOBBY, &secret_text).await.unwrap();
    ann.send_message(LOBBY, "a typo of mine").await.unwrap();
    let secret = expect(&mut bert_events, message_with_text(&secret_text)).await;
    let typo = expect(&mut bert_events, message_with_text("a typo of mine")).await;
    bert.react(LOBBY, secret.seq, "👀", true).await.unwrap();

    assert_eq!(kind_of(bert.delete_message(LOBBY, secret.seq).await), Some("forbidden"));
    let tombstone = ann.delete_message(LOBBY, secret.seq).await.unwrap();
    assert!(tombstone.deleted);
    assert_eq!((tombstone.text.as_str(), tombstone.reactions.len()), ("", 0));
    let seen = changed(&mut bert_events, LOBBY, secret.seq, |message| message.deleted).await;
    assert_eq!((seen.text.as_str(), seen.from.as_str()), ("", "ann"));
    // A deleted message takes no more changes; deleting it again is answered and changes nothing.
    assert_eq!(kind_of(bert.react(LOBBY, secret.seq, "👍", true).await), Some("not_found"));
    assert_eq!(ann.delete_message(LOBBY, secret.seq).await.unwrap().rev, tombstone.rev);

    // The host's owner deletes anyone's message, in process as the desktop app does.
    let by_owner = host.delete_message(LOBBY, typo.seq).await.unwrap();
    assert!(by_owner.deleted);
    changed(&mut bert_events, LOBBY, typo.seq, |message| message.deleted).await;

    // The text is gone from the files themselves, not only from what clients are shown: from the database and
    // from its write-ahead log, while the host runs.
    for entry in std::fs::read_dir(folder.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(14).any(|window| window == b"pineapple-4711"), "{path:?} still holds the text");
        }
    }
    drop((ann, bert));
}

#[tokio::test]
async fn reactions_are_toggled_counted_and_name_who_reacted() {
    let limits = Limits { max_reactions_per_message: 2, ..Limits::default() };
    let host = start_host_with(limits).await;
    let (ann, mut ann_events) = join(host.local_addr(), "ann").await;
    let (bert, _bert_events) = join(host.local_addr(), "bert").await;
    let (carl, _carl_events) = join(host.local_addr(), "carl").await;
    ann.send_message(LOBBY, "release is out").await.unwrap();
    let posted = expect(&mut ann_events, message_with_text("release is out")).await;

    bert.react(LOBBY, posted.seq, "🎉", true).await.unwrap();
    carl.react(LOBBY, posted.seq, "🎉", true).await.unwrap();
    let now = bert.react(LOBBY, posted.seq, "👍🏽", true).await.unwrap();
    let summary: Vec<(&str, Vec<&str>)> = now
        .reactions
        .iter()
        .map(|reaction| (reaction.emoji.as_str(), reaction.users.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(summary, vec![("🎉", vec!["bert", "carl"]), ("👍🏽", vec!["bert"])]);
    let seen = changed(&mut ann_events, LOBBY, posted.seq, |message| message.rev == now.rev).await;
    assert_eq!(seen.reactions, now.reactions);

    // The same reaction twice is one reaction; a third different emoji is one too many.
    assert_eq!(carl.react(LOBBY, posted.seq, "🎉", true).await.unwrap().rev, now.rev);
    let refused = carl.react(LOBBY, posted.seq, "🚀", true).await.err().unwrap();
    assert_eq!(refused.kind(), "too_large");
    assert!(refused.to_string().contains("at most 2 different reactions"), "{refused}");
    assert_eq!(kind_of(carl.react(LOBBY, posted.seq, "hooray", true).await), Some("invalid"));

    // Taking a reaction back; the last one of an emoji takes the emoji with it.
    bert.react(LOBBY, posted.seq, "👍🏽", false).await.unwrap();
    let after = bert.react(LOBBY, posted.seq, "🎉", false).await.unwrap();
    assert_eq!(after.reactions.len(), 1);
    assert_eq!(after.reactions[0].users, vec!["carl".to_owned()]);
    // Now there is room for another emoji.
    carl.react(LOBBY, posted.seq, "🚀", true).await.unwrap();
}

/// A socket that sends a message and its edit back to back, without waiting for the first answer (as a fast
/// client may), has them kept and heard in that order: the edit never reaches anyone before its message.
#[tokio::test]
async fn a_change_never_overtakes_the_message_it_changes() {
    let limits = Limits { request_burst: 10_000, requests_per_second: 10_000, ..Limits::default() };
    let host = start_host_with(limits).await;
    let (_reader, mut reader_events) = join(host.local_addr(), "reader").await;
    let raw = RawSocket::connect(host.local_addr(), "/", Some(banter_auth("rae", "rae-key-0000001"))).await.unwrap();
    const PAIRS: u64 = 40;
    for seq in 1..=PAIRS {
        raw.emit("message:send", json!({ "room": LOBBY, "text": format!("draft {seq}") })).await;
        raw.emit("message:edit", json!({ "room": LOBBY, "seq": seq, "text": format!("final {seq}") })).await;
    }
    let mut order = Vec::new();
    while order.len() < 2 * PAIRS as usize {
        let next = expect(&mut reader_events, |event| match event {
            ClientEvent::Message(message) => Some(("new", message.seq, message.text.clone())),
            ClientEvent::Changed(message) => Some(("changed", message.seq, message.text.clone())),
            _ => None,
        })
        .await;
        order.push(next);
    }
    for seq in 1..=PAIRS {
        let new = order.iter().position(|entry| *entry == ("new", seq, format!("draft {seq}")));
        let edit = order.iter().position(|entry| *entry == ("changed", seq, format!("final {seq}")));
        assert!(new.is_some() && edit.is_some() && new < edit, "message {seq}: {order:?}");
    }
}

/// Folds reported changes as a UI does: of two states of one message, the higher `rev` wins.
fn fold(state: &mut HashMap<(String, u64), Message>, message: Message) {
    let key = (message.room.clone(), message.seq);
    if state.get(&key).is_none_or(|known| known.rev <= message.rev) {
        state.insert(key, message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_away_catches_up_on_every_edit_deletion_and_reaction() {
    let limits = Limits { request_burst: 100_000, requests_per_second: 100_000, history_page: 20, ..Limits::default() };
    let host = start_host_with(limits).await;
    let proxy = Proxy::start(host.local_addr()).await;
    let (reader, mut reader_events) = join(proxy.address, "reader").await;
    reader.join_room("ops").await.unwrap();
    let (writer, _writer_events) = join(host.local_addr(), "writer").await;
    writer.join_room("ops").await.unwrap();
    let mut state = HashMap::new();
    for n in 1..=60 {
        writer.send_message("ops", &format!("ops {n}")).await.unwrap();
        writer.send_message(LOBBY, &format!("lobby {n}")).await.unwrap();
    }
    writer.flush().await.unwrap();
    let mut heard = 0;
    while heard < 120 {
        if let ClientEvent::Message(message) = expect(&mut reader_events, |event| match event {
            ClientEvent::Message(_) => Some(event.clone()),
            _ => None,
        })
        .await
        {
            fold(&mut state, message);
            heard += 1;
        }
    }

    proxy.cut();
    expect(&mut reader_events, |event| {
        matches!(event, ClientEvent::State(ConnectionState::Reconnecting { .. })).then_some(())
    })
    .await;
    // More changes than a page holds, in both rooms, some to the same message more than once.
    for seq in 1..=50 {
        writer.edit_message("ops", seq, &format!("ops {seq}, edited")).await.unwrap();
        writer.react(LOBBY, seq, "👍", true).await.unwrap();
    }
    for seq in 1..=10 {
        writer.delete_message("ops", seq).await.unwrap();
        writer.react(LOBBY, seq, "👍", false).await.unwrap();
    }
    writer.send_reply("ops", 30, "on 30").await.unwrap();
    writer.flush().await.unwrap();
    proxy.restore();

    let expected: HashMap<(String, u64), Message> =
        [("ops", kept_messages(&host, "ops").await), (LOBBY, kept_messages(&host, LOBBY).await)]
            .into_iter()
            .flat_map(|(_, messages)| messages)
            .map(|message| ((message.room.clone(), message.seq), message))
            .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while state != expected {
        let event = tokio::time::timeout_at(deadline, reader_events.recv()).await;
        let Ok(Some(event)) = event else {
            let wrong: Vec<_> = expected.iter().filter(|(key, message)| state.get(*key) != Some(message)).collect();
            panic!("{} messages differ from the host's, for example {:#?}", wrong.len(), wrong.first());
        };
        match event {
            ClientEvent::Changed(message) | ClientEvent::Message(message) => fold(&mut state, message),
            ClientEvent::MissedMessages { messages, .. } => messages.into_iter().for_each(|m| fold(&mut state, m)),
            ClientEvent::Joined(joined) => joined.history.into_iter().for_each(|m| fold(&mut state, m)),
            _ => {}
        }
    }
    drop(reader);
}
