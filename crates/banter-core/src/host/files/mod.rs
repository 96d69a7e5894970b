//! Files people share: uploads that stream over HTTP, resume from the last byte the host has, and are checked
//! against their SHA-256 before the host keeps them; the same bytes are kept once.
//!
//! A member begins an upload on the socket (`file:begin`, `chat/files.rs`), which checks the size against the limit
//! and the host's quota before a byte is sent, and answers an unguessable upload id. The bytes then go to
//! `PATCH /uploads/{upload}` (`http.rs`), in as many requests as it takes: each says where it starts
//! (`Upload-Offset`), and one that does not start where the host is gets the host's offset back instead. An upload
//! is a part file and a small description beside it (`uploads/`), so that it survives a restart of the host;
//! once complete and checked, its bytes move under their hash (`blobs/`) and the store records the file under an
//! id of its own, which is what `GET /files/{id}` serves.

mod dropped;
pub mod http;
mod relay;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::keys::UserId;
use crate::limits::FileLimits;
use crate::protocol::{BeginUpload, ErrorBody, ErrorKind, UploadTicket};

/// How long an unfinished upload is kept after its last byte arrived: long enough to come back after a night's
/// sleep, short enough that abandoned ones do not hold the quota for ever.
pub const UNFINISHED_KEPT: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a finished upload may wait to be sent with a message before it is forgotten and its bytes freed: the
/// same day as for an unfinished one.
pub const UNSENT_KEPT: Duration = UNFINISHED_KEPT;
/// What an upload must leave free on the disk (or a tenth of a small disk), so that messages can still be kept
/// whatever the files take.
pub const DISK_RESERVE: u64 = 256 << 20;
/// How often the host looks for abandoned uploads and unsent files.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// What is kept beside an upload's part file, to take it up again after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Description {
    user: String,
    name: String,
    size: u64,
    sha256: String,
}

#[derive(Debug)]
struct Upload {
    description: Description,
    /// The bytes in the part file.
    offset: u64,
    /// A `PATCH` is writing to it: a second one at the same time is refused.
    busy: bool,
    touched: SystemTime,
}

/// Every upload on the host, and where files live.
#[derive(Debug)]
pub struct Files {
    root: PathBuf,
    /// A folder made for a host that keeps nothing (memory only): removed with it.
    ephemeral: bool,
    limits: FileLimits,
    uploads: Mutex<HashMap<String, Upload>>,
    /// Held while complete bytes move under their hash and get their record, and while bytes no record shares any
    /// more are removed: so that the same bytes arriving again are never removed under their new record.
    placement: tokio::sync::Mutex<()>,
    /// Why recent uploads that are gone ended without a file.
    dropped: dropped::Dropped,
}

fn refusal(kind: ErrorKind, message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(kind, message)
}

fn random_id() -> String {
    format!("{:032x}", rand::thread_rng().gen::<u128>())
}

/// Whether an id can name an upload or a file: anything else is refused before it reaches a path.
pub fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// Whether a string is a SHA-256 in lowercase hex.
fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// A size for people: "3.2 GiB".
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Runs until the host stops: [`Files::sweep`] every [`SWEEP_EVERY`].
pub(crate) async fn sweep_now_and_then(hub: super::hub::Hub) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        hub.files().sweep(hub.store(), crate::clock::now_millis()).await;
    }
}

impl Files {
    /// Files under `root` (`{data}/files`), taking up the uploads a previous run left unfinished. `ephemeral`: the
    /// folder is the host's alone and goes when it stops.
    pub fn open(root: PathBuf, ephemeral: bool, limits: FileLimits) -> std::io::Result<Arc<Files>> {
        std::fs::create_dir_all(root.join("uploads"))?;
        std::fs::create_dir_all(root.join("blobs"))?;
        let mut uploads = HashMap::new();
        for entry in std::fs::read_dir(root.join("uploads"))? {
            let path = entry?.path();
            let Some(id) = path.file_stem().and_then(|stem| stem.to_str()).filter(|id| is_id(id)) else { continue };
            if path.extension().and_then(|ext| ext.to_str()) != Some("json") {
                continue;
            }
            let description = std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
            let part = path.with_extension("part");
            let metadata = std::fs::metadata(&part);
            match (description, metadata) {
                (Some(description), Ok(metadata)) => {
                    let touched = metadata.modified().unwrap_or_else(|_| SystemTime::now());
                    let offset = metadata.len();
                    uploads.insert(id.to_owned(), Upload { description, offset, busy: false, touched });
                }
                // Half of an upload (a crash between writing its two files): nothing to take up.
                _ => {
                    let _ = std::fs::remove_file(&path);
                    let _ = std::fs::remove_file(&part);
                }
            }
        }
        if !uploads.is_empty() {
            tracing::info!(uploads = uploads.len(), "took up unfinished uploads");
        }
        let placement = tokio::sync::Mutex::new(());
        let dropped = dropped::Dropped::default();
        Ok(Arc::new(Files { root, ephemeral, limits, uploads: Mutex::new(uploads), placement, dropped }))
    }

    fn uploads(&self) -> MutexGuard<'_, HashMap<String, Upload>> {
        // Every method leaves the map consistent at each return, so a poisoned lock's value is safe to use.
        self.uploads.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn part_path(&self, upload: &str) -> PathBuf {
        self.root.join("uploads").join(format!("{upload}.part"))
    }

    fn description_path(&self, upload: &str) -> PathBuf {
        self.root.join("uploads").join(format!("{upload}.json"))
    }

    /// Where the bytes with this hash are kept once complete.
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.root.join("blobs").join(&sha256[..2]).join(sha256)
    }

    /// Whether the disk can take `size` more bytes besides what the unfinished uploads still have to write, and the
    /// reserve. A disk whose space cannot be read is not refused here: a write that fails says so.
    fn disk_has_room(&self, name: &str, size: u64, uploads: &HashMap<String, Upload>) -> Result<(), ErrorBody> {
        let Ok(available) = fs4::available_space(&self.root) else { return Ok(()) };
        let total = fs4::total_space(&self.root).unwrap_or(available);
        let promised: u64 = uploads.values().map(|upload| upload.description.size.saturating_sub(upload.offset)).sum();
        let room = available.saturating_sub(promised + DISK_RESERVE.min(total / 10));
        if size > room {
            return Err(refusal(
                ErrorKind::StorageFull,
                format!(
                    "{name} is {}, and the host's disk has room for {} more; its owner can make room.",
                    size_text(size),
                    size_text(room)
                ),
            ));
        }
        Ok(())
    }

    /// Bytes the unfinished uploads will take once complete.
    fn reserved(uploads: &HashMap<String, Upload>) -> u64 {
        uploads.values().map(|upload| upload.description.size).sum()
    }

    /// Begins an upload for `user`, or takes up theirs of the same file. `stored` is what the kept files take.
    pub fn begin(&self, user: &UserId, request: &BeginUpload, stored: u64) -> Result<UploadTicket, ErrorBody> {
        let name = crate::validate::file_name(&request.name)?;
        if !is_sha256(&request.sha256) {
            return Err(refusal(ErrorKind::Invalid, "sha256 must be the file's SHA-256 in lowercase hex."));
        }
        if request.size > self.limits.max_file_bytes {
            return Err(refusal(
                ErrorKind::TooLarge,
                format!(
                    "{name} is {}; this host takes files of up to {}.",
                    size_text(request.size),
                    size_text(self.limits.max_file_bytes)
                ),
            ));
        }
        let mut uploads = self.uploads();
        let now = SystemTime::now();
        self.forget_abandoned(&mut uploads, now);
        let same = |upload: &Upload| {
            upload.description.user == user.as_str()
                && upload.description.sha256 == request.sha256
                && upload.description.size == request.size
                && upload.description.name == name
        };
        if let Some((id, upload)) = uploads.iter_mut().find(|(_, upload)| same(upload)) {
            upload.touched = now;
            return Ok(UploadTicket {
                upload: id.clone(),
                path: format!("/uploads/{id}"),
                offset: upload.offset,
                name,
            });
        }
        let mine = uploads.values().filter(|upload| upload.description.user == user.as_str()).count();
        if mine >= self.limits.per_user {
            return Err(refusal(
                ErrorKind::RateLimited,
                format!("You have {mine} unfinished uploads; finish or cancel one before starting another."),
            ));
        }
        if uploads.len() >= self.limits.per_host {
            return Err(refusal(
                ErrorKind::RateLimited,
                format!("The host has {} uploads under way; try again when one has finished.", uploads.len()),
            ));
        }
        let free = self.limits.quota_bytes.saturating_sub(stored + Self::reserved(&uploads));
        if request.size > free {
            return Err(refusal(
                ErrorKind::StorageFull,
                format!(
                    "{name} is {}, and the host has room for {} more; its owner can make room.",
                    size_text(request.size),
                    size_text(free)
                ),
            ));
        }
        self.disk_has_room(&name, request.size, &uploads)?;
        let id = random_id();
        let description = Description {
            user: user.as_str().to_owned(),
            name: name.clone(),
            size: request.size,
            sha256: request.sha256.clone(),
        };
        let write = || -> std::io::Result<()> {
            std::fs::File::create(self.part_path(&id))?;
            let json = serde_json::to_vec(&description).map_err(std::io::Error::other)?;
            std::fs::write(self.description_path(&id), json)
        };
        if let Err(error) = write() {
            let _ = std::fs::remove_file(self.part_path(&id));
            return Err(io_refusal(&error, "the upload"));
        }
        uploads.insert(id.clone(), Upload { description, offset: 0, busy: false, touched: now });
        Ok(UploadTicket { upload: id.clone(), path: format!("/uploads/{id}"), offset: 0, name })
    }

    /// Removes the bytes with this hash from the disk, unless a kept file has them (again) by now: their last
    /// message was deleted.
    pub async fn remove_freed(&self, store: &dyn crate::store::Store, sha256: &str) {
        let _placing = self.placement.lock().await;
        match store.sha256_kept(sha256).await {
            Ok(false) => {
                if let Err(error) = std::fs::remove_file(self.blob_path(sha256)) {
                    tracing::warn!(%error, "could not remove a deleted file's bytes");
                }
            }
            Ok(true) => {}
            Err(error) => tracing::warn!(%error, "could not tell whether a deleted file's bytes are still needed"),
        }
    }

    /// Frees what nobody will send: unfinished uploads untouched for [`UNFINISHED_KEPT`], and finished ones that no
    /// message carries after [`UNSENT_KEPT`] (`now` in ms since the epoch).
    pub async fn sweep(&self, store: &dyn crate::store::Store, now: u64) {
        {
            let mut uploads = self.uploads();
            self.forget_abandoned(&mut uploads, SystemTime::now());
        }
        let before = now.saturating_sub(u64::try_from(UNSENT_KEPT.as_millis()).unwrap_or(u64::MAX));
        match store.forget_unsent_files(before).await {
            Ok(freed) => {
                for sha256 in freed {
                    self.remove_freed(store, &sha256).await;
                }
            }
            Err(error) => tracing::warn!(%error, "could not look for files uploaded but never sent"),
        }
    }

    /// Drops uploads nobody sent a byte to for [`UNFINISHED_KEPT`].
    fn forget_abandoned(&self, uploads: &mut HashMap<String, Upload>, now: SystemTime) {
        let stale: Vec<String> = uploads
            .iter()
            .filter(|(_, upload)| {
                !upload.busy && now.duration_since(upload.touched).unwrap_or_default() > UNFINISHED_KEPT
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            uploads.remove(&id);
            self.remove_upload_files(&id);
            tracing::info!(upload = %id, "dropped an upload abandoned for a day");
        }
    }

    fn remove_upload_files(&self, upload: &str) {
        let _ = std::fs::remove_file(self.part_path(upload));
        let _ = std::fs::remove_file(self.description_path(upload));
    }

    /// How far an upload is, and how big it will be; `None` if there is no such upload.
    pub fn progress(&self, upload: &str) -> Option<(u64, u64)> {
        self.uploads().get(upload).map(|upload| (upload.offset, upload.description.size))
    }

    /// Claims an upload for one `PATCH` starting at `offset`. Refused if there is no such upload, if another request
    /// is writing it, or if `offset` is not where it is (then the answer carries where it is).
    fn claim(&self, upload: &str, offset: u64) -> Result<Claim, Refused> {
        let mut uploads = self.uploads();
        let Some(found) = uploads.get_mut(upload) else { return Err(Refused::Unknown) };
        if found.busy {
            return Err(Refused::Busy);
        }
        if offset != found.offset {
            return Err(Refused::Offset(found.offset));
        }
        found.busy = true;
        Ok(Claim { offset: found.offset, description: found.description.clone() })
    }

    /// Ends a `PATCH`: the upload has `offset` bytes now.
    fn release(&self, upload: &str, offset: u64) {
        if let Some(found) = self.uploads().get_mut(upload) {
            found.offset = offset;
            found.busy = false;
            found.touched = SystemTime::now();
        }
    }

    /// Forgets an upload, complete or refused, with its files.
    pub(super) fn finish(&self, upload: &str) {
        self.uploads().remove(upload);
        self.remove_upload_files(upload);
    }

    /// Forgets an upload the host refused, remembering why for the uploader's next request.
    pub(super) fn drop_refused(&self, upload: &str, status: axum::http::StatusCode, error: &ErrorBody) {
        self.dropped.remember(upload, status, error);
        self.finish(upload);
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if self.ephemeral {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// A `PATCH`'s hold on its upload.
#[derive(Debug)]
struct Claim {
    offset: u64,
    description: Description,
}

#[derive(Debug, PartialEq, Eq)]
enum Refused {
    Unknown,
    Busy,
    Offset(u64),
}

/// What the uploader hears when the disk failed them.
fn io_refusal(error: &std::io::Error, what: &str) -> ErrorBody {
    // ENOSPC and EDQUOT: the disk (or the host's share of it) is full.
    if matches!(error.raw_os_error(), Some(28 | 122)) {
        refusal(ErrorKind::StorageFull, format!("The host's disk is full, so {what} could not be kept."))
    } else {
        tracing::error!(%error, "a file operation failed");
        refusal(ErrorKind::Internal, format!("The host could not keep {what}; its log says why."))
    }
}

/// The folder files go in for a host that keeps nothing: its own, under the system's temporary folder.
pub fn ephemeral_root() -> PathBuf {
    std::env::temp_dir().join(format!("banter-files-{}", random_id()))
}
