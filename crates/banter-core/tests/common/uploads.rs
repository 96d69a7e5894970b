//! Shared files over plain HTTP, for the tests of uploads and downloads: files generated from a seed (never whole
//! in memory), hand-made `PATCH`es that can be cut at any byte, and answers read whole.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;

use rand::{RngCore, SeedableRng};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{banter_auth, RawSocket, WAIT};

pub const MIB: u64 = 1 << 20;

/// A file's bytes, made from a seed: a random MiB, each copy of it marked with its index, so that a misplaced or
/// repeated MiB changes the hash.
pub struct Generated {
    block: Vec<u8>,
    pub size: u64,
}

impl Generated {
    pub fn new(seed: u64, size: u64) -> Generated {
        let mut block = vec![0u8; MIB as usize];
        rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut block);
        Generated { block, size }
    }

    /// Bytes `[start, end)`, which must lie within one MiB.
    pub fn piece(&self, start: u64, end: u64) -> Vec<u8> {
        let within = (start % MIB) as usize;
        let mut piece = self.block[within..within + (end - start) as usize].to_vec();
        let index = (start / MIB).to_le_bytes();
        for (at, byte) in piece.iter_mut().enumerate().take(8usize.saturating_sub(within)) {
            *byte = index[within + at];
        }
        piece
    }

    /// Bytes `[start, end)`, a MiB piece at a time.
    pub fn pieces(&self, start: u64, end: u64) -> impl Iterator<Item = Vec<u8>> + '_ {
        let end = end.min(self.size);
        let mut at = start;
        std::iter::from_fn(move || {
            (at < end).then(|| {
                let upto = ((at / MIB + 1) * MIB).min(end);
                let piece = self.piece(at, upto);
                at = upto;
                piece
            })
        })
    }

    pub fn slice(&self, start: u64, end: u64) -> Vec<u8> {
        self.pieces(start, end).flatten().collect()
    }

    pub async fn write(&self, stream: &mut TcpStream, start: u64, end: u64) -> std::io::Result<()> {
        for piece in self.pieces(start, end) {
            stream.write_all(&piece).await?;
        }
        Ok(())
    }

    pub fn sha256(&self) -> String {
        let mut hasher = Sha256::new();
        self.pieces(0, self.size).for_each(|piece| hasher.update(&piece));
        hex(&hasher.finalize())
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    pub fn offset(&self) -> u64 {
        self.header("upload-offset").unwrap().parse().unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

pub async fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw)).await.unwrap().unwrap();
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Answer { status, headers, body: raw[split + 4..].to_vec() }
}

/// Sends `PATCH path` from `offset` with the file's bytes up to `end`; with `cut`, closes the connection after that
/// many bytes of the body instead (a link that dies mid-upload) and returns `None`.
pub async fn patch(
    address: SocketAddr,
    path: &str,
    file: &Generated,
    offset: u64,
    end: u64,
    cut: Option<u64>,
) -> Option<Answer> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nUpload-Offset: {offset}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        end - offset
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    match cut {
        Some(cut) => {
            file.write(&mut stream, offset, offset + cut).await.unwrap();
            drop(stream);
            None
        }
        None => {
            // The host may answer (and close) before the whole body is sent, when it refuses it.
            let _ = file.write(&mut stream, offset, end).await;
            Some(read_answer(&mut stream).await)
        }
    }
}

pub async fn request(address: SocketAddr, method: &str, path: &str, extra: &str) -> Answer {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    read_answer(&mut stream).await
}

pub async fn begin(socket: &RawSocket, name: &str, size: u64, sha256: &str) -> Value {
    socket.request("file:begin", json!({ "name": name, "size": size, "sha256": sha256 })).await
}

pub fn ticket(answer: &Value) -> (String, u64) {
    let data = &answer["data"];
    assert!(data.is_object(), "file:begin was refused: {answer}");
    (data["path"].as_str().unwrap().to_owned(), data["offset"].as_u64().unwrap())
}

pub fn refusal_kind(answer: &Value) -> &str {
    answer["error"]["kind"].as_str().unwrap_or("(not refused)")
}

pub async fn member(address: SocketAddr, name: &str) -> RawSocket {
    RawSocket::connect(address, "/", Some(banter_auth(name, &format!("{name}-files-key-0001")))).await.unwrap()
}

/// Downloads a file whole and returns its status and SHA-256, hashing as it reads.
pub async fn download_sha256(address: SocketAddr, id: &str) -> (u16, String) {
    let answer = request(address, "GET", &format!("/files/{id}"), "").await;
    (answer.status, hex(&Sha256::digest(&answer.body)))
}

pub async fn upload_whole(address: SocketAddr, path: &str, bytes: &[u8]) -> banter_core::protocol::FileInfo {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nUpload-Offset: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let done = read_answer(&mut stream).await;
    assert_eq!(done.status, 201, "{}", String::from_utf8_lossy(&done.body));
    serde_json::from_slice(&done.body).unwrap()
}
