//! `banter-cli serve`: a headless host.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Writes a line of the host's banner to stdout, and goes on if nobody reads it any more (a closed pipe): the host
/// serves its guests whatever became of the terminal that started it, where `println!` would end it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use banter_core::address::DEFAULT_PORT;
use banter_core::host::access::AccessCode;
use banter_core::host::{self, HostConfig};
use banter_core::limits::Limits;
use banter_core::store::{Durability, Location};
use clap::{Args, ValueEnum};

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
    /// The folder where the host keeps rooms, history, names and images (default: ~/.local/share/banter-cli/host
    /// on Linux). One host at a time may use a folder.
    #[arg(long, value_name = "DIR", conflicts_with = "ephemeral")]
    data: Option<PathBuf>,
    /// Keep nothing: everything is in memory and gone when the host stops.
    #[arg(long)]
    ephemeral: bool,
    /// normal: every acknowledged message survives a crash of the host (kill -9 included); a power loss may lose
    /// the most recent ones, and never damages the rest. full: they survive a power loss too, at the cost of
    /// waiting for the disk on every commit.
    #[arg(long, value_enum, default_value_t = DurabilityArg::Normal)]
    durability: DurabilityArg,
    /// Requests one connection may make per second once its burst is spent (messages, joins, pages…); past it
    /// the host answers rate_limited, and Banter's clients slow down and resend.
    #[arg(long, value_name = "N", default_value_t = Limits::default().requests_per_second)]
    requests_per_second: u32,
    /// Let in only people who give this code: CODE (4 to 64 letters or digits; case, spaces and dashes do not
    /// count), or "random" for one made now and printed.
    #[arg(long, value_name = "CODE|random")]
    access_code: Option<String>,
    /// Do not advertise the host on the network (mDNS). BANTER_DISCOVERY=off does the same.
    #[arg(long)]
    no_discovery: bool,
    /// What the host is called in other people's "On your network" list (default: "Banter on MACHINE").
    #[arg(long, value_name = "TITLE")]
    title: Option<String>,
    /// Requests one connection may make in a burst.
    #[arg(long, value_name = "N", default_value_t = Limits::default().request_burst)]
    request_burst: u32,
    /// The largest file people may share, as bytes or with a unit: 4GiB, 500MB.
    #[arg(long, value_name = "SIZE", default_value = "4GiB")]
    max_file_size: bytesize::ByteSize,
    /// How much the shared files may take in all; a file that would not fit is refused before it is sent.
    #[arg(long, value_name = "SIZE", default_value = "64GiB")]
    file_quota: bytesize::ByteSize,
    /// Serve one chat with every other host started with the same Valkey or Redis server
    /// (redis://[:PASSWORD@]HOST:PORT[/DB]); the chat is kept there, and the data folder keeps only the files
    /// sent through this host (each host needs a folder of its own). Also read from BANTER_CLUSTER.
    #[arg(long, value_name = "URL", env = "BANTER_CLUSTER", hide_env_values = true)]
    cluster: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Normal,
    Full,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let location = if args.ephemeral {
        Location::Memory
    } else {
        Location::Folder(match args.data {
            Some(folder) => folder,
            None => crate::paths::default_data_folder()?,
        })
    };
    let durability = match args.durability {
        DurabilityArg::Normal => Durability::Normal,
        DurabilityArg::Full => Durability::Full,
    };
    let listener = match host::bind(args.bind, args.port).await {
        Ok(listener) => listener,
        Err(error @ host::BindError::PortInUse { .. }) => anyhow::bail!("{error} (--port)"),
        Err(error) => return Err(error.into()),
    };
    let local = listener.local_addr()?;
    if args.requests_per_second == 0 || args.request_burst == 0 {
        anyhow::bail!("--requests-per-second and --request-burst must be at least 1");
    }
    if args.max_file_size.as_u64() == 0 || args.max_file_size > args.file_quota {
        anyhow::bail!("--max-file-size must be at least 1 byte and no more than --file-quota");
    }
    let files = banter_core::limits::FileLimits {
        max_file_bytes: args.max_file_size.as_u64(),
        quota_bytes: args.file_quota.as_u64(),
        ..banter_core::limits::FileLimits::default()
    };
    let limits = Limits {
        requests_per_second: args.requests_per_second,
        request_burst: args.request_burst,
        files,
        ..Limits::default()
    };
    let access_code = match args.access_code.as_deref() {
        None => None,
        Some("random") => Some(AccessCode::random()),
        Some(code) => Some(AccessCode::new(code).map_err(|error| anyhow::anyhow!("--access-code: {error}"))?),
    };
    let discovery = (!args.no_discovery && banter_core::discovery::enabled_by_env()).then(|| host::Discovery {
        title: args
            .title
            .clone()
            .unwrap_or_else(|| format!("Banter on {}", gethostname::gethostname().to_string_lossy())),
        interfaces: banter_core::discovery::Interfaces::from_env(),
    });
    let advertised = discovery.as_ref().map(|discovery| discovery.title.clone());
    let config = HostConfig {
        discovery,
        limits,
        admin_token: args.admin_token,
        web: Some(banter_web::client()),
        location,
        durability,
        access_code,
        cluster: args.cluster,
    };
    let handle = match host::spawn(listener, config).await {
        Ok(handle) => handle,
        Err(error) => anyhow::bail!("could not start the host: {error}"),
    };

    say!("Banter host listening on {local}");
    say!("Data: {}", handle.data_location());
    if let Some(durability) = handle.cluster_durability() {
        say!("Durability: {durability}");
    }
    say!("Fingerprint: {} (guests can check it with you to know they reached this host)", handle.fingerprint());
    match &advertised {
        Some(title) => say!("On the network as “{title}” (--no-discovery turns it off)"),
        None => say!("Not advertised on the network"),
    }
    let code = handle.access_code().map(str::to_owned);
    if let Some(code) = &code {
        say!("Access code: {code}");
    }
    say!("Others can join with one of:");
    // The code travels in the URL's fragment, which browsers never send to the host or in a Referer.
    let fragment = code.as_deref().map(|code| format!("#code={}", fragment_encode(code))).unwrap_or_default();
    let code_argument = code.as_deref().map(|code| format!(" --access-code '{code}'")).unwrap_or_default();
    for address in host::shareable_addresses(local) {
        say!(
            "  banter-cli join {address} --name NAME{code_argument}      or in a browser: http://{address}/{fragment}"
        );
    }
    say!("Admin token (for the /admin namespace): {}", handle.admin_token());
    say!("Press Ctrl-C to stop.");

    wait_for_stop_signal().await;
    say!("Stopping: telling guests and disconnecting them…");
    handle.shutdown().await.context("the host did not stop cleanly")?;
    say!("Stopped.");
    Ok(ExitCode::SUCCESS)
}

/// A code as a URL fragment's value: letters, digits, `-`, `.`, `_` and `~` as they are, the rest percent-encoded.
fn fragment_encode(code: &str) -> String {
    url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>().replace('+', "%20")
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
