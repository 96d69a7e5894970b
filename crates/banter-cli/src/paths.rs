//! Where `banter-cli` keeps things between runs, in the platform's folders (the XDG ones on Linux): a host's data,
//! and the user key that holds your name on the hosts you join.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use directories::ProjectDirs;
use rand::Rng;

fn project() -> anyhow::Result<ProjectDirs> {
    ProjectDirs::from("chat", "Banter", "banter-cli")
        .context("this system names no home folder; give --data (serve) or --user-key (join)")
}

/// The default data folder of `banter-cli serve`: `~/.local/share/banter-cli/host` on Linux.
pub fn default_data_folder() -> anyhow::Result<PathBuf> {
    Ok(project()?.data_dir().join("host"))
}

/// This user's key, made on first use and kept in `~/.config/banter-cli/user-key` (readable by this user only):
/// the first host you join under a name binds the name to it, so every later run is you again.
pub fn user_key() -> anyhow::Result<String> {
    let folder = project()?.config_dir().to_owned();
    let file = folder.join("user-key");
    if let Ok(key) = std::fs::read_to_string(&file) {
        let key = key.trim().to_owned();
        if (8..=128).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) {
            return Ok(key);
        }
        anyhow::bail!(
            "{} does not hold a user key (8 to 128 visible ASCII characters); fix or delete it",
            file.display()
        );
    }
    let key = format!("{:032x}", rand::thread_rng().gen::<u128>());
    std::fs::create_dir_all(&folder).with_context(|| format!("could not create {}", folder.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&file).and_then(|mut out| out.write_all(format!("{key}\n").as_bytes()));
    match written {
        Ok(()) => Ok(key),
        // Another run made it at the same moment: that one is the key.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => user_key(),
        Err(error) => Err(error).with_context(|| format!("could not save the user key in {}", file.display())),
    }
}
