//! Unit tests of the registry: names, presence, rooms and posts, without any socket or store.

use super::*;
use crate::store::Snapshot;

fn empty() -> Snapshot {
    Snapshot { host_id: "test-host".into(), rooms: Vec::new(), names: Vec::new(), bans: Vec::new() }
}

fn registry() -> Registry {
    Registry::new(Limits::default(), empty())
}

fn hello(name: &str, key: &str) -> Handshake {
    Handshake { name: Some(name.into()), user_key: Some(key.into()), protocol: Some(2), ..Handshake::default() }
}

fn guest(name: &str) -> Handshake {
    Handshake { name: Some(name.into()), user_key: None, protocol: Some(2), ..Handshake::default() }
}

/// Admits as the host does: a name taken for the first time is bound (the store is left out here), then the
/// connection is admitted. Returns whether a binding was made, and the admission.
fn admit_bound(registry: &mut Registry, connection: &str, handshake: &Handshake) -> (bool, Admitted) {
    let binding = registry.check_admission(handshake).expect("admissible");
    let bound = binding.is_some();
    if let Some(binding) = binding {
        registry.bind(binding);
    }
    let admitted =
        registry.admit(&connection.to_owned(), handshake, Dialect::Banter, None, Instant::now()).expect("admitted");
    (bound, admitted)
}

fn admit(registry: &mut Registry, connection: &str, name: &str, key: &str) -> Admitted {
    admit_bound(registry, connection, &hello(name, key)).1
}

fn send(room: &str, text: &str, client_id: Option<&str>) -> SendMessage {
    SendMessage {
        room: room.into(),
        text: text.into(),
        client_id: client_id.map(Into::into),
        attachment: None,
        reply_to: None,
        file: None,
    }
}

fn kind<T>(result: Result<T, ErrorBody>) -> Option<ErrorKind> {
    result.err().map(|error| error.kind)
}

#[test]
fn one_user_may_connect_several_times_but_a_name_has_one_owner() {
    let mut registry = registry();
    let (bound, first) = admit_bound(&mut registry, "s1", &hello("Alice", "alice-key-1"));
    assert!(first.came_online && bound);
    let (bound, second) = admit_bound(&mut registry, "s2", &hello("alice", "alice-key-1"));
    assert!(!second.came_online && !bound);
    assert_eq!(second.user.connections, 2);
    let refused =
        registry.admit(&"s3".to_owned(), &hello("ALICE", "someone-else"), Dialect::Banter, None, Instant::now());
    assert_eq!(kind(refused), Some(ErrorKind::NameTaken));
    assert_eq!(registry.users().len(), 1);
}

#[test]
fn a_bound_name_stays_its_owners_while_they_are_offline() {
    let mut registry = registry();
    admit(&mut registry, "a1", "Alice", "alice-key-1");
    registry.depart(&"a1".to_owned());
    for intruder in [hello("alice", "another-key"), guest("alice"), hello("Alice", "alice-key-2")] {
        let refused = registry.check_admission(&intruder).expect_err("refused");
        assert_eq!(refused.kind, ErrorKind::NameTaken);
        assert!(refused.message.contains("belongs to someone else"), "{}", refused.message);
    }
    assert!(registry.check_admission(&hello("Alice", "alice-key-1")).is_ok(), "its owner comes back");
}

#[test]
fn names_that_look_alike_are_refused_as_taken() {
    let mut registry = registry();
    admit(&mut registry, "a1", "Alice", "alice-key-1");
    admit(&mut registry, "h1", "Ann Host", "ann-key-001");
    for look_alike in ["\u{0410}lice", "Ａｌｉｃｅ", "Alice\u{2800}", "ALICE", "AIice", "Ann  Host", "Ann\u{200A}Host"]
    {
        let refused = registry.check_admission(&hello(look_alike, "other-key-1")).expect_err("refused");
        assert_eq!(refused.kind, ErrorKind::NameTaken, "{look_alike:?}");
    }
    let message = registry.check_admission(&hello("\u{0410}lice", "other-key-1")).err().map(|e| e.message);
    assert!(message.unwrap_or_default().contains("looks the same as “Alice”"));
}

#[test]
fn look_alikes_are_refused_while_online_too() {
    let mut registry = registry();
    admit_bound(&mut registry, "g1", &guest("Bill"));
    assert_eq!(kind(registry.check_admission(&guest("BiII"))), Some(ErrorKind::NameTaken));
    assert!(registry.check_admission(&guest("Lan")).is_ok());
}

#[test]
fn guests_hold_a_name_only_while_online() {
    let mut registry = registry();
    assert_eq!(registry.check_admission(&guest("visitor")), Ok(None), "a guest binds no name");
    let with_key = Handshake { guest: Some(true), ..hello("visitor", "guest-session-key") };
    assert_eq!(registry.check_admission(&with_key), Ok(None), "nor does a guest with a session key");
    admit_bound(&mut registry, "g1", &guest("visitor"));
    assert_eq!(kind(registry.check_admission(&hello("visitor", "some-key-01"))), Some(ErrorKind::NameTaken));
    registry.depart(&"g1".to_owned());
    assert!(registry.check_admission(&hello("visitor", "some-key-01")).is_ok());
}

#[test]
fn clients_without_a_name_become_guests() {
    let mut registry = registry();
    let admitted = registry.admit(&"s1".to_owned(), &Handshake::default(), Dialect::Plain, None, Instant::now());
    let name = admitted.map(|a| a.user.name).unwrap_or_default();
    assert!(name.starts_with("guest-"), "{name}");
    assert_eq!(registry.dialect(&"s1".to_owned()), Some(Dialect::Plain));
}

#[test]
fn invalid_names_and_keys_are_refused() {
    let registry = registry();
    for handshake in [hello("", "valid-key-1"), hello("a\u{202E}b", "valid-key-1"), hello("ok", "short")] {
        assert_eq!(kind(registry.check_admission(&handshake)), Some(ErrorKind::Invalid));
    }
}

#[test]
fn a_released_name_can_be_taken_by_someone_else() {
    let mut registry = registry();
    admit(&mut registry, "a1", "Alice", "alice-key-1");
    registry.depart(&"a1".to_owned());
    assert_eq!(registry.release_name("ALICE").map(|binding| binding.name), Ok("Alice".to_owned()));
    assert!(admit_bound(&mut registry, "b1", &hello("alice", "bob-key-0001")).0);
    assert_eq!(kind(registry.release_name("nobody")), Some(ErrorKind::NotFound));
}

#[test]
fn rooms_count_users_not_connections_and_outlive_their_members() {
    let mut registry = registry();
    admit(&mut registry, "a1", "ann", "ann-key-01");
    admit(&mut registry, "a2", "ann", "ann-key-01");
    let joined = registry.join(&"a1".to_owned(), " Design ", JoinMode::JoinOrCreate).expect("joined");
    assert!(joined.created.is_some() && joined.new_member);
    assert_eq!(joined.room, "Design");
    let again = registry.join(&"a2".to_owned(), "design", JoinMode::JoinOrCreate).expect("joined");
    assert!(again.created.is_none() && !again.new_member);
    assert_eq!(again.members, vec!["ann".to_owned()]);
    let members =
        |registry: &Registry| registry.room_list().into_iter().find(|r| r.name == "Design").map(|r| r.members);
    assert_eq!(members(&registry), Some(1));

    let left = registry.leave(&"a1".to_owned(), "DESIGN").expect("left");
    assert!(!left.member_left);
    let left = registry.leave(&"a2".to_owned(), "design").expect("left");
    assert!(left.member_left);
    assert_eq!(members(&registry), Some(0), "an empty room stays");
}

#[test]
fn create_refuses_existing_rooms_and_the_lobby_cannot_be_left_or_deleted() {
    let mut registry = registry();
    admit(&mut registry, "c1", "cat", "cat-key-01");
    assert!(registry.join(&"c1".to_owned(), "ops", JoinMode::Create).is_ok());
    assert_eq!(kind(registry.join(&"c1".to_owned(), "OPS", JoinMode::Create)), Some(ErrorKind::AlreadyExists));
    assert_eq!(kind(registry.leave(&"c1".to_owned(), "lobby")), Some(ErrorKind::Forbidden));
    assert_eq!(kind(registry.leave(&"c1".to_owned(), "nowhere")), Some(ErrorKind::NotFound));
    assert_eq!(kind(registry.join(&"c1".to_owned(), "\u{200B}", JoinMode::JoinOrCreate)), Some(ErrorKind::Invalid));
    assert_eq!(kind(registry.delete_room("Lobby")), Some(ErrorKind::Forbidden));
}

#[test]
fn room_creation_is_limited_per_user_and_per_host() {
    let limits = Limits { max_rooms: 4, max_rooms_per_user: 2, ..Limits::default() };
    let mut registry = Registry::new(limits, empty());
    admit(&mut registry, "a1", "ann", "ann-key-01");
    admit(&mut registry, "b1", "bob", "bob-key-01");
    registry.join(&"a1".to_owned(), "one", JoinMode::JoinOrCreate).expect("joined");
    registry.join(&"a1".to_owned(), "two", JoinMode::JoinOrCreate).expect("joined");
    let refused = registry.join(&"a1".to_owned(), "three", JoinMode::JoinOrCreate).expect_err("refused");
    assert!(refused.message.contains("the most one person may"), "{}", refused.message);
    registry.join(&"b1".to_owned(), "three", JoinMode::JoinOrCreate).expect("joined");
    // The lobby is the fourth room: the host is full, for everyone.
    let refused = registry.join(&"b1".to_owned(), "four", JoinMode::JoinOrCreate).expect_err("refused");
    assert!(refused.message.contains("its limit"), "{}", refused.message);
    assert!(
        registry.join(&"a1".to_owned(), "three", JoinMode::JoinOrCreate).is_ok(),
        "joining an existing room is not creating one"
    );
}

/// Keys cost nothing and a keyless guest is someone new on every connection, so the per-user limit alone would let
/// one machine fill the directory: rooms are counted per address too.
#[test]
fn room_creation_is_limited_per_address() {
    let network = crate::limits::NetworkLimits { max_rooms_per_address: 3, ..Default::default() };
    let mut registry = Registry::new(Limits { network, ..Limits::default() }, empty());
    let flooder: IpAddr = "10.0.0.66".parse().expect("an address");
    let honest: IpAddr = "10.0.0.7".parse().expect("an address");
    for (connection, room) in [("g1", "one"), ("g2", "two"), ("g3", "three")] {
        registry
            .admit(&connection.to_owned(), &Handshake::default(), Dialect::Plain, Some(flooder), Instant::now())
            .expect("admitted");
        registry.join(&connection.to_owned(), room, JoinMode::JoinOrCreate).expect("created");
    }
    registry
        .admit(&"g4".to_owned(), &Handshake::default(), Dialect::Plain, Some(flooder), Instant::now())
        .expect("admitted");
    let refused = registry.join(&"g4".to_owned(), "four", JoinMode::JoinOrCreate).expect_err("refused");
    assert_eq!(refused.kind, ErrorKind::TooLarge);
    assert!(refused.message.contains("from your address"), "{}", refused.message);
    assert!(registry.join(&"g4".to_owned(), "one", JoinMode::JoinOrCreate).is_ok(), "joining is not creating");
    // Deleting a room gives nothing back ("since the host started"); a room the store could not keep does.
    registry.delete_room("three").expect("deleted");
    assert_eq!(kind(registry.join(&"g4".to_owned(), "four", JoinMode::JoinOrCreate)), Some(ErrorKind::TooLarge));
    registry
        .admit(&"h1".to_owned(), &hello("Hanna", "hanna-key-1"), Dialect::Banter, Some(honest), Instant::now())
        .expect("admitted");
    assert!(registry.join(&"h1".to_owned(), "four", JoinMode::JoinOrCreate).is_ok(), "another address may");
}

#[test]
fn a_rejoin_does_not_bring_back_a_deleted_room() {
    let mut registry = registry();
    admit(&mut registry, "a1", "ann", "ann-key-01");
    assert_eq!(kind(registry.join(&"a1".to_owned(), "gone", JoinMode::Existing)), Some(ErrorKind::NotFound));
    assert!(registry.room_list().iter().all(|room| room.name != "gone"));
}

#[test]
fn a_deleted_room_takes_its_members_out() {
    let mut registry = registry();
    admit(&mut registry, "a1", "ann", "ann-key-01");
    registry.join(&"a1".to_owned(), "ops", JoinMode::JoinOrCreate).expect("joined");
    let deleted = registry.delete_room("OPS").expect("deleted");
    assert_eq!((deleted.room.as_str(), deleted.connections.as_slice()), ("ops", ["a1".to_owned()].as_slice()));
    assert!(registry.room_list().iter().all(|room| room.name != "ops"));
    let post = registry.room_post(&"a1".to_owned(), &send("ops", "hi", None)).expect("a post");
    assert_eq!(kind(post.permitted), Some(ErrorKind::Forbidden));
}

#[test]
fn posting_needs_membership_and_valid_text() {
    let mut registry = registry();
    admit(&mut registry, "e1", "eve", "eve-key-01");
    let post = registry.room_post(&"e1".to_owned(), &send("secret", "hi", None)).expect("a post");
    assert_eq!(kind(post.permitted), Some(ErrorKind::Forbidden), "refused by the store, after it checked for a resend");
    assert_eq!(kind(registry.room_post(&"e1".to_owned(), &send("lobby", "   ", None))), Some(ErrorKind::Invalid));
    let post = registry.room_post(&"e1".to_owned(), &send("LOBBY", "hi", Some("c-1"))).expect("a post");
    assert_eq!((post.room, post.author.name.as_str(), post.permitted), (RoomKey::lobby(), "eve", Ok(())));
}

#[test]
fn direct_messages_reach_people_by_name_online_or_not() {
    let mut registry = registry();
    admit(&mut registry, "h1", "hal", "hal-key-01");
    admit(&mut registry, "i1", "ivy", "ivy-key-01");
    registry.depart(&"i1".to_owned());
    let request = SendDirect {
        to: "IVY".into(),
        text: "psst".into(),
        client_id: Some("d-1".into()),
        attachment: None,
        reply_to: None,
        file: None,
    };
    let post = registry.direct_post(&"h1".to_owned(), &request).expect("a post");
    assert_eq!((post.from.name.as_str(), post.to.name.as_str(), post.permitted), ("hal", "ivy", Ok(())));
    assert_eq!(post.to.id, UserId::of_key("ivy-key-01"));
    let request = SendDirect {
        to: "nobody".into(),
        text: "psst".into(),
        client_id: None,
        attachment: None,
        reply_to: None,
        file: None,
    };
    let post = registry.direct_post(&"h1".to_owned(), &request).expect("a post");
    assert_eq!(kind(post.permitted), Some(ErrorKind::NotFound));
}

#[test]
fn direct_messages_need_a_client_that_can_show_them() {
    let mut registry = registry();
    admit(&mut registry, "m1", "max", "max-key-01");
    registry
        .admit(&"p1".to_owned(), &hello("page", "page-key-01"), Dialect::Plain, None, Instant::now())
        .expect("admitted");
    let request = SendDirect {
        to: "page".into(),
        text: "hi".into(),
        client_id: None,
        attachment: None,
        reply_to: None,
        file: None,
    };
    let post = registry.direct_post(&"m1".to_owned(), &request).expect("a post");
    assert_eq!(kind(post.permitted), Some(ErrorKind::Forbidden));
}

#[test]
fn the_request_budget_refills() {
    let mut registry = Registry::new(Limits { request_burst: 2, requests_per_second: 1, ..Limits::default() }, empty());
    let start = Instant::now();
    registry.admit(&"j1".to_owned(), &hello("jo", "jo-key-001"), Dialect::Banter, None, start).expect("admitted");
    assert!(registry.spend_request(&"j1".to_owned(), start).is_ok());
    assert!(registry.spend_request(&"j1".to_owned(), start).is_ok());
    assert_eq!(kind(registry.spend_request(&"j1".to_owned(), start)), Some(ErrorKind::RateLimited));
    assert!(registry.spend_request(&"j1".to_owned(), start + std::time::Duration::from_secs(1)).is_ok());
}

#[test]
fn client_ids_are_bounded() {
    let mut registry = registry();
    admit(&mut registry, "k1", "kim", "kim-key-01");
    let long = "x".repeat(65);
    for bad in [long.as_str(), "", "with space"] {
        assert_eq!(
            kind(registry.room_post(&"k1".to_owned(), &send("lobby", "hi", Some(bad)))),
            Some(ErrorKind::Invalid)
        );
    }
}

#[test]
fn one_connection_cannot_hold_every_room() {
    let mut registry = Registry::new(Limits { max_rooms_per_connection: 3, ..Limits::default() }, empty());
    admit(&mut registry, "l1", "lee", "lee-key-01");
    registry.join(&"l1".to_owned(), "one", JoinMode::JoinOrCreate).expect("joined");
    registry.join(&"l1".to_owned(), "two", JoinMode::JoinOrCreate).expect("joined");
    assert_eq!(kind(registry.join(&"l1".to_owned(), "three", JoinMode::JoinOrCreate)), Some(ErrorKind::TooLarge));
    assert!(registry.room_list().iter().all(|room| room.name != "three"), "a refused join leaves no room behind");
    assert!(
        registry.join(&"l1".to_owned(), "two", JoinMode::JoinOrCreate).is_ok(),
        "rejoining a room one is in still works"
    );
}

#[test]
fn a_room_that_could_not_be_kept_is_taken_back() {
    let mut registry = registry();
    admit(&mut registry, "n1", "ned", "ned-key-01");
    let joined = registry.join(&"n1".to_owned(), "fresh", JoinMode::JoinOrCreate).expect("joined");
    registry.undo_create(&"n1".to_owned(), &joined);
    assert!(registry.room_list().iter().all(|room| room.name != "fresh"));
    assert_eq!(kind(registry.typing_in(&"n1".to_owned(), "fresh")), Some(ErrorKind::Forbidden));
}

#[test]
fn a_room_that_could_not_be_kept_does_not_count_against_its_address() {
    let network = crate::limits::NetworkLimits { max_rooms_per_address: 1, ..Default::default() };
    let mut registry = Registry::new(Limits { network, ..Limits::default() }, empty());
    let from: IpAddr = "10.0.0.66".parse().expect("an address");
    registry
        .admit(&"g1".to_owned(), &Handshake::default(), Dialect::Plain, Some(from), Instant::now())
        .expect("admitted");
    let joined = registry.join(&"g1".to_owned(), "one", JoinMode::JoinOrCreate).expect("created");
    registry.undo_create(&"g1".to_owned(), &joined);
    assert!(registry.join(&"g1".to_owned(), "two", JoinMode::JoinOrCreate).is_ok(), "the address's one is free again");
}
