//! `banter-cli discover`: the Banter hosts on this network, found by mDNS.

use std::process::ExitCode;
use std::time::Duration;

use banter_core::discovery::{Browser, FoundHost, Interfaces};
use clap::Args;

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// How long to listen for hosts, in seconds.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    timeout: f64,
    /// Print one JSON object per host instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: DiscoverArgs) -> anyhow::Result<ExitCode> {
    if !(args.timeout.is_finite() && (0.1..=600.0).contains(&args.timeout)) {
        anyhow::bail!("--timeout is a number of seconds from 0.1 to 600");
    }
    let mut browser = Browser::start(&Interfaces::from_env())?;
    let hosts = browser.collect(Duration::from_secs_f64(args.timeout)).await;
    if hosts.is_empty() && !args.json {
        eprintln!(
            "No Banter hosts found. Check that this machine is on the same network as the host and that its \
             firewall lets mDNS (UDP port 5353) through, or join by address."
        );
    }
    for host in &hosts {
        if args.json {
            println!("{}", serde_json::to_string(host)?);
        } else {
            println!("{}", describe(host));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(host: &FoundHost) -> String {
    let address = host.addresses.first().map_or_else(|| "no address".to_owned(), ToString::to_string);
    let code = if host.access_code { "  needs an access code" } else { "" };
    format!("{}  {address}  {} online  fingerprint {}{code}", host.title, host.online, host.fingerprint)
}
