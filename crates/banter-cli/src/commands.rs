//! What a line typed into `banter-cli join` asks for: a message, or one of the slash commands.
//!
//! A message is referred to by its number in the room (`#12`, shown with `--numbers`, or in `--json` as `seq`);
//! without one, `/reply` and `/react` mean the room's last message from someone else and `/edit` and `/delete` the
//! user's own last message there. A name with a space in it is quoted: `/dm "Ann Host" hi`.

/// One line's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Say(String),
    Join(String),
    Leave(String),
    Direct {
        to: String,
        text: String,
    },
    Reply {
        to: Option<u64>,
        text: String,
    },
    Edit {
        seq: Option<u64>,
        text: String,
    },
    Delete {
        seq: Option<u64>,
    },
    React {
        seq: Option<u64>,
        emoji: String,
        on: bool,
    },
    /// A file, to the current room or (`to`) to a person.
    Send {
        to: Option<String>,
        path: String,
        text: String,
    },
    Who,
    Rooms,
    Help,
    Quit,
}

pub const HELP: &str = "\
Lines you type are sent to the current room. Commands:
  /join ROOM            join a room (created if needed) and send to it
  /leave ROOM           leave a room
  /dm NAME TEXT         a direct message; quote a name with spaces: /dm \"Ann Host\" hi
  /reply [#N] TEXT      answer message N (default: the room's last message from someone else)
  /edit [#N] TEXT       replace the text of your message N (default: your last one in the room)
  /delete [#N]          delete your message N (default: your last one in the room)
  /react [#N] EMOJI     react to message N (default: the room's last message from someone else)
  /unreact [#N] EMOJI   take a reaction back
  /send PATH [TEXT]     share a file (any kind, with progress); quote a path with spaces
  /dmfile NAME PATH [TEXT]  send a file in a direct message
  /who                  who is online
  /rooms                the host's rooms, with who is in each
  /help                 this list
  /quit                 leave (also Ctrl-D)
Message numbers show with --numbers. Start a line with // to send it with a single leading /.";

/// Splits off the first word, which may be quoted ("…", '…' or “…”) to hold spaces; returns it and the rest.
fn first_word(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let quotes = [('"', '"'), ('\'', '\''), ('“', '”')];
    for (open, close) in quotes {
        if let Some(quoted) = text.strip_prefix(open) {
            let end = quoted.find(close)?;
            return Some((quoted[..end].to_owned(), &quoted[end + close.len_utf8()..]));
        }
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (end > 0).then(|| (text[..end].to_owned(), &text[end..]))
}

/// A leading `#N`, if there is one, and the rest.
fn number(text: &str) -> Result<(Option<u64>, &str), String> {
    let text = text.trim_start();
    let Some(digits) = text.strip_prefix('#') else { return Ok((None, text)) };
    let end = digits.find(char::is_whitespace).unwrap_or(digits.len());
    let seq = digits[..end].parse().map_err(|_| format!("“#{}” is not a message number", &digits[..end]))?;
    Ok((Some(seq), digits[end..].trim_start()))
}

/// What a line asks for, or a sentence saying why it cannot be understood.
pub fn parse(line: &str) -> Result<Command, String> {
    let Some(command) = line.strip_prefix('/').filter(|rest| !rest.starts_with('/')) else {
        return Ok(Command::Say(line.strip_prefix('/').unwrap_or(line).to_owned()));
    };
    let (verb, rest) = command.split_once(char::is_whitespace).unwrap_or((command, ""));
    let usage = |form: &str| Err(format!("usage: /{verb} {form}"));
    match verb {
        "quit" | "exit" => Ok(Command::Quit),
        "help" | "?" => Ok(Command::Help),
        "who" => Ok(Command::Who),
        "rooms" => Ok(Command::Rooms),
        "join" | "leave" => match first_word(rest) {
            Some((room, after)) if after.trim().is_empty() => {
                Ok(if verb == "join" { Command::Join(room) } else { Command::Leave(room) })
            }
            // A room name may have spaces without quotes: it is the whole rest of the line.
            Some(_) => Ok(if verb == "join" {
                Command::Join(rest.trim().to_owned())
            } else {
                Command::Leave(rest.trim().to_owned())
            }),
            None => usage("ROOM"),
        },
        "dm" | "msg" => match first_word(rest) {
            Some((to, text)) if !text.trim().is_empty() => Ok(Command::Direct { to, text: text.trim().to_owned() }),
            _ => usage("NAME TEXT (quote a name with spaces: /dm \"Ann Host\" hi)"),
        },
        "reply" => match number(rest)? {
            (to, text) if !text.trim().is_empty() => Ok(Command::Reply { to, text: text.to_owned() }),
            _ => usage("[#N] TEXT"),
        },
        "edit" => match number(rest)? {
            (seq, text) if !text.trim().is_empty() => Ok(Command::Edit { seq, text: text.to_owned() }),
            _ => usage("[#N] TEXT"),
        },
        "delete" => match number(rest)? {
            (seq, rest) if rest.trim().is_empty() => Ok(Command::Delete { seq }),
            _ => usage("[#N]"),
        },
        "react" | "unreact" => match number(rest)? {
            (seq, emoji) if !emoji.trim().is_empty() => {
                Ok(Command::React { seq, emoji: emoji.trim().to_owned(), on: verb == "react" })
            }
            _ => usage("[#N] EMOJI"),
        },
        "send" => match first_word(rest) {
            Some((path, text)) => Ok(Command::Send { to: None, path, text: text.trim().to_owned() }),
            None => usage("PATH [TEXT] (quote a path with spaces: /send \"My file.pdf\" here it is)"),
        },
        "dmfile" => match first_word(rest).and_then(|(to, after)| Some((to, first_word(after)?))) {
            Some((to, (path, text))) => Ok(Command::Send { to: Some(to), path, text: text.trim().to_owned() }),
            None => usage("NAME PATH [TEXT] (quote a name or a path with spaces)"),
        },
        _ => Err(format!("unknown command /{verb}; /help lists them (// sends a line starting with /)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_spaces_are_quoted() {
        let dm = |to: &str, text: &str| Ok(Command::Direct { to: to.into(), text: text.into() });
        assert_eq!(parse("/dm \"Ann Host\" hi there"), dm("Ann Host", "hi there"));
        assert_eq!(parse("/dm “Ann Host” hi"), dm("Ann Host", "hi"));
        assert_eq!(parse("/dm 'Zoë B' ok"), dm("Zoë B", "ok"));
        assert_eq!(parse("/dm bert  see you"), dm("bert", "see you"));
        assert!(parse("/dm \"Ann Host hi").is_err(), "an unclosed quote is not guessed at");
        assert!(parse("/dm bert").is_err());
    }

    #[test]
    fn message_actions_take_an_optional_number() {
        assert_eq!(parse("/reply #12 me too"), Ok(Command::Reply { to: Some(12), text: "me too".into() }));
        assert_eq!(parse("/reply 3 people agree"), Ok(Command::Reply { to: None, text: "3 people agree".into() }));
        assert_eq!(parse("/edit fixed typo"), Ok(Command::Edit { seq: None, text: "fixed typo".into() }));
        assert_eq!(parse("/delete #4"), Ok(Command::Delete { seq: Some(4) }));
        assert_eq!(parse("/delete"), Ok(Command::Delete { seq: None }));
        assert_eq!(parse("/react 🎉"), Ok(Command::React { seq: None, emoji: "🎉".into(), on: true }));
        assert_eq!(parse("/unreact #2 🎉"), Ok(Command::React { seq: Some(2), emoji: "🎉".into(), on: false }));
        assert!(parse("/react #x 🎉").unwrap_err().contains("not a message number"));
        assert!(parse("/edit #3").is_err());
    }

    #[test]
    fn plain_lines_commands_and_escapes() {
        assert_eq!(parse("hello"), Ok(Command::Say("hello".into())));
        assert_eq!(parse("//etc/hosts is a path"), Ok(Command::Say("/etc/hosts is a path".into())));
        assert_eq!(parse("/join Design Team"), Ok(Command::Join("Design Team".into())));
        assert_eq!(parse("/who"), Ok(Command::Who));
        assert_eq!(parse("/rooms"), Ok(Command::Rooms));
        assert_eq!(parse("/help"), Ok(Command::Help));
        assert!(parse("/frobnicate").unwrap_err().contains("/help"));
        let send = |path: &str, text: &str| Ok(Command::Send { to: None, path: path.into(), text: text.into() });
        assert_eq!(parse("/send \"Holiday video.mp4\" from Sunday"), send("Holiday video.mp4", "from Sunday"));
        assert_eq!(parse("/send notes.txt"), send("notes.txt", ""));
        assert!(parse("/send").is_err());
        let to_ann = Ok(Command::Send { to: Some("Ann Host".into()), path: "a b.pdf".into(), text: "yours".into() });
        assert_eq!(parse("/dmfile \"Ann Host\" 'a b.pdf' yours"), to_ann);
        assert!(parse("/dmfile ann").is_err(), "a person and a path");
    }
}
