//! `banter-cli search HOST QUERY`: the messages of a host's rooms (and, with `--name`, of your own direct
//! conversations there) that hold every word of the query, newest first.

use std::process::ExitCode;
use std::time::Duration;

use banter_core::client::{wait_until_connected, Client, ClientConfig};
use banter_core::protocol::{SearchHit, SearchRequest};
use clap::Args;
use rand::Rng;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The host: 192.168.1.20, 192.168.1.20:7878 or http://192.168.1.20:7878.
    address: String,
    /// Words to look for, as typed (quotes and operators are only word boundaries); the last word also matches
    /// as the start of a longer one.
    query: String,
    /// Search as this person, with your key: your own direct messages are searched too. Without it you search as
    /// a guest, rooms only.
    #[arg(long)]
    name: Option<String>,
    /// Only this room.
    #[arg(long)]
    room: Option<String>,
    /// Only messages by the person with this name.
    #[arg(long)]
    from: Option<String>,
    /// At most this many hits (the host gives at most 50 at a time; more are fetched page by page).
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print one JSON object per hit instead of text.
    #[arg(long)]
    json: bool,
    /// The key that holds your name (as for `join`). Also read from BANTER_USER_KEY.
    #[arg(long, env = "BANTER_USER_KEY", hide_env_values = true)]
    user_key: Option<String>,
    /// The host's access code, if it requires one. Also read from BANTER_ACCESS_CODE.
    #[arg(long, env = "BANTER_ACCESS_CODE", hide_env_values = true)]
    access_code: Option<String>,
}

/// A hit as a line: where, who, and the text around what matched, the matching words in «».
fn line(hit: &SearchHit) -> String {
    let place = match (&hit.room, &hit.with) {
        (Some(room), _) => format!("[{room} #{}]", hit.seq),
        (None, Some(with)) => format!("[dm with {with} #{}]", hit.seq),
        (None, None) => format!("[#{}]", hit.seq),
    };
    let text: String =
        hit.snippet.iter().map(|part| if part.hit { format!("«{}»", part.text) } else { part.text.clone() }).collect();
    format!("{place} {}: {text}", hit.from)
}

pub async fn run(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let name = args.name.clone().unwrap_or_else(|| format!("search-{:04}", rand::thread_rng().gen_range(0..10_000)));
    let mut config = ClientConfig::new(args.address.clone(), name);
    config.access_code = args.access_code.clone();
    config.user_key = match (&args.name, &args.user_key) {
        (None, _) => None,
        (Some(_), Some(key)) => Some(key.clone()),
        (Some(_), None) => Some(crate::paths::user_key()?),
    };
    config.give_up_after = Some(Duration::from_secs(10));
    let (client, mut events) = match Client::connect(config) {
        Ok(started) => started,
        Err(error) => {
            eprintln!("banter-cli: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    if let (Err(error), _) = wait_until_connected(&mut events, Duration::from_secs(15)).await {
        eprintln!("banter-cli: could not reach {}: {error}", args.address);
        return Ok(ExitCode::FAILURE);
    }
    let mut shown = 0;
    let mut before = None;
    let outcome = loop {
        let wanted = u32::try_from((args.limit - shown).min(50)).unwrap_or(50);
        let request = SearchRequest {
            q: args.query.clone(),
            room: args.room.clone(),
            from: args.from.clone(),
            before,
            limit: Some(wanted),
        };
        match client.search(request).await {
            Ok(results) => {
                for hit in &results.hits {
                    if args.json {
                        println!("{}", serde_json::to_string(hit)?);
                    } else {
                        println!("{}", line(hit));
                    }
                }
                shown += results.hits.len();
                before = results.hits.last().map(|hit| hit.ts);
                if !results.more || shown >= args.limit || results.hits.is_empty() {
                    break Ok(());
                }
            }
            Err(error) => break Err(error),
        }
    };
    client.close().await;
    match outcome {
        Ok(()) if shown == 0 && !args.json => {
            eprintln!("Nothing found for “{}”.", args.query);
            Ok(ExitCode::SUCCESS)
        }
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("banter-cli: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use banter_core::protocol::Marked;

    #[test]
    fn hits_print_where_who_and_the_marked_words() {
        let hit = SearchHit {
            id: "m".into(),
            room: Some("ops".into()),
            with: None,
            seq: 12,
            ts: 0,
            from: "ann".into(),
            snippet: vec![
                Marked { text: "the ".into(), hit: false },
                Marked { text: "deploy".into(), hit: true },
                Marked { text: " is on Friday".into(), hit: false },
            ],
        };
        assert_eq!(line(&hit), "[ops #12] ann: the «deploy» is on Friday");
        let direct = SearchHit { room: None, with: Some("bert".into()), ..hit };
        assert_eq!(line(&direct), "[dm with bert #12] ann: the «deploy» is on Friday");
    }
}
