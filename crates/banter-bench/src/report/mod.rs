//! The report: docs/BENCHMARKS.md (medians and ranges over runs, the ratios, the targets) and the S1 plot.
//!
//! `tables.rs` writes the page, `plot.rs` the SVG; this module holds what both read from the results.

mod files;
mod plot;
mod tables;

use std::path::Path;

use crate::runner::{Results, Sample};
use crate::servers::ServerKind;
use crate::tally::StepResult;

/// Everything after this line of an existing BENCHMARKS.md is kept as it is: the hand-written analysis.
const ANALYSIS_MARKER: &str = "<!-- Written by hand below this line; `make bench` keeps it. -->";
pub const PLOT_FILE: &str = "bench-s1-p99.svg";

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

pub(super) fn show(spread: Option<Spread>, digits: usize) -> String {
    spread.map_or_else(|| "—".to_owned(), |spread| spread.show(digits))
}

pub(super) fn results_of<T>(samples: &[Sample<T>], kind: ServerKind) -> impl Iterator<Item = &T> {
    samples.iter().filter(move |sample| sample.server == kind).filter_map(|sample| sample.result.as_ref())
}

pub(super) fn spread_of<T>(samples: &[Sample<T>], kind: ServerKind, figure: impl Fn(&T) -> f64) -> Option<Spread> {
    Spread::of(results_of(samples, kind).map(figure))
}

/// The highest rate of the base grid that every server sustained in `run`: the load at which their CPU per
/// delivery is compared, since there they all did the same work.
pub(super) fn common_rate(results: &Results, run: usize) -> Option<f64> {
    let runs: Vec<_> = results.s1.iter().filter(|sample| sample.run == run).collect();
    if runs.len() != compared(results) || runs.iter().any(|sample| sample.result.is_none()) {
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

/// How many servers the common rate and step are found over: those that run every load scenario (a cluster runs
/// only S2, and is compared with the host alone in a section of its own).
fn compared(results: &Results) -> usize {
    results.servers.iter().filter(|kind| kind.runs("s1")).count()
}

/// The highest S2 step that every server sustained (everything delivered, p99 within S1's limit) in `run`: where
/// their CPU per delivery is compared, since a saturated server's figure counts work whose deliveries came late.
pub(super) fn common_s2_step(results: &Results, run: usize) -> Option<usize> {
    let runs: Vec<_> = results.s2.iter().filter(|sample| sample.run == run && sample.server.runs("s1")).collect();
    if runs.len() != compared(results) {
        return None;
    }
    let limit = results.s1_plan.p99_limit_ms;
    (0..results.s2_plan.rates.len()).rev().find(|index| {
        runs.iter().all(|sample| {
            sample.result.as_ref().and_then(|result| result.steps.get(*index)).is_some_and(|step| step.sustained(limit))
        })
    })
}

/// The step at `rate`: the sustained one, if the rate was run again after a failure.
pub(super) fn step_at(steps: &[StepResult], rate: f64, limit: f64) -> Option<&StepResult> {
    let mut at_rate = steps.iter().filter(|step| step.rate == rate);
    at_rate.clone().find(|step| step.sustained(limit)).or_else(|| at_rate.next())
}

/// S1's figures for one server: sustained rate, the figures of its highest sustained step, and CPU per delivery
/// at the common rate.
pub(super) struct OneRoomRow {
    sustained: Option<Spread>,
    deliveries: Option<Spread>,
    p50: Option<Spread>,
    p99: Option<Spread>,
    p999: Option<Spread>,
    generator_cpu: Option<Spread>,
    cpu_common: Option<Spread>,
    setup: Option<Spread>,
}

pub(super) fn one_room_row(results: &Results, kind: ServerKind) -> OneRoomRow {
    let limit = results.s1_plan.p99_limit_ms;
    let top = |figure: fn(&StepResult) -> f64| {
        spread_of(&results.s1, kind, |result| {
            step_at(&result.steps, result.sustained_rate, limit)
                .filter(|step| step.sustained(limit))
                .map_or(f64::NAN, figure)
        })
    };
    let cpu_common = Spread::of(results.s1.iter().filter(|sample| sample.server == kind).filter_map(|sample| {
        let rate = common_rate(results, sample.run)?;
        step_at(&sample.result.as_ref()?.steps, rate, limit).map(|step| step.server_cpu_us_per_delivery)
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

pub(super) fn ratio(ours: Option<Spread>, theirs: Option<Spread>) -> Option<f64> {
    let (ours, theirs) = (ours?.median, theirs?.median);
    (theirs > 0.0).then(|| ours / theirs)
}

pub(super) fn show_ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value:.2}×"))
}

/// The better of the two Node.js servers for a figure, by median (`higher_is_better` says which way).
pub(super) fn best_node(
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
    let mut page = tables::markdown(results);
    page.push('\n');
    page.push_str(&analysis);
    std::fs::write(&path, page)?;
    std::fs::write(out.join(PLOT_FILE), plot::plot(results))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(rate: f64, p99_ms: f64, cpu: f64) -> StepResult {
        serde_json::from_value(serde_json::json!({
            "rate": rate, "sent": 20, "expected": 100, "delivered": 100, "short_receivers": 0,
            "min_per_receiver": 20, "max_per_receiver": 20, "delivery_pct": 100.0, "deliveries_per_s": 100.0,
            "p50_ms": 1.0, "p99_ms": p99_ms, "p999_ms": p99_ms, "max_ms": p99_ms,
            "server_cpu_us_per_delivery": cpu, "server_cpu_pct": 1.0, "generator_cpu_pct": 1.0,
            "acks": 20, "ack_errors": 0
        }))
        .expect("a step")
    }

    #[test]
    fn a_rate_run_again_after_a_stall_is_read_from_its_sustained_step() {
        let steps = [step(10.0, 12.0, 5.0), step(15.0, 140.0, 9.0), step(15.0, 14.0, 6.0), step(23.0, 150.0, 7.0)];
        assert_eq!(step_at(&steps, 15.0, 100.0).map(|step| step.server_cpu_us_per_delivery), Some(6.0));
        assert_eq!(step_at(&steps, 23.0, 100.0).map(|step| step.p99_ms), Some(150.0), "a failed step is still found");
        assert!(step_at(&steps, 34.0, 100.0).is_none());
    }
}
