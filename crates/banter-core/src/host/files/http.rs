//! The HTTP side of files: `HEAD` and `PATCH /uploads/{upload}` take the bytes, resumably, and `GET /files/{id}`
//! gives them back, with `Range`. docs/PROTOCOL.md ("Files") is the contract.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use std::sync::Arc;

use super::{io_refusal, is_id, Claim, Files, Refused};
use crate::host::attachments::sniff_image_type;
use crate::host::hub::storage_refusal;
use crate::host::Hub;
use crate::protocol::{ErrorBody, ErrorKind, FileInfo};
use crate::store::FileRecord;

/// How far an upload is: in every answer about one, and required on every `PATCH`.
pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
/// The size the upload will have, in `HEAD` answers.
pub const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");

/// Types a browser may show on the host's own origin: images that run nothing. Everything else is a download.
const SHOWN_INLINE: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

pub fn routes(hub: Hub) -> Router {
    Router::new()
        .route("/uploads/{upload}", axum::routing::head(upload_progress).patch(upload_bytes))
        .route("/files/{id}", get(download))
        .with_state(hub)
}

fn error_response(status: StatusCode, error: &ErrorBody) -> Response {
    (status, Json(crate::protocol::Ack::<()>::Error(error.clone()))).into_response()
}

fn offset_response(status: StatusCode, offset: u64) -> Response {
    let mut response = status.into_response();
    response.headers_mut().insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    response
}

/// The answer about an upload the host does not have: why it ended, if that is known still.
fn no_such_upload(files: &Files, upload: &str) -> Response {
    if let Some((status, error)) = files.dropped.why(upload) {
        return error_response(status, &error);
    }
    let error = ErrorBody::new(ErrorKind::NotFound, "There is no such upload: it finished, or was refused or dropped.");
    error_response(StatusCode::NOT_FOUND, &error)
}

async fn upload_progress(State(hub): State<Hub>, Path(upload): Path<String>) -> Response {
    match hub.files().progress(&upload) {
        Some((offset, size)) => {
            let mut response = offset_response(StatusCode::OK, offset);
            response.headers_mut().insert(UPLOAD_LENGTH, HeaderValue::from(size));
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => no_such_upload(hub.files(), &upload),
    }
}

fn declared_offset(headers: &HeaderMap) -> Option<u64> {
    headers.get(UPLOAD_OFFSET)?.to_str().ok()?.parse().ok()
}

/// Takes bytes of an upload from where it is. The body may end early (a cut connection): what arrived is kept, and
/// the next `PATCH` starts after it. Once the last byte is in, the whole file is checked against its SHA-256, and
/// the answer is the file as kept.
async fn upload_bytes(State(hub): State<Hub>, Path(upload): Path<String>, request: Request) -> Response {
    let files = Arc::clone(hub.files());
    let Some(offset) = declared_offset(request.headers()) else {
        let error = ErrorBody::new(ErrorKind::BadRequest, "A PATCH must say where it starts (Upload-Offset).");
        return error_response(StatusCode::BAD_REQUEST, &error);
    };
    let claim = match files.claim(&upload, offset) {
        Ok(claim) => claim,
        Err(Refused::Unknown) => return no_such_upload(&files, &upload),
        Err(Refused::Busy) => {
            let error = ErrorBody::new(ErrorKind::RateLimited, "Another request is sending this upload right now.");
            return error_response(StatusCode::CONFLICT, &error);
        }
        // Not where the host is: the uploader hears where that is, and goes on from there.
        Err(Refused::Offset(at)) => return offset_response(StatusCode::CONFLICT, at),
    };
    let (reached, failure) = receive(&files.part_path(&upload), &claim, request.into_body()).await;
    files.release(&upload, reached);
    if let Some((status, error)) = failure {
        if error.kind == ErrorKind::StorageFull {
            // The disk filled up (something else took it since the upload began): the part goes, so that the
            // chat's messages can still be kept. Sending again starts over, once there is room.
            tracing::warn!(upload = %upload, "the disk filled up during an upload; dropped it");
            files.drop_refused(&upload, status, &error);
        }
        return error_response(status, &error);
    }
    if reached < claim.description.size {
        return offset_response(StatusCode::NO_CONTENT, reached);
    }
    complete(&hub, &files, &upload, claim).await
}

/// Appends the body to the part file, never past the upload's size. Returns the bytes the part holds then, and
/// the answer if something failed.
async fn receive(part: &std::path::Path, claim: &Claim, body: Body) -> (u64, Option<(StatusCode, ErrorBody)>) {
    let mut offset = claim.offset;
    let size = claim.description.size;
    let mut file = match tokio::fs::OpenOptions::new().append(true).open(part).await {
        Ok(file) => file,
        Err(error) => return (offset, Some((StatusCode::INTERNAL_SERVER_ERROR, io_refusal(&error, "the upload")))),
    };
    let mut stream = body.into_data_stream();
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            // The uploader went away mid-request: what arrived stays, and they resume after it.
            break;
        };
        let len = chunk.len() as u64;
        if offset + len > size {
            let error = ErrorBody::new(
                ErrorKind::TooLarge,
                format!("The upload is {size} bytes; this request went past its end."),
            );
            failure = Some((StatusCode::PAYLOAD_TOO_LARGE, error));
            break;
        }
        if let Err(error) = file.write_all(&chunk).await {
            failure = Some((StatusCode::INSUFFICIENT_STORAGE, io_refusal(&error, "the upload")));
            break;
        }
        offset += len;
    }
    // What the host says it has, it has: on disk, and not a byte more than it counted (a failed write may have
    // left part of a chunk).
    let settled = async {
        file.flush().await?;
        file.set_len(offset).await?;
        file.sync_data().await
    };
    if let Err(error) = settled.await {
        tracing::warn!(%error, "could not settle an upload's part file");
        failure.get_or_insert_with(|| (StatusCode::INSUFFICIENT_STORAGE, io_refusal(&error, "the upload")));
    }
    (offset, failure)
}

/// Checks a complete upload against its hash and keeps it: its bytes under their hash (once, whoever sent the same
/// bytes before), and a record under a new id.
async fn complete(hub: &Hub, files: &Arc<Files>, upload: &str, claim: Claim) -> Response {
    let part = files.part_path(upload);
    let description = claim.description;
    let hashed = {
        let part = part.clone();
        tokio::task::spawn_blocking(move || hash_and_sniff(&part)).await
    };
    let (sha256, mime) = match hashed {
        Ok(Ok(found)) => found,
        Ok(Err(error)) => {
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, &io_refusal(&error, "the upload"));
        }
        Err(_) => {
            let error = ErrorBody::new(ErrorKind::Internal, "The host could not check the upload.");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, &error);
        }
    };
    if sha256 != description.sha256 {
        let error = ErrorBody::new(
            ErrorKind::Invalid,
            "The file that arrived does not match its SHA-256, so it was not kept: send it again.",
        );
        files.drop_refused(upload, StatusCode::UNPROCESSABLE_ENTITY, &error);
        return error_response(StatusCode::UNPROCESSABLE_ENTITY, &error);
    }
    let blob = files.blob_path(&sha256);
    let _placing = files.placement.lock().await;
    let placed = (|| -> std::io::Result<()> {
        if blob.exists() {
            // The same bytes are kept already: this upload adds a record, not a copy.
            return Ok(());
        }
        if let Some(folder) = blob.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::rename(&part, &blob)
    })();
    if let Err(error) = placed {
        return error_response(StatusCode::INSUFFICIENT_STORAGE, &io_refusal(&error, "the file"));
    }
    let info = FileInfo { id: super::random_id(), name: description.name, size: description.size, mime, sha256 };
    let record = FileRecord {
        info: info.clone(),
        uploader: crate::keys::UserId::from_stored(description.user),
        stored_at: crate::clock::now_millis(),
    };
    if let Err(error) = hub.store().keep_file(record).await {
        return error_response(StatusCode::INSUFFICIENT_STORAGE, &storage_refusal(&error, "the file"));
    }
    files.finish(upload);
    (StatusCode::CREATED, Json(info)).into_response()
}

/// The SHA-256 of a file, and its type: one of the image types shown inline, read from its first bytes, or
/// `application/octet-stream`.
fn hash_and_sniff(path: &std::path::Path) -> std::io::Result<(String, String)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut head = Vec::new();
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        if head.len() < 16 {
            head.extend_from_slice(&buffer[..read.min(16)]);
        }
        hasher.update(&buffer[..read]);
    }
    let sha256 = hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect();
    let mime = sniff_image_type(&head).unwrap_or("application/octet-stream");
    Ok((sha256, mime.to_owned()))
}

/// `Content-Disposition` for a file: shown for the safe images, saved for everything else, under its own name
/// (RFC 6266, the name percent-encoded as RFC 8187 says, with a plain ASCII fallback).
fn disposition(info: &FileInfo) -> HeaderValue {
    let kind = if SHOWN_INLINE.contains(&info.mime.as_str()) { "inline" } else { "attachment" };
    let fallback: String =
        info.name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    let encoded: String = info
        .name
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Marks a download one host of a cluster asks of another on a client's behalf.
pub(super) const RELAYED: &str = "x-banter-relayed";

/// Serves a kept file, with `Range` (a download resumes), as a download unless it is one of the safe images.
async fn download(State(hub): State<Hub>, Path(id): Path<String>, request: Request) -> Response {
    let gone = || {
        let error =
            ErrorBody::new(ErrorKind::NotFound, "This file is no longer on the host: it was deleted or evicted.");
        error_response(StatusCode::NOT_FOUND, &error)
    };
    if !is_id(&id) {
        return gone();
    }
    let files = hub.files();
    let record = match hub.store().file(&id).await {
        Ok(Some(record)) => record,
        Ok(None) => return gone(),
        Err(error) => return error_response(StatusCode::SERVICE_UNAVAILABLE, &storage_refusal(&error, "the file")),
    };
    let blob = files.blob_path(&record.info.sha256);
    if !blob.is_file() {
        // A cluster's hosts share files' records, not their bytes: the host the file was sent through has them,
        // and this one passes them on. A request it passed on is never passed on again.
        let relayed = request.headers().contains_key(RELAYED);
        if let (Ok(Some(holder)), false) = (hub.store().file_holder(&id).await, relayed) {
            return super::relay::relay(&holder, &id, request.headers()).await;
        }
        return gone();
    }
    let mime = HeaderValue::from_str(&record.info.mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    // tower-http answers `Range`, `If-Range`, `HEAD` and the conditional headers; the blob's own name says nothing of
    // its type, which is set here from the record.
    let mut response = match ServeFile::new(&blob).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(error) => match error {},
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, mime);
    // Names these exact bytes, so that a download that resumes can check what it put together.
    if let Ok(tag) = HeaderValue::from_str(&format!("\"sha256:{}\"", record.info.sha256)) {
        headers.insert(header::ETAG, tag);
    }
    headers.insert(header::CONTENT_DISPOSITION, disposition(&record.info));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Should a browser render it anyway, nothing in it runs with the host's origin.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    response
}
