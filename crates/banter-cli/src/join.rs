//! `banter-cli join`: lines on stdin become messages; what the host sends becomes lines on stdout.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

use banter_core::client::{
    wait_until_connected, Client, ClientConfig, ClientError, ClientEvent, ConnectionState, ServerKind,
};
use banter_core::protocol::{Message, LOBBY};
use clap::Args;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::commands::{self, Command};
use crate::format::{self, Line, Style};
use crate::recent::Recent;

#[derive(Debug, Args)]
#[command(after_help = commands::HELP)]
pub struct JoinArgs {
    /// The host: 192.168.1.20, 192.168.1.20:7878 or http://192.168.1.20:7878 (port 7878 unless given); or the
    /// hosts of one cluster, separated by commas (A,B,C), tried in turn when one is lost.
    address: String,
    /// Your display name (at most 32 characters, no invisible or control characters).
    #[arg(long)]
    name: String,
    /// The room to join and send to (created if it does not exist).
    #[arg(long, default_value = LOBBY)]
    room: String,
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Show each message's number in its room (`[ops #12] ann: …`), to answer it with /reply #12 and the like.
    #[arg(long)]
    numbers: bool,
    /// Print the room's last N messages after joining (20 when N is left out).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "20")]
    history: Option<usize>,
    /// Give up if no connection is made within this many seconds.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    connect_timeout: u64,
    /// At end of input, wait at most this many seconds for the host to acknowledge what was sent.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    flush_timeout: u64,
    /// The key that holds your name on the hosts you join: the first host you join under a name binds it to your
    /// key, and only that key may use it there afterwards. Default: one made on first use and kept in
    /// ~/.config/banter-cli/user-key. Another run with the same name and key is another device of yours, not an
    /// impostor. Also read from BANTER_USER_KEY.
    #[arg(long, env = "BANTER_USER_KEY", hide_env_values = true, conflicts_with = "guest")]
    user_key: Option<String>,
    /// Join as a guest: the name is yours only while connected, and nothing binds it to you.
    #[arg(long)]
    guest: bool,
    /// The host's access code, if it requires one (case, spaces and dashes do not count). Also read from
    /// BANTER_ACCESS_CODE.
    #[arg(long, env = "BANTER_ACCESS_CODE", hide_env_values = true)]
    access_code: Option<String>,
}

/// Prints events, remembers what it printed, and counts what went wrong.
struct Printer {
    json: bool,
    style: Style,
    failed_sends: usize,
    closed: Option<String>,
    /// Messages already printed from `--history`: one posted while it was read arrives live too.
    printed: HashSet<String>,
    recent: Recent,
}

impl Printer {
    fn print(&mut self, event: &ClientEvent) {
        match event {
            ClientEvent::SendFailed { .. } => self.failed_sends += 1,
            ClientEvent::State(ConnectionState::Closed { reason, .. }) => self.closed = Some(reason.clone()),
            ClientEvent::Message(message) if self.printed.contains(&message.id) => return,
            _ => {}
        }
        let before = self.recent.observe(event);
        // Status lines go to stderr in both modes: stdout carries the chat, as text or as JSON.
        for line in format::lines(event, before.as_ref(), &self.style) {
            match line {
                Line::Out(line) if !self.json => println!("{line}"),
                Line::Err(line) => eprintln!("{line}"),
                Line::Out(_) => {}
            }
        }
        if self.json {
            println!("{}", format::json(event, &self.style));
        }
    }
}

pub async fn run(args: JoinArgs) -> anyhow::Result<ExitCode> {
    let connect_timeout = Duration::from_secs(args.connect_timeout.max(1));
    let mut config = ClientConfig::new(args.address.clone(), args.name.clone());
    config.access_code = args.access_code.clone();
    config.user_key = match (&args.user_key, args.guest) {
        (Some(key), _) => Some(key.clone()),
        (None, true) => None,
        (None, false) => Some(crate::paths::user_key()?),
    };
    config.give_up_after = Some(connect_timeout);
    config.connect_timeout = connect_timeout.min(Duration::from_secs(5));
    let (client, mut events) = match Client::connect(config) {
        Ok(started) => started,
        Err(error) => {
            eprintln!("banter-cli: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    // Where shared files are shown to come from: the (first) address joined, as a URL. Uploads go to the host the
    // client is connected to, which takes them from its own sessions only.
    let base = banter_core::address::parse_host_addresses(&args.address)?.swap_remove(0);
    let mut printer = Printer {
        json: args.json,
        style: Style { numbers: args.numbers, base: base.to_string() },
        failed_sends: 0,
        closed: None,
        printed: HashSet::new(),
        recent: Recent::default(),
    };

    let (outcome, seen) = wait_until_connected(&mut events, connect_timeout + Duration::from_secs(5)).await;
    seen.iter().for_each(|event| printer.print(event));
    let server = match outcome {
        Ok(server) => server,
        Err(error) => {
            let reason = printer.closed.clone().unwrap_or_else(|| error.to_string());
            eprintln!("banter-cli: could not join {}: {reason}", args.address);
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut room = LOBBY.to_owned();
    if !args.room.trim().eq_ignore_ascii_case(LOBBY) {
        if server == ServerKind::Plain {
            eprintln!("banter-cli: {} is a plain Socket.IO server; it has only the lobby.", args.address);
            client.close().await;
            return Ok(ExitCode::FAILURE);
        }
        match client.join_room(&args.room).await {
            Ok(joined) => room = joined.room.clone(),
            Err(error) => {
                eprintln!("banter-cli: could not join room “{}”: {error}", args.room);
                client.close().await;
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    if let (Some(count), ServerKind::Banter) = (args.history, server) {
        match last_messages(&client, &room, count).await {
            Ok(messages) => {
                for message in messages {
                    printer.print(&ClientEvent::Message(message.clone()));
                    printer.recent.remember(&message);
                    printer.printed.insert(message.id);
                }
            }
            Err(error) => eprintln!("banter-cli: could not read the history of {room}: {error}"),
        }
    }

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    if !handle_line(&client, &mut room, &line, &mut printer).await {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    eprintln!("banter-cli: stopped reading input: {error}");
                    break;
                }
            },
            event = events.recv() => match event {
                Some(event) => {
                    printer.print(&event);
                    if let Some(reason) = &printer.closed {
                        eprintln!("banter-cli: disconnected: {reason}");
                        return Ok(ExitCode::FAILURE);
                    }
                }
                None => return Ok(ExitCode::FAILURE),
            },
        }
    }

    // End of input: stay until the host has acknowledged everything, printing what still arrives.
    let flushed = tokio::time::timeout(Duration::from_secs(args.flush_timeout), async {
        let flush = client.flush();
        tokio::pin!(flush);
        loop {
            tokio::select! {
                result = &mut flush => return result,
                Some(event) = events.recv() => printer.print(&event),
            }
        }
    })
    .await;
    client.close().await;
    while let Ok(event) = events.try_recv() {
        printer.print(&event);
    }
    match flushed {
        Err(_) => {
            eprintln!("banter-cli: the host did not acknowledge every message within {}s", args.flush_timeout);
            Ok(ExitCode::FAILURE)
        }
        Ok(Err(error)) => {
            eprintln!("banter-cli: {error}");
            Ok(ExitCode::FAILURE)
        }
        Ok(Ok(())) if printer.failed_sends > 0 => {
            eprintln!("banter-cli: {} message(s) were refused by the host", printer.failed_sends);
            Ok(ExitCode::FAILURE)
        }
        Ok(Ok(())) => Ok(ExitCode::SUCCESS),
    }
}

/// A room's last `count` messages, oldest first, a page at a time.
async fn last_messages(client: &Client, room: &str, count: usize) -> Result<Vec<Message>, ClientError> {
    let mut messages: Vec<Message> = Vec::new();
    while messages.len() < count {
        let wanted = u32::try_from((count - messages.len()).min(100)).unwrap_or(100);
        let before = messages.first().map(|oldest| oldest.seq);
        let page = client.history(room, before, wanted).await?;
        if page.messages.is_empty() {
            break;
        }
        messages.splice(0..0, page.messages);
    }
    Ok(messages)
}

/// Sends a line or runs a command. Returns false when the user asked to quit.
async fn handle_line(client: &Client, room: &mut String, line: &str, printer: &mut Printer) -> bool {
    let report = |error: ClientError, printer: &mut Printer| {
        printer.failed_sends += 1;
        eprintln!("! {error}");
    };
    if line.trim().is_empty() {
        return true;
    }
    let command = match commands::parse(line) {
        Ok(command) => command,
        Err(problem) => {
            // Counted like a refused message: a script with a mistyped command ends in failure.
            printer.failed_sends += 1;
            eprintln!("! {problem}");
            return true;
        }
    };
    // "The last message" for the actions that take no number; said in words when there is none.
    let theirs = |seq: Option<u64>, printer: &Printer| {
        let found = seq.or_else(|| printer.recent.last_from_others(room));
        found.ok_or_else(|| format!("nobody else has written in {room} yet; give a number (#N, see --numbers)"))
    };
    let mine = |seq: Option<u64>, printer: &Printer| {
        let found = seq.or_else(|| printer.recent.my_last(room));
        found.ok_or_else(|| format!("you have not written in {room} yet; give a number (#N, see --numbers)"))
    };
    let outcome: Result<(), String> = match command {
        Command::Quit => return false,
        Command::Help => {
            eprintln!("{}", commands::HELP);
            Ok(())
        }
        Command::Send { to, path, text } => {
            let to = to.map_or(crate::files::To::Room(room), crate::files::To::Person);
            crate::files::send(client, &client.host_url(), &to, &path, &text).await
        }
        Command::Who => {
            eprintln!("{}", printer.recent.who());
            Ok(())
        }
        Command::Rooms => {
            printer.recent.rooms().iter().for_each(|line| eprintln!("{line}"));
            Ok(())
        }
        Command::Say(text) => {
            if let Err(error) = client.send_message(room, &text).await {
                report(error, printer);
            }
            Ok(())
        }
        Command::Join(name) => match client.join_room(&name).await {
            Ok(joined) => {
                eprintln!("* now sending to {}", joined.room);
                *room = joined.room;
                Ok(())
            }
            Err(error) => Err(format!("could not join {name}: {error}")),
        },
        Command::Leave(name) => match client.leave_room(&name).await {
            Ok(left) => {
                if left.room.eq_ignore_ascii_case(room) {
                    *room = LOBBY.to_owned();
                    eprintln!("* now sending to {LOBBY}");
                }
                Ok(())
            }
            Err(error) => Err(format!("could not leave {name}: {error}")),
        },
        Command::Direct { to, text } => {
            if let Err(error) = client.send_direct(&to, &text).await {
                report(error, printer);
            }
            Ok(())
        }
        Command::Reply { to, text } => match theirs(to, printer) {
            Ok(seq) => {
                if let Err(error) = client.send_reply(room, seq, &text).await {
                    report(error, printer);
                }
                Ok(())
            }
            Err(problem) => Err(problem),
        },
        Command::Edit { seq, text } => match mine(seq, printer) {
            Ok(seq) => client.edit_message(room, seq, &text).await.map(drop).map_err(|e| format!("not edited: {e}")),
            Err(problem) => Err(problem),
        },
        Command::Delete { seq } => match mine(seq, printer) {
            Ok(seq) => client.delete_message(room, seq).await.map(drop).map_err(|e| format!("not deleted: {e}")),
            Err(problem) => Err(problem),
        },
        Command::React { seq, emoji, on } => match theirs(seq, printer) {
            Ok(seq) => client.react(room, seq, &emoji, on).await.map(drop).map_err(|e| format!("no reaction: {e}")),
            Err(problem) => Err(problem),
        },
    };
    if let Err(problem) = outcome {
        printer.failed_sends += 1;
        eprintln!("! {problem}");
    }
    true
}
