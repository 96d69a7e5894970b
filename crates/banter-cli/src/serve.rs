//! `banter-cli serve`: a headless host.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use banter_core::address::DEFAULT_PORT;
use banter_core::host::{self, HostConfig};
use clap::Args;
use tokio::net::TcpListener;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on: 0.0.0.0 for every network of this machine, 127.0.0.1 for this machine only.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    bind: IpAddr,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The token of the /admin namespace (default: a random one, printed at start). Also read from
    /// BANTER_ADMIN_TOKEN.
    #[arg(long, env = "BANTER_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let requested = SocketAddr::new(args.bind, args.port);
    let listener = match TcpListener::bind(requested).await {
        Ok(listener) => listener,
        Err(error) if error.kind() == ErrorKind::AddrInUse => {
            anyhow::bail!("port {} is already in use on {}; choose another with --port", args.port, args.bind)
        }
        Err(error) => return Err(error).with_context(|| format!("could not listen on {requested}")),
    };
    let local = listener.local_addr()?;
    let handle = host::spawn(listener, HostConfig { admin_token: args.admin_token, ..HostConfig::default() })?;

    println!("Banter host listening on {local}");
    println!("Others can join with one of:");
    for address in shareable_addresses(local) {
        println!("  banter-cli join {address} --name NAME");
    }
    println!("Admin token (for the /admin namespace): {}", handle.admin_token());
    println!("Press Ctrl-C to stop.");

    wait_for_stop_signal().await;
    println!("Stopping: telling guests and disconnecting them…");
    handle.shutdown().await.context("the host did not stop cleanly")?;
    println!("Stopped.");
    Ok(ExitCode::SUCCESS)
}

/// The addresses others can use: every IPv4 address of this machine when listening on all of them (loopback
/// last, since it only works from here), or the one address listened on.
fn shareable_addresses(local: SocketAddr) -> Vec<SocketAddr> {
    if !local.ip().is_unspecified() {
        return vec![local];
    }
    let mut addresses: Vec<SocketAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|interface| interface.ip())
        .filter(|ip| ip.is_ipv4() && !ip.is_loopback())
        .map(|ip| SocketAddr::new(ip, local.port()))
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port()));
    addresses
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
                return;
            }
            Err(error) => tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the host"),
        }
    }
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::warn!(%error, "cannot listen for Ctrl-C; the host runs until killed");
        std::future::pending::<()>().await;
    }
}
