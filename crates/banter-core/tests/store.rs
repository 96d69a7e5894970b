//! The store's contract, run against every backend (SQLite in a data folder and in memory, and the cluster's store
//! on a real redis-server), and what a data folder must survive: a reopen, an older database, and the files that
//! are not what they should be.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::cluster::probe;
use banter_core::keys::{NameKey, RoomKey, UserId};
use banter_core::protocol::{ErrorKind, FileInfo, NotifyLevel, NotifySetting, ReadMark};
use banter_core::store::{
    Action, Appended, Author, BanRecord, ClusterStore, DirectPost, Durability, FileRecord, Kept, Location, NameBinding,
    PageRequest, Post, RoomChange, RoomPost, RoomRecord, SearchScope, SqliteStore, Store, StoreConfig, StoreError,
};
use banter_core::validate;
use bytes::Bytes;
use common::valkey::Valkey;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-banter-test-image-";

fn config(location: Location) -> StoreConfig {
    StoreConfig { location, durability: Durability::Normal, attachment_quota_bytes: 1024 * 1024 }
}

/// What a backend needs kept alive while it is tested: its folder, or its server.
#[allow(dead_code)] // Held, never read.
enum Guard {
    Folder(tempfile::TempDir),
    Server(Valkey),
    Nothing,
}

/// Every backend the contract runs against, each fresh, with `quota` bytes for attachments.
async fn backends(quota: u64) -> Vec<(&'static str, Box<dyn Store>, Guard)> {
    let folder = tempfile::tempdir().unwrap();
    let sized = |location| StoreConfig { attachment_quota_bytes: quota, ..config(location) };
    let in_folder = SqliteStore::open(&sized(Location::Folder(folder.path().join("data")))).unwrap();
    let in_memory = SqliteStore::open(&sized(Location::Memory)).unwrap();
    let server = Valkey::start(&[]).await;
    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    let cluster =
        ClusterStore::open(&client, &server.url(), &sized(Location::Memory), Duration::from_secs(5)).await.unwrap();
    vec![
        ("a data folder", Box::new(in_folder), Guard::Folder(folder)),
        ("memory", Box::new(in_memory), Guard::Nothing),
        ("a cluster", Box::new(cluster), Guard::Server(server)),
    ]
}

/// SQLite's two locations, for what only SQLite does.
fn locations() -> Vec<(Location, Option<tempfile::TempDir>)> {
    let folder = tempfile::tempdir().unwrap();
    vec![(Location::Folder(folder.path().join("data")), Some(folder)), (Location::Memory, None)]
}

fn author(name: &str) -> Author {
    Author { name: name.into(), id: UserId::of_key(&format!("{name}-key")) }
}

fn room_post(room: &str, from: &str, text: &str, client_id: Option<&str>) -> Post {
    Post::Room(RoomPost {
        room: validate::room_key(room),
        room_name: room.into(),
        author: author(from),
        text: text.into(),
        client_id: client_id.map(Into::into),
        attachment: None,
        reply_to: None,
        file: None,
        permitted: Ok(()),
    })
}

fn direct_post(from: &str, to: &str, text: &str, client_id: Option<&str>) -> Post {
    Post::Direct(DirectPost {
        from: author(from),
        to: author(to),
        text: text.into(),
        client_id: client_id.map(Into::into),
        attachment: None,
        reply_to: None,
        file: None,
        permitted: Ok(()),
    })
}

fn seq_of(appended: &Appended) -> u64 {
    match &appended.kept {
        Kept::Room(message) | Kept::Changed(message) => message.seq,
        Kept::Direct { message, .. } | Kept::DirectChanged { message, .. } => message.seq,
    }
}

async fn texts(store: &dyn Store, room: &str, page: PageRequest, limit: usize) -> Vec<String> {
    let page = store.room_page(&validate::room_key(room), page, limit).await.unwrap().unwrap();
    page.messages.into_iter().map(|message| message.text).collect()
}

#[tokio::test]
async fn messages_are_numbered_per_room_and_conversation_and_resends_get_the_original() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        let batch = vec![
            room_post("lobby", "ann", "one", Some("c-1")),
            room_post("ops", "ann", "first in ops", Some("c-2")),
            room_post("lobby", "bert", "two", Some("c-1")),
            direct_post("ann", "bert", "psst", Some("c-3")),
            direct_post("bert", "ann", "hm?", None),
            room_post("lobby", "ann", "one", Some("c-1")),
        ];
        let outcomes: Vec<Appended> = store.append(batch).await.unwrap().into_iter().map(Result::unwrap).collect();
        let seqs: Vec<u64> = outcomes.iter().map(seq_of).collect();
        assert_eq!(seqs, [1, 1, 2, 1, 2, 1], "per room, per conversation; the resend is the first message");
        assert!(outcomes[5].duplicate && !outcomes[0].duplicate && !outcomes[2].duplicate);
        assert_eq!(outcomes[5].kept, outcomes[0].kept);
        // A resend in a later batch, after the original was committed, is recognised too.
        let again = store.append(vec![direct_post("ann", "bert", "psst", Some("c-3"))]).await.unwrap();
        assert!(again[0].as_ref().unwrap().duplicate);
        assert_eq!(texts(&*store, "lobby", PageRequest::Latest, 10).await, ["one", "two"]);
        let thread = store.direct_page(&author("bert").id, &author("ann").id, PageRequest::Latest, 10).await.unwrap();
        let thread: Vec<(u64, String)> = thread.messages.into_iter().map(|m| (m.seq, m.text)).collect();
        assert_eq!(thread, [(1, "psst".to_owned()), (2, "hm?".to_owned())]);
        store.close().await;
    }
}

#[tokio::test]
async fn history_pages_go_both_ways_and_say_what_is_newest() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        let posts = (1..=25).map(|n| room_post("log", "ann", &format!("m{n}"), None)).collect();
        store.append(posts).await.unwrap();
        let room = validate::room_key("log");
        let latest = store.room_page(&room, PageRequest::Latest, 10).await.unwrap().unwrap();
        let seqs: Vec<u64> = latest.messages.iter().map(|m| m.seq).collect();
        assert_eq!((seqs, latest.latest_seq), ((16..=25).collect(), 25));
        let before = store.room_page(&room, PageRequest::Before(16), 10).await.unwrap().unwrap();
        assert_eq!(before.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), (6..=15).collect::<Vec<_>>());
        let after = store.room_page(&room, PageRequest::After(20), 10).await.unwrap().unwrap();
        assert_eq!(after.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), (21..=25).collect::<Vec<_>>());
        assert!(store.room_page(&validate::room_key("nowhere"), PageRequest::Latest, 10).await.unwrap().is_none());
        store.close().await;
    }
}

#[tokio::test]
async fn refused_posts_take_no_number_and_keep_their_reason() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        let Post::Room(mut refused) = room_post("ops", "eve", "not a member", Some("c-7")) else { unreachable!() };
        refused.permitted = Err(banter_core::protocol::ErrorBody::new(ErrorKind::Forbidden, "join first"));
        let mut with_missing_image = room_post("ops", "eve", "", None);
        if let Post::Room(post) = &mut with_missing_image {
            post.attachment = Some("0".repeat(64));
        }
        let outcomes = store
            .append(vec![Post::Room(refused), with_missing_image, room_post("ops", "eve", "fine", Some("c-7"))])
            .await
            .unwrap();
        assert_eq!(outcomes[0].as_ref().err().map(|e| e.kind), Some(ErrorKind::Forbidden));
        assert_eq!(outcomes[1].as_ref().err().map(|e| e.kind), Some(ErrorKind::NotFound));
        assert_eq!(outcomes[2].as_ref().map(seq_of).ok(), Some(1), "a refusal does not use up the client id either");
        store.close().await;
    }
}

#[tokio::test]
async fn a_deleted_room_loses_its_history_and_a_new_one_goes_on_numbering() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        store.append((1..=3).map(|n| room_post("ops", "ann", &format!("old {n}"), None)).collect()).await.unwrap();
        let ops = validate::room_key("ops");
        store.add_member(&ops, "ops", &author("ann").id).await.unwrap();
        assert!(store.delete_room(&ops).await.unwrap());
        assert!(!store.delete_room(&ops).await.unwrap());
        assert!(store.room_page(&ops, PageRequest::Latest, 10).await.unwrap().is_none());
        assert!(store.memberships(&author("ann").id).await.unwrap().is_empty());
        let late = store.append(vec![room_post("ops", "ann", "too late", None)]).await.unwrap();
        assert_eq!(late[0].as_ref().err().map(|e| e.kind), Some(ErrorKind::NotFound));
        let record = RoomRecord {
            key: ops.clone(),
            name: "Ops".into(),
            created_by: Some(author("bert").id),
            created_at: 5,
            last_active: 5,
            latest_seq: 0,
        };
        store.create_room(record).await.unwrap();
        let fresh = store.append(vec![room_post("ops", "bert", "new", None)]).await.unwrap();
        assert_eq!(fresh[0].as_ref().map(seq_of).ok(), Some(4), "nobody's last-seen number points into the new room");
        assert_eq!(texts(&*store, "ops", PageRequest::Latest, 10).await, ["new"]);
        store.close().await;
    }
}

#[tokio::test]
async fn names_are_bound_to_their_first_user_until_released() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        let binding = |user: &str| NameBinding {
            key: validate::name_key("Alice"),
            name: "Alice".into(),
            user: author(user).id,
            bound_at: 1,
        };
        assert_eq!(store.bind_name(binding("alice")).await.unwrap(), Ok(()));
        assert_eq!(store.bind_name(binding("alice")).await.unwrap(), Ok(()), "binding again is harmless");
        assert_eq!(store.bind_name(binding("mallory")).await.unwrap(), Err(binding("alice")));
        let released = store.release_name(&validate::name_key("ALICE")).await.unwrap();
        assert_eq!(released, Some(binding("alice")));
        assert_eq!(store.bind_name(binding("mallory")).await.unwrap(), Ok(()));
        assert_eq!(store.snapshot().await.unwrap().names, vec![binding("mallory")]);
        assert_eq!(store.release_name(&NameKey::from_stored("nobody".into())).await.unwrap(), None);
        store.close().await;
    }
}

#[tokio::test]
async fn conversations_list_each_thread_with_its_last_message() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        store
            .append(vec![
                direct_post("ann", "bert", "hi bert", None),
                direct_post("cora", "ann", "hi ann", None),
                direct_post("bert", "ann", "hi back", None),
            ])
            .await
            .unwrap();
        let conversations = store.conversations(&author("ann").id, 10).await.unwrap();
        let seen: Vec<(String, String)> = conversations
            .iter()
            .map(|record| (record.summary.with.clone(), record.summary.last_message.text.clone()))
            .collect();
        assert!(seen.contains(&("bert".into(), "hi back".into())) && seen.contains(&("cora".into(), "hi ann".into())));
        assert_eq!(conversations.iter().find(|r| r.summary.with == "cora").map(|r| &r.with), Some(&author("cora").id));
        assert!(store.conversations(&author("dora").id, 10).await.unwrap().is_empty());
        store.close().await;
    }
}

#[tokio::test]
async fn attachments_are_kept_once_by_content_and_the_oldest_go_past_the_quota() {
    for (backend, store, _guard) in backends(100).await {
        eprintln!("against {backend}");
        let image = |n: u8| Bytes::from([PNG, &[n; 20]].concat());
        let first = store.put_attachment(image(1), "image/png").await.unwrap();
        let again = store.put_attachment(image(1), "image/png").await.unwrap();
        assert_eq!(first, again, "the same bytes are one attachment");
        assert_eq!(first.id.len(), 64);
        let second = store.put_attachment(image(2), "image/png").await.unwrap();
        assert!(store.attachment(&first.id).await.unwrap().is_some());
        // 39 bytes each: a third goes past 100, and the oldest (the first) is evicted.
        let third = store.put_attachment(image(3), "image/png").await.unwrap();
        assert!(store.attachment(&first.id).await.unwrap().is_none());
        let (mime, bytes) = store.attachment(&second.id).await.unwrap().unwrap();
        assert_eq!((mime.as_str(), bytes), ("image/png", image(2)));
        assert!(store.attachment(&third.id).await.unwrap().is_some());
        assert!(store.attachment("../../etc/passwd").await.unwrap().is_none(), "ids never reach a path");
        store.close().await;
    }
}

fn change(room: &str, seq: u64, by: &str, action: Action) -> Post {
    Post::Change(RoomChange { room: validate::room_key(room), seq, by: author(by), action, permitted: Ok(()) })
}

fn react(emoji: &str, on: bool) -> Action {
    Action::React { emoji: emoji.into(), on, max_different: 2 }
}

#[tokio::test]
async fn changes_are_checked_numbered_and_read_back_as_the_message_is_now() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        store.append(vec![room_post("ops", "ann", "deploy at 5", None)]).await.unwrap();
        let Post::Room(mut reply) = room_post("ops", "bert", "make it 6", None) else { unreachable!() };
        reply.reply_to = Some(1);
        let outcomes = store
            .append(vec![
                Post::Room(reply),
                change("ops", 1, "ann", Action::Edit { text: "deploy at 6".into() }),
                change("ops", 1, "bert", Action::Edit { text: "not yours".into() }),
                change("ops", 1, "bert", react("👍", true)),
                change("ops", 1, "cora", react("👍", true)),
                change("ops", 1, "cora", react("🎉", true)),
                change("ops", 1, "cora", react("🚀", true)),
                change("ops", 9, "ann", Action::Edit { text: "nothing there".into() }),
            ])
            .await
            .unwrap();
        let reply = outcomes[0].as_ref().unwrap();
        assert_eq!(reply.touched.len(), 1, "the answered message counts its reply");
        assert_eq!(outcomes[2].as_ref().err().map(|e| e.kind), Some(ErrorKind::Forbidden), "only the author edits");
        assert_eq!(outcomes[6].as_ref().err().map(|e| e.kind), Some(ErrorKind::TooLarge), "two emoji at most");
        assert_eq!(outcomes[7].as_ref().err().map(|e| e.kind), Some(ErrorKind::NotFound));
        let page = store.room_page(&validate::room_key("ops"), PageRequest::Latest, 10).await.unwrap().unwrap();
        let first = &page.messages[0];
        assert_eq!((first.text.as_str(), first.replies), ("deploy at 6", 1));
        let reactions: Vec<(&str, Vec<&str>)> =
            first.reactions.iter().map(|r| (r.emoji.as_str(), r.users.iter().map(String::as_str).collect())).collect();
        assert_eq!(reactions, [("👍", vec!["bert", "cora"]), ("🎉", vec!["cora"])]);
        assert_eq!(page.messages[1].reply_to.as_ref().map(|quote| quote.seq), Some(1));

        let ops = validate::room_key("ops");
        let all = store.room_changes(&ops, 0, 100).await.unwrap().unwrap();
        assert_eq!(
            all.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
            [1],
            "a new reply is no change; its answer, once"
        );
        let deleted = store.append(vec![change("ops", 2, "ann", Action::Delete { by_owner: true })]).await.unwrap();
        assert!(deleted[0].as_ref().unwrap().kept.is_deletion());
        let since = store.room_changes(&ops, all.latest_rev, 100).await.unwrap().unwrap();
        let gone = since.messages.iter().find(|m| m.seq == 2).unwrap();
        assert!(gone.deleted && gone.text.is_empty(), "a deletion takes the text");
        assert!(since.latest_rev > all.latest_rev);
        assert!(store.room_changes(&validate::room_key("nowhere"), 0, 10).await.unwrap().is_none());
        store.close().await;
    }
}

#[tokio::test]
async fn read_marks_and_notification_settings_are_kept_per_user() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        let (ann, ops) = (author("ann").id, validate::room_key("ops"));
        store.append((1..=5).map(|n| room_post("ops", "bert", &format!("m{n}"), None)).collect()).await.unwrap();
        store.add_member(&ops, "ops", &ann).await.unwrap();
        assert_eq!(store.memberships(&ann).await.unwrap(), ["ops"]);
        assert_eq!(store.mark_read(&ann, &ops, 3).await.unwrap(), 3);
        assert_eq!(store.mark_read(&ann, &ops, 2).await.unwrap(), 3, "marks never go back");
        assert_eq!(store.reads(&ann).await.unwrap(), [ReadMark { room: "ops".into(), seq: 3 }]);
        assert!(store.reads(&author("bert").id).await.unwrap().is_empty());
        store.set_notify(&ann, &ops, NotifyLevel::All).await.unwrap();
        let settings = store.notify_settings(&ann).await.unwrap();
        assert_eq!(settings, [NotifySetting { room: "ops".into(), level: NotifyLevel::All }]);
        store.set_notify(&ann, &ops, NotifyLevel::Mentions).await.unwrap();
        assert!(store.notify_settings(&ann).await.unwrap().is_empty(), "the default is kept as nothing");
        store.remove_member(&ops, &ann).await.unwrap();
        assert!(store.memberships(&ann).await.unwrap().is_empty());

        let dm = store.append(vec![direct_post("bert", "ann", "psst", None), direct_post("bert", "ann", "?", None)]);
        let dm = dm.await.unwrap();
        let Kept::Direct { message, .. } = &dm[0].as_ref().unwrap().kept else { panic!("a direct message") };
        let conversation = message.conversation.clone();
        assert_eq!(store.conversation_peer(&ann, &conversation).await.unwrap(), Some(author("bert").id));
        assert_eq!(store.conversation_peer(&author("cora").id, &conversation).await.unwrap(), None);
        assert_eq!(store.mark_direct_read(&ann, &conversation, 9).await.unwrap(), Some(2), "not past its end");
        assert_eq!(store.mark_direct_read(&author("cora").id, &conversation, 1).await.unwrap(), None);
        store.close().await;
    }
}

#[tokio::test]
async fn bans_hold_until_lifted_and_search_finds_every_word() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        let eve = author("eve").id;
        let ban =
            BanRecord { user: eve.clone(), name: "eve".into(), until: None, reason: Some("spam".into()), banned_at: 7 };
        store.ban(ban.clone()).await.unwrap();
        assert_eq!(store.snapshot().await.unwrap().bans, [ban]);
        assert!(store.unban(&eve).await.unwrap());
        assert!(!store.unban(&eve).await.unwrap(), "there was one ban to lift");
        assert!(store.snapshot().await.unwrap().bans.is_empty());

        store
            .append(vec![
                room_post("ops", "ann", "the backup server is down", None),
                room_post("lobby", "bert", "server room keys", None),
                direct_post("ann", "bert", "the server again", None),
                direct_post("cora", "dora", "server secrets", None),
            ])
            .await
            .unwrap();
        let scope = |words: &[&str], searcher: &str| SearchScope {
            words: words.iter().map(|word| (*word).to_owned()).collect(),
            searcher: author(searcher).id,
            room: None,
            from: None,
            before: None,
        };
        let hits = store.search(scope(&["server"], "ann"), 10).await.unwrap();
        assert_eq!(hits.len(), 3, "both rooms and ann's own conversation, not cora's: {hits:?}");
        let both = store.search(scope(&["server", "down"], "ann"), 10).await.unwrap();
        assert_eq!(both.iter().map(|hit| hit.room.as_deref()).collect::<Vec<_>>(), [Some("ops")]);
        let in_lobby = SearchScope { room: Some(validate::room_key("lobby")), ..scope(&["server"], "ann") };
        assert_eq!(store.search(in_lobby, 10).await.unwrap().len(), 1);
        store.close().await;
    }
}

#[tokio::test]
async fn shared_files_are_recorded_and_the_never_sent_ones_forgotten() {
    for (backend, store, _guard) in backends(1024 * 1024).await {
        eprintln!("against {backend}");
        let record = |id: &str, sha: char, at: u64| FileRecord {
            info: FileInfo {
                id: id.into(),
                name: format!("{id}.pdf"),
                size: 1000,
                mime: "application/octet-stream".into(),
                sha256: sha.to_string().repeat(64),
            },
            uploader: author("ann").id,
            stored_at: at,
        };
        store.keep_file(record("sent", 'a', 10)).await.unwrap();
        store.keep_file(record("twin", 'a', 10)).await.unwrap();
        store.keep_file(record("unsent", 'b', 10)).await.unwrap();
        assert_eq!(store.file("sent").await.unwrap(), Some(record("sent", 'a', 10)));
        assert_eq!(store.stored_file_bytes().await.unwrap(), 2000, "the same bytes count once");
        let Post::Room(mut post) = room_post("lobby", "ann", "the report", None) else { unreachable!() };
        post.file = Some("sent".into());
        store.append(vec![Post::Room(post)]).await.unwrap()[0].as_ref().unwrap();
        let Post::Room(mut forged) = room_post("lobby", "eve", "not mine", None) else { unreachable!() };
        forged.file = Some("unsent".into());
        assert!(store.append(vec![Post::Room(forged)]).await.unwrap()[0].is_err(), "only its uploader sends a file");

        let freed = store.forget_unsent_files(20).await.unwrap();
        assert_eq!(freed, ["b".repeat(64)], "the twin goes, but its bytes are still the sent file's");
        assert_eq!(store.file("twin").await.unwrap(), None);
        assert!(store.file("sent").await.unwrap().is_some());
        assert!(
            store.sha256_kept(&"a".repeat(64)).await.unwrap() && !store.sha256_kept(&"b".repeat(64)).await.unwrap()
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_data_folder_brings_everything_back_when_reopened() {
    let folder = tempfile::tempdir().unwrap();
    let location = Location::Folder(folder.path().to_owned());
    let store = SqliteStore::open(&config(location.clone())).unwrap();
    let host_id = store.host_id().to_owned();
    store
        .append(vec![room_post("ops", "ann", "kept", Some("c-1")), direct_post("ann", "bert", "dm", None)])
        .await
        .unwrap();
    store.add_member(&validate::room_key("ops"), "ops", &author("ann").id).await.unwrap();
    let binding =
        NameBinding { key: validate::name_key("ann"), name: "ann".into(), user: author("ann").id, bound_at: 1 };
    assert_eq!(store.bind_name(binding.clone()).await.unwrap(), Ok(()));
    let image = store.put_attachment(Bytes::from_static(PNG), "image/png").await.unwrap();
    store.close().await;
    drop(store);

    // Every message keeps who wrote it by user id (the hash of the key), not only the name shown.
    let file = rusqlite::Connection::open(folder.path().join("banter.db")).unwrap();
    let room_author: String =
        file.query_row("SELECT author_id FROM messages WHERE text = 'kept'", [], |row| row.get(0)).unwrap();
    let direct: (String, String) = file
        .query_row("SELECT from_id, to_id FROM directs WHERE text = 'dm'", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!(room_author, author("ann").id.as_str());
    assert_eq!(direct, (author("ann").id.as_str().to_owned(), author("bert").id.as_str().to_owned()));
    drop(file);

    let store = SqliteStore::open(&config(location)).unwrap();
    let snapshot = store.snapshot().await.unwrap();
    assert_eq!(snapshot.host_id, host_id, "the host keeps its id");
    let rooms: Vec<&str> = snapshot.rooms.iter().map(|room| room.name.as_str()).collect();
    assert_eq!(rooms, ["lobby", "ops"]);
    assert_eq!(snapshot.rooms[1].latest_seq, 1);
    assert_eq!(snapshot.names, vec![binding]);
    assert_eq!(texts(&store, "ops", PageRequest::Latest, 10).await, ["kept"]);
    assert_eq!(store.memberships(&author("ann").id).await.unwrap(), ["ops"]);
    assert_eq!(store.conversations(&author("bert").id, 10).await.unwrap().len(), 1);
    assert!(store.attachment(&image.id).await.unwrap().is_some());
    let resend = store.append(vec![room_post("ops", "ann", "kept", Some("c-1"))]).await.unwrap();
    assert!(resend[0].as_ref().unwrap().duplicate, "the client ids it answered are kept too");
    store.close().await;
}

#[tokio::test]
async fn memory_forgets_everything_and_has_a_new_id_each_time() {
    let first = SqliteStore::open(&config(Location::Memory)).unwrap();
    first.append(vec![room_post("lobby", "ann", "gone soon", None)]).await.unwrap();
    let second = SqliteStore::open(&config(Location::Memory)).unwrap();
    assert_ne!(first.host_id(), second.host_id());
    assert!(texts(&second, "lobby", PageRequest::Latest, 10).await.is_empty(), "two memory stores share nothing");
    first.close().await;
    second.close().await;
}

#[test]
fn a_second_host_cannot_open_a_folder_in_use() {
    let folder = tempfile::tempdir().unwrap();
    let location = Location::Folder(folder.path().to_owned());
    let first = SqliteStore::open(&config(location.clone())).unwrap();
    let error = SqliteStore::open(&config(location.clone())).err().unwrap();
    assert!(matches!(error, StoreError::Locked { .. }), "{error:?}");
    assert!(error.to_string().contains(&format!("process {}", std::process::id())), "{error}");
    drop(first);
    assert!(SqliteStore::open(&config(location)).is_ok(), "free again once the first has closed");
}

#[test]
fn files_that_are_not_a_banter_database_are_refused_and_left_alone() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("banter.db");
    std::fs::write(&database, b"this is not SQLite at all, just a file with words in it").unwrap();
    let error = SqliteStore::open(&config(Location::Folder(folder.path().to_owned()))).err().unwrap();
    assert!(matches!(error, StoreError::NotBanter { .. }), "{error:?}");
    assert!(std::fs::read(&database).unwrap().starts_with(b"this is not SQLite"), "the file was not touched");

    let foreign = tempfile::tempdir().unwrap();
    let other = rusqlite::Connection::open(foreign.path().join("banter.db")).unwrap();
    other
        .execute_batch(
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);",
        )
        .unwrap();
    drop(other);
    let before = std::fs::read(foreign.path().join("banter.db")).unwrap();
    let error = SqliteStore::open(&config(Location::Folder(foreign.path().to_owned()))).err().unwrap();
    assert!(matches!(error, StoreError::NotBanter { .. }), "{error:?}");
    assert!(error.to_string().contains("another program's"), "{error}");
    // Not even switched to WAL: the file is byte for byte what it was, with no journal beside it.
    assert_eq!(std::fs::read(foreign.path().join("banter.db")).unwrap(), before, "the foreign file was changed");
    for beside in ["banter.db-wal", "banter.db-shm", "banter.db-journal"] {
        assert!(!foreign.path().join(beside).exists(), "{beside} was made beside a foreign database");
    }
}

#[test]
fn a_database_from_a_newer_banter_is_refused() {
    let folder = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(&config(Location::Folder(folder.path().to_owned()))).unwrap());
    let database = rusqlite::Connection::open(folder.path().join("banter.db")).unwrap();
    database.execute_batch("PRAGMA user_version = 99;").unwrap();
    drop(database);
    let error = SqliteStore::open(&config(Location::Folder(folder.path().to_owned()))).err().unwrap();
    assert!(matches!(error, StoreError::Newer { found: 99, .. }), "{error:?}");
}

#[test]
fn a_folder_that_cannot_be_made_is_refused() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let error = SqliteStore::open(&config(Location::Folder(file.join("data")))).err().unwrap();
    assert!(matches!(error, StoreError::Unwritable { .. }), "{error:?}");
}

#[tokio::test]
async fn a_version_one_database_is_upgraded_with_everything_in_it() {
    let folder = tempfile::tempdir().unwrap();
    let old = rusqlite::Connection::open(folder.path().join("banter.db")).unwrap();
    old.execute_batch(include_str!("fixtures/schema-v1.sql")).unwrap();
    drop(old);

    let store = SqliteStore::open(&config(Location::Folder(folder.path().to_owned()))).unwrap();
    let snapshot = store.snapshot().await.unwrap();
    assert_eq!(snapshot.host_id, "0123456789abcdef0123456789abcdef");
    assert_eq!(snapshot.names.len(), 2);
    assert_eq!(snapshot.rooms.iter().map(|room| room.name.as_str()).collect::<Vec<_>>(), ["lobby", "Ops"]);
    assert_eq!(texts(&store, "ops", PageRequest::Latest, 10).await, ["deploy at 5", "see the graph", "done"]);
    // The search index (version 5) is filled from what the old database held.
    let scope = banter_core::store::SearchScope {
        words: vec!["graph".into()],
        searcher: UserId::of_key("nobody"),
        room: None,
        from: None,
        before: None,
    };
    let found = store.search(scope, 10).await.unwrap();
    assert_eq!(found.iter().map(|hit| hit.room.as_deref()).collect::<Vec<_>>(), [Some("Ops")]);
    let ann = UserId::from_stored("a".repeat(64));
    let bert = UserId::from_stored("b".repeat(64));
    assert_eq!(store.memberships(&ann).await.unwrap(), ["Ops"]);
    let thread = store.direct_page(&ann, &bert, PageRequest::Latest, 10).await.unwrap();
    assert_eq!(thread.messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["lunch?"]);
    // Version 2 keeps attachments: the old message's image was never kept by it, so it reads as gone.
    assert!(store.attachment(&"c".repeat(64)).await.unwrap().is_none());
    // The upgraded database goes on where the old one stopped, resends included.
    let resend = Post::Room(RoomPost {
        room: RoomKey::from_stored("ops".into()),
        room_name: "Ops".into(),
        author: Author { name: "Ann".into(), id: ann.clone() },
        text: "deploy at 5".into(),
        client_id: Some("c-2".into()),
        attachment: None,
        reply_to: None,
        file: None,
        permitted: Ok(()),
    });
    let outcomes = store.append(vec![resend, room_post("ops", "ann", "after the upgrade", None)]).await.unwrap();
    assert!(outcomes[0].as_ref().unwrap().duplicate);
    assert_eq!(outcomes[1].as_ref().map(seq_of).ok(), Some(4));
    store.close().await;
}

/// Reads (a welcome, a history page) are answered while large write batches keep coming, in either location: they
/// must not wait for the writer to run out of work. In memory there is no WAL, and readers with connections of
/// their own once failed here with "database is locked" after their busy timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_answered_while_writes_keep_coming() {
    for (location, _guard) in locations() {
        let store = std::sync::Arc::new(SqliteStore::open(&config(location.clone())).unwrap());
        store.append(vec![room_post("lobby", "ann", "first", None)]).await.unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for writer in 0..64 {
            let (store, stop) = (std::sync::Arc::clone(&store), std::sync::Arc::clone(&stop));
            writers.push(tokio::spawn(async move {
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
                let mut written: u64 = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && tokio::time::Instant::now() < deadline {
                    let batch: Vec<Post> =
                        (0..50).map(|n| room_post("ops", "bert", &format!("{writer}-{written}-{n}"), None)).collect();
                    store.append(batch).await.unwrap();
                    written += 50;
                }
                written
            }));
        }
        // Let the writers get going, then read while they write.
        for _ in 0..10_000 {
            match store.room_page(&validate::room_key("ops"), PageRequest::Latest, 1).await.unwrap() {
                Some(page) if !page.messages.is_empty() => break,
                _ => tokio::time::sleep(std::time::Duration::from_millis(1)).await,
            }
        }
        // Answered well before the writers' own 30 s end: a read must not wait for the writing to stop.
        let within = std::time::Duration::from_secs(10);
        let lobby = validate::room_key("lobby");
        for _ in 0..20 {
            let read = tokio::time::timeout(within, store.room_page(&lobby, PageRequest::Latest, 10)).await;
            let read = read.expect("a history page while writes keep coming");
            assert!(matches!(&read, Ok(Some(page)) if page.messages.len() == 1), "{location:?}: {read:?}");
            tokio::time::timeout(within, store.snapshot()).await.expect("a snapshot while writes keep coming").unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut written: u64 = 0;
        for writer in writers {
            written += writer.await.unwrap();
        }
        let newest = store.room_page(&validate::room_key("ops"), PageRequest::Latest, 1).await.unwrap().unwrap();
        assert_eq!(newest.messages[0].seq, written, "{location:?}: every write was kept, numbered in turn");
        store.close().await;
    }
}
