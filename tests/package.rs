//! The installer, as a user gets it: the `.deb` under `$BANTER_BUNDLE` is checked (metadata, contents, desktop
//! entry), extracted into a scratch root, and the installed `banter` is launched under Xvfb and driven through
//! tauri-driver to host a room that the installed `banter-cli` joins.
//!
//! Ignored by a plain `cargo test`, because it needs a bundle. `make test` builds one from the debug profile
//! (`make bundle-debug`, the same configuration as the release's `make bundle`) and runs this with
//! `BANTER_BUNDLE=target/debug/bundle`; `BANTER_BUNDLE=target/release/bundle` checks the release installers.
#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod harness;
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::*;
use webdriver::WebDriver;

fn the_deb() -> PathBuf {
    let bundle = std::env::var("BANTER_BUNDLE").unwrap_or_else(|_| "target/release/bundle".to_owned());
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(bundle).join("deb");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|_| panic!("{} is missing: run `make bundle` (or `make bundle-debug`)", folder.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "deb"))
        .collect();
    debs.sort();
    debs.pop().expect("a .deb built by `make bundle` or `make bundle-debug`")
}

fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    let output = Command::new("dpkg-deb").args(args).arg(deb).output().expect("dpkg-deb runs");
    assert!(output.status.success(), "dpkg-deb {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
#[ignore = "needs a .deb from `make bundle` or `make bundle-debug`; `make test` builds one and runs this"]
fn the_deb_declares_what_it_is_and_what_it_needs() {
    let deb = the_deb();
    let field = |name: &str| {
        dpkg_deb(&["--field"], &deb)
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")).map(str::to_owned))
            .unwrap_or_default()
    };
    assert_eq!(field("Package"), "banter");
    assert_eq!(field("Version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field("Architecture"), "amd64");
    assert!(field("Maintainer").contains('<'), "a maintainer with an address: {}", field("Maintainer"));
    assert!(field("Description").starts_with("Chat with the people on your local network"), "{}", field("Description"));
    let depends = field("Depends");
    for needed in ["libwebkit2gtk-4.1-0", "libgtk-3-0", "libssl3", "libdbus-1-3"] {
        assert!(depends.contains(needed), "Depends lacks {needed}: {depends}");
    }
    // Without a colour emoji font, reactions and emoji show as boxes.
    assert!(field("Recommends").contains("fonts-noto-color-emoji"), "Recommends: {}", field("Recommends"));
    let contents = dpkg_deb(&["--contents"], &deb);
    for path in [
        "usr/bin/banter",
        "usr/bin/banter-cli",
        "usr/share/applications/Banter.desktop",
        "usr/share/icons/hicolor/128x128/apps/banter.png",
    ] {
        assert!(
            contents.lines().any(|line| line.ends_with(&format!(" {path}"))),
            "{path} is not in the package:\n{contents}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a .deb from `make bundle` or `make bundle-debug`; `make test` builds one and runs this"]
async fn the_installed_app_hosts_a_room_that_the_installed_cli_joins() {
    let root = tempdir("installed");
    let extracted = Command::new("dpkg-deb").arg("--extract").arg(the_deb()).arg(&root).status().unwrap();
    assert!(extracted.success());
    let app = root.join("usr/bin/banter");
    let cli = root.join("usr/bin/banter-cli");

    let entry = std::fs::read_to_string(root.join("usr/share/applications/Banter.desktop")).unwrap();
    for line in ["Name=Banter", "Exec=banter", "Icon=banter", "Type=Application"] {
        assert!(entry.lines().any(|l| l == line), "the menu entry lacks {line}:\n{entry}");
    }
    let version = Command::new(&cli).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("banter-cli {}", env!("CARGO_PKG_VERSION")));

    let display = start_display().await;
    let (_driver, port) = start_driver(&display, &root, false).await;
    let window = WebDriver::start(port, &app).await;
    let room_port = fill_host_form(&window, "Installed").await;
    window.click_on("[data-testid=host-start]").await;
    window.wait_for("[data-testid=chat-screen]").await;
    let mut guest = Cli::join(&cli, &format!("127.0.0.1:{room_port}"), "guest").await;
    guest.say("hello, installed app").await;
    window.wait_for_text("[data-testid=messages]", "hello, installed app").await;
    app_says(&window, "hello, installed cli").await;
    guest.expect_line("[lobby] Installed: hello, installed cli").await;
    window.close().await;

    // The settings went to the platform's config directory (XDG_CONFIG_HOME points into the scratch root).
    let settings = std::fs::read_to_string(root.join("config/chat.banter.desktop/settings.json")).unwrap();
    assert!(settings.contains("\"name\": \"Installed\""), "{settings}");
}
