//! Notification settings kept for the user on the host: a room's level set on one device reaches the others, comes
//! back in the welcome after the host restarts, is the user's own, and is refused for a room the user is not in.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::client::ClientEvents;
use banter_core::client::{Client, ClientConfig, ClientEvent};
use banter_core::protocol::{NotifyLevel, NotifySetting, Welcome};
use common::*;

fn ann(address: std::net::SocketAddr) -> ClientConfig {
    let mut config = fast_config(address, "ann");
    config.user_key = Some("ann-notify-key-0001".into());
    config
}

async fn welcome(events: &mut ClientEvents) -> Welcome {
    expect(events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.clone()),
        _ => None,
    })
    .await
}

fn setting(room: &str, level: NotifyLevel) -> NotifySetting {
    NotifySetting { room: room.into(), level }
}

#[tokio::test]
async fn a_rooms_notification_level_follows_the_user_to_every_device_and_through_a_restart() {
    let folder = tempfile::tempdir().unwrap();
    let host = start_durable_host(folder.path(), None).await;
    let address = host.local_addr();
    let (laptop, _laptop_events) = join_with(ann(address)).await;
    let (phone, mut phone_events) = join_with(ann(address)).await;
    let (bert, _bert_events) = join(address, "bert").await;
    for client in [&laptop, &phone, &bert] {
        client.join_room("ops").await.unwrap();
        client.join_room("random").await.unwrap();
    }

    assert_eq!(laptop.set_notify("ops", NotifyLevel::All).await.unwrap(), setting("ops", NotifyLevel::All));
    let heard = expect(&mut phone_events, |event| match event {
        ClientEvent::NotifyChanged(setting) => Some(setting.clone()),
        _ => None,
    })
    .await;
    assert_eq!(heard, setting("ops", NotifyLevel::All));
    // The room's name as the host spells it, whatever case was typed.
    assert_eq!(
        phone.set_notify("RANDOM", NotifyLevel::Nothing).await.unwrap(),
        setting("random", NotifyLevel::Nothing)
    );
    assert_eq!(bert.set_notify("nowhere", NotifyLevel::All).await.err().map(|error| error.kind()), Some("forbidden"));
    drop((laptop, phone, bert));
    host.shutdown().await.unwrap();

    let host = start_durable_host(folder.path(), Some(address)).await;
    let (_tablet, mut tablet_events) = Client::connect(ann(host.local_addr())).unwrap();
    let welcomed = welcome(&mut tablet_events).await;
    assert_eq!(welcomed.notify, vec![setting("ops", NotifyLevel::All), setting("random", NotifyLevel::Nothing)]);
    // Other people's settings are their own.
    let (_other, mut other_events) = Client::connect(fast_config(host.local_addr(), "carl")).unwrap();
    assert!(welcome(&mut other_events).await.notify.is_empty());
}

#[tokio::test]
async fn going_back_to_the_default_leaves_nothing_to_carry() {
    let host = start_host().await;
    let (ann, _events) = join_with(ann(host.local_addr())).await;
    ann.join_room("ops").await.unwrap();
    ann.set_notify("ops", NotifyLevel::Nothing).await.unwrap();
    ann.set_notify("ops", NotifyLevel::Mentions).await.unwrap();
    let (_again, mut again_events) = Client::connect(self::ann(host.local_addr())).unwrap();
    assert!(welcome(&mut again_events).await.notify.is_empty());
}

#[test]
fn levels_say_what_notifies() {
    assert!(NotifyLevel::All.notifies(false));
    assert!(NotifyLevel::Mentions.notifies(true));
    assert!(!NotifyLevel::Mentions.notifies(false));
    assert!(!NotifyLevel::Nothing.notifies(true));
    assert_eq!(NotifyLevel::default(), NotifyLevel::Mentions);
    assert_eq!(serde_json::to_value(NotifyLevel::Nothing).unwrap(), serde_json::json!("nothing"));
}
