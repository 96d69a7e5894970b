//! `file:begin`: a member's live session is what lets them upload. The answer is where the bytes go
//! (`host/files`).

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::{bad_request, budget, reply};
use crate::host::hub::storage_refusal;
use crate::host::Hub;
use crate::protocol::{event, BeginUpload};

pub(super) fn listen<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(event::FILE_BEGIN, on_file_begin);
}

async fn on_file_begin<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<BeginUpload>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let user = hub.registry().user_id(&connection)?;
        Ok((user, request))
    });
    let (user, request) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    let stored = match hub.store().stored_file_bytes().await {
        Ok(stored) => stored,
        Err(error) => return reply::<_, ()>(ack, Err(storage_refusal(&error, "the upload"))),
    };
    reply(ack, hub.files().begin(&user, &request, stored));
}
