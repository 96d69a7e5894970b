//! Names across hosts against a real redis-server: many hosts asked for one name at the same moment, by different
//! people, bind it to exactly one of them, and every other ask is answered with that binding; freeing it lets the
//! next person take it.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::time::Duration;

use banter_core::cluster::names::Names;
use banter_core::cluster::probe;
use banter_core::keys::UserId;
use banter_core::store::NameBinding;
use banter_core::validate;
use common::valkey::Valkey;

fn wanted(name: &str, user: &str) -> NameBinding {
    NameBinding { key: validate::name_key(name), name: name.into(), user: UserId::of_key(user), bound_at: 1 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_name_asked_for_on_every_host_at_once_goes_to_one_person() {
    let server = Valkey::start(&[]).await;
    let mut askers = Vec::new();
    for host in 0..3 {
        let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
        let names = Names::new(client.get_multiplexed_async_connection().await.unwrap());
        for person in 0..10 {
            let names = names.clone();
            askers.push(tokio::spawn(async move {
                let user = format!("key-of-person-{host}-{person}");
                (user.clone(), names.bind(&wanted("Alice", &user)).await.unwrap())
            }));
        }
    }
    let mut winners = Vec::new();
    let mut holders = Vec::new();
    for asker in askers {
        match asker.await.unwrap() {
            (user, Ok(())) => winners.push(user),
            (_, Err(holder)) => holders.push(holder.user),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = UserId::of_key(&winners[0]);
    assert_eq!(holders.len(), 29);
    assert!(holders.iter().all(|holder| *holder == winner), "everyone else is told who holds it");

    let (client, _) = probe(&server.url(), Duration::from_secs(5)).await.unwrap();
    let names = Names::new(client.get_multiplexed_async_connection().await.unwrap());
    // The holder takes it again (another device, a restart); the same name in other case is the same name.
    assert_eq!(names.bind(&wanted("alice", &winners[0])).await.unwrap(), Ok(()));
    assert_eq!(names.bind(&wanted("ALICE", "someone-else")).await.unwrap().unwrap_err().user, winner);
    assert_eq!(names.all().await.unwrap().len(), 1);
    // Freed, it goes to the next person who asks.
    let freed = names.release(&validate::name_key("Alice")).await.unwrap().unwrap();
    assert_eq!((freed.name.as_str(), freed.user), ("Alice", winner));
    assert_eq!(names.release(&validate::name_key("Alice")).await.unwrap(), None);
    assert_eq!(names.bind(&wanted("Alice", "someone-else")).await.unwrap(), Ok(()));
}
