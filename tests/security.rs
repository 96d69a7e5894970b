//! Reads the app's configuration and fails if its security posture regresses: a strict CSP, no global Tauri API,
//! capabilities that allow exactly the app's commands and its two events, a patched Tauri, no `panic = "abort"`,
//! and one UI module that talks to Tauri.

use std::path::Path;

use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

#[test]
fn the_webview_runs_under_a_strict_content_security_policy() {
    let config = json("tauri.conf.json");
    assert_eq!(config["app"]["withGlobalTauri"], Value::Bool(false), "withGlobalTauri must stay off");
    let csp = config["app"]["security"]["csp"].as_str().expect("a CSP is set");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    assert!(directives.contains(&"default-src 'self'"), "{csp}");
    assert!(directives.contains(&"script-src 'self'"), "scripts come from the bundle only: {csp}");
    assert!(directives.contains(&"object-src 'none'"), "{csp}");
    let tokens: Vec<&str> =
        csp.split(|c: char| c.is_whitespace() || c == ';').map(|token| token.trim_matches('\'')).collect();
    for forbidden in ["unsafe-eval", "unsafe-inline", "*", "https:", "http:"] {
        assert!(!tokens.contains(&forbidden), "{forbidden} in {csp}");
    }
    // The only http origins allowed are Tauri's IPC endpoint and the app's own `banter-file:` scheme (as Windows
    // names it), which Rust answers from the host joined: the webview loads nothing from the network itself.
    let own = ["http://ipc.localhost", "http://banter-file.localhost"];
    let remote: Vec<&&str> = tokens.iter().filter(|token| token.contains("://") && !own.contains(token)).collect();
    assert!(remote.is_empty(), "remote content allowed: {remote:?}");
    for directive in &directives {
        if directive.contains("banter-file") {
            assert!(
                directive.starts_with("img-src") || directive.starts_with("media-src"),
                "shared files may only be shown or played, never run: {directive}"
            );
        }
    }
    assert!(config["build"].get("devUrl").is_none(), "the app must load its own bundle, not a URL");
    assert!(config["app"]["security"].get("dangerousDisableAssetCspModification").is_none());
}

#[test]
fn the_main_window_may_call_exactly_the_apps_commands_and_listen_to_its_events() {
    let capability = json("src-tauri/capabilities/main.json");
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    assert!(capability.get("remote").is_none(), "no remote origin may call commands");
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().unwrap_or_default().to_owned())
        .collect();
    granted.sort();
    let mut expected: Vec<String> =
        banter_app::COMMAND_NAMES.iter().map(|name| format!("allow-{}", name.replace('_', "-"))).collect();
    expected.extend(["core:event:allow-listen".to_owned(), "core:event:allow-unlisten".to_owned()]);
    expected.sort();
    assert_eq!(granted, expected);
    let build = read("src-tauri/build.rs");
    assert!(
        build.contains(".app_manifest(") && build.contains("banter_commands::NAMES"),
        "commands are listed in the app manifest"
    );
    let lib = read("src-tauri/lib.rs");
    for name in banter_app::COMMAND_NAMES {
        let registered =
            ["commands", "actions", "transfers"].iter().any(|module| lib.contains(&format!("{module}::{name},")));
        assert!(registered, "{name} is registered");
    }
}

#[test]
fn tauri_is_patched_and_panics_do_not_abort() {
    let lock = read("Cargo.lock");
    let version = lock
        .split("[[package]]")
        .find(|package| package.contains("\nname = \"tauri\"\n"))
        .and_then(|package| package.lines().find_map(|line| line.strip_prefix("version = \"")))
        .map(|version| version.trim_end_matches('"').to_owned())
        .expect("tauri is locked");
    let parts: Vec<u64> = version.split(['.', '-']).take(3).map(|part| part.parse().unwrap_or(0)).collect();
    assert!(parts >= vec![2, 11, 1], "tauri {version} predates the IPC origin fix of 2.11.1");
    assert!(parts[0] == 2, "tauri {version} is not 2.x");
    let manifest = read("Cargo.toml");
    assert!(manifest.contains("tauri = { version = \"2.11.1\""), "the requirement keeps 2.11.1 as the floor");
    assert!(
        !manifest.replace(' ', "").contains("panic=\"abort\""),
        "a remotely triggered panic must not take the app down"
    );
}

#[test]
fn exactly_one_ui_module_talks_to_tauri_and_the_page_has_no_inline_script() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src");
    let mut importers = Vec::new();
    let mut pending = vec![source];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("ui/src is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "ts")
                && std::fs::read_to_string(&path).unwrap_or_default().contains("@tauri-apps/api")
            {
                importers.push(path.file_name().unwrap_or_default().to_string_lossy().into_owned());
            }
        }
    }
    assert_eq!(importers, ["transport.ts"]);
    let page = read("ui/index.html");
    let scripts: Vec<&str> = page.split("<script").skip(1).collect();
    assert!(
        !scripts.is_empty() && scripts.iter().all(|tag| tag.split('>').next().unwrap_or_default().contains("src=")),
        "inline script in ui/index.html"
    );
}
