//! Direct conversations in the client: the handle's requests (send, reply, page, edit, delete, react, mark read),
//! and how the supervisor keeps each conversation complete: its messages through a cursor, by the conversation's
//! id, and its changes through [`Revisions`](super::revisions::Revisions), as a room's.

use super::cursor::Advance;
use super::supervisor::State;
use super::{check_text, new_client_id, Client, ClientError, ClientEvent, Origin, Outgoing, Request};
use crate::keys::Seq;
use crate::protocol::{
    Conversation, DirectChangesPage, DirectChangesRequest, DirectHistoryPage, DirectHistoryRequest, DirectMessage,
    DirectReadMark, DirectRef, EditDirect, FileInfo, ReactDirect, SendDirect,
};
use crate::validate;

impl Client {
    /// Queues a direct message to a user by display name; reports like [`Client::send_message`].
    pub async fn send_direct(&self, to: &str, text: &str) -> Result<String, ClientError> {
        self.send_direct_with(to, text, None, None).await
    }

    /// Queues a direct message that answers message `reply_to` of the conversation with `to`.
    pub async fn send_direct_reply(&self, to: &str, reply_to: Seq, text: &str) -> Result<String, ClientError> {
        self.send_direct_with(to, text, Some(reply_to), None).await
    }

    /// Queues a direct message that carries a shared file this user uploaded; `text` may be empty.
    pub async fn send_direct_file(&self, to: &str, text: &str, file: &FileInfo) -> Result<String, ClientError> {
        self.send_direct_with(to, text, None, Some(file)).await
    }

    async fn send_direct_with(
        &self,
        to: &str,
        text: &str,
        reply_to: Option<Seq>,
        file: Option<&FileInfo>,
    ) -> Result<String, ClientError> {
        check_text(text, file.is_some())?;
        let client_id = new_client_id();
        let request = SendDirect {
            to: to.to_owned(),
            text: text.to_owned(),
            client_id: Some(client_id.clone()),
            attachment: None,
            reply_to,
            file: file.map(|file| file.id.clone()),
        };
        self.enqueue(Request::Direct(request), None).await?;
        Ok(client_id)
    }

    /// Up to `limit` messages of the direct conversation with `with`, before `before_seq` (the newest without
    /// it), oldest first.
    pub async fn direct_history(
        &self,
        with: &str,
        before_seq: Option<Seq>,
        limit: u32,
    ) -> Result<DirectHistoryPage, ClientError> {
        let request = DirectHistoryRequest {
            with: with.to_owned(),
            conversation: None,
            before_seq,
            after_seq: None,
            limit: Some(limit),
        };
        self.request(Request::DirectHistory(request)).await
    }

    /// Replaces the text of one of this user's direct messages (by its conversation's id); answers it as it is now.
    pub async fn edit_direct(&self, conversation: &str, seq: Seq, text: &str) -> Result<DirectMessage, ClientError> {
        check_text(text, false)?;
        let request = EditDirect { conversation: conversation.to_owned(), seq, text: text.to_owned() };
        self.request(Request::DirectEdit(request)).await
    }

    /// Deletes one of this user's direct messages; answers its tombstone.
    pub async fn delete_direct(&self, conversation: &str, seq: Seq) -> Result<DirectMessage, ClientError> {
        self.request(Request::DirectDelete(DirectRef { conversation: conversation.to_owned(), seq })).await
    }

    /// Adds this user's reaction to a direct message (`on`), or takes it back; answers the message as it is now.
    pub async fn react_direct(
        &self,
        conversation: &str,
        seq: Seq,
        emoji: &str,
        on: bool,
    ) -> Result<DirectMessage, ClientError> {
        let request = ReactDirect { conversation: conversation.to_owned(), seq, emoji: emoji.to_owned(), on };
        self.request(Request::DirectReact(request)).await
    }

    /// Tells the host this user has read a conversation up to message `seq`; their other devices hear it as
    /// [`ClientEvent::DirectRead`]. Answers the mark the host kept.
    pub async fn mark_direct_read(&self, conversation: &str, seq: Seq) -> Result<DirectReadMark, ClientError> {
        self.request(Request::DirectRead(DirectReadMark { conversation: conversation.to_owned(), seq })).await
    }
}

impl State {
    /// The welcome's conversations: each one new to this client starts where the welcome shows it; each one known
    /// is caught up with, messages and changes, from the numbers reported before.
    pub(super) fn on_welcome_conversations(&mut self, conversations: &[Conversation]) {
        for conversation in conversations {
            let last_message = &conversation.last_message;
            let id = last_message.conversation.clone();
            let cursor = self.cursors.directs.entry(id.clone()).or_default();
            let Some(last) = cursor.last() else {
                // Seen for the first time: the welcome itself shows its last message, as it is now.
                cursor.start_at(last_message.seq);
                self.cursors.direct_revisions.start_at(&id, conversation.latest_rev);
                continue;
            };
            if last < last_message.seq {
                self.queue_direct_catch_up(&conversation.with, &id, last);
            }
            // Known, but perhaps never changed while this client watched: its changes count from 0.
            self.cursors.direct_revisions.start_at(&id, 0);
            let changes = self.cursors.direct_revisions.last(&id).unwrap_or(0);
            if changes < conversation.latest_rev {
                self.queue_direct_changes(&id, changes);
            }
        }
    }

    /// The other person of a direct message, by this user's name.
    fn other_of<'a>(&self, message: &'a DirectMessage) -> &'a str {
        if validate::name_key(&message.from) == validate::name_key(&self.me) {
            &message.to
        } else {
            &message.from
        }
    }

    pub(super) async fn on_direct(&mut self, message: DirectMessage) {
        let with = self.other_of(&message).to_owned();
        let conversation = message.conversation.clone();
        let cursor = self.cursors.directs.entry(conversation.clone()).or_default();
        // A conversation that starts now starts with this message.
        cursor.start_at(message.seq.saturating_sub(1));
        self.cursors.direct_revisions.start_at(&conversation, 0);
        let Advance { ready, fetch_after } = cursor.live(message);
        for message in ready {
            self.report(ClientEvent::Direct(message)).await;
        }
        if let Some(after) = fetch_after {
            self.queue_direct_catch_up(&with, &conversation, after);
        }
    }

    /// A change to a direct message. A conversation this client has no change number for (it started, or was
    /// first seen, after the welcome) counts from 0: if the change is not its first, the ones before are fetched.
    pub(super) async fn on_direct_changed(&mut self, message: DirectMessage) {
        let id = message.conversation.clone();
        self.cursors.direct_revisions.start_at(&id, 0);
        if let Some(after) = self.cursors.direct_revisions.live(&id, message.rev) {
            self.queue_direct_changes(&id, after);
        }
        self.report(ClientEvent::DirectChanged(message)).await;
    }

    fn queue_direct_changes(&mut self, conversation: &str, after_rev: u64) {
        let request = Request::DirectChanges(DirectChangesRequest {
            conversation: conversation.to_owned(),
            after_rev,
            limit: None,
        });
        self.outbox.push_back(Outgoing { request, reply: None, origin: Origin::CatchUp, attempts: 0 });
    }

    pub(super) async fn on_direct_changes_page(&mut self, page: DirectChangesPage) {
        let reached = page.messages.last().map(|message| message.rev);
        if let Some(after_rev) = self.cursors.direct_revisions.page(&page.conversation, reached, page.latest_rev) {
            self.queue_direct_changes(&page.conversation, after_rev);
        }
        for message in page.messages {
            self.report(ClientEvent::DirectChanged(message)).await;
        }
    }

    /// Asks for what a conversation missed, by its id: the name may have changed hands since.
    pub(super) fn queue_direct_catch_up(&mut self, with: &str, conversation: &str, after: Seq) {
        let request = Request::DirectHistory(DirectHistoryRequest {
            with: with.to_owned(),
            conversation: Some(conversation.to_owned()),
            before_seq: None,
            after_seq: Some(after),
            limit: None,
        });
        self.outbox.push_back(Outgoing { request, reply: None, origin: Origin::CatchUp, attempts: 0 });
    }

    pub(super) async fn on_direct_page(&mut self, page: DirectHistoryPage, request: &DirectHistoryRequest) {
        let Some(conversation) = request.conversation.clone() else { return };
        let cursor = self.cursors.directs.entry(conversation.clone()).or_default();
        let Advance { ready, fetch_after } = cursor.page(page.messages, page.latest_seq, request.after_seq);
        if let Some(after) = fetch_after {
            self.queue_direct_catch_up(&page.with, &conversation, after);
        }
        if !ready.is_empty() {
            self.report(ClientEvent::MissedDirects { with: page.with, messages: ready }).await;
        }
    }
}
