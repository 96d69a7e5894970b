//! Embeds the app's configuration and capabilities. Listing the commands in the app manifest makes every one of them
//! need an explicit `allow-…` permission in a capability: nothing is callable by default.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(banter_commands::NAMES);
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(manifest);
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}

/// The command list, shared with `lib.rs` so that the manifest and the handler registration cannot drift apart.
#[path = "command_names.rs"]
mod banter_commands;
