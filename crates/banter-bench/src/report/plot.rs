//! The S1 plot: offered rate against p99, log–log, one line per server and run.

use std::fmt::Write as _;

use super::*;

/// Offered rate against p99, log–log, one line per server and run, with the 100 ms limit.
pub(super) fn plot(results: &Results) -> String {
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
            ServerKind::BanterEphemeral => "#74c0fc",
            ServerKind::Node => "#c92a2a",
            ServerKind::NodeTuned => "#e8590c",
            ServerKind::Ceiling => "#2b8a3e",
            ServerKind::BanterCluster => "#5f3dc4",
            ServerKind::BanterCluster2 => "#9775fa",
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
