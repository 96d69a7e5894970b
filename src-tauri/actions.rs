//! The commands that act on posted messages, in a room or a direct conversation alike: reply, edit, delete, react,
//! and mark read. The UI names where the message is with a [`Place`].

use banter_core::client::Client;
use tauri::State;

use crate::ipc::{AnyMessage, IpcError, Place};
use crate::state::AppState;

/// Queues a reply to message `reply_to`; reports like `send_message`.
#[tauri::command]
pub async fn send_reply(
    state: State<'_, AppState>,
    place: Place,
    reply_to: u64,
    text: String,
) -> Result<String, IpcError> {
    let client = state.client().await?;
    Ok(match place {
        Place::Room { room } => client.send_reply(&room, reply_to, &text).await?,
        Place::Dm { with, .. } => client.send_direct_reply(&with, reply_to, &text).await?,
    })
}

/// Replaces the text of one of this user's messages; answers the message as it is now.
#[tauri::command]
pub async fn edit_message(
    state: State<'_, AppState>,
    place: Place,
    seq: u64,
    text: String,
) -> Result<AnyMessage, IpcError> {
    let client: Client = state.client().await?;
    Ok(match place {
        Place::Room { room } => AnyMessage::Room(client.edit_message(&room, seq, &text).await?),
        Place::Dm { conversation, .. } => AnyMessage::Direct(client.edit_direct(&conversation, seq, &text).await?),
    })
}

/// Deletes one of this user's messages; answers its tombstone.
#[tauri::command]
pub async fn delete_message(state: State<'_, AppState>, place: Place, seq: u64) -> Result<AnyMessage, IpcError> {
    let client = state.client().await?;
    Ok(match place {
        Place::Room { room } => AnyMessage::Room(client.delete_message(&room, seq).await?),
        Place::Dm { conversation, .. } => AnyMessage::Direct(client.delete_direct(&conversation, seq).await?),
    })
}

/// Adds (`on`) or takes back this user's reaction to a message; answers the message as it is now.
#[tauri::command]
pub async fn react(
    state: State<'_, AppState>,
    place: Place,
    seq: u64,
    emoji: String,
    on: bool,
) -> Result<AnyMessage, IpcError> {
    let client = state.client().await?;
    Ok(match place {
        Place::Room { room } => AnyMessage::Room(client.react(&room, seq, &emoji, on).await?),
        Place::Dm { conversation, .. } => {
            AnyMessage::Direct(client.react_direct(&conversation, seq, &emoji, on).await?)
        }
    })
}

/// Marks a room or a conversation read up to message `seq`, for every device of this user.
#[tauri::command]
pub async fn mark_read(state: State<'_, AppState>, place: Place, seq: u64) -> Result<(), IpcError> {
    let client = state.client().await?;
    match place {
        Place::Room { room } => {
            client.mark_read(&room, seq).await?;
        }
        Place::Dm { conversation, .. } => {
            client.mark_direct_read(&conversation, seq).await?;
        }
    }
    Ok(())
}
