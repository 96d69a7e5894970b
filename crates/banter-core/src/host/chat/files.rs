//! `file:begin`: a member's live session is what lets them upload. The answer is where the bytes go
//! (`host/files`).

use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::{bad_request, budget, reply};
use crate::host::hub::storage_refusal;
use crate::host::Hub;
use crate::protocol::{event, BeginUpload};

pub(super) fn listen(socket: &SocketRef) {
    socket.on(event::FILE_BEGIN, on_file_begin);
}

async fn on_file_begin(
    socket: SocketRef,
    State(hub): State<Hub>,
    TryData(request): TryData<BeginUpload>,
    ack: AckSender,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let user = hub.registry().user_id(&connection)?;
        Ok((user, request))
    });
    let (user, request) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<()>(ack, Err(error)),
    };
    let stored = match hub.store().stored_file_bytes().await {
        Ok(stored) => stored,
        Err(error) => return reply::<()>(ack, Err(storage_refusal(&error, "the upload"))),
    };
    reply(ack, hub.files().begin(&user, &request, stored));
}
