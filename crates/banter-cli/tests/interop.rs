//! Interoperability with the official JavaScript Socket.IO (npm, pinned by tests/interop/package-lock.json):
//! stock clients on a Banter host, and Banter clients on the tutorial's own express + socket.io server.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::path::PathBuf;
use std::process::Stdio;

use banter_core::client::{Client, ClientConfig, ClientEvent, ClientEvents, ConnectionState, ServerKind};
use banter_core::host::{self, HostConfig};
use banter_core::protocol::LOBBY;
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

fn interop_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop");
    assert!(
        dir.join("node_modules/socket.io-client").is_dir(),
        "the npm packages of tests/interop are missing: run `make test` (or `npm ci --prefix tests/interop`)"
    );
    dir
}

fn node(script: &str, args: &[&str]) -> Child {
    Command::new("node")
        .arg(interop_dir().join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (installed by `make test`)")
}

async fn expect<T>(events: &mut ClientEvents, mut pick: impl FnMut(&ClientEvent) -> Option<T>) -> T {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => match pick(&event) {
                Some(found) => return found,
                None => seen.push(event),
            },
            other => panic!("no matching event ({other:?}); seen: {seen:#?}"),
        }
    }
}

fn text_of(event: &ClientEvent) -> Option<(String, String, String)> {
    match event {
        ClientEvent::Message(message) => Some((message.room.clone(), message.from.clone(), message.text.clone())),
        _ => None,
    }
}

async fn connect(address: &str, name: &str, server: ServerKind) -> (Client, ClientEvents) {
    let mut config = ClientConfig::new(address, name);
    config.give_up_after = Some(WAIT);
    let (client, mut events) = Client::connect(config).unwrap();
    expect(&mut events, |event| {
        matches!(event, ClientEvent::State(ConnectionState::Connected { server: s }) if *s == server).then_some(())
    })
    .await;
    (client, events)
}

#[tokio::test]
async fn stock_socket_io_clients_chat_with_a_banter_host() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = host::spawn(listener, HostConfig::default()).await.unwrap();
    let address = host.local_addr().to_string();
    let (rusty, mut events) = Client::connect(ClientConfig::new(&address, "rusty")).unwrap();
    let socket_id = expect(&mut events, |event| match event {
        ClientEvent::Welcome(welcome) => Some(welcome.socket_id.clone()),
        _ => None,
    })
    .await;
    rusty.join_room("js").await.unwrap();

    let mut script = node("stock-client.js", &[&format!("http://{address}"), &socket_id]);
    let mut steps = BufReader::new(script.stdout.take().unwrap()).lines();

    // The page's plain `chat message` is a lobby message from a guest.
    let (room, from, _) =
        expect(&mut events, |event| text_of(event).filter(|(_, _, text)| text == "plain hello")).await;
    assert!(room == LOBBY && from.starts_with("guest-"), "{room} {from}");
    wait_for(&mut steps, |line| line == "step chat-message").await;
    rusty.send_message(LOBBY, "rust hello").await.unwrap();
    wait_for(&mut steps, |line| line == "step lobby-from-banter").await;

    let (room, from, _) =
        expect(&mut events, |event| text_of(event).filter(|(_, _, text)| text == "js room hello")).await;
    assert_eq!((room.as_str(), from.as_str()), ("js", "carol"));
    wait_for(&mut steps, |line| line == "step rooms").await;
    rusty.send_message("js", "rust to js room").await.unwrap();
    rusty.send_direct("carol", "dm to carol").await.unwrap();
    wait_for(&mut steps, |line| line == "step from-banter").await;

    let (from_socket, text) = expect(&mut events, |event| match event {
        ClientEvent::PrivateMessage { from_socket, text } => Some((from_socket.clone(), text.clone())),
        _ => None,
    })
    .await;
    assert_eq!(text, "psst from js");
    assert!(!from_socket.is_empty());
    wait_for(&mut steps, |line| line == "interop ok").await;
    let status = tokio::time::timeout(WAIT, script.wait()).await.unwrap().unwrap();
    assert!(status.success());
}

/// A stock client gives the access code in `auth.accessCode`, as docs/PROTOCOL.md says.
#[tokio::test]
async fn a_stock_client_joins_a_host_with_an_access_code() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let code = banter_core::host::access::AccessCode::random();
    let config = HostConfig { access_code: Some(code.clone()), ..HostConfig::default() };
    let host = host::spawn(listener, config).await.unwrap();
    let mut script = node("access-code.js", &[&format!("http://{}", host.local_addr()), code.as_str()]);
    let mut lines = BufReader::new(script.stdout.take().unwrap()).lines();
    wait_for(&mut lines, |line| line == "access ok").await;
    let status = tokio::time::timeout(WAIT, script.wait()).await.unwrap().unwrap();
    assert!(status.success());
}

/// The tutorial's server, started by node on a free port.
async fn start_seed_server() -> (Child, String, Lines<BufReader<ChildStdout>>) {
    let mut server = node("seed-server.js", &[]);
    let mut output = BufReader::new(server.stdout.take().unwrap()).lines();
    let line = wait_for(&mut output, |line| line.starts_with("listening on ")).await;
    let port = line.trim_start_matches("listening on ").to_owned();
    (server, format!("127.0.0.1:{port}"), output)
}

/// The tutorial's page, from a terminal.
async fn start_seed_page(address: &str) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut page = node("seed-page.js", &[&format!("http://{address}")]);
    let mut output = BufReader::new(page.stdout.take().unwrap()).lines();
    wait_for(&mut output, |line| line.starts_with("connected ")).await;
    (page, output)
}

#[tokio::test]
async fn a_banter_client_chats_with_the_tutorial_server_both_ways() {
    let (_server, address, _server_output) = start_seed_server().await;
    let (mut page, mut page_output) = start_seed_page(&address).await;
    let (banter, mut events) = connect(&address, "rusty", ServerKind::Plain).await;

    banter.send_message(LOBBY, "hello from banter").await.unwrap();
    wait_for(&mut page_output, |line| line == "chat message: hello from banter").await;
    let stdin = page.stdin.as_mut().unwrap();
    stdin.write_all(b"hello from the page\n").await.unwrap();
    stdin.flush().await.unwrap();
    expect(&mut events, |event| {
        matches!(event, ClientEvent::Plain(text) if text == "hello from the page").then_some(())
    })
    .await;

    // Rooms need a Banter host, and the client says so instead of pretending.
    let error = banter.join_room("ops").await.err().map(|error| error.kind());
    assert_eq!(error, Some("unsupported"));
}

#[tokio::test]
async fn banter_cli_join_chats_with_the_tutorial_server_both_ways() {
    let (_server, address, _server_output) = start_seed_server().await;
    let (mut page, mut page_output) = start_seed_page(&address).await;
    // Joined::start has read "* connected to a plain Socket.IO server: lobby messages only".
    let mut cli = Joined::start(&address, &["--name", "terminal"]).await;

    cli.say("typed in a terminal").await;
    wait_for(&mut page_output, |line| line == "chat message: typed in a terminal").await;
    let stdin = page.stdin.as_mut().unwrap();
    stdin.write_all(b"typed in a browser\n").await.unwrap();
    stdin.flush().await.unwrap();
    wait_for(&mut cli.stdout, |line| line == "[lobby] typed in a browser").await;
    assert_eq!(cli.finish().await, Some(0));
}
