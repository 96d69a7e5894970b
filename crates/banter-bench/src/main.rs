//! `banter-bench`: the Banter host against Node.js Socket.IO and a raw WebSocket ceiling, in one run.
//!
//! `banter-bench run` starts each server as a child process on 127.0.0.1 (pinned to one core), drives it from
//! this process (pinned to the other) and writes the results: docs/BENCHMARKS.md, an SVG plot and the raw JSON.
//! `banter-bench serve banter|banter-ephemeral|ceiling` is how it starts the Rust servers.

mod ceiling;
mod crosscheck;
mod files;
mod idle;
mod load;
mod machine;
mod report;
mod runner;
mod servers;
mod session;
mod tally;
mod wire;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "banter-bench", version, about = "Benchmarks of the Banter host against Node.js Socket.IO")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scenarios against every server and write the report.
    Run(runner::Options),
    /// Write BENCHMARKS.md and the plot again from a results.json, beside it (after editing the report's code).
    Report { results: PathBuf },
    /// Hold COUNT idle tutorial-style sessions open against a server on loopback until interrupted (for
    /// profiling a server's memory by hand).
    Hold { address: std::net::SocketAddr, count: usize },
    /// Serve one of the Rust servers on 127.0.0.1 (the harness starts these itself).
    Serve {
        /// `banter` (the real host, keeping its data in `--data`), `banter-ephemeral` (the real host, in memory) or
        /// `ceiling` (raw tokio-tungstenite broadcast).
        server: String,
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The durable host's data folder.
        #[arg(long)]
        data: Option<PathBuf>,
        /// A cluster's Valkey or Redis server (`banter-cluster`, `banter-cluster-2`).
        #[arg(long)]
        cluster: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BANTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(options) => runner::run(options),
        Command::Serve { server, port, data, cluster } => serve(&server, port, data, cluster),
        Command::Hold { address, count } => hold(address, count),
        Command::Report { results } => rewrite_report(&results),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("banter-bench: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The Rust servers run on tokio's multi-threaded runtime, as `banter-cli serve` does; pinned to one core, it has
/// one worker thread.
fn serve(server: &str, port: u16, data: Option<PathBuf>, cluster: Option<String>) -> anyhow::Result<()> {
    let kind = servers::ServerKind::parse(server)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = banter_core::host::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), port).await?;
        println!("listening on {}", listener.local_addr()?);
        match kind {
            servers::ServerKind::Banter | servers::ServerKind::BanterEphemeral => {
                let location = match (kind, data) {
                    (servers::ServerKind::BanterEphemeral, _) => banter_core::store::Location::Memory,
                    (_, Some(folder)) => banter_core::store::Location::Folder(folder),
                    (_, None) => anyhow::bail!("the durable host needs --data"),
                };
                let config = banter_core::host::HostConfig { limits: bench_limits(), location, ..Default::default() };
                let interrupted = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                banter_core::host::serve(listener, config, interrupted).await?;
            }
            servers::ServerKind::BanterCluster | servers::ServerKind::BanterCluster2 => {
                let config = banter_core::host::HostConfig {
                    limits: bench_limits(),
                    location: banter_core::store::Location::Memory,
                    cluster: Some(cluster.ok_or_else(|| anyhow::anyhow!("a cluster's host needs --cluster"))?),
                    ..Default::default()
                };
                let interrupted = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                banter_core::host::serve(listener, config, interrupted).await?;
            }
            servers::ServerKind::Ceiling => ceiling::serve(listener).await?,
            other => anyhow::bail!("{} is not served by this program", other.label()),
        }
        anyhow::Ok(())
    })
}

fn rewrite_report(path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let results: runner::Results =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    report::write(&results, path.parent().unwrap_or(std::path::Path::new(".")))
}

fn hold(address: std::net::SocketAddr, count: usize) -> anyhow::Result<()> {
    if !address.ip().is_loopback() {
        anyhow::bail!("{address} is not a loopback address: the benchmarks only ever talk to this machine");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    tokio::task::LocalSet::new().block_on(&runtime, async move {
        let holders = idle::fill(address, count).await?;
        println!("holding {} sessions; interrupt to stop", holders.len());
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })
}

/// The host's default limits with the per-socket request budget and the per-address limits lifted: every
/// session comes from one address, the benchmark's one sender makes
/// thousands of requests a second, and the Node.js server it is compared with has no budget at all.
fn bench_limits() -> banter_core::limits::Limits {
    banter_core::limits::Limits {
        request_burst: u32::MAX,
        requests_per_second: u32::MAX,
        network: banter_core::limits::NetworkLimits::without_per_address_limits(),
        ..Default::default()
    }
}

/// Where the report goes by default: the repository's docs/.
fn docs_dir() -> PathBuf {
    servers::default_repo().join("docs")
}
