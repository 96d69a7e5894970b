//! The changes people make to posted messages: what a `message:edit`, `message:delete` or `message:react` asks the
//! store to do, once the registry has checked what it knows (the socket is in the room, the text and the emoji
//! follow the rules). Who wrote the message, and whether it still exists, only the store knows; it checks those.

use super::{error, Registry};
use crate::keys::{Seq, UserId};
use crate::protocol::{EditMessage, ErrorBody, ErrorKind, MessageRef, ReactMessage};
use crate::store::{Action, Author, RoomChange};
use crate::validate;

impl Registry {
    /// The change a `message:edit` makes.
    pub fn edit(&self, connection: &super::ConnectionId, request: &EditMessage) -> Result<RoomChange, ErrorBody> {
        let text = validate::message_text(&request.text, self.limits.max_message_chars, false).map_err(|refusal| {
            if refusal.kind == ErrorKind::Invalid && request.text.trim().is_empty() {
                error(ErrorKind::Invalid, "An edit cannot empty a message; delete it instead.")
            } else {
                refusal
            }
        })?;
        self.change(connection, &request.room, request.seq, Action::Edit { text })
    }

    /// The change a `message:delete` by its author makes.
    pub fn delete(&self, connection: &super::ConnectionId, request: &MessageRef) -> Result<RoomChange, ErrorBody> {
        self.change(connection, &request.room, request.seq, Action::Delete { by_owner: false })
    }

    /// The change a `message:react` makes.
    pub fn react(&self, connection: &super::ConnectionId, request: &ReactMessage) -> Result<RoomChange, ErrorBody> {
        let emoji = validate::emoji(&request.emoji)?;
        let action = Action::React { emoji, on: request.on, max_different: self.limits.max_reactions_per_message };
        self.change(connection, &request.room, request.seq, action)
    }

    /// The host's owner deletes a message (`/admin`, or the desktop app in process): in any room, in or not.
    pub fn owner_delete(&self, request: &MessageRef) -> Result<RoomChange, ErrorBody> {
        self.room_fits(&request.room)?;
        let key = validate::room_key(&request.room);
        if self.rooms.get(&key).is_none() {
            return Err(error(ErrorKind::NotFound, format!("There is no room called “{}”.", request.room.trim())));
        }
        let by = Author { name: String::new(), id: UserId::from_stored(String::new()) };
        Ok(RoomChange { room: key, seq: request.seq, by, action: Action::Delete { by_owner: true }, permitted: Ok(()) })
    }

    fn change(
        &self,
        connection: &super::ConnectionId,
        room: &str,
        seq: Seq,
        action: Action,
    ) -> Result<RoomChange, ErrorBody> {
        let (key, _) = self.is_in(connection, room)?;
        Ok(RoomChange { room: key, seq, by: self.author(connection)?, action, permitted: Ok(()) })
    }
}
