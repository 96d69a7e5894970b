//! The invariant of `crates/`: nothing here depends on Tauri, so the engine also drives the CLI and servers.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

#[test]
fn no_crate_under_crates_depends_on_tauri() {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--edges", "normal,build", "--prefix", "none", "--format", "{p}"])
        .args(["-p", "banter-core", "-p", "banter-cli"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(tree.lines().any(|line| line.starts_with("socketioxide ")), "the tree looks empty:\n{tree}");
    let tauri: Vec<&str> = tree.lines().filter(|line| line.starts_with("tauri") || line.contains(" tauri")).collect();
    assert!(tauri.is_empty(), "crates/ must not depend on Tauri, found: {tauri:?}");
}
