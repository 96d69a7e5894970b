//! Discovery over mDNS, inside two network namespaces this test makes and joins with a veth pair: multicast never
//! touches the machine's real interfaces. The host runs in one namespace, `banter-cli discover` and a guest in the
//! other. The host is found with the right TXT data, joined and chatted with, its online count follows the people
//! who join, and its record is withdrawn when it stops.
//!
//! Needs root and `ip` (CI runs as root); without them it says why and passes without running.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::process::Stdio;
use std::time::Duration;

use banter_netns::{Namespaces, HOST_IP};
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The namespaces, or `None` (with the reason printed) where this machine cannot make them.
fn namespaces() -> Option<Namespaces> {
    match Namespaces::make('c') {
        Ok(namespaces) => Some(namespaces),
        Err(reason) => {
            println!("skipped: {reason}");
            None
        }
    }
}

/// `banter-cli discover --json` in the guest's namespace: the hosts it printed.
async fn discover(namespaces: &Namespaces, seconds: &str) -> Vec<serde_json::Value> {
    let home = Home::new();
    let output = banter_cli_in_namespace(&home, &namespaces.guest)
        .env("BANTER_DISCOVERY", "on")
        .env("BANTER_DISCOVERY_INTERFACES", namespaces.guest_link.clone())
        .args(["discover", "--timeout", seconds, "--json"])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[tokio::test]
async fn a_host_is_found_joined_followed_and_withdrawn_across_namespaces() {
    let Some(namespaces) = namespaces() else { return };
    let home = Home::new();
    let mut command = banter_cli_in_namespace(&home, &namespaces.host);
    command
        .env("BANTER_DISCOVERY", "on")
        .env("BANTER_DISCOVERY_INTERFACES", namespaces.host_link.clone())
        .stderr(Stdio::null());
    let mut host =
        Served::start_command(command, home, &["--bind", HOST_IP, "--ephemeral", "--title", "Namespace host"]).await;
    let fingerprint = wait_for(&mut host.stdout, |line| line.starts_with("Fingerprint: ")).await;
    let fingerprint = fingerprint["Fingerprint: ".len()..].split_whitespace().next().unwrap().to_owned();

    let found = discover(&namespaces, "4").await;
    let entry = found.iter().find(|host| host["title"] == "Namespace host").unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(entry["addresses"], serde_json::json!([host.address]), "{entry}");
    assert_eq!((entry["online"].as_u64(), entry["accessCode"].as_bool()), (Some(0), Some(false)), "{entry}");
    assert_eq!(entry["fingerprint"], fingerprint.as_str());
    assert_eq!(entry["protocol"], 2);

    // Joined from the other namespace by the address it announced, and chatted with.
    let guest_home = Home::new();
    let mut guest = banter_cli_in_namespace(&guest_home, &namespaces.guest)
        .args(["join", &host.address, "--name", "ann"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut heard = BufReader::new(guest.stdout.take().unwrap()).lines();
    let stdin = guest.stdin.as_mut().unwrap();
    stdin.write_all(b"hello across namespaces\n").await.unwrap();
    stdin.flush().await.unwrap();
    wait_for(&mut heard, |line| line == "[lobby] ann: hello across namespaces").await;

    // The record follows who is online (it is updated every few seconds).
    let mut online = 0;
    for _ in 0..4 {
        let found = discover(&namespaces, "3").await;
        online = found
            .iter()
            .find(|host| host["title"] == "Namespace host")
            .and_then(|host| host["online"].as_u64())
            .unwrap_or(0);
        if online == 1 {
            break;
        }
    }
    assert_eq!(online, 1, "the online count was announced");

    // A browser that has the record drops it when the host stops: the host says goodbye.
    let browsing = tokio::spawn({
        let guest_link = namespaces.guest_link.clone();
        let guest_namespace = namespaces.guest.clone();
        async move {
            let home = Home::new();
            let output = banter_cli_in_namespace(&home, &guest_namespace)
                .env("BANTER_DISCOVERY", "on")
                .env("BANTER_DISCOVERY_INTERFACES", guest_link)
                .args(["discover", "--timeout", "7", "--json"])
                .stdin(Stdio::null())
                .output()
                .await
                .unwrap();
            String::from_utf8_lossy(&output.stdout).into_owned()
        }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = host.child.id().unwrap().to_string();
    assert!(tokio::process::Command::new("kill").args(["-INT", &pid]).status().await.unwrap().success());
    wait_for(&mut host.stdout, |line| line == "Stopped.").await;
    let listed = browsing.await.unwrap();
    assert!(!listed.contains("Namespace host"), "the record was withdrawn: {listed}");
    drop(guest);
}
