//! The report: docs/BENCHMARKS.md (medians and ranges over runs, the ratios, the targets) and the S1 plot.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::idle::StormResult;
use crate::runner::{Results, Sample};
use crate::servers::ServerKind;
use crate::tally::StepResult;

/// Everything after this line of an existing BENCHMARKS.md is kept as it is: the hand-written analysis.
const ANALYSIS_MARKER: &str = "<!-- Written by hand below this line; `make bench` keeps it. -->";
pub const PLOT_FILE: &str = "bench-s1-p99.svg";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub node: String,
    pub rustc: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split(':').nth(1))
            .map_or_else(|| "unknown".to_owned(), |model| model.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find(|line| line.starts_with("MemTotal:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0.0);
        Machine {
            cpu,
            // Counted from /proc/cpuinfo: after pinning, this process's own parallelism is one core.
            cores: cpuinfo.lines().filter(|line| line.starts_with("processor")).count(),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            node: command_output("node", &["--version"]),
            rustc: command_output("rustc", &["--version"]),
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "{}, {} cores, {:.1} GiB, Linux {}, Node.js {}, {}",
            self.cpu, self.cores, self.memory_gib, self.kernel, self.node, self.rustc
        )
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

pub fn now_utc() -> String {
    command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|load| load.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// A median with its range over runs.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

impl Spread {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut values: Vec<f64> = values.into_iter().filter(|value| value.is_finite()).collect();
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let middle = values.len() / 2;
        let median = if values.len() % 2 == 1 { values[middle] } else { (values[middle - 1] + values[middle]) / 2.0 };
        Some(Spread { median, min: values[0], max: values[values.len() - 1], count: values.len() })
    }

    fn show(self, digits: usize) -> String {
        if self.count == 1 || (self.max - self.min).abs() < f64::EPSILON {
            return format!("{:.digits$}", self.median);
        }
        format!("{:.digits$} ({:.digits$}–{:.digits$})", self.median, self.min, self.max)
    }
}

fn show(spread: Option<Spread>, digits: usize) -> String {
    spread.map_or_else(|| "—".to_owned(), |spread| spread.show(digits))
}

fn results_of<T>(samples: &[Sample<T>], kind: ServerKind) -> impl Iterator<Item = &T> {
    samples.iter().filter(move |sample| sample.server == kind).filter_map(|sample| sample.result.as_ref())
}

fn spread_of<T>(samples: &[Sample<T>], kind: ServerKind, figure: impl Fn(&T) -> f64) -> Option<Spread> {
    Spread::of(results_of(samples, kind).map(figure))
}

/// The highest rate of the base grid that every server sustained in `run`: the load at which their CPU per
/// delivery is compared, since there they all did the same work.
fn common_rate(results: &Results, run: usize) -> Option<f64> {
    let runs: Vec<_> = results.s1.iter().filter(|sample| sample.run == run).collect();
    if runs.len() != results.servers.len() || runs.iter().any(|sample| sample.result.is_none()) {
        return None;
    }
    let limit = results.s1_plan.p99_limit_ms;
    results
        .s1_plan
        .rates
        .iter()
        .copied()
        .filter(|rate| {
            runs.iter().all(|sample| {
                sample
                    .result
                    .as_ref()
                    .is_some_and(|result| result.steps.iter().any(|step| step.rate == *rate && step.sustained(limit)))
            })
        })
        .fold(None, |best: Option<f64>, rate| Some(best.map_or(rate, |best| best.max(rate))))
}

/// The highest S2 step that every server sustained (everything delivered, p99 within S1's limit) in `run`: where
/// their CPU per delivery is compared, since a saturated server's figure counts work whose deliveries came late.
fn common_s2_step(results: &Results, run: usize) -> Option<usize> {
    let runs: Vec<_> = results.s2.iter().filter(|sample| sample.run == run).collect();
    if runs.len() != results.servers.len() {
        return None;
    }
    let limit = results.s1_plan.p99_limit_ms;
    (0..results.s2_plan.rates.len()).rev().find(|index| {
        runs.iter().all(|sample| {
            sample.result.as_ref().and_then(|result| result.steps.get(*index)).is_some_and(|step| step.sustained(limit))
        })
    })
}

fn step_at(steps: &[StepResult], rate: f64) -> Option<&StepResult> {
    steps.iter().find(|step| step.rate == rate)
}

/// S1's figures for one server: sustained rate, the figures of its highest sustained step, and CPU per delivery
/// at the common rate.
struct OneRoomRow {
    sustained: Option<Spread>,
    deliveries: Option<Spread>,
    p50: Option<Spread>,
    p99: Option<Spread>,
    p999: Option<Spread>,
    generator_cpu: Option<Spread>,
    cpu_common: Option<Spread>,
    setup: Option<Spread>,
}

fn one_room_row(results: &Results, kind: ServerKind) -> OneRoomRow {
    let limit = results.s1_plan.p99_limit_ms;
    let top = |figure: fn(&StepResult) -> f64| {
        spread_of(&results.s1, kind, |result| {
            step_at(&result.steps, result.sustained_rate).filter(|step| step.sustained(limit)).map_or(f64::NAN, figure)
        })
    };
    let cpu_common = Spread::of(results.s1.iter().filter(|sample| sample.server == kind).filter_map(|sample| {
        let rate = common_rate(results, sample.run)?;
        step_at(&sample.result.as_ref()?.steps, rate).map(|step| step.server_cpu_us_per_delivery)
    }));
    OneRoomRow {
        sustained: spread_of(&results.s1, kind, |result| result.sustained_rate),
        deliveries: top(|step| step.deliveries_per_s),
        p50: top(|step| step.p50_ms),
        p99: top(|step| step.p99_ms),
        p999: top(|step| step.p999_ms),
        generator_cpu: top(|step| step.generator_cpu_pct),
        cpu_common,
        setup: spread_of(&results.s1, kind, |result| result.setup_s),
    }
}

fn ratio(ours: Option<Spread>, theirs: Option<Spread>) -> Option<f64> {
    let (ours, theirs) = (ours?.median, theirs?.median);
    (theirs > 0.0).then(|| ours / theirs)
}

fn show_ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value:.2}×"))
}

/// The better of the two Node.js servers for a figure, by median (`higher_is_better` says which way).
fn best_node(
    results: &Results,
    figure: impl Fn(ServerKind) -> Option<Spread>,
    higher_is_better: bool,
) -> Option<(ServerKind, Spread)> {
    [ServerKind::Node, ServerKind::NodeTuned]
        .into_iter()
        .filter(|kind| results.servers.contains(kind))
        .filter_map(|kind| figure(kind).map(|spread| (kind, spread)))
        .reduce(|a, b| {
            let a_better = if higher_is_better { a.1.median >= b.1.median } else { a.1.median <= b.1.median };
            if a_better {
                a
            } else {
                b
            }
        })
}

pub fn write(results: &Results, out: &Path) -> anyhow::Result<()> {
    let path = out.join("BENCHMARKS.md");
    let analysis = std::fs::read_to_string(&path)
        .ok()
        .and_then(|old| old.find(ANALYSIS_MARKER).map(|at| old[at..].to_owned()))
        .unwrap_or_else(|| format!("{ANALYSIS_MARKER}\n"));
    let mut page = markdown(results);
    page.push('\n');
    page.push_str(&analysis);
    std::fs::write(&path, page)?;
    std::fs::write(out.join(PLOT_FILE), plot(results))?;
    Ok(())
}

fn markdown(results: &Results) -> String {
    let mut page = String::new();
    let kinds = &results.servers;
    let _ = writeln!(page, "# Benchmarks\n");
    if results.smoke {
        let _ =
            writeln!(page, "**Smoke run: tiny sizes, one run. These figures prove the harness works; quote none.**\n");
    }
    let _ = writeln!(
        page,
        "Written by `make bench` on {} — the tables down to the line near the end are generated; do not edit them.\n",
        results.date
    );
    let _ = writeln!(page, "## Machine and method\n");
    let _ = writeln!(page, "- Machine: {}.", results.machine.summary());
    let pinning = if results.pinned {
        "Each server ran pinned to core 0 (`taskset -c 0`), the generator to core 1"
    } else {
        "Nothing was pinned"
    };
    let _ = writeln!(page, "- {pinning}; one process each, everything on 127.0.0.1.");
    let loads: Vec<&str> = results.load.iter().map(|(_, load)| load.as_str()).collect();
    if let (Some(first), Some(last)) = (loads.first(), loads.last()) {
        let _ = writeln!(
            page,
            "- Load average (1, 5, 15 min) as the first scenario began: {first}; as the last began: {last} \
             (every reading is in results.json)."
        );
    }
    let _ = writeln!(
        page,
        "- {} run(s) of every scenario per server, in alternation (each run goes through every server in turn); \
         figures are medians, with the range over runs in parentheses.",
        results.runs
    );
    let _ = writeln!(page, "- Command: `make bench`, which runs `{}`.", results.command);
    let _ = writeln!(page, "- Servers: {}.\n", kinds.iter().map(|kind| describe(*kind)).collect::<Vec<_>>().join("; "));

    targets(&mut page, results);
    one_room(&mut page, results);
    many_rooms(&mut page, results);
    idle(&mut page, results);
    storm(&mut page, results);
    crosscheck(&mut page, results);
    errors(&mut page, results);
    page
}

fn describe(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::Banter => {
            "**banter**: the Banter host, release build, real handlers, default limits but the request budget"
        }
        ServerKind::Node => {
            "**node**: Socket.IO 4.8.1 on Node.js, tests/interop/bench-server.js, ws without native add-ons"
        }
        ServerKind::NodeTuned => {
            "**node-tuned**: the same with bufferutil and utf-8-validate loaded (Socket.IO's performance-tuning \
             page; on Node.js 20 ws checks UTF-8 with the built-in `buffer.isUtf8` either way, and bufferutil \
             unmasks only incoming frames of 32 bytes or more, so the two differ little here)"
        }
        ServerKind::Ceiling => "**ceiling**: raw tokio-tungstenite broadcast, no Socket.IO, no chat logic",
    }
}

fn targets(page: &mut String, results: &Results) {
    let has = |kind| results.servers.contains(&kind);
    if !has(ServerKind::Banter) {
        return;
    }
    let _ = writeln!(page, "## Targets\n");
    let _ = writeln!(page, "Each Banter figure against the better of node and node-tuned, by median.\n");
    let _ = writeln!(page, "| target | Banter | best Node.js | ceiling | ratio | goal | met |");
    let _ = writeln!(page, "|---|---|---|---|---|---|---|");
    let banter_s1 = one_room_row(results, ServerKind::Banter);
    let mut line = |name: &str,
                    ours: Option<Spread>,
                    node: Option<(ServerKind, Spread)>,
                    ceiling: Option<Spread>,
                    value: Option<f64>,
                    goal: &str,
                    met: Option<bool>,
                    digits: usize| {
        let node_text =
            node.map_or_else(|| "—".to_owned(), |(kind, spread)| format!("{} ({})", spread.show(digits), kind.label()));
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let _ = writeln!(
            page,
            "| {name} | {} | {node_text} | {} | {} | {goal} | {met} |",
            show(ours, digits),
            show(ceiling, digits),
            show_ratio(value)
        );
    };
    let node = best_node(results, |kind| one_room_row(results, kind).sustained, true);
    let ceiling = has(ServerKind::Ceiling).then(|| one_room_row(results, ServerKind::Ceiling).sustained).flatten();
    let vs_node = ratio(banter_s1.sustained, node.map(|(_, spread)| spread));
    line(
        "S1 highest sustained rate (msg/s) vs Node.js",
        banter_s1.sustained,
        node,
        ceiling,
        vs_node,
        "≥ 2×",
        vs_node.map(|value| value >= 2.0),
        0,
    );
    let vs_ceiling = ratio(banter_s1.sustained, ceiling);
    line(
        "S1 highest sustained rate vs the ceiling",
        banter_s1.sustained,
        None,
        ceiling,
        vs_ceiling,
        "≥ 0.5×",
        vs_ceiling.map(|value| value >= 0.5),
        0,
    );
    let node = best_node(results, |kind| one_room_row(results, kind).cpu_common, false);
    let ceiling = has(ServerKind::Ceiling).then(|| one_room_row(results, ServerKind::Ceiling).cpu_common).flatten();
    let value = ratio(banter_s1.cpu_common, node.map(|(_, spread)| spread));
    line(
        "server CPU-µs per delivery (S1, common rate)",
        banter_s1.cpu_common,
        node,
        ceiling,
        value,
        "≤ 0.5×",
        value.map(|value| value <= 0.5),
        2,
    );
    let s2_cpu = |kind| {
        Spread::of(results.s2.iter().filter(|sample| sample.server == kind).filter_map(|sample| {
            let index = common_s2_step(results, sample.run)?;
            Some(sample.result.as_ref()?.steps.get(index)?.server_cpu_us_per_delivery)
        }))
    };
    let node = best_node(results, s2_cpu, false);
    let value = ratio(s2_cpu(ServerKind::Banter), node.map(|(_, spread)| spread));
    line(
        "server CPU-µs per delivery (S2, common step)",
        s2_cpu(ServerKind::Banter),
        node,
        s2_cpu(ServerKind::Ceiling),
        value,
        "≤ 0.5×",
        value.map(|value| value <= 0.5),
        2,
    );
    let memory = |kind| spread_of(&results.s3, kind, |result| result.bytes_per_connection / 1024.0);
    let node = best_node(results, memory, false);
    let value = ratio(memory(ServerKind::Banter), node.map(|(_, spread)| spread));
    line(
        "idle memory per connection (KiB, S3)",
        memory(ServerKind::Banter),
        node,
        memory(ServerKind::Ceiling),
        value,
        "≤ 0.5×",
        value.map(|value| value <= 0.5),
        1,
    );
    // A run in which not everyone got back counts as a failure, never as a missing figure.
    let all_back = |kind| {
        let runs: Vec<_> = results.s4.iter().filter(|sample| sample.server == kind).collect();
        !runs.is_empty()
            && runs.iter().all(|sample| {
                sample
                    .result
                    .as_ref()
                    .is_some_and(|result| result.connected == result.clients && result.reconnected == result.clients)
            })
    };
    type Pick = fn(&StormResult) -> f64;
    let storms: [(String, Pick); 2] = [
        (format!("S4 {} clients connecting at once: time to all connected (s)", results.s4_clients), |result| {
            result.connect_s
        }),
        (format!("S4 after a restart: time from listening to all {} back (s)", results.s4_clients), |result| {
            result.back_s()
        }),
    ];
    for (name, pick) in storms {
        let figure = |kind| all_back(kind).then(|| spread_of(&results.s4, kind, pick)).flatten();
        let node = best_node(results, figure, false);
        let value = ratio(figure(ServerKind::Banter), node.map(|(_, spread)| spread));
        let met = value.map(|value| value <= 0.5 && all_back(ServerKind::Banter));
        line(&name, figure(ServerKind::Banter), node, figure(ServerKind::Ceiling), value, "all back, ≤ 0.5×", met, 2);
    }
    let _ = writeln!(page);
}

fn one_room(page: &mut String, results: &Results) {
    if results.s1.is_empty() {
        return;
    }
    let plan = &results.s1_plan;
    let _ = writeln!(page, "## S1: one room, {} receivers, one sender\n", plan.receivers);
    let _ = writeln!(
        page,
        "The sender's rate steps up by half ({}… msg/s, {} s each, open loop) until a step loses a delivery or its \
         p99 exceeds {} ms, then {} more steps bisect. Latency runs from the send time the schedule intended to the \
         receipt. Figures are those of each run's highest sustained step; CPU per delivery is compared at the \
         highest rate every server sustained in the same run. Generator CPU near 100% means the generator, not the \
         server, was the limit.\n",
        plan.rates.iter().take(4).map(|rate| format!("{rate:.0}")).collect::<Vec<_>>().join(", "),
        plan.step.as_secs_f64(),
        plan.p99_limit_ms,
        plan.refinements
    );
    let _ = writeln!(page, "| server | highest sustained msg/s | deliveries/s | p50 ms | p99 ms | p99.9 ms | CPU-µs/delivery (common rate) | generator CPU % | set-up s |");
    let _ = writeln!(page, "|---|---|---|---|---|---|---|---|---|");
    for &kind in &results.servers {
        let row = one_room_row(results, kind);
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            kind.label(),
            show(row.sustained, 0),
            show(row.deliveries, 0),
            show(row.p50, 2),
            show(row.p99, 2),
            show(row.p999, 2),
            show(row.cpu_common, 2),
            show(row.generator_cpu, 0),
            show(row.setup, 1)
        );
    }
    let banter = one_room_row(results, ServerKind::Banter).sustained;
    let mut ratios = Vec::new();
    for kind in [ServerKind::Node, ServerKind::NodeTuned, ServerKind::Ceiling] {
        if results.servers.contains(&kind) && results.servers.contains(&ServerKind::Banter) {
            ratios.push(format!(
                "Banter/{}: {}",
                kind.label(),
                show_ratio(ratio(banter, one_room_row(results, kind).sustained))
            ));
        }
    }
    if !ratios.is_empty() {
        let _ = writeln!(page, "\nHighest sustained rate, {}.", ratios.join("; "));
    }
    let _ = writeln!(page, "\n![S1: offered rate against p99 latency, every run]({PLOT_FILE})\n");
}

fn many_rooms(page: &mut String, results: &Results) {
    if results.s2.is_empty() {
        return;
    }
    let plan = &results.s2_plan;
    let _ = writeln!(
        page,
        "## S2: {} rooms of {}, every member sending\n\nEach member sends at the step's rate ({} s per step, open \
         loop, random phase); everyone in the room hears it, the sender included.\n",
        plan.rooms,
        plan.members,
        plan.step.as_secs_f64()
    );
    let _ = writeln!(page, "| server | msg/s each | deliveries/s | delivered % | p50 ms | p99 ms | p99.9 ms | CPU-µs/delivery | server CPU % | generator CPU % | set-up s |");
    let _ = writeln!(page, "|---|---|---|---|---|---|---|---|---|---|---|");
    for (index, rate) in plan.rates.iter().enumerate() {
        for &kind in &results.servers {
            let figure = |pick: fn(&StepResult) -> f64| {
                spread_of(&results.s2, kind, |result| result.steps.get(index).map_or(f64::NAN, pick))
            };
            let _ = writeln!(
                page,
                "| {} | {rate} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                kind.label(),
                show(figure(|step| step.deliveries_per_s), 0),
                show(figure(|step| step.delivery_pct), 2),
                show(figure(|step| step.p50_ms), 2),
                show(figure(|step| step.p99_ms), 2),
                show(figure(|step| step.p999_ms), 2),
                show(figure(|step| step.server_cpu_us_per_delivery), 2),
                show(figure(|step| step.server_cpu_pct), 0),
                show(figure(|step| step.generator_cpu_pct), 0),
                show(spread_of(&results.s2, kind, |result| result.setup_s), 1),
            );
        }
    }
    let _ = writeln!(page);
}

fn idle(page: &mut String, results: &Results) {
    if results.s3.is_empty() {
        return;
    }
    let full = results.s3_connections;
    let _ = writeln!(
        page,
        "## S3: {full} idle connections\n\nTutorial-style sessions (no Banter handshake; see the analysis below). \
         PSS from /proc/PID/smaps_rollup after 2 s of quiet; the slope is (PSS at {full} − PSS at {}) / {}.\n",
        full / 2,
        full - full / 2
    );
    let _ =
        writeln!(page, "| server | PSS empty MiB | PSS at {} MiB | PSS at {full} MiB | KiB per connection |", full / 2);
    let _ = writeln!(page, "|---|---|---|---|---|");
    let mib = |bytes: u64| bytes as f64 / 1024.0 / 1024.0;
    for &kind in &results.servers {
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} | {} |",
            kind.label(),
            show(spread_of(&results.s3, kind, |result| mib(result.pss_empty_bytes)), 1),
            show(spread_of(&results.s3, kind, |result| mib(result.pss_half_bytes)), 1),
            show(spread_of(&results.s3, kind, |result| mib(result.pss_full_bytes)), 1),
            show(spread_of(&results.s3, kind, |result| result.bytes_per_connection / 1024.0), 1),
        );
    }
    let _ = writeln!(page);
}

fn storm(page: &mut String, results: &Results) {
    if results.s4.is_empty() {
        return;
    }
    let clients = results.s4_clients;
    let _ = writeln!(
        page,
        "## S4: {clients} clients at once, then a restart\n\nEvery session starts connecting at the same moment; \
         then the server is killed (SIGKILL) and started again on the same port, and each session retries after \
         50–150 ms, doubling up to 1 s, ±50% (the Socket.IO client's policy, scaled down tenfold). Reconnect time \
         runs from the kill, so it includes the server's start.\n"
    );
    let _ = writeln!(page, "| server | connected | time to all connected s | reconnected | time to all reconnected s | of which restart s |");
    let _ = writeln!(page, "|---|---|---|---|---|---|");
    for &kind in &results.servers {
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} | {} | {} |",
            kind.label(),
            show(spread_of(&results.s4, kind, |result| result.connected as f64), 0),
            show(spread_of(&results.s4, kind, |result| result.connect_s), 2),
            show(spread_of(&results.s4, kind, |result| result.reconnected as f64), 0),
            show(spread_of(&results.s4, kind, |result| result.reconnect_s), 2),
            show(spread_of(&results.s4, kind, |result| result.restart_s), 2),
        );
    }
    let _ = writeln!(page);
}

fn crosscheck(page: &mut String, results: &Results) {
    let checked: Vec<_> = results
        .s1
        .iter()
        .filter_map(|sample| {
            Some((sample.server, sample.result.as_ref()?, sample.result.as_ref()?.crosscheck.as_ref()?))
        })
        .collect();
    if checked.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "## Cross-check with the stock client\n\nIn every S1 run, the official `socket.io-client` 4.8.1 (Node.js, \
         on the generator's core) listened in the room beside the generator's receivers. Per server, over every \
         sustained step of every run: steps, messages sent, what the stock client received, steps where that \
         differs, generator receivers that came up short, and what the stock client saw twice or out of `seq` \
         order.\n"
    );
    let _ = writeln!(page, "| server | steps | sent | stock client received | steps that differ | receivers short | duplicates | out of order |");
    let _ = writeln!(page, "|---|---|---|---|---|---|---|---|");
    for &kind in &results.servers {
        let (mut steps, mut sent, mut got, mut differ, mut short, mut duplicates, mut disorder) = (0, 0, 0, 0, 0, 0, 0);
        for (_, result, counts) in checked.iter().filter(|(server, _, _)| *server == kind) {
            duplicates += counts.duplicates;
            disorder += counts.out_of_order;
            let limit = results.s1_plan.p99_limit_ms;
            for (index, step) in result.steps.iter().enumerate().filter(|(_, step)| step.sustained(limit)) {
                let received = counts.steps.get(index).copied().unwrap_or(0);
                steps += 1;
                sent += step.sent;
                got += received;
                differ += u64::from(received != step.sent);
                short += step.short_receivers;
            }
        }
        let _ = writeln!(
            page,
            "| {} | {steps} | {sent} | {got} | {differ} | {short} | {duplicates} | {disorder} |",
            kind.label()
        );
    }
    let _ = writeln!(page);
}

fn errors(page: &mut String, results: &Results) {
    let mut failures = Vec::new();
    let mut collect = |scenario: &str, list: Vec<(ServerKind, usize, &Option<String>)>| {
        for (kind, run, error) in list {
            if let Some(error) = error {
                failures.push(format!("- {scenario}, {} run {run}: {error}", kind.label()));
            }
        }
    };
    collect("S1", results.s1.iter().map(|s| (s.server, s.run, &s.error)).collect());
    collect("S2", results.s2.iter().map(|s| (s.server, s.run, &s.error)).collect());
    collect("S3", results.s3.iter().map(|s| (s.server, s.run, &s.error)).collect());
    collect("S4", results.s4.iter().map(|s| (s.server, s.run, &s.error)).collect());
    if !failures.is_empty() {
        let _ = writeln!(page, "## Runs that failed\n\n{}\n", failures.join("\n"));
    }
}

/// Offered rate against p99, log–log, one line per server and run, with the 100 ms limit.
fn plot(results: &Results) -> String {
    let (width, height, left, right, top, bottom) = (760.0, 440.0, 70.0, 150.0, 30.0, 50.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let rates: Vec<f64> =
        results.s1.iter().filter_map(|s| s.result.as_ref()).flat_map(|r| r.steps.iter().map(|s| s.rate)).collect();
    let (min_rate, max_rate) = rates.iter().fold((f64::MAX, 1.0f64), |(lo, hi), rate| (lo.min(*rate), hi.max(*rate)));
    let min_rate = if min_rate == f64::MAX { 1.0 } else { min_rate };
    let (x_lo, x_hi) = (min_rate.log10().floor(), max_rate.log10().ceil().max(min_rate.log10().floor() + 1.0));
    let (y_lo, y_hi) = (-1.0f64, 4.0f64);
    let x = |rate: f64| left + (rate.log10() - x_lo) / (x_hi - x_lo) * plot_w;
    let y = |ms: f64| top + plot_h - (ms.clamp(0.1, 10_000.0).log10() - y_lo) / (y_hi - y_lo) * plot_h;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{left}" y="18" font-size="14">S1: offered rate (msg/s, log) against p99 latency (ms, log)</text>"#
    );
    for decade in (x_lo as i32)..=(x_hi as i32) {
        let px = x(10f64.powi(decade));
        let _ = writeln!(
            svg,
            r##"<line x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{:.1}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            top + plot_h,
            top + plot_h + 16.0,
            10f64.powi(decade)
        );
    }
    for decade in (y_lo as i32)..=(y_hi as i32) {
        let py = y(10f64.powi(decade));
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left + plot_w,
            left - 6.0,
            py + 4.0,
            10f64.powi(decade)
        );
    }
    let limit = y(results.s1_plan.p99_limit_ms);
    let _ = writeln!(
        svg,
        r##"<line x1="{left}" y1="{limit:.1}" x2="{:.1}" y2="{limit:.1}" stroke="#888" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" fill="#666">p99 limit</text>"##,
        left + plot_w,
        left + 4.0,
        limit - 4.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">offered msg/s</text>"#,
        left + plot_w / 2.0,
        height - 12.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">p99 ms</text>"#,
        top + plot_h / 2.0
    );
    for (index, &kind) in results.servers.iter().enumerate() {
        let color = match kind {
            ServerKind::Banter => "#1864ab",
            ServerKind::Node => "#c92a2a",
            ServerKind::NodeTuned => "#e8590c",
            ServerKind::Ceiling => "#2b8a3e",
        };
        for result in results_of(&results.s1, kind) {
            let mut steps: Vec<&StepResult> = result.steps.iter().filter(|step| step.p99_ms.is_finite()).collect();
            steps.sort_by(|a, b| a.rate.total_cmp(&b.rate));
            let points: Vec<String> =
                steps.iter().map(|step| format!("{:.1},{:.1}", x(step.rate), y(step.p99_ms))).collect();
            let _ = writeln!(
                svg,
                r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" stroke-opacity="0.8" points="{}"/>"#,
                points.join(" ")
            );
            for step in steps.iter().filter(|step| !step.sustained(results.s1_plan.p99_limit_ms)) {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="none" stroke="{color}"/>"#,
                    x(step.rate),
                    y(step.p99_ms)
                );
            }
        }
        let ly = top + 20.0 + index as f64 * 20.0;
        let lx = left + plot_w + 16.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="{color}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 24.0,
            lx + 30.0,
            ly + 4.0,
            kind.label()
        );
    }
    let ly = top + 20.0 + results.servers.len() as f64 * 20.0 + 10.0;
    let _ = writeln!(
        svg,
        r##"<circle cx="{:.1}" cy="{ly}" r="3" fill="none" stroke="#333"/><text x="{:.1}" y="{:.1}">not sustained</text>"##,
        left + plot_w + 28.0,
        left + plot_w + 46.0,
        ly + 4.0
    );
    svg.push_str("</svg>\n");
    svg
}
