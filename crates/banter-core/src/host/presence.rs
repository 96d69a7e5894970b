//! A cluster's host sharing who is online on it, and following who is online on the others
//! (`cluster::presence`): every [`BEAT_EVERY`] it renews its heartbeat, publishes its connections if they changed,
//! and reads the other live hosts'. The registry counts those people wherever it lists or counts people. Whoever
//! was online only on a host that died goes offline for this host's people once that host's heartbeat lapses:
//! within [`HEARTBEAT`] and one beat, about six seconds.

use std::time::Duration;

use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;

use super::hub::{socket_room_of_room, to_rooms, Hub, BANTER_SOCKETS};
use crate::cluster::presence::Presence;
use crate::protocol::{event, LeaveReason, MemberLeft, UserInfo, UserNotice};

/// How often a host renews its heartbeat and looks at the others'.
pub const BEAT_EVERY: Duration = Duration::from_secs(1);
/// How long a heartbeat lasts unrenewed: a host that misses this many beats is taken for dead.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// Shares and follows presence until the task is aborted with its host.
pub async fn share<A: Adapter>(io: SocketIo<A>, hub: Hub, presence: Presence) {
    let mut published = None;
    let mut down = false;
    let mut ticks = tokio::time::interval(BEAT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let round = async {
            presence.beat(HEARTBEAT).await?;
            let mine = hub.registry().shared_presence();
            if published.as_ref() != Some(&mine) {
                presence.publish(&mine).await?;
                published = Some(mine);
            }
            presence.others().await
        };
        let others = match round.await {
            Ok(others) => others,
            Err(error) => {
                if !down {
                    tracing::warn!(%error, "cannot share presence with the cluster; trying again every second");
                    down = true;
                }
                // Published again whole once the server is back: it may have lost what it had.
                published = None;
                continue;
            }
        };
        if down {
            tracing::info!("sharing presence with the cluster again");
            down = false;
        }
        let (vanished, rooms_changed) = {
            let mut registry = hub.registry();
            let before = registry.room_list();
            let vanished = registry.follow_presence(&others);
            let changed = registry.room_list() != before;
            (vanished, changed)
        };
        for gone in &vanished {
            if !gone.rooms.is_empty() {
                let notice = MemberLeft {
                    rooms: gone.rooms.iter().map(|(_, name)| name.clone()).collect(),
                    user: gone.name.clone(),
                    reason: LeaveReason::Disconnected,
                };
                let rooms = gone.rooms.iter().map(|(key, _)| socket_room_of_room(key)).collect();
                emit_here(&io, rooms, event::MEMBER_LEFT, &notice).await;
            }
            let notice = UserNotice { user: UserInfo { name: gone.name.clone(), connections: 0 } };
            emit_here(&io, vec![BANTER_SOCKETS.to_owned()], event::USER_OFFLINE, &notice).await;
        }
        if rooms_changed {
            super::chat::push_room_list_soon(&io, &hub);
        }
    }
}

/// To this host's own sockets in these rooms: the others' hosts tell theirs.
async fn emit_here<A: Adapter, T: serde::Serialize + ?Sized>(
    io: &SocketIo<A>,
    rooms: Vec<String>,
    name: &str,
    data: &T,
) {
    let Some(operators) = to_rooms(io, rooms) else { return };
    if let Err(error) = operators.local().emit(name, data).await {
        super::delivery::report_broadcast_failure(name, &error);
    }
}
