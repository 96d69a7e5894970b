//! Attachment bytes, named by their SHA-256: files under the data folder, or a map in memory for an ephemeral
//! host. Which ones are kept (and so count against the quota) is the database's business; this only holds bytes.
//!
//! Keeping bytes is two steps. [`Blobs::stage`] writes them to a temporary file and syncs it, off the store's writer
//! thread (an upload must not hold up everyone's messages). [`Blobs::place`] then moves them under their id, on the
//! writer thread, in the job that records them: every change to the files under real ids happens there, so a file
//! is never evicted while the same bytes are being kept again.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::StoreError;

/// Bytes written by [`Blobs::stage`], not yet under their id.
#[derive(Debug)]
pub(super) enum Staged {
    File(PathBuf),
    Memory(Bytes),
}

#[derive(Debug)]
pub(super) enum Blobs {
    Folder(PathBuf),
    Memory(Mutex<HashMap<String, Bytes>>),
}

/// The id of some bytes: their SHA-256, in hex.
pub(super) fn id_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether an id can name a blob: anything else is refused before it reaches a path.
pub(super) fn is_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

fn io_failure(path: &Path, error: &std::io::Error) -> StoreError {
    // ENOSPC and EDQUOT: the disk (or the user's share of it) is full.
    if matches!(error.raw_os_error(), Some(28 | 122)) {
        StoreError::Full
    } else {
        StoreError::Failed(format!("{}: {error}", path.display()))
    }
}

impl Blobs {
    pub(super) fn in_folder(folder: PathBuf) -> Result<Blobs, StoreError> {
        std::fs::create_dir_all(&folder)
            .map_err(|error| StoreError::Unwritable { path: folder.clone(), reason: error.to_string() })?;
        Ok(Blobs::Folder(folder))
    }

    fn path(folder: &Path, id: &str) -> PathBuf {
        folder.join(&id[..2]).join(id)
    }

    /// Writes bytes where [`Blobs::place`] will find them, synced to the disk: a crash never leaves a partial file
    /// under a real id. Runs on any thread.
    pub(super) fn stage(&self, id: &str, bytes: Bytes) -> Result<Staged, StoreError> {
        match self {
            Blobs::Memory(_) => Ok(Staged::Memory(bytes)),
            Blobs::Folder(folder) => {
                let path = Blobs::path(folder, id);
                let parent = path.parent().unwrap_or(folder);
                std::fs::create_dir_all(parent).map_err(|error| io_failure(parent, &error))?;
                let temporary = parent.join(format!(".{id}.{:016x}.partial", rand::random::<u64>()));
                let written = std::fs::File::create(&temporary)
                    .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.sync_all()));
                if let Err(error) = written {
                    // Best effort: a leftover partial file is swept at the next start.
                    let _ = std::fs::remove_file(&temporary);
                    return Err(io_failure(&path, &error));
                }
                Ok(Staged::File(temporary))
            }
        }
    }

    /// Moves staged bytes under their id (the same bytes kept already stay as they are). On the writer thread.
    pub(super) fn place(&self, id: &str, staged: Staged) -> Result<(), StoreError> {
        match (self, staged) {
            (Blobs::Memory(map), Staged::Memory(bytes)) => {
                map.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(id.to_owned(), bytes);
                Ok(())
            }
            (Blobs::Folder(folder), Staged::File(temporary)) => {
                let path = Blobs::path(folder, id);
                if path.exists() {
                    let _ = std::fs::remove_file(&temporary);
                    return Ok(());
                }
                std::fs::rename(&temporary, &path).map_err(|error| io_failure(&path, &error))?;
                // The rename itself reaches the disk with its folder.
                if let Some(parent) = path.parent() {
                    if let Err(error) = std::fs::File::open(parent).and_then(|folder| folder.sync_all()) {
                        tracing::debug!(folder = %parent.display(), %error, "could not sync an attachment folder");
                    }
                }
                Ok(())
            }
            _ => Err(StoreError::Failed("staged bytes of the wrong kind".into())),
        }
    }

    pub(super) fn get(&self, id: &str) -> Result<Option<Bytes>, StoreError> {
        match self {
            Blobs::Memory(map) => Ok(map.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(id).cloned()),
            Blobs::Folder(folder) => {
                let path = Blobs::path(folder, id);
                match std::fs::read(&path) {
                    Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(error) => Err(io_failure(&path, &error)),
                }
            }
        }
    }

    pub(super) fn remove(&self, id: &str) {
        match self {
            Blobs::Memory(map) => {
                map.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(id);
            }
            Blobs::Folder(folder) => {
                let path = Blobs::path(folder, id);
                if let Err(error) = std::fs::remove_file(&path) {
                    if error.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(path = %path.display(), %error, "could not delete an evicted attachment");
                    }
                }
            }
        }
    }

    /// Deletes files the database does not know: partial writes, and blobs whose row a crash rolled back.
    pub(super) fn sweep(&self, known: &dyn Fn(&str) -> bool) {
        let Blobs::Folder(folder) = self else { return };
        let Ok(shards) = std::fs::read_dir(folder) else { return };
        for shard in shards.flatten() {
            let Ok(files) = std::fs::read_dir(shard.path()) else { continue };
            for file in files.flatten() {
                let name = file.file_name();
                let name = name.to_string_lossy();
                if !is_id(&name) || !known(&name) {
                    tracing::info!(file = %file.path().display(), "removing an attachment file nothing refers to");
                    if let Err(error) = std::fs::remove_file(file.path()) {
                        tracing::warn!(file = %file.path().display(), %error, "could not remove it");
                    }
                }
            }
        }
    }
}
