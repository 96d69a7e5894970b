//! The markdown page: the targets, a table per scenario, the cross-check and the runs that failed.

use std::fmt::Write as _;

use super::*;
use crate::idle::StormResult;

pub(super) fn markdown(results: &Results) -> String {
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
    if !results.kept.is_empty() {
        let kept: Vec<String> =
            results.kept.iter().map(|(scenario, date)| format!("{} ({date})", scenario.to_uppercase())).collect();
        let _ = writeln!(
            page,
            "- This run measured only some scenarios (`--merge`); these figures are from earlier runs, kept in \
             results.json: {}.",
            kept.join(", ")
        );
    }
    let _ = writeln!(page, "- Servers: {}.\n", kinds.iter().map(|kind| describe(*kind)).collect::<Vec<_>>().join("; "));

    targets(&mut page, results);
    durability(&mut page, results);
    one_room(&mut page, results);
    many_rooms(&mut page, results);
    cluster(&mut page, results);
    idle(&mut page, results);
    storm(&mut page, results);
    super::files::files(&mut page, results);
    crosscheck(&mut page, results);
    errors(&mut page, results);
    page
}

fn describe(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::Banter => {
            "**banter**: the Banter host as it runs by default, release build, real handlers, keeping every message \
             in its data folder on disk (SQLite, WAL, `synchronous=NORMAL`), default limits but the request budget"
        }
        ServerKind::BanterEphemeral => {
            "**banter-ephemeral**: the same host with `--ephemeral` (SQLite in memory), in S1 and S2 only"
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
        ServerKind::BanterCluster => {
            "**banter-cluster**: one Banter host of a cluster (`--cluster`), the chat kept in a redis-server of its \
             own with `appendfsync always`; in S2 only, CPU and memory counted over both processes"
        }
        ServerKind::BanterCluster2 => {
            "**banter-cluster-2**: two such hosts on one redis-server, each room's members spread over both, so \
             that every delivery crosses hosts; in S2 only, CPU and memory counted over all three processes"
        }
    }
}

/// What keeping every message on disk costs: the durable host (the default) beside the same host in memory.
fn durability(page: &mut String, results: &Results) {
    if !(results.servers.contains(&ServerKind::Banter) && results.servers.contains(&ServerKind::BanterEphemeral)) {
        return;
    }
    let _ = writeln!(
        page,
        "## Durable and in memory
"
    );
    let _ = writeln!(
        page,
        "The same host keeping every message in SQLite on disk before acknowledging it (banter, the default) and \
         in memory (banter-ephemeral), by median.\n"
    );
    let _ = writeln!(page, "| figure | durable | in memory | durable ÷ in memory |");
    let _ = writeln!(page, "|---|---|---|---|");
    let mut row = |name: &str, figure: &dyn Fn(ServerKind) -> Option<Spread>, digits: usize| {
        let (durable, memory) = (figure(ServerKind::Banter), figure(ServerKind::BanterEphemeral));
        let _ = writeln!(
            page,
            "| {name} | {} | {} | {} |",
            show(durable, digits),
            show(memory, digits),
            show_ratio(ratio(durable, memory))
        );
    };
    row("S1 highest sustained rate (msg/s)", &|kind| one_room_row(results, kind).sustained, 0);
    row("S1 server CPU-µs per delivery (common rate)", &|kind| one_room_row(results, kind).cpu_common, 2);
    let s2_cpu = |kind| {
        Spread::of(results.s2.iter().filter(|sample| sample.server == kind).filter_map(|sample| {
            let index = common_s2_step(results, sample.run)?;
            Some(sample.result.as_ref()?.steps.get(index)?.server_cpu_us_per_delivery)
        }))
    };
    row("S2 server CPU-µs per delivery (common step)", &s2_cpu, 2);
    let s2_p99 = |kind| {
        Spread::of(
            results
                .s2
                .iter()
                .filter(|sample| sample.server == kind)
                .filter_map(|sample| Some(sample.result.as_ref()?.steps.first()?.p99_ms)),
        )
    };
    row(
        &format!("S2 p99 latency at {} msg/s each (ms)", results.s2_plan.rates.first().copied().unwrap_or(0.0)),
        &s2_p99,
        1,
    );
    let _ = writeln!(page);
}

/// What a target compares Banter's figure with.
#[derive(Debug, Clone, Copy)]
enum Against {
    /// The better of the two Node.js servers; which way is better.
    Node {
        higher_is_better: bool,
    },
    Ceiling,
}

fn targets(page: &mut String, results: &Results) {
    if !results.servers.contains(&ServerKind::Banter) {
        return;
    }
    let _ = writeln!(page, "## Targets\n");
    let _ = writeln!(page, "Each Banter figure against the better of node and node-tuned, by median.\n");
    let _ = writeln!(page, "| target | Banter | best Node.js | ceiling | ratio | goal | met |");
    let _ = writeln!(page, "|---|---|---|---|---|---|---|");
    // One row: Banter's figure, the best Node.js one, the ceiling's, their ratio and whether it meets the goal.
    let mut target = |name: &str,
                      figure: &dyn Fn(ServerKind) -> Option<Spread>,
                      against: Against,
                      goal: &str,
                      pass: fn(f64) -> bool,
                      digits: usize| {
        let ours = figure(ServerKind::Banter);
        let ceiling = figure(ServerKind::Ceiling);
        let (node, theirs) = match against {
            Against::Node { higher_is_better } => {
                let node = best_node(results, figure, higher_is_better);
                (node, node.map(|(_, spread)| spread))
            }
            Against::Ceiling => (None, ceiling),
        };
        let value = ratio(ours, theirs);
        let node_text =
            node.map_or_else(|| "—".to_owned(), |(kind, spread)| format!("{} ({})", spread.show(digits), kind.label()));
        let met = match value.map(pass) {
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
    let at_most_half: fn(f64) -> bool = |value| value <= 0.5;
    let sustained = |kind| one_room_row(results, kind).sustained;
    let more = Against::Node { higher_is_better: true };
    let less = Against::Node { higher_is_better: false };
    target("S1 highest sustained rate (msg/s) vs Node.js", &sustained, more, "≥ 2×", |value| value >= 2.0, 0);
    target("S1 highest sustained rate vs the ceiling", &sustained, Against::Ceiling, "≥ 0.5×", |value| value >= 0.5, 0);
    let s1_cpu = |kind| one_room_row(results, kind).cpu_common;
    target("server CPU-µs per delivery (S1, common rate)", &s1_cpu, less, "≤ 0.5×", at_most_half, 2);
    let s2_cpu = |kind| {
        Spread::of(results.s2.iter().filter(|sample| sample.server == kind).filter_map(|sample| {
            let index = common_s2_step(results, sample.run)?;
            Some(sample.result.as_ref()?.steps.get(index)?.server_cpu_us_per_delivery)
        }))
    };
    target("server CPU-µs per delivery (S2, common step)", &s2_cpu, less, "≤ 0.5×", at_most_half, 2);
    let memory = |kind| spread_of(&results.s3, kind, |result| result.bytes_per_connection / 1024.0);
    target("idle memory per connection (KiB, S3)", &memory, less, "≤ 0.5×", at_most_half, 1);
    // A run in which not everyone got back counts as a failure: the server then has no figure, never a better one.
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
        target(&name, &figure, less, "all back, ≤ 0.5×", at_most_half, 2);
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
         p99 exceeds {} ms ({}), then {} more steps bisect. Latency runs from the send time the schedule intended to the \
         receipt. Figures are those of each run's highest sustained step; CPU per delivery is compared at the \
         highest rate every server sustained in the same run. Generator CPU near 100% means the generator, not the \
         server, was the limit.\n",
        plan.rates.iter().take(4).map(|rate| format!("{rate:.0}")).collect::<Vec<_>>().join(", "),
        plan.step.as_secs_f64(),
        plan.p99_limit_ms,
        match plan.retries {
            0 => "a failed step ends the climb".to_owned(),
            1 => "the first failed step is run once more, so that one stall of the machine does not end the climb"
                .to_owned(),
            n => format!("the first {n} failed steps are run once more, so that a stall of the machine does not end the climb"),
        },
        plan.refinements
    );
    let _ = writeln!(page, "| server | highest sustained msg/s | deliveries/s | p50 ms | p99 ms | p99.9 ms | CPU-µs/delivery (common rate) | generator CPU % | set-up s |");
    let _ = writeln!(page, "|---|---|---|---|---|---|---|---|---|");
    for &kind in results.servers.iter().filter(|kind| kind.runs("s1")) {
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

/// What serving one chat from several hosts costs (issue 14): S2's load on the host alone, on one host of a
/// cluster, and spread over two hosts of one, at each step.
fn cluster(page: &mut String, results: &Results) {
    let kinds = [ServerKind::Banter, ServerKind::BanterCluster, ServerKind::BanterCluster2];
    if !kinds.iter().all(|kind| results.servers.contains(kind)) || results.s2.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "## Several hosts, one chat (S2)\n\nThe same S2 load on the host alone (SQLite on disk), on one host of a \
         cluster and spread over two hosts of one (the chat kept in one redis-server with `appendfsync always`, \
         each room's members on both hosts). CPU counts every process of the server: the hosts and redis-server. \
         Each receiver counts what it got of its room and checks its numbers: \"out of order\" counts messages that \
         came after a higher number (or twice), \"gaps\" the numbers of its room it never got (a step's overload \
         drops count here too), both over the whole run. \"Server\" columns are what each message sent cost \
         redis-server, from its `INFO stats` before and after the step.\n"
    );
    let _ = writeln!(
        page,
        "| msg/s each | server | delivered % | out of order | gaps | p99 ms | CPU-µs/delivery | ÷ host alone | server commands/msg | server bytes in/msg | server bytes out/msg |"
    );
    let _ = writeln!(page, "|---|---|---|---|---|---|---|---|---|---|---|");
    for (index, rate) in results.s2_plan.rates.iter().enumerate() {
        let cpu = |kind| {
            spread_of(&results.s2, kind, |result| {
                result.steps.get(index).map_or(f64::NAN, |step| step.server_cpu_us_per_delivery)
            })
        };
        for kind in kinds {
            let step = |pick: fn(&crate::tally::StepResult) -> f64| {
                spread_of(&results.s2, kind, |result| result.steps.get(index).map_or(f64::NAN, pick))
            };
            let cost = |pick: fn(&crate::load::ServerCost) -> f64| {
                spread_of(&results.s2, kind, |result| result.valkey.get(index).map_or(f64::NAN, pick))
            };
            let out_of_order = spread_of(&results.s2, kind, |result| result.out_of_order as f64);
            let gaps = spread_of(&results.s2, kind, |result| result.gaps as f64);
            let _ = writeln!(
                page,
                "| {rate} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                kind.label(),
                show(step(|step| step.delivery_pct), 2),
                show(out_of_order, 0),
                show(gaps, 0),
                show(step(|step| step.p99_ms), 2),
                show(cpu(kind), 2),
                show_ratio(ratio(cpu(kind), cpu(ServerKind::Banter))),
                show(cost(|cost| cost.commands_per_message), 1),
                show(cost(|cost| cost.bytes_in_per_message), 0),
                show(cost(|cost| cost.bytes_out_per_message), 0),
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
    for &kind in results.servers.iter().filter(|kind| kind.runs("s3")) {
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
    for &kind in results.servers.iter().filter(|kind| kind.runs("s4")) {
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
    for &kind in results.servers.iter().filter(|kind| kind.runs("s1")) {
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
    collect("S5", results.s5.iter().map(|s| (s.server, s.run, &s.error)).collect());
    if !failures.is_empty() {
        let _ = writeln!(page, "## Runs that failed\n\n{}\n", failures.join("\n"));
    }
}
