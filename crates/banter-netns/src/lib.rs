//! Two network namespaces joined by a veth pair, for tests of what crosses a network (mDNS discovery above all):
//! multicast sent inside them never reaches the machine's real interfaces. A "host" side and a "guest" side, each
//! with loopback up, one address on the pair and a multicast route, removed again when dropped.
//!
//! Making namespaces needs root and `ip` (iproute2); [`Namespaces::make`] says why it cannot, so that a test can
//! say it did not run.

use std::process::{Command, Stdio};

/// The host side's address on the pair.
pub const HOST_IP: &str = "10.231.0.1";
/// The guest side's address on the pair.
pub const GUEST_IP: &str = "10.231.0.2";

/// The two namespaces, by name, and the veth end inside each.
#[derive(Debug)]
pub struct Namespaces {
    pub host: String,
    pub guest: String,
    pub host_link: String,
    pub guest_link: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let status = Command::new("ip").args(args).stdout(Stdio::null()).stderr(Stdio::null()).status();
    match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("ip {} failed ({status})", args.join(" "))),
        Err(error) => Err(format!("ip {}: {error}", args.join(" "))),
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| status.lines().find(|line| line.starts_with("Uid:")).map(str::to_owned))
        .is_some_and(|line| line.split_whitespace().nth(1) == Some("0"))
}

impl Namespaces {
    /// Makes the pair, named after `tag` and this process (so that tests running at once do not meet). `Err` says
    /// why this machine cannot; a half-made pair is removed.
    pub fn make(tag: char) -> Result<Namespaces, String> {
        if !is_root() {
            return Err("network namespaces need root".into());
        }
        ip(&["-V"]).map_err(|_| "network namespaces need `ip` (iproute2)".to_owned())?;
        let id = std::process::id() % 100_000;
        // Interface names have at most 15 bytes: "bv" + tag + side + 5 digits.
        let namespaces = Namespaces {
            host: format!("banter-{tag}h{id}"),
            guest: format!("banter-{tag}g{id}"),
            host_link: format!("bv{tag}h{id}"),
            guest_link: format!("bv{tag}g{id}"),
        };
        namespaces.set_up()?;
        Ok(namespaces)
    }

    fn set_up(&self) -> Result<(), String> {
        let (host, guest, host_link, guest_link) = (&self.host, &self.guest, &self.host_link, &self.guest_link);
        ip(&["netns", "add", host])?;
        ip(&["netns", "add", guest])?;
        ip(&["link", "add", host_link, "type", "veth", "peer", "name", guest_link])?;
        ip(&["link", "set", host_link, "netns", host])?;
        ip(&["link", "set", guest_link, "netns", guest])?;
        for (namespace, link, address) in [(host, host_link, HOST_IP), (guest, guest_link, GUEST_IP)] {
            let cidr = format!("{address}/24");
            ip(&["-n", namespace, "addr", "add", &cidr, "dev", link])?;
            ip(&["-n", namespace, "link", "set", link, "up", "multicast", "on"])?;
            ip(&["-n", namespace, "link", "set", "lo", "up"])?;
            // mDNS goes to 224.0.0.251: without a route a namespace has nowhere to send it.
            ip(&["-n", namespace, "route", "add", "224.0.0.0/4", "dev", link])?;
        }
        Ok(())
    }

    /// A command that runs `program` inside `namespace` (one of the two names).
    pub fn command_in(namespace: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", namespace]).arg(program);
        command
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end inside it, and with it the pair.
        let _ = ip(&["netns", "delete", &self.host]);
        let _ = ip(&["netns", "delete", &self.guest]);
    }
}
