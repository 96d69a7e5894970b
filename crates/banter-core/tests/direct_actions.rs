//! Direct messages get what room messages have, through a real host and real clients: replies, edits, deletions and
//! reactions by the conversation's two people only, read marks shared by a user's devices, and a client that was
//! away catching up on every change.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use banter_core::client::{Client, ClientConfig, ClientEvent, ClientEvents, ConnectionState, ServerKind};
use banter_core::limits::Limits;
use banter_core::protocol::{DirectMessage, DirectReadMark, Welcome};
use common::proxy::Proxy;
use common::*;

fn keyed(address: std::net::SocketAddr, name: &str, key: &str) -> ClientConfig {
    let mut config = fast_config(address, name);
    config.user_key = Some(key.into());
    config
}

async fn direct_with_text(events: &mut ClientEvents, text: &str) -> DirectMessage {
    expect(events, |event| match event {
        ClientEvent::Direct(message) if message.text == text => Some(message.clone()),
        _ => None,
    })
    .await
}

/// The next change a client reports to message `seq` of a conversation that `wanted` accepts.
async fn changed(events: &mut ClientEvents, seq: u64, mut wanted: impl FnMut(&DirectMessage) -> bool) -> DirectMessage {
    expect(events, |event| match event {
        ClientEvent::DirectChanged(message) if message.seq == seq && wanted(message) => Some(message.clone()),
        _ => None,
    })
    .await
}

async fn welcome_of(config: ClientConfig) -> (Client, Welcome) {
    let (client, mut events) = Client::connect(config).unwrap();
    let welcome = expect(&mut events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.clone()),
        ClientEvent::State(ConnectionState::Connected { server: ServerKind::Plain }) => panic!("not a Banter host"),
        _ => None,
    })
    .await;
    (client, welcome)
}

fn kind_of<T>(result: Result<T, banter_core::client::ClientError>) -> Option<&'static str> {
    result.err().map(|error| error.kind())
}

#[tokio::test]
async fn a_direct_message_is_answered_edited_reacted_to_and_deleted_by_its_two_people_only() {
    let host = start_host().await;
    let (ann, _ann_events) = join_with(keyed(host.local_addr(), "ann", "ann-direct-key-01")).await;
    let (_ann_phone, mut phone_events) = join_with(keyed(host.local_addr(), "ann", "ann-direct-key-01")).await;
    let (bert, mut bert_events) = join_with(keyed(host.local_addr(), "bert", "bert-direct-key-1")).await;
    let (carl, _carl_events) = join(host.local_addr(), "carl").await;

    ann.send_direct("bert", "Can you cover my shift on Friday?").await.unwrap();
    let question = direct_with_text(&mut bert_events, "Can you cover my shift on Friday?").await;
    let conversation = question.conversation.clone();

    // A reply quotes what it answers, and the question counts it, on both people's devices.
    bert.send_direct_reply("ann", question.seq, "Yes, if you take my Monday.").await.unwrap();
    let reply = direct_with_text(&mut phone_events, "Yes, if you take my Monday.").await;
    let quote = reply.reply_to.clone().unwrap();
    assert_eq!((quote.seq, quote.from.as_str()), (question.seq, "ann"));
    assert_eq!(quote.snippet, "Can you cover my shift on Friday?");
    changed(&mut phone_events, question.seq, |message| message.replies == 1).await;
    let refusal = expect(&mut bert_events, |event| match event {
        ClientEvent::SendFailed { error, .. } => Some(error.clone()),
        _ => None,
    });
    bert.send_direct_reply("ann", 99, "to nothing").await.unwrap();
    assert!(refusal.await.message.contains("no message 99"));

    // Only the author edits; the other person and the author's other device see the edit.
    assert_eq!(kind_of(bert.edit_direct(&conversation, question.seq, "Friday?").await), Some("forbidden"));
    assert_eq!(kind_of(ann.edit_direct(&conversation, question.seq, "  ").await), Some("invalid"));
    let edited = ann.edit_direct(&conversation, question.seq, "Can you cover my shift on Saturday?").await.unwrap();
    assert!(edited.edited_at.is_some());
    for events in [&mut bert_events, &mut phone_events] {
        let seen = changed(events, question.seq, |message| message.rev == edited.rev).await;
        assert_eq!(seen.text, "Can you cover my shift on Saturday?");
    }

    // Either person reacts; someone outside the conversation can do nothing to it, nor learn that it exists.
    let reacted = bert.react_direct(&conversation, question.seq, "👍", true).await.unwrap();
    assert_eq!(reacted.reactions[0].users, vec!["bert".to_owned()]);
    changed(&mut phone_events, question.seq, |message| message.reactions.len() == 1).await;
    assert_eq!(kind_of(carl.react_direct(&conversation, question.seq, "👍", true).await), Some("not_found"));
    assert_eq!(kind_of(carl.edit_direct(&conversation, question.seq, "mine now").await), Some("not_found"));
    assert_eq!(kind_of(carl.delete_direct(&conversation, question.seq).await), Some("not_found"));
    assert_eq!(kind_of(ann.react_direct("c99999", 1, "👍", true).await), Some("not_found"));
    assert_eq!(kind_of(ann.react_direct("not an id", 1, "👍", true).await), Some("not_found"));

    // Only the author deletes, and the text leaves the host: a page of the conversation shows the tombstone.
    assert_eq!(kind_of(bert.delete_direct(&conversation, question.seq).await), Some("forbidden"));
    let tombstone = ann.delete_direct(&conversation, question.seq).await.unwrap();
    assert!(tombstone.deleted && tombstone.text.is_empty() && tombstone.reactions.is_empty());
    let seen = changed(&mut bert_events, question.seq, |message| message.deleted).await;
    assert_eq!(seen.from, "ann");
    // The reply that quotes it now quotes a deleted message.
    let page = bert.direct_history("ann", None, 50).await.unwrap();
    assert_eq!(page.messages.len(), 2);
    assert!(page.messages[0].deleted && page.messages[0].text.is_empty());
    assert!(page.messages[1].reply_to.as_ref().is_some_and(|quote| quote.deleted && quote.snippet.is_empty()));
    assert!(page.latest_rev >= tombstone.rev);
    assert_eq!(kind_of(bert.react_direct(&conversation, question.seq, "👀", true).await), Some("not_found"));
}

#[tokio::test]
async fn a_conversation_read_on_one_device_is_read_on_the_others_and_in_the_next_welcome() {
    let host = start_host().await;
    let ann_config = || keyed(host.local_addr(), "ann", "ann-direct-key-02");
    let (laptop, _laptop_events) = join_with(ann_config()).await;
    let (phone, mut phone_events) = join_with(ann_config()).await;
    let (bert, _bert_events) = join_with(keyed(host.local_addr(), "bert", "bert-direct-key-2")).await;
    let (carl, _carl_events) = join(host.local_addr(), "carl").await;
    for n in 1..=3 {
        bert.send_direct("ann", &format!("dm {n}")).await.unwrap();
    }
    bert.flush().await.unwrap();
    let last = direct_with_text(&mut phone_events, "dm 3").await;
    let conversation = last.conversation.clone();

    let mark = DirectReadMark { conversation: conversation.clone(), seq: 2 };
    assert_eq!(laptop.mark_direct_read(&conversation, 2).await.unwrap(), mark);
    let heard = expect(&mut phone_events, |event| match event {
        ClientEvent::DirectRead(mark) => Some(mark.clone()),
        _ => None,
    })
    .await;
    assert_eq!(heard, mark);
    // Never back, never past the last message, and only in one's own conversations.
    assert_eq!(phone.mark_direct_read(&conversation, 1).await.unwrap().seq, 2);
    assert_eq!(phone.mark_direct_read(&conversation, 99).await.unwrap().seq, 3);
    assert_eq!(kind_of(carl.mark_direct_read(&conversation, 1).await), Some("not_found"));

    let (_tablet, welcome) = welcome_of(ann_config()).await;
    let summary = welcome.conversations.iter().find(|each| each.with == "bert").unwrap();
    assert_eq!((summary.read_seq, summary.last_message.seq), (3, 3));
    // Bert's mark is his own: he has read nothing of it yet.
    let (_bert_again, welcome) = welcome_of(keyed(host.local_addr(), "bert", "bert-direct-key-2")).await;
    assert_eq!(welcome.conversations[0].read_seq, 0);
}

/// Folds reported direct messages as a UI does: of two states of one message, the higher `rev` wins.
fn fold(state: &mut HashMap<u64, DirectMessage>, message: DirectMessage) {
    if state.get(&message.seq).is_none_or(|known| known.rev <= message.rev) {
        state.insert(message.seq, message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_away_catches_up_on_every_change_to_its_conversations() {
    let limits = Limits { request_burst: 100_000, requests_per_second: 100_000, history_page: 20, ..Limits::default() };
    let host = start_host_with(limits).await;
    let proxy = Proxy::start(host.local_addr()).await;
    let (reader, mut reader_events) = join_with(keyed(proxy.address, "reader", "reader-direct-key")).await;
    let (writer, _writer_events) = join_with(keyed(host.local_addr(), "writer", "writer-direct-key")).await;
    for n in 1..=40 {
        writer.send_direct("reader", &format!("dm {n}")).await.unwrap();
    }
    writer.flush().await.unwrap();
    let mut state = HashMap::new();
    while state.len() < 40 {
        let message = expect(&mut reader_events, |event| match event {
            ClientEvent::Direct(message) => Some(message.clone()),
            _ => None,
        })
        .await;
        fold(&mut state, message);
    }
    let conversation = state[&1].conversation.clone();

    proxy.cut();
    expect(&mut reader_events, |event| {
        matches!(event, ClientEvent::State(ConnectionState::Reconnecting { .. })).then_some(())
    })
    .await;
    // More changes than a page holds, some to the same message more than once, and a new message.
    for seq in 1..=30 {
        writer.edit_direct(&conversation, seq, &format!("dm {seq}, edited")).await.unwrap();
        writer.react_direct(&conversation, seq, "👍", true).await.unwrap();
    }
    for seq in 1..=5 {
        writer.delete_direct(&conversation, seq).await.unwrap();
    }
    writer.send_direct_reply("reader", 20, "on 20").await.unwrap();
    writer.flush().await.unwrap();
    proxy.restore();

    let mut expected = HashMap::new();
    let mut before = None;
    loop {
        let page = writer.direct_history("reader", before, 20).await.unwrap();
        let Some(first) = page.messages.first().map(|message| message.seq) else { break };
        for message in page.messages {
            expected.insert(message.seq, message);
        }
        before = Some(first);
    }
    assert_eq!(expected.len(), 41);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while state != expected {
        let event = tokio::time::timeout_at(deadline, reader_events.recv()).await;
        let Ok(Some(event)) = event else {
            let wrong: Vec<_> = expected.iter().filter(|(seq, message)| state.get(*seq) != Some(message)).collect();
            panic!("{} messages differ from the host's, for example {:#?}", wrong.len(), wrong.first());
        };
        match event {
            ClientEvent::DirectChanged(message) | ClientEvent::Direct(message) => fold(&mut state, message),
            ClientEvent::MissedDirects { messages, .. } => messages.into_iter().for_each(|m| fold(&mut state, m)),
            _ => {}
        }
    }
    drop(reader);
}
