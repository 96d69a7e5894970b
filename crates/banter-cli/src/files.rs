//! Shared files from a terminal: `/send PATH [TEXT]` and `/dmfile NAME PATH [TEXT]` in `banter-cli join`, and `banter-cli get URL`, each with a
//! progress bar on stderr (drawn only on a terminal) and each taken up again where it stopped if the link drops.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use banter_core::client::transfer::{download_file, upload_file, Progress};
use banter_core::client::Client;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use url::Url;

#[derive(Debug, Args)]
pub struct GetArgs {
    /// A file's URL, as `join` prints it: http://HOST:PORT/files/ID.
    url: String,
    /// Where to save it (default: the file's own name, in the current folder). An unfinished download is kept
    /// beside it as PATH.part, and the next `get` of the same URL to the same PATH goes on from there.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
}

/// A bar for `total` bytes on stderr, with speed and time left; hidden when stderr is not a terminal.
fn bar(what: &str) -> (ProgressBar, Progress) {
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}, {eta} left")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    let shown = bar.clone();
    let progress: Progress = Arc::new(move |done, total| {
        shown.set_length(total);
        shown.set_position(done);
    });
    (bar, progress)
}

/// Where `/send` and `/dmfile` post a file.
pub enum To<'a> {
    Room(&'a str),
    Person(String),
}

/// Uploads a file and posts it with `text`.
pub async fn send(client: &Client, base: &Url, to: &To<'_>, path: &str, text: &str) -> Result<(), String> {
    let path = PathBuf::from(path);
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let (bar, progress) = bar(&format!("sending {name}"));
    let uploaded = upload_file(client, base, &path, progress).await;
    bar.finish_and_clear();
    let file = uploaded.map_err(|error| format!("{} was not sent: {error}", path.display()))?;
    let posted = match to {
        To::Room(room) => client.send_file(room, text, &file).await,
        To::Person(person) => client.send_direct_file(person, text, &file).await,
    };
    posted.map(drop).map_err(|error| format!("{name} was not posted: {error}"))
}

/// The name a download is saved under when none is given: the one the host says (`Content-Disposition`), as a
/// file name only, never a path.
async fn suggested_name(url: &Url) -> Option<String> {
    let response = reqwest::Client::new().head(url.clone()).send().await.ok()?;
    let disposition = response.headers().get(reqwest::header::CONTENT_DISPOSITION)?.to_str().ok()?.to_owned();
    let encoded = disposition.split("filename*=UTF-8''").nth(1)?.split(';').next()?.trim();
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8().ok()?;
    banter_core::validate::file_name(&decoded).ok()
}

pub async fn run(args: GetArgs) -> anyhow::Result<ExitCode> {
    let url: Url = args.url.parse().map_err(|error| anyhow::anyhow!("{}: {error}", args.url))?;
    if !matches!(url.scheme(), "http" | "https") || !url.path().starts_with("/files/") {
        anyhow::bail!("{} is not a file's URL (http://HOST:PORT/files/ID, as join prints them)", args.url);
    }
    let output = match args.output {
        Some(output) => output,
        None => PathBuf::from(suggested_name(&url).await.unwrap_or_else(|| "download".to_owned())),
    };
    let (bar, progress) = bar(&format!("getting {}", output.display()));
    let got = download_file(&url, &output, progress).await;
    bar.finish_and_clear();
    match got {
        Ok(size) => {
            eprintln!("saved {} ({})", output.display(), banter_core::host::files::size_text(size));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("banter-cli: {} was not saved: {error}", output.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
