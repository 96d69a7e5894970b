//! Runs the scenarios against the servers in alternation and collects what they measured.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use crate::files::{self, FilesPlan, FilesResult};
use crate::idle::{self, IdleResult, StormResult};
use crate::load::{self, ManyRoomsPlan, ManyRoomsResult, OneRoomPlan, OneRoomResult};
use crate::machine;
use crate::report;
use crate::servers::{self, Launcher, Server, ServerKind};
use crate::tally::Clock;

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A seconds-long run at tiny sizes, for `make test`: proves the harness and every server work, measures
    /// nothing worth quoting, and writes no report into docs/.
    #[arg(long)]
    pub smoke: bool,
    /// Runs of each scenario per server, in alternation (A B C D, A B C D, …).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Servers to compare: banter (keeping its data on disk), banter-ephemeral (in memory), node, node-tuned, ceiling.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "banter,banter-ephemeral,node,node-tuned,ceiling,banter-cluster,banter-cluster-2"
    )]
    pub servers: Vec<String>,
    /// Scenarios to run: s1, s2, s3, s4, s5.
    #[arg(long, value_delimiter = ',', default_value = "s1,s2,s3,s4,s5")]
    pub scenarios: Vec<String>,
    /// Keep the other scenarios' results from the results.json already in the output folder, and run only those
    /// named: the report then says which were measured when.
    #[arg(long)]
    pub merge: bool,
    /// Where BENCHMARKS.md, the plot and results.json go (default: docs/, or target/bench-smoke for --smoke).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not pin the servers and the generator to different cores.
    #[arg(long)]
    pub no_pin: bool,
    /// S1's offered rates instead of the ramp, all of them, in order (for profiling one load).
    #[arg(long, value_delimiter = ',')]
    pub rates: Vec<f64>,
}

/// One scenario run against one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample<T> {
    pub server: ServerKind,
    pub run: usize,
    pub result: Option<T>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub date: String,
    pub machine: machine::Machine,
    pub command: String,
    pub smoke: bool,
    pub runs: usize,
    pub pinned: bool,
    pub servers: Vec<ServerKind>,
    pub s1_plan: OneRoomPlan,
    pub s1: Vec<Sample<OneRoomResult>>,
    pub s2_plan: ManyRoomsPlan,
    pub s2: Vec<Sample<ManyRoomsResult>>,
    pub s3_connections: usize,
    pub s3: Vec<Sample<IdleResult>>,
    pub s4_clients: usize,
    pub s4: Vec<Sample<StormResult>>,
    #[serde(default)]
    pub s5_plan: Option<FilesPlan>,
    #[serde(default)]
    pub s5: Vec<Sample<FilesResult>>,
    /// The machine's load average as each scenario began.
    pub load: Vec<(String, String)>,
    /// Scenarios kept from an earlier run (`--merge`), with that run's date.
    #[serde(default)]
    pub kept: Vec<(String, String)>,
}

struct Plans {
    s5: FilesPlan,
    s1: OneRoomPlan,
    s2: ManyRoomsPlan,
    s3: usize,
    s4: usize,
    storm_limit: Duration,
    /// How long a server is left alone before its memory is read.
    settle: Duration,
}

fn plans(smoke: bool) -> Plans {
    if smoke {
        return Plans {
            s5: FilesPlan { bytes: 16 << 20, chat_rate: 20.0, quiet: Duration::from_secs(1) },
            s1: OneRoomPlan {
                receivers: 20,
                rates: vec![20.0, 40.0],
                refinements: 0,
                retries: 0,
                step: Duration::from_secs(1),
                drain: Duration::from_secs(2),
                text_bytes: 64,
                p99_limit_ms: 100.0,
            },
            s2: ManyRoomsPlan {
                rooms: 3,
                members: 3,
                rates: vec![1.0, 5.0],
                step: Duration::from_secs(1),
                drain: Duration::from_secs(2),
                text_bytes: 64,
            },
            s3: 100,
            s4: 100,
            storm_limit: Duration::from_secs(30),
            settle: Duration::from_millis(200),
        };
    }
    // Rates grow by half each step, then two steps bisect between the last sustained rate and the first that
    // was not, which pins the highest sustained rate to within about 10%.
    let rates = (0..20).map(|step| (10.0 * 1.5f64.powi(step)).round()).collect();
    Plans {
        s5: FilesPlan { bytes: 1 << 30, chat_rate: 20.0, quiet: Duration::from_secs(10) },
        s1: OneRoomPlan {
            receivers: 1000,
            rates,
            refinements: 2,
            retries: 1,
            step: Duration::from_secs(2),
            drain: Duration::from_secs(1),
            text_bytes: 64,
            p99_limit_ms: 100.0,
        },
        s2: ManyRoomsPlan {
            rooms: 200,
            members: 10,
            rates: vec![1.0, 5.0],
            step: Duration::from_secs(5),
            drain: Duration::from_secs(1),
            text_bytes: 64,
        },
        s3: 10_000,
        s4: 10_000,
        storm_limit: Duration::from_secs(120),
        settle: Duration::from_secs(2),
    }
}

const SCENARIOS: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];

pub fn run(options: Options) -> anyhow::Result<()> {
    let kinds = options.servers.iter().map(|name| ServerKind::parse(name)).collect::<anyhow::Result<Vec<_>>>()?;
    for scenario in &options.scenarios {
        if !SCENARIOS.contains(&scenario.as_str()) {
            bail!("unknown scenario “{scenario}”: s1, s2, s3, s4 or s5");
        }
    }
    let mut plans = plans(options.smoke);
    if options.rates.iter().any(|rate| !rate.is_finite() || *rate <= 0.0) {
        bail!("--rates takes positive numbers of messages per second");
    }
    if !options.rates.is_empty() {
        plans.s1.rates.clone_from(&options.rates);
        plans.s1.refinements = 0;
        plans.s1.retries = 0;
        // Every listed rate runs, whatever its latency.
        plans.s1.p99_limit_ms = 1e9;
    }
    let runs = if options.smoke { 1 } else { options.runs.max(1) };
    let needed_files = plans.s3.max(plans.s4).max(plans.s2.rooms * plans.s2.members) as u64 + 512;
    let open_files = open_file_limit().unwrap_or(0);
    if open_files < needed_files {
        bail!(
            "this process may open {open_files} files and needs {needed_files}; raise the limit first (`ulimit -n \
             {needed_files}`; `make bench` does)"
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let pin = !options.no_pin && cores >= 2;
    if pin {
        // The generator keeps core 1 (threads started from here on inherit it); servers get core 0.
        let status = std::process::Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .context("running taskset")?;
        if !status.success() {
            bail!("taskset could not pin the generator to core 1");
        }
    }
    let out = options.out.clone().unwrap_or_else(|| {
        if options.smoke {
            servers::default_repo().join("target/bench-smoke")
        } else {
            crate::docs_dir()
        }
    });
    let launcher = Launcher {
        exe: std::env::current_exe()?,
        repo: servers::default_repo(),
        server_core: pin.then_some(0),
        log_dir: servers::default_repo().join("target/bench-logs"),
        data_dir: servers::default_repo().join("target/bench-data"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    let options = Options { runs, ..options };
    // Interrupted, the harness still drops what it started: every server is a child killed on drop.
    let results = local.block_on(&runtime, async {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            results = collect(&options, &kinds, &plans, &launcher, pin) => results,
            _ = tokio::signal::ctrl_c() => bail!("interrupted"),
            _ = terminate.recv() => bail!("terminated"),
        }
    })?;
    let results = if options.merge { merged(results, &out, &options.scenarios)? } else { results };
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("results.json"), serde_json::to_string_pretty(&results)?)?;
    report::write(&results, &out)?;
    println!("wrote {}", out.display());
    Ok(())
}

async fn collect(
    options: &Options,
    kinds: &[ServerKind],
    plans: &Plans,
    launcher: &Launcher,
    pin: bool,
) -> anyhow::Result<Results> {
    let clock = Clock::new();
    let wanted = |name: &str| options.scenarios.iter().any(|scenario| scenario == name);
    let mut results = Results {
        date: machine::now_utc(),
        machine: machine::Machine::read(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        smoke: options.smoke,
        runs: options.runs,
        pinned: pin,
        servers: kinds.to_vec(),
        s1_plan: plans.s1.clone(),
        s1: Vec::new(),
        s2_plan: plans.s2.clone(),
        s2: Vec::new(),
        s3_connections: plans.s3,
        s3: Vec::new(),
        s4_clients: plans.s4,
        s4: Vec::new(),
        s5_plan: Some(plans.s5.clone()),
        s5: Vec::new(),
        load: Vec::new(),
        kept: Vec::new(),
    };
    println!("{}", results.machine.summary());
    for run in 1..=options.runs {
        for &kind in kinds {
            let wants = |name: &str| wanted(name) && kind.runs(name);
            let mut note_load = |scenario: &str| {
                let load = machine::load_average();
                println!("run {run}, {scenario}, {}: load average {load}", kind.label());
                results.load.push((format!("{scenario} run {run} {}", kind.label()), load));
            };
            if wants("s1") {
                note_load("S1");
                // The stock client listens in every run, so that every server carries the same extra receiver.
                let crosscheck = Some(launcher.repo.as_path());
                let outcome = on_new_server(launcher, kind, async |server| {
                    load::one_room(server, &plans.s1, clock, crosscheck).await
                })
                .await;
                results.s1.push(sample(kind, run, outcome));
            }
            if wants("s2") {
                note_load("S2");
                let outcome =
                    on_new_server(launcher, kind, async |server| load::many_rooms(server, &plans.s2, clock).await)
                        .await;
                results.s2.push(sample(kind, run, outcome));
            }
            if wants("s3") {
                note_load("S3");
                let outcome =
                    on_new_server(launcher, kind, async |server| idle::idle(server, plans.s3, plans.settle).await)
                        .await;
                results.s3.push(sample(kind, run, outcome));
            }
            if wants("s4") {
                note_load("S4");
                let outcome = idle::storm(launcher, kind, plans.s4, plans.storm_limit).await;
                results.s4.push(sample(kind, run, outcome));
            }
            if wants("s5") {
                note_load("S5");
                let work = launcher.data_dir.join("s5-files");
                let outcome =
                    on_new_server(launcher, kind, async |server| files::files(server, &plans.s5, &work).await).await;
                results.s5.push(sample(kind, run, outcome));
            }
            // Sockets the kernel still holds from the last scenario are let go before the next server starts.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    Ok(results)
}

/// The results of this run for the scenarios it ran, and an earlier run's (from `out`) for the others.
fn merged(new: Results, out: &std::path::Path, ran: &[String]) -> anyhow::Result<Results> {
    let path = out.join("results.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("--merge reads {}", path.display()))?;
    let mut old: Results = serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    let ran = |name: &str| ran.iter().any(|scenario| scenario == name);
    let mut kept = Vec::new();
    for name in SCENARIOS {
        if !ran(name) {
            let date = old.kept.iter().find(|(scenario, _)| scenario == name).map_or(&old.date, |(_, date)| date);
            kept.push((name.to_owned(), date.clone()));
        }
    }
    if ran("s1") {
        (old.s1_plan, old.s1) = (new.s1_plan, new.s1);
    }
    if ran("s2") {
        (old.s2_plan, old.s2) = (new.s2_plan, new.s2);
    }
    if ran("s3") {
        (old.s3_connections, old.s3) = (new.s3_connections, new.s3);
    }
    if ran("s4") {
        (old.s4_clients, old.s4) = (new.s4_clients, new.s4);
    }
    if ran("s5") {
        (old.s5_plan, old.s5) = (new.s5_plan, new.s5);
    }
    old.load.extend(new.load);
    // Servers measured now for the first time (a scenario's new servers) join those of the earlier run.
    let mut servers = old.servers.clone();
    servers.extend(new.servers.iter().copied().filter(|kind| !old.servers.contains(kind)));
    Ok(Results { date: new.date, machine: new.machine, command: new.command, kept, servers, ..old })
}

/// Runs a scenario on a server of its own, started for it and killed after it.
async fn on_new_server<T>(
    launcher: &Launcher,
    kind: ServerKind,
    scenario: impl AsyncFnOnce(&Server) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let server = launcher.start(kind, 0).await?;
    let outcome = scenario(&server).await;
    server.kill().await;
    outcome
}

fn sample<T: std::fmt::Debug>(server: ServerKind, run: usize, outcome: anyhow::Result<T>) -> Sample<T> {
    match outcome {
        Ok(result) => {
            tracing::debug!(server = server.label(), run, ?result, "scenario done");
            Sample { server, run, result: Some(result), error: None }
        }
        Err(error) => {
            eprintln!("{} run {run}: {error:#}", server.label());
            Sample { server, run, result: None, error: Some(format!("{error:#}")) }
        }
    }
}

/// The soft limit on open files, from /proc.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
