//! Stops a build that would embed no web client, with the command that makes one: the files come from `ui/`'s web
//! build, which `make` runs and a plain `cargo build` from a fresh clone does not.

fn main() {
    let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist-web/index.html");
    println!("cargo::rerun-if-changed={}", index.display());
    if !index.exists() {
        eprintln!(
            "banter-web embeds the browser guests' web client from ui/dist-web/, which is not built yet. Run `make ui` \
             (or `npm ci --prefix ui && npm --prefix ui run build`) first; `make run` and `make test` do it for you."
        );
        std::process::exit(1);
    }
}
