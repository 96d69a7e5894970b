//! The page's S5 section: shared files' throughput on loopback, and chat's latency while a file moves.

use std::fmt::Write as _;

use super::*;
use crate::files::{ChatLatency, FilesResult};

/// Which of a run's chat figures a row shows.
type Phase = fn(&FilesResult) -> &ChatLatency;

pub(super) fn files(page: &mut String, results: &Results) {
    let (Some(plan), false) = (&results.s5_plan, results.s5.is_empty()) else { return };
    let size = banter_core::host::files::size_text(plan.bytes);
    let _ = writeln!(
        page,
        "## S5: a {size} file up and down, with chat going on\n\n\
         The durable host (files in its data folder, on the same disk as this checkout). One client uploads a \
         file of pseudo-random bytes and downloads it again, with the engine's own transfer code \
         (`client::transfer`, as the app and `banter-cli` use it); meanwhile two others chat in the lobby at {} \
         messages a second, from a thread of their own, and each message's latency from send to delivery is \
         counted under what was going on: nothing ({} s first), the upload, or the download. The upload's rate \
         leaves out the client's own hashing of the file before it (timed apart); it includes the host's check \
         of the SHA-256 after the last byte. The download's includes the client's check.\n",
        plan.chat_rate,
        plan.quiet.as_secs(),
    );
    let kind = ServerKind::Banter;
    let figure = |pick: &dyn Fn(&FilesResult) -> f64| spread_of(&results.s5, kind, pick);
    let _ = writeln!(page, "| | MiB/s | seconds |");
    let _ = writeln!(page, "|---|---|---|");
    let _ = writeln!(page, "| client hashes the file | — | {} |", show(figure(&|result| result.hash_s), 2));
    let _ = writeln!(
        page,
        "| upload (after the hash) | {} | {} |",
        show(figure(&|result| result.upload_mib_s), 0),
        show(figure(&|result| result.upload_s - result.hash_s), 2)
    );
    let _ = writeln!(
        page,
        "| download | {} | {} |",
        show(figure(&|result| result.download_mib_s), 0),
        show(figure(&|result| result.download_s), 2)
    );
    let intact = results_of(&results.s5, kind).all(|result| result.intact);
    let _ = writeln!(
        page,
        "\nEvery download {} the uploaded bytes.\n",
        if intact { "matched" } else { "did **not** match" }
    );
    let _ = writeln!(page, "| chat while | messages | p50 ms | p99 ms | max ms |");
    let _ = writeln!(page, "|---|---|---|---|---|");
    let rows: [(&str, Phase); 3] = [
        ("nothing else happens", |result| &result.chat_quiet),
        ("the file goes up", |result| &result.chat_upload),
        ("the file comes down", |result| &result.chat_download),
    ];
    for (label, phase) in rows {
        let _ = writeln!(
            page,
            "| {label} | {} | {} | {} | {} |",
            show(figure(&move |result| phase(result).messages as f64), 0),
            show(figure(&move |result| phase(result).p50_ms), 1),
            show(figure(&move |result| phase(result).p99_ms), 1),
            show(figure(&move |result| phase(result).max_ms), 1),
        );
    }
    let _ = writeln!(page);
}
