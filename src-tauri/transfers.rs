//! Files moving between this computer and the host. The webview never names a path and never carries a file's
//! bytes as JSON: a file the user picked (in the native dialog) or dropped on the window is known to it by a token,
//! the bytes go from disk to the host here, in Rust, and a download goes where the user said in the Save dialog.
//! Each transfer runs in the background and reports on the `banter:event` event (`transfer`), with cancel and
//! retry. Pasted bytes (which only the webview has) arrive once as a raw IPC body and are kept in a temporary file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use banter_core::client::transfer::{download_file, upload_file_as, Progress};
use banter_core::protocol::FileInfo;
use banter_core::validate;
use serde::{Deserialize, Serialize};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use ts_rs::TS;

use crate::events::{EVENT, MAIN_WINDOW};
use crate::ipc::{IpcError, UiEvent};
use crate::state::AppState;

/// Progress is told at most this often, and once more at the end: a fast transfer must not flood the webview.
const PROGRESS_EVERY: Duration = Duration::from_millis(150);
/// The most bytes a paste can carry into a file (the webview holds them all already).
pub const MOST_PASTED_BYTES: usize = 256 << 20;

/// A file on this computer that the user chose to send, as the webview knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LocalFile {
    /// Names the file in `send_file`; only the dialog, a drop or a paste hand one out.
    pub token: String,
    pub name: String,
    pub size: u64,
}

/// Where a file is sent: a room, or a person (a direct message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SendTo {
    Room { room: String },
    Dm { with: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Upload,
    Download,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum TransferState {
    Running,
    /// Uploaded and posted, or downloaded, checked and saved.
    Done,
    Failed,
    Cancelled,
}

/// How one transfer stands, on every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    pub id: String,
    pub direction: Direction,
    pub name: String,
    pub done: u64,
    pub total: u64,
    pub state: TransferState,
    /// Why it failed, in words.
    pub error: Option<String>,
    /// Where an upload is posted.
    pub to: Option<SendTo>,
    /// The file a download fetches.
    pub file_id: Option<String>,
    /// Where a finished download was saved, to show.
    pub saved_to: Option<String>,
}

/// What a transfer does, kept so that Retry can do it again.
#[derive(Debug, Clone)]
enum Job {
    Upload { path: PathBuf, name: String, to: SendTo, text: String },
    Download { file: FileInfo, to: PathBuf },
}

#[derive(Debug)]
struct Running {
    job: Job,
    task: Option<JoinHandle<()>>,
}

/// The files the user chose, and the transfers under way or ended in this run of the app.
#[derive(Debug)]
pub struct Transfers {
    next: AtomicU64,
    chosen: Mutex<HashMap<String, PathBuf>>,
    running: Mutex<HashMap<String, Running>>,
    /// Where pasted bytes are kept until they are sent; emptied when the app starts.
    pasted: PathBuf,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind: keep going with it.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Transfers {
    pub fn new(cache_folder: Option<PathBuf>) -> Self {
        let pasted = cache_folder.unwrap_or_else(std::env::temp_dir).join("pasted");
        // What an earlier run pasted and never sent: nobody can name it any more.
        let _ = std::fs::remove_dir_all(&pasted);
        Transfers {
            next: AtomicU64::new(1),
            chosen: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
            pasted,
        }
    }

    fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// Hands out a token for a file the user chose, with its name and size as the disk says now.
    pub fn choose(&self, path: PathBuf) -> Result<LocalFile, IpcError> {
        let metadata = std::fs::metadata(&path).map_err(|error| disk_error(&path, &error))?;
        if !metadata.is_file() {
            return Err(IpcError::new(
                "invalid",
                format!("{} is not a file: send the files in it instead.", path.display()),
            ));
        }
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let token = self.next_id("f");
        locked(&self.chosen).insert(token.clone(), path);
        Ok(LocalFile { token, name, size: metadata.len() })
    }

    /// Keeps pasted bytes in a file of their own and hands out a token for them.
    pub fn keep_pasted(&self, name: &str, bytes: &[u8]) -> Result<LocalFile, IpcError> {
        let name = validate::file_name(name).map_err(IpcError::from)?;
        if bytes.len() > MOST_PASTED_BYTES {
            return Err(IpcError::new(
                "too_large",
                format!(
                    "At most {} can be pasted; send a larger file with +.",
                    banter_core::host::files::size_text(MOST_PASTED_BYTES as u64)
                ),
            ));
        }
        let folder = self.pasted.join(self.next_id("p"));
        let path = folder.join(&name);
        std::fs::create_dir_all(&folder).map_err(|error| disk_error(&folder, &error))?;
        std::fs::write(&path, bytes).map_err(|error| disk_error(&path, &error))?;
        self.choose(path)
    }

    pub(crate) fn chosen(&self, token: &str) -> Result<PathBuf, IpcError> {
        locked(&self.chosen)
            .get(token)
            .cloned()
            .ok_or_else(|| IpcError::new("not_found", "That file is no longer chosen: pick it again."))
    }

    fn start<R: Runtime>(&self, app: &AppHandle<R>, id: String, job: Job) {
        let task = tauri::async_runtime::spawn(run(app.clone(), id.clone(), job.clone()));
        locked(&self.running).insert(id, Running { job, task: Some(task) });
    }

    /// Stops a transfer; an upload stays on the host as far as it got, for a retry to go on from.
    pub fn cancel<R: Runtime>(&self, app: &AppHandle<R>, id: &str) -> Result<(), IpcError> {
        let mut running = locked(&self.running);
        let transfer = running.get_mut(id).ok_or_else(unknown_transfer)?;
        if let Some(task) = transfer.task.take() {
            task.abort();
        }
        let mut view = view_of(id, &transfer.job);
        view.state = TransferState::Cancelled;
        drop(running);
        tell(app, view);
        Ok(())
    }

    /// Runs an ended transfer again: an upload goes on from what the host kept, a download from its `.part` file.
    pub fn retry<R: Runtime>(&self, app: &AppHandle<R>, id: &str) -> Result<(), IpcError> {
        let job = {
            let mut running = locked(&self.running);
            let transfer = running.get_mut(id).ok_or_else(unknown_transfer)?;
            if let Some(task) = transfer.task.take() {
                task.abort();
            }
            transfer.job.clone()
        };
        self.start(app, id.to_owned(), job);
        Ok(())
    }

    /// Where a download was saved.
    fn saved(&self, id: &str) -> Result<PathBuf, IpcError> {
        match locked(&self.running).get(id).map(|transfer| &transfer.job) {
            Some(Job::Download { to, .. }) => Ok(to.clone()),
            _ => Err(unknown_transfer()),
        }
    }
}

fn unknown_transfer() -> IpcError {
    IpcError::new("not_found", "No such transfer in this run of the app.")
}

fn disk_error(path: &Path, error: &std::io::Error) -> IpcError {
    IpcError::new("disk", format!("{}: {error}", path.display()))
}

fn view_of(id: &str, job: &Job) -> TransferView {
    let (direction, name, total, to, file_id, saved_to) = match job {
        Job::Upload { name, to, path, .. } => {
            let size = std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0);
            (Direction::Upload, name.clone(), size, Some(to.clone()), None, None)
        }
        Job::Download { file, to } => (
            Direction::Download,
            file.name.clone(),
            file.size,
            None,
            Some(file.id.clone()),
            Some(to.display().to_string()),
        ),
    };
    TransferView {
        id: id.to_owned(),
        direction,
        name,
        done: 0,
        total,
        state: TransferState::Running,
        error: None,
        to,
        file_id,
        saved_to,
    }
}

fn tell<R: Runtime>(app: &AppHandle<R>, transfer: TransferView) {
    if let Err(error) = app.emit_to(MAIN_WINDOW, EVENT, &UiEvent::Transfer { transfer }) {
        tracing::warn!(%error, "could not tell the window how a transfer stands");
    }
}

/// Progress for one transfer, told at most every [`PROGRESS_EVERY`].
fn progress<R: Runtime>(app: &AppHandle<R>, view: &TransferView) -> Progress {
    let app = app.clone();
    let view = view.clone();
    let last = Mutex::new(None::<Instant>);
    Arc::new(move |done, total| {
        let mut last = locked(&last);
        if total != done && last.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        tell(&app, TransferView { done, total, ..view.clone() });
    })
}

async fn run<R: Runtime>(app: AppHandle<R>, id: String, job: Job) {
    let mut view = view_of(&id, &job);
    tell(&app, view.clone());
    let outcome = match &job {
        Job::Upload { path, name, to, text } => upload(&app, &view, path, name, to, text).await,
        Job::Download { file, to } => download(&app, &view, file, to).await,
    };
    match outcome {
        Ok(()) => {
            view.state = TransferState::Done;
            view.done = view.total;
        }
        Err(error) => {
            tracing::info!(transfer = %id, %error, "a transfer failed");
            view.state = TransferState::Failed;
            view.error = Some(error.message);
        }
    }
    tell(&app, view);
}

async fn upload<R: Runtime>(
    app: &AppHandle<R>,
    view: &TransferView,
    path: &Path,
    name: &str,
    to: &SendTo,
    text: &str,
) -> Result<(), IpcError> {
    let state = app.state::<AppState>();
    let client = state.client().await?;
    let base = state.base_url().await?;
    let file = upload_file_as(&client, &base, path, name, progress(app, view))
        .await
        .map_err(|error| IpcError::new("transfer", format!("{name} was not sent: {error}")))?;
    match to {
        SendTo::Room { room } => client.send_file(room, text, &file).await?,
        SendTo::Dm { with } => client.send_direct_file(with, text, &file).await?,
    };
    Ok(())
}

async fn download<R: Runtime>(
    app: &AppHandle<R>,
    view: &TransferView,
    file: &FileInfo,
    to: &Path,
) -> Result<(), IpcError> {
    let url = file_url(&app.state::<AppState>(), &file.id).await?;
    download_file(&url, to, progress(app, view))
        .await
        .map(drop)
        .map_err(|error| IpcError::new("transfer", format!("{} was not saved: {error}", file.name)))
}

/// The address of a shared file on the host joined.
pub async fn file_url(state: &AppState, id: &str) -> Result<url::Url, IpcError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(IpcError::new("invalid", "That is not a file's id."));
    }
    state.base_url().await?.join(&format!("files/{id}")).map_err(|error| IpcError::new("invalid", error.to_string()))
}

/// Opens the native picker; answers the files chosen (none when the user closed it).
#[tauri::command]
pub async fn pick_files<R: Runtime>(app: AppHandle<R>) -> Result<Vec<LocalFile>, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    let (answer, chosen) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title("Send files");
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        dialog = dialog.set_parent(&window);
    }
    dialog.pick_files(move |paths| {
        let _ = answer.send(paths.unwrap_or_default());
    });
    let paths = chosen.await.unwrap_or_default();
    let transfers = &app.state::<AppState>().transfers;
    paths.into_iter().filter_map(|path| path.into_path().ok()).map(|path| transfers.choose(path)).collect()
}

/// Keeps pasted bytes (the raw IPC body; the name in the `banter-name` header, percent-encoded) as a file to send.
#[tauri::command]
pub fn keep_pasted(state: tauri::State<'_, AppState>, request: tauri::ipc::Request<'_>) -> Result<LocalFile, IpcError> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(IpcError::new("invalid", "Pasted bytes come as a raw body."));
    };
    let name = request
        .headers()
        .get("banter-name")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| percent_encoding::percent_decode_str(value).decode_utf8().ok().map(|name| name.into_owned()))
        .unwrap_or_else(|| "pasted".to_owned());
    state.transfers.keep_pasted(&name, bytes)
}

/// Uploads a chosen file and posts it with `text`; answers the transfer's id, which `transfer` events name.
#[tauri::command]
pub fn send_file<R: Runtime>(
    app: AppHandle<R>,
    state: tauri::State<'_, AppState>,
    to: SendTo,
    token: String,
    text: String,
) -> Result<String, IpcError> {
    let path = state.transfers.chosen(&token)?;
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let id = state.transfers.next_id("t");
    state.transfers.start(&app, id.clone(), Job::Upload { path, name, to, text });
    Ok(id)
}

/// Asks where to save a shared file (the Save dialog) and downloads it there; answers the transfer's id, or none
/// when the user closed the dialog.
#[tauri::command]
pub async fn save_file<R: Runtime>(app: AppHandle<R>, file: FileInfo) -> Result<Option<String>, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    // The name as the host cleaned it, cleaned again: a hostile host must not steer the dialog into a path.
    let suggested = validate::file_name(&file.name).unwrap_or_else(|_| "download".to_owned());
    let (answer, chosen) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title("Save as").set_file_name(suggested);
    if let Ok(folder) = app.path().download_dir() {
        dialog = dialog.set_directory(folder);
    }
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        dialog = dialog.set_parent(&window);
    }
    dialog.save_file(move |path| {
        let _ = answer.send(path);
    });
    let Some(to) = chosen.await.ok().flatten().and_then(|path| path.into_path().ok()) else { return Ok(None) };
    let transfers = &app.state::<AppState>().transfers;
    let id = transfers.next_id("t");
    transfers.start(&app, id.clone(), Job::Download { file, to });
    Ok(Some(id))
}

#[tauri::command]
pub fn cancel_transfer<R: Runtime>(
    app: AppHandle<R>,
    state: tauri::State<'_, AppState>,
    id: String,
) -> Result<(), IpcError> {
    state.transfers.cancel(&app, &id)
}

#[tauri::command]
pub fn retry_transfer<R: Runtime>(
    app: AppHandle<R>,
    state: tauri::State<'_, AppState>,
    id: String,
) -> Result<(), IpcError> {
    state.transfers.retry(&app, &id)
}

/// Shows a saved download in the system's file manager.
#[tauri::command]
pub fn show_in_folder<R: Runtime>(
    app: AppHandle<R>,
    state: tauri::State<'_, AppState>,
    id: String,
) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    let path = state.transfers.saved(&id)?;
    app.opener().reveal_item_in_dir(&path).map_err(|error| IpcError::new("opener", error.to_string()))
}

/// Files dropped on the window become chosen files, which the webview then sends where the user is.
pub fn dropped<R: Runtime>(window: &tauri::Window<R>, event: &tauri::DragDropEvent) {
    let Some(state) = window.try_state::<AppState>() else { return };
    let ui = match event {
        tauri::DragDropEvent::Enter { .. } => UiEvent::DropHover { over: true },
        tauri::DragDropEvent::Leave => UiEvent::DropHover { over: false },
        tauri::DragDropEvent::Drop { paths, .. } => {
            let mut files = Vec::new();
            for path in paths {
                match state.transfers.choose(path.clone()) {
                    Ok(file) => files.push(file),
                    Err(error) => tracing::info!(%error, "a dropped item is not sent"),
                }
            }
            UiEvent::FilesDropped { files }
        }
        _ => return,
    };
    if let Err(error) = window.emit_to(MAIN_WINDOW, EVENT, &ui) {
        tracing::warn!(%error, "could not tell the window about a drop");
    }
}
