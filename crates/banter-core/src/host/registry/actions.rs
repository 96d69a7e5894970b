//! The changes people make to posted messages: what a `message:edit`, `message:delete` or `message:react` (and
//! their `dm:` twins) asks the store to do, once the registry has checked what it knows (the socket is in the room,
//! the text and the emoji follow the rules). Who wrote the message, whether it still exists, and who is in a direct
//! conversation, only the store knows; it checks those.

use super::{error, Registry};
use crate::keys::{Seq, UserId};
use crate::protocol::{
    DirectRef, EditDirect, EditMessage, ErrorBody, ErrorKind, MessageRef, ReactDirect, ReactMessage,
};
use crate::store::{Action, Author, DirectChange, RoomChange};
use crate::validate;

/// A conversation id is `c` and a row number: anything longer is refused before it reaches the store.
const MAX_CONVERSATION_ID_BYTES: usize = 24;

impl Registry {
    /// The change a `message:edit` makes.
    pub fn edit(&self, connection: &super::ConnectionId, request: &EditMessage) -> Result<RoomChange, ErrorBody> {
        let action = self.edit_action(&request.text)?;
        self.change(connection, &request.room, request.seq, action)
    }

    fn edit_action(&self, text: &str) -> Result<Action, ErrorBody> {
        let checked = validate::message_text(text, self.limits.max_message_chars, false).map_err(|refusal| {
            if refusal.kind == ErrorKind::Invalid && text.trim().is_empty() {
                error(ErrorKind::Invalid, "An edit cannot empty a message; delete it instead.")
            } else {
                refusal
            }
        })?;
        Ok(Action::Edit { text: checked })
    }

    fn react_action(&self, emoji: &str, on: bool) -> Result<Action, ErrorBody> {
        let emoji = validate::emoji(emoji)?;
        Ok(Action::React { emoji, on, max_different: self.limits.max_reactions_per_message })
    }

    /// The change a `dm:edit` makes.
    pub fn direct_edit(
        &self,
        connection: &super::ConnectionId,
        request: &EditDirect,
    ) -> Result<DirectChange, ErrorBody> {
        let action = self.edit_action(&request.text)?;
        self.direct_change(connection, &request.conversation, request.seq, action)
    }

    /// The change a `dm:delete` makes: only its author may (the host's owner moderates rooms, not conversations).
    pub fn direct_delete(
        &self,
        connection: &super::ConnectionId,
        request: &DirectRef,
    ) -> Result<DirectChange, ErrorBody> {
        self.direct_change(connection, &request.conversation, request.seq, Action::Delete { by_owner: false })
    }

    /// The change a `dm:react` makes.
    pub fn direct_react(
        &self,
        connection: &super::ConnectionId,
        request: &ReactDirect,
    ) -> Result<DirectChange, ErrorBody> {
        let action = self.react_action(&request.emoji, request.on)?;
        self.direct_change(connection, &request.conversation, request.seq, action)
    }

    fn direct_change(
        &self,
        connection: &super::ConnectionId,
        conversation: &str,
        seq: Seq,
        action: Action,
    ) -> Result<DirectChange, ErrorBody> {
        if conversation.len() > MAX_CONVERSATION_ID_BYTES {
            return Err(error(ErrorKind::Invalid, "That is not a conversation id."));
        }
        Ok(DirectChange { conversation: conversation.to_owned(), seq, by: self.author(connection)?, action })
    }

    /// The change a `message:delete` by its author makes.
    pub fn delete(&self, connection: &super::ConnectionId, request: &MessageRef) -> Result<RoomChange, ErrorBody> {
        self.change(connection, &request.room, request.seq, Action::Delete { by_owner: false })
    }

    /// The change a `message:react` makes.
    pub fn react(&self, connection: &super::ConnectionId, request: &ReactMessage) -> Result<RoomChange, ErrorBody> {
        let action = self.react_action(&request.emoji, request.on)?;
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
