//! Unit tests of the registry: membership, names, history and resends, without any socket.

use super::*;

fn registry() -> Registry {
    Registry::new(Limits { history_per_room: 3, ..Limits::default() })
}

fn hello(name: &str, key: &str) -> Handshake {
    Handshake { name: Some(name.into()), user_key: Some(key.into()), protocol: Some(1) }
}

fn admit(registry: &mut Registry, connection: &str, name: &str, key: &str) -> Admitted {
    registry.admit(&connection.to_owned(), &hello(name, key), Dialect::Banter, Instant::now()).expect("admitted")
}

fn send(room: &str, text: &str, client_id: Option<&str>) -> SendMessage {
    SendMessage { room: room.into(), text: text.into(), client_id: client_id.map(Into::into), attachment: None }
}

#[test]
fn one_user_may_connect_several_times_but_a_name_has_one_owner() {
    let mut registry = registry();
    assert!(admit(&mut registry, "s1", "Alice", "alice-key-1").came_online);
    let second = admit(&mut registry, "s2", "alice", "alice-key-1");
    assert!(!second.came_online);
    assert_eq!(second.user.connections, 2);
    let refused = registry.admit(&"s3".to_owned(), &hello("ALICE", "someone-else"), Dialect::Banter, Instant::now());
    assert_eq!(refused.err().map(|e| e.kind), Some(ErrorKind::NameTaken));
    assert_eq!(registry.users().len(), 1);
}

#[test]
fn a_name_is_free_again_when_its_last_connection_leaves() {
    let mut registry = registry();
    admit(&mut registry, "s1", "bob", "bob-key-01");
    admit(&mut registry, "s2", "bob", "bob-key-01");
    assert_eq!(registry.depart(&"s1".to_owned()).map(|d| d.went_offline), Some(false));
    let departed = registry.depart(&"s2".to_owned()).expect("known connection");
    assert!(departed.went_offline);
    assert_eq!(departed.left_rooms, vec![LOBBY.to_owned()]);
    assert!(registry.check_admission(&hello("bob", "other-key-2")).is_ok());
    assert_eq!(registry.depart(&"never-admitted".to_owned()), None);
}

#[test]
fn clients_without_a_name_become_guests() {
    let mut registry = registry();
    let admitted = registry.admit(&"s1".to_owned(), &Handshake::default(), Dialect::Plain, Instant::now());
    let name = admitted.map(|a| a.user.name).unwrap_or_default();
    assert!(name.starts_with("guest-"), "{name}");
    assert_eq!(registry.dialect(&"s1".to_owned()), Some(Dialect::Plain));
}

#[test]
fn invalid_names_and_keys_are_refused() {
    let registry = registry();
    for handshake in [hello("", "valid-key-1"), hello("a\u{202E}b", "valid-key-1"), hello("ok", "short")] {
        assert_eq!(registry.check_admission(&handshake).err().map(|e| e.kind), Some(ErrorKind::Invalid));
    }
}

#[test]
fn rooms_count_users_not_connections_and_vanish_when_empty() {
    let mut registry = registry();
    admit(&mut registry, "a1", "ann", "ann-key-01");
    admit(&mut registry, "a2", "ann", "ann-key-01");
    let joined = registry.join(&"a1".to_owned(), " Design ", false).expect("joined");
    assert!(joined.created && joined.new_member);
    assert_eq!(joined.state.room, "Design");
    let again = registry.join(&"a2".to_owned(), "design", false).expect("joined");
    assert!(!again.created && !again.new_member);
    assert_eq!(again.state.members, vec!["ann".to_owned()]);
    assert!(registry.room_list().contains(&RoomInfo { name: "Design".into(), members: 1 }));

    let left = registry.leave(&"a1".to_owned(), "DESIGN").expect("left");
    assert!(!left.member_left && !left.deleted);
    let left = registry.leave(&"a2".to_owned(), "design").expect("left");
    assert!(left.member_left && left.deleted);
    assert_eq!(registry.room_list(), vec![RoomInfo { name: LOBBY.into(), members: 1 }]);
}

#[test]
fn create_refuses_existing_rooms_and_the_lobby_cannot_be_left() {
    let mut registry = registry();
    admit(&mut registry, "c1", "cat", "cat-key-01");
    assert!(registry.join(&"c1".to_owned(), "ops", true).is_ok());
    assert_eq!(registry.join(&"c1".to_owned(), "OPS", true).err().map(|e| e.kind), Some(ErrorKind::AlreadyExists));
    assert_eq!(registry.leave(&"c1".to_owned(), "lobby").err().map(|e| e.kind), Some(ErrorKind::Forbidden));
    assert_eq!(registry.leave(&"c1".to_owned(), "nowhere").err().map(|e| e.kind), Some(ErrorKind::NotFound));
    assert_eq!(registry.join(&"c1".to_owned(), "\u{200B}", false).err().map(|e| e.kind), Some(ErrorKind::Invalid));
}

#[test]
fn messages_are_numbered_per_room_and_history_is_bounded() {
    let mut registry = registry();
    admit(&mut registry, "d1", "dee", "dee-key-01");
    registry.join(&"d1".to_owned(), "ops", false).expect("joined");
    for text in ["one", "two", "three", "four"] {
        registry.post(&"d1".to_owned(), &send("lobby", text, None), None).expect("posted");
    }
    let ops = registry.post(&"d1".to_owned(), &send("ops", "first in ops", None), None).expect("posted");
    assert_eq!(ops.message.seq, 1);
    let history: Vec<(u64, String)> = registry.lobby_history().into_iter().map(|m| (m.seq, m.text)).collect();
    assert_eq!(history, vec![(2, "two".into()), (3, "three".into()), (4, "four".into())]);
    assert_eq!(registry.join(&"d1".to_owned(), "ops", false).map(|j| j.state.history.len()).ok(), Some(1));
}

#[test]
fn posting_needs_membership_and_valid_text() {
    let mut registry = registry();
    admit(&mut registry, "e1", "eve", "eve-key-01");
    let error = registry.post(&"e1".to_owned(), &send("secret", "hi", None), None).err();
    assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Forbidden));
    let error = registry.post(&"e1".to_owned(), &send("lobby", "   ", None), None).err();
    assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Invalid));
}

#[test]
fn a_resent_client_id_is_acknowledged_again_even_after_a_reconnect() {
    let mut registry = registry();
    admit(&mut registry, "f1", "fay", "fay-key-01");
    let first = registry.post(&"f1".to_owned(), &send("lobby", "hello", Some("c-1")), None).expect("posted");
    registry.depart(&"f1".to_owned());
    admit(&mut registry, "f2", "fay", "fay-key-01");
    let again = registry.post(&"f2".to_owned(), &send("lobby", "hello", Some("c-1")), None).expect("posted");
    assert!(again.duplicate);
    assert_eq!(again.message, first.message);
    assert_eq!(registry.lobby_history().len(), 1);
    // Another user's identical client id is a different message.
    admit(&mut registry, "g1", "gus", "gus-key-01");
    let other = registry.post(&"g1".to_owned(), &send("lobby", "hello", Some("c-1")), None).expect("posted");
    assert!(!other.duplicate);
}

#[test]
fn direct_messages_need_an_online_recipient() {
    let mut registry = registry();
    admit(&mut registry, "h1", "hal", "hal-key-01");
    admit(&mut registry, "i1", "ivy", "ivy-key-01");
    let request = SendDirect { to: "IVY".into(), text: "psst".into(), client_id: Some("d-1".into()), attachment: None };
    let (posted, recipient) = registry.direct(&"h1".to_owned(), &request, None).expect("sent");
    assert_eq!((posted.message.from.as_str(), posted.message.to.as_str(), recipient.as_str()), ("hal", "ivy", "ivy"));
    let request = SendDirect { to: "nobody".into(), text: "psst".into(), client_id: None, attachment: None };
    assert_eq!(registry.direct(&"h1".to_owned(), &request, None).err().map(|e| e.kind), Some(ErrorKind::NotFound));
}

#[test]
fn the_request_budget_refills() {
    let mut registry = Registry::new(Limits { request_burst: 2, requests_per_second: 1, ..Limits::default() });
    let start = Instant::now();
    registry.admit(&"j1".to_owned(), &hello("jo", "jo-key-001"), Dialect::Banter, start).expect("admitted");
    assert!(registry.spend_request(&"j1".to_owned(), start).is_ok());
    assert!(registry.spend_request(&"j1".to_owned(), start).is_ok());
    let error = registry.spend_request(&"j1".to_owned(), start).err();
    assert_eq!(error.map(|e| e.kind), Some(ErrorKind::RateLimited));
    assert!(registry.spend_request(&"j1".to_owned(), start + std::time::Duration::from_secs(1)).is_ok());
}

#[test]
fn client_ids_are_bounded() {
    let mut registry = registry();
    admit(&mut registry, "k1", "kim", "kim-key-01");
    let long = "x".repeat(65);
    for bad in [long.as_str(), "", "with space"] {
        let error = registry.post(&"k1".to_owned(), &send("lobby", "hi", Some(bad)), None).err();
        assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Invalid), "{bad:?}");
    }
}

#[test]
fn one_connection_cannot_hold_every_room() {
    let mut registry = Registry::new(Limits { max_rooms_per_connection: 3, ..Limits::default() });
    admit(&mut registry, "l1", "lee", "lee-key-01");
    registry.join(&"l1".to_owned(), "one", false).expect("joined");
    registry.join(&"l1".to_owned(), "two", false).expect("joined");
    let error = registry.join(&"l1".to_owned(), "three", false).err();
    assert_eq!(error.map(|e| e.kind), Some(ErrorKind::TooLarge));
    assert!(registry.room_list().iter().all(|room| room.name != "three"), "a refused join leaves no empty room");
    assert!(registry.join(&"l1".to_owned(), "two", false).is_ok(), "rejoining a room one is in still works");
}

#[test]
fn direct_messages_need_a_client_that_can_show_them() {
    let mut registry = registry();
    admit(&mut registry, "m1", "max", "max-key-01");
    registry.admit(&"p1".to_owned(), &hello("page", "page-key-01"), Dialect::Plain, Instant::now()).expect("admitted");
    let request = SendDirect { to: "page".into(), text: "hi".into(), client_id: None, attachment: None };
    assert_eq!(registry.direct(&"m1".to_owned(), &request, None).err().map(|e| e.kind), Some(ErrorKind::Forbidden));
}
