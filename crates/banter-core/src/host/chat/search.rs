//! `search:query`: full-text search over every room and the searcher's own direct messages. What was typed is cut
//! into words here; the store never sees it as query syntax.

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};

use super::{bad_request, budget, reply};
use crate::host::hub::storage_refusal;
use crate::host::Hub;
use crate::protocol::{event, ErrorBody, ErrorKind, SearchRequest, SearchResults};
use crate::store::SearchScope;
use crate::validate;

pub(super) fn listen<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(event::SEARCH_QUERY, on_search);
}

/// The words of a search: letters and digits, everything else a boundary, at most `max` of them.
fn search_words(query: &str, max: usize) -> Vec<String> {
    query.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).take(max).map(str::to_owned).collect()
}

async fn on_search<A: Adapter>(
    socket: SocketRef<A>,
    State(hub): State<Hub>,
    TryData(request): TryData<SearchRequest>,
    ack: AckSender<A>,
) {
    let connection = socket.id.to_string();
    let decided = budget(&hub, &connection).and_then(|()| request.map_err(bad_request)).and_then(|request| {
        let registry = hub.registry();
        let limits = registry.limits();
        let length = request.q.chars().count();
        if length > limits.max_search_chars {
            let message =
                format!("A search has at most {} characters; this one has {length}.", limits.max_search_chars);
            return Err(ErrorBody::new(ErrorKind::TooLarge, message));
        }
        let words = search_words(&request.q, limits.max_search_words);
        if words.is_empty() {
            return Err(ErrorBody::new(ErrorKind::Invalid, "Type a word to search for."));
        }
        let searcher = registry.user_id(&connection)?;
        let room = request.room.as_deref().map(validate::room_key);
        let from = match request.from.as_deref() {
            Some(name) => Some(registry.person(name).map(|person| person.id).ok_or_else(|| {
                ErrorBody::new(ErrorKind::NotFound, format!("Nobody here is called “{}”.", name.trim()))
            })?),
            None => None,
        };
        let limit = request.limit.map_or(usize::MAX, |limit| limit as usize).min(limits.search_page).max(1);
        Ok((SearchScope { words, searcher, room, from, before: request.before }, limit))
    });
    let (scope, limit) = match decided {
        Ok(decided) => decided,
        Err(error) => return reply::<_, ()>(ack, Err(error)),
    };
    // One more than asked: whether there are more is then known without a second query.
    let answer = match hub.store().search(scope, limit + 1).await {
        Ok(mut hits) => {
            let more = hits.len() > limit;
            hits.truncate(limit);
            Ok(SearchResults { hits, more })
        }
        Err(error) => Err(storage_refusal(&error, "the search")),
    };
    reply(ack, answer);
}
