//! The terminal client's commands, through the real `banter-cli` binary: quoted names, `/help`, `/who`, `/rooms`,
//! and replying, editing, deleting and reacting from a terminal.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use support::*;

#[tokio::test]
async fn a_name_with_a_space_is_reached_by_quoting_it_and_who_and_rooms_answer() {
    let host = Served::start().await;
    let mut ann = Joined::start(&host.address, &["--name", "Ann Host"]).await;
    let mut bert = Joined::start(&host.address, &["--name", "bert"]).await;
    wait_for(&mut ann.stdout, |line| line == "* bert joined lobby").await;

    bert.say("/dm \"Ann Host\" are you there?").await;
    wait_for(&mut ann.stdout, |line| line == "[dm] bert → Ann Host: are you there?").await;
    bert.say("/who").await;
    wait_for(&mut bert.stderr, |line| line == "* online (2): Ann Host, bert").await;
    ann.say("/join Release Planning").await;
    wait_for(&mut ann.stderr, |line| line == "* now sending to Release Planning").await;
    // The room list is pushed a quarter of a second after a join, gathered with others.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    bert.say("/rooms").await;
    wait_for(&mut bert.stderr, |line| line == "* Release Planning (1 person in it)").await;
    bert.say("/help").await;
    wait_for(&mut bert.stderr, |line| line.starts_with("  /reply [#N] TEXT")).await;
    bert.say("/frobnicate").await;
    wait_for(&mut bert.stderr, |line| line.contains("unknown command /frobnicate")).await;
    assert_eq!(ann.finish().await, Some(0));
    // The unknown command counts as a failure of the session, as a refused message does.
    assert_eq!(bert.finish().await, Some(1));
}

#[tokio::test]
async fn replies_edits_deletions_and_reactions_from_a_terminal() {
    let host = Served::start().await;
    let mut ann = Joined::start(&host.address, &["--name", "ann", "--numbers"]).await;
    let mut bert = Joined::start(&host.address, &["--name", "bert", "--numbers"]).await;
    wait_for(&mut ann.stdout, |line| line == "* bert joined lobby").await;

    ann.say("Who has the keys to the server room?").await;
    wait_for(&mut bert.stdout, |line| line == "[lobby #1] ann: Who has the keys to the server room?").await;
    // Without a number, a reply answers the last message from someone else.
    bert.say("/reply I do.").await;
    wait_for(&mut ann.stdout, |line| line == "[lobby #2] bert ↩ ann “Who has the keys to the server room?”: I do.")
        .await;
    ann.say("/react #2 🙏").await;
    wait_for(&mut bert.stdout, |line| line == "[lobby #2] * reactions on bert's “I do.”: 🙏 ann").await;
    bert.say("/edit I do, in my bag.").await;
    wait_for(&mut ann.stdout, |line| line == "[lobby #2] bert (edited): I do, in my bag.").await;
    // Only one's own messages can be edited: ann's only message is number 1, bert's edit of it is refused.
    bert.say("/edit #1 changed by someone else").await;
    wait_for(&mut bert.stderr, |line| line == "! not edited: Only its author can edit a message.").await;
    bert.say("/delete").await;
    wait_for(&mut ann.stdout, |line| line == "[lobby #2] * bert's “I do, in my bag.” was deleted").await;
    ann.say("/react #1 not-an-emoji").await;
    wait_for(&mut ann.stderr, |line| line.starts_with("! no reaction: A reaction must be one emoji")).await;

    assert_eq!(ann.finish().await, Some(1));
    assert_eq!(bert.finish().await, Some(1));
}

#[tokio::test]
async fn search_finds_words_and_marks_them() {
    let host = Served::start().await;
    let mut ann = Joined::start(&host.address, &["--name", "ann", "--room", "ops"]).await;
    ann.say("The deploy is on Friday").await;
    ann.say("lunch first").await;
    wait_for(&mut ann.stdout, |line| line == "[ops] ann: lunch first").await;
    let home = Home::new();
    let output = banter_cli(&home).args(["search", &host.address, "DEPLOY fri"]).output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "[ops #1] ann: The «deploy» is on «Friday»\n");
    let json = banter_cli(&home).args(["search", &host.address, "lunch", "--json"]).output().await.unwrap();
    let hit: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((hit["room"].as_str(), hit["seq"].as_u64()), (Some("ops"), Some(2)));
    let nothing = banter_cli(&home).args(["search", &host.address, "\"NEAR("]).output().await.unwrap();
    assert!(nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("Nothing found for “\"NEAR(”."));
    let empty = banter_cli(&home).args(["search", &host.address, "!!!"]).output().await.unwrap();
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("Type a word to search for."));
    assert_eq!(ann.finish().await, Some(0));
}
