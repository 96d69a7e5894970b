//! `banter-cli backup`: a consistent copy of a host's data folder, safe to take while the host runs.

use std::path::PathBuf;
use std::process::ExitCode;

use banter_core::store::sqlite;
use clap::Args;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A new folder to copy into. It becomes a data folder of its own: `banter-cli serve --data FOLDER` starts a
    /// host with everything the original had at the moment of the copy.
    to: PathBuf,
    /// The data folder to copy (default: the one `banter-cli serve` uses).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

pub async fn run(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let from = match args.data {
        Some(folder) => folder,
        None => crate::paths::default_data_folder()?,
    };
    let to = args.to.clone();
    let copied = tokio::task::spawn_blocking(move || sqlite::backup(&from, &to)).await?;
    match copied {
        Ok(report) => {
            println!(
                "Backed up to {}: the database ({} bytes), {} image(s) and {} shared file content(s).",
                args.to.display(),
                report.database_bytes,
                report.attachments,
                report.files
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("banter-cli: could not back up: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}
