//! Files on the wire. The bytes never travel in Socket.IO frames: a socket only asks to begin an upload
//! (`file:begin`), and the bytes go over plain HTTP on the host's own port, resumably (`HEAD`/`PATCH
//! /uploads/{upload}`), and come back the same way (`GET /files/{id}`, with `Range`). docs/PROTOCOL.md ("Files")
//! describes the HTTP side.

use serde::{Deserialize, Serialize};

/// `file:begin`: the file a member is about to upload, described before any byte is sent, so that a file over the
/// limit or past the host's quota is refused up front.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeginUpload {
    /// The file's name, as the uploader's system has it; only its last path component is kept.
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// The SHA-256 of the whole file, in lowercase hex: the host checks it once the last byte is in.
    pub sha256: String,
}

/// The ack of `file:begin`: where to send the bytes, and from which offset. The same user beginning the same file
/// again (same name, size and hash: after a reconnect, or a restart of either side) gets the same upload back,
/// with the offset the host has, so that it goes on from there.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadTicket {
    /// Unguessable: whoever has it may send this file's bytes, and nothing else.
    pub upload: String,
    /// `/uploads/{upload}`, on the host's own address.
    pub path: String,
    /// How many bytes the host already has.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
    /// The file as the host will keep it once complete (its name cleaned).
    pub name: String,
}

/// A file the host keeps, as a message will carry it and as the last `PATCH` of its upload answers.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Unguessable, and different for every upload even of the same bytes: `GET /files/{id}` serves it.
    pub id: String,
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Read from the bytes for the image types shown inline; `application/octet-stream` for everything else.
    pub mime: String,
    pub sha256: String,
}
