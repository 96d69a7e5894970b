//! `banter-cli`: a headless Banter host and a line-oriented client, on the same engine as the desktop app.

mod backup;
mod commands;
mod discover;
mod files;
mod format;
mod join;
mod paths;
mod recent;
mod search;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The allocator of a process that hosts. glibc's malloc keeps what a burst of connections freed: only the top of
/// each heap goes back to the system, so after 170,000 handshakes in 15 s the host held 1.2 GB long after the
/// sessions were gone (`malloc_trim(0)`, called from gdb, gave it back: 20 MB). jemalloc returns freed pages within
/// seconds from its background threads (42 MB after the same flood, and the same peak on a second one).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Debug, Parser)]
#[command(name = "banter-cli", version, about = "Banter LAN chat from a terminal: host a room or join one.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Host a chat on this machine until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Join a host: lines on stdin are sent, messages received are printed.
    Join(join::JoinArgs),
    /// Copy a host's data folder, consistently, even while the host runs.
    Backup(backup::BackupArgs),
    /// List the Banter hosts on this network.
    Discover(discover::DiscoverArgs),
    /// Search a host's messages for words.
    Search(search::SearchArgs),
    /// Download a shared file (its URL as `join` prints it), resuming an earlier attempt.
    Get(files::GetArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BANTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("banter-cli: could not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Join(args) => join::run(args).await,
            Command::Backup(args) => backup::run(args).await,
            Command::Discover(args) => discover::run(args).await,
            Command::Search(args) => search::run(args).await,
            Command::Get(args) => files::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("banter-cli: {error:#}");
            ExitCode::FAILURE
        }
    }
}
