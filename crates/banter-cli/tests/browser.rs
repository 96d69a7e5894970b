//! Browser guests end to end: `tests/interop/browser.js` drives Debian's chromium (playwright-core) against the
//! real `banter-cli serve`, which serves the embedded web client, with a real `banter-cli join` user beside it.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod support;

use std::path::PathBuf;
use std::process::Stdio;

use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn browser_guests_chat_with_each_other_and_with_the_terminal() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let interop = root.join("tests/interop");
    assert!(
        interop.join("node_modules/playwright-core").is_dir(),
        "the npm packages of tests/interop are missing: run `make test` (or `npm ci --prefix tests/interop`)"
    );
    assert!(std::path::Path::new("/usr/bin/chromium").exists(), "Debian's chromium is missing: run `make test`");
    let host = Served::start().await;
    // Under target/, so that `make test` leaves the work tree clean; `make screenshots` copies them to docs/.
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let mut script = tokio::process::Command::new("node")
        .arg(interop.join("browser.js"))
        .arg(format!("http://{}", host.address))
        .arg(env!("CARGO_BIN_EXE_banter-cli"))
        .arg(&screenshots)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut steps = BufReader::new(script.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Generous: chromium's first start on a cold 2-core machine is slow; each step has its own 15 s limit.
    let finished = tokio::time::timeout(WAIT * 8, async {
        while let Ok(Some(line)) = steps.next_line().await {
            seen.push(line);
        }
        script.wait().await
    })
    .await;
    let status = finished.unwrap_or_else(|_| panic!("the browser test did not finish; it printed {seen:#?}")).unwrap();
    assert!(
        status.success() && seen.last().map(String::as_str) == Some("browser ok"),
        "browser test failed after {seen:#?}"
    );
}
