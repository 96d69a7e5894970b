//! Moving a shared file's bytes: an upload from disk to the host and a download from the host to disk, each over
//! HTTP, each taken up again where it stopped when the connection drops (the protocol is in docs/PROTOCOL.md,
//! "Files"). Bytes go between the disk and the socket in pieces: a 4 GiB file is never in memory.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use url::Url;

use super::{Client, ClientError};
use crate::protocol::{Ack, BeginUpload, ErrorBody, FileInfo};

/// How many times a transfer is taken up again after its connection failed, before it gives up.
const ATTEMPTS: u32 = 8;

/// Told how far a transfer is: the bytes done, and of how many.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{0}")]
    Disk(String),
    #[error("{}", .0.message)]
    Refused(ErrorBody),
    #[error("The host could not be reached: {0}")]
    Unreachable(String),
    #[error("The downloaded file does not match its SHA-256; it was not kept.")]
    Corrupt,
    #[error(transparent)]
    Client(#[from] ClientError),
}

fn disk(path: &Path, error: &std::io::Error) -> TransferError {
    TransferError::Disk(format!("{}: {error}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A file's size and SHA-256, read off the runtime's workers.
pub async fn size_and_sha256(path: &Path) -> Result<(u64, String), TransferError> {
    let owned = path.to_owned();
    let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<(u64, String)> {
        use std::io::Read;
        let mut file = std::fs::File::open(&owned)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                return Ok((size, hex(&hasher.finalize())));
            }
            size += read as u64;
            hasher.update(&buffer[..read]);
        }
    });
    match hashed.await {
        Ok(result) => result.map_err(|error| disk(path, &error)),
        Err(error) => Err(TransferError::Disk(error.to_string())),
    }
}

/// The error an HTTP answer carries (`{error: {kind, message}}`), or its status in words.
async fn refusal(response: reqwest::Response) -> TransferError {
    let status = response.status();
    match response.json::<Ack<()>>().await {
        Ok(Ack::Error(error)) => TransferError::Refused(error),
        _ => TransferError::Unreachable(format!("the host answered {status}")),
    }
}

fn offset_of(response: &reqwest::Response) -> Option<u64> {
    response.headers().get("upload-offset")?.to_str().ok()?.parse().ok()
}

/// Uploads a file to the host `client` is connected to (`base` is its address, `http://host:port`), from where the
/// host has it: a transfer that was cut, by a drop or by a restart of either side, goes on. Answers the file as
/// the host keeps it, to send with [`Client::send_file`].
pub async fn upload_file(
    client: &Client,
    base: &Url,
    path: &Path,
    progress: Progress,
) -> Result<FileInfo, TransferError> {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    upload_file_as(client, base, path, &name, progress).await
}

/// [`upload_file`], under a name other than the file's own (a pasted image kept in a temporary file, say).
pub async fn upload_file_as(
    client: &Client,
    base: &Url,
    path: &Path,
    name: &str,
    progress: Progress,
) -> Result<FileInfo, TransferError> {
    let name = name.to_owned();
    let (size, sha256) = size_and_sha256(path).await?;
    let ticket = client.begin_upload(BeginUpload { name, size, sha256 }).await?;
    let url = base.join(&ticket.path).map_err(|error| TransferError::Unreachable(error.to_string()))?;
    let http = reqwest::Client::new();
    let mut offset = ticket.offset;
    let mut failures = 0;
    loop {
        progress(offset, size);
        let mut file = tokio::fs::File::open(path).await.map_err(|error| disk(path, &error))?;
        file.seek(SeekFrom::Start(offset)).await.map_err(|error| disk(path, &error))?;
        let counted = Arc::clone(&progress);
        let mut sent = offset;
        let body = tokio_util::io::ReaderStream::new(file.take(size - offset)).inspect(move |chunk| {
            if let Ok(chunk) = chunk {
                sent += chunk.len() as u64;
                counted(sent, size);
            }
        });
        let answer = http
            .patch(url.clone())
            .header("upload-offset", offset)
            .header(reqwest::header::CONTENT_LENGTH, size - offset)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        match answer {
            Ok(response) if response.status() == reqwest::StatusCode::CREATED => {
                progress(size, size);
                return response.json().await.map_err(|error| TransferError::Unreachable(error.to_string()));
            }
            // More to send (the host took less than was sent), or not where the host is: go on from its offset.
            Ok(response) if matches!(response.status().as_u16(), 204 | 409) && offset_of(&response).is_some() => {
                offset = offset_of(&response).unwrap_or(offset);
            }
            Ok(response) => return Err(refusal(response).await),
            Err(error) => {
                failures += 1;
                if failures >= ATTEMPTS {
                    return Err(TransferError::Unreachable(error.to_string()));
                }
                tokio::time::sleep(Duration::from_millis(200 << failures.min(5))).await;
                // Where the host is now: what arrived before the cut is kept there.
                if let Ok(response) = http.head(url.clone()).send().await {
                    if let Some(at) = offset_of(&response) {
                        offset = at;
                    }
                }
            }
        }
    }
}

/// The SHA-256 a download's `ETag` names (`"sha256:…"`), if the host gave one.
fn etag_sha256(response: &reqwest::Response) -> Option<String> {
    let tag = response.headers().get(reqwest::header::ETAG)?.to_str().ok()?;
    Some(tag.trim_matches('"').strip_prefix("sha256:")?.to_owned())
}

/// Downloads `url` to `to`, through `to` + `.part`, which a later call takes up again (`Range`). The file is
/// checked against the SHA-256 the host names before it takes its name. Answers its size.
pub async fn download_file(url: &Url, to: &Path, progress: Progress) -> Result<u64, TransferError> {
    let part = PathBuf::from(format!("{}.part", to.display()));
    let http = reqwest::Client::new();
    let mut failures = 0;
    loop {
        let have = tokio::fs::metadata(&part).await.map(|metadata| metadata.len()).unwrap_or(0);
        let mut request = http.get(url.clone());
        if have > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                failures += 1;
                if failures >= ATTEMPTS {
                    return Err(TransferError::Unreachable(error.to_string()));
                }
                tokio::time::sleep(Duration::from_millis(200 << failures.min(5))).await;
                continue;
            }
        };
        let status = response.status().as_u16();
        let (start, total) = match status {
            200 => (0, response.content_length().unwrap_or(0)),
            206 => (have, have + response.content_length().unwrap_or(0)),
            // Asked past the end: the part is the whole file already.
            416 if have > 0 => (have, have),
            _ => return Err(refusal(response).await),
        };
        let expected = etag_sha256(&response);
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(start == 0)
            .open(&part)
            .await
            .map_err(|error| disk(&part, &error))?;
        file.seek(SeekFrom::Start(start)).await.map_err(|error| disk(&part, &error))?;
        let mut done = start;
        let mut body = response.bytes_stream();
        let mut cut = false;
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else {
                cut = true;
                break;
            };
            file.write_all(&chunk).await.map_err(|error| disk(&part, &error))?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        file.flush().await.map_err(|error| disk(&part, &error))?;
        drop(file);
        if cut || done < total {
            failures += 1;
            if failures >= ATTEMPTS {
                return Err(TransferError::Unreachable("the download kept being cut off".into()));
            }
            continue;
        }
        if let Some(expected) = expected {
            if size_and_sha256(&part).await?.1 != expected {
                let _ = tokio::fs::remove_file(&part).await;
                return Err(TransferError::Corrupt);
            }
        }
        tokio::fs::rename(&part, to).await.map_err(|error| disk(to, &error))?;
        return Ok(done);
    }
}
