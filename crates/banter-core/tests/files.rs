//! Shared files through a real host: uploads over HTTP that resume after a cut connection and after a restart of
//! the host, the SHA-256 checked, the same bytes kept once, downloads with `Range`, and every bad upload refused
//! with a reason while chat goes on. Big files are generated on the fly from a printed seed, never kept whole in
//! memory.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use banter_core::limits::{FileLimits, Limits};
use banter_core::protocol::LOBBY;
use common::uploads::*;
use common::*;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_upload_cut_twice_resumes_and_comes_back_whole() {
    let seed: u64 = rand::thread_rng().gen();
    println!("seed {seed}");
    let size = 256 * MIB;
    let file = Generated::new(seed, size);
    let sha256 = file.sha256();
    let host = start_host().await;
    let address = host.local_addr();
    let ann = member(address, "ann").await;
    let (path, offset) = ticket(&begin(&ann, "holiday.mp4", size, &sha256).await);
    assert_eq!(offset, 0);

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut offset = 0;
    for _ in 0..2 {
        let cut = rng.gen_range(1..(size - offset) / 2);
        patch(address, &path, &file, offset, size, Some(cut)).await;
        // The host keeps what arrived before the cut, and says how far that is.
        let deadline = tokio::time::Instant::now() + WAIT;
        let reached = loop {
            let progress = request(address, "HEAD", &path, "").await;
            assert_eq!(progress.status, 200);
            assert_eq!(progress.header("upload-length"), Some(size.to_string().as_str()));
            let reached = progress.offset();
            // The host settles the cut request a moment after the connection closes.
            if reached > offset || tokio::time::Instant::now() > deadline {
                break reached;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert!(reached > offset && reached <= offset + cut, "cut after {cut} from {offset}, host has {reached}");
        offset = reached;
    }
    // Taking it up again from another socket of the same user (a reconnect) finds the same upload where it is.
    let again = member(address, "ann").await;
    assert_eq!(ticket(&begin(&again, "holiday.mp4", size, &sha256).await), (path.clone(), offset));
    let done = patch(address, &path, &file, offset, size, None).await.unwrap();
    assert_eq!(done.status, 201, "{}", String::from_utf8_lossy(&done.body));
    let info = done.json();
    assert_eq!((info["sha256"].as_str(), info["size"].as_u64()), (Some(sha256.as_str()), Some(size)));
    assert_eq!(info["name"], "holiday.mp4");
    let id = info["id"].as_str().unwrap().to_owned();

    let (status, downloaded) = download_sha256(address, &id).await;
    assert_eq!((status, downloaded), (200, sha256));
    // A download resumes: a range comes back as exactly those bytes.
    let start = rng.gen_range(0..size - 4096);
    let range =
        request(address, "GET", &format!("/files/{id}"), &format!("Range: bytes={start}-{}\r\n", start + 4095)).await;
    assert_eq!(range.status, 206);
    assert_eq!(range.body, file.slice(start, start + 4096));
    assert_eq!(request(address, "HEAD", &path, "").await.status, 404, "a finished upload takes no more bytes");
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_reason_and_chat_goes_on() {
    let limits = Limits {
        files: FileLimits { max_file_bytes: 8 * MIB, quota_bytes: 20 * MIB, per_user: 2, per_host: 64 },
        ..Limits::default()
    };
    let host = start_host_with(limits).await;
    let address = host.local_addr();
    let ann = member(address, "ann").await;
    let (bert, mut bert_events) = join(address, "bert").await;
    let small = Generated::new(7, 100_000);

    // Over the limit, and past the quota, before a byte is sent.
    let too_big = begin(&ann, "big.iso", 9 * MIB, &small.sha256()).await;
    assert_eq!(refusal_kind(&too_big), "too_large");
    assert!(too_big["error"]["message"].as_str().unwrap().contains("up to 8.0 MiB"), "{too_big}");
    let (_first, _) = ticket(&begin(&ann, "one.bin", 8 * MIB, &"a".repeat(64)).await);
    let (_second, _) = ticket(&begin(&ann, "two.bin", 8 * MIB, &"b".repeat(64)).await);
    let carl = member(address, "carl").await;
    let full = begin(&carl, "three.bin", 8 * MIB, &"c".repeat(64)).await;
    assert_eq!(refusal_kind(&full), "storage_full", "{full}");
    // Two unfinished uploads are Ann's share.
    assert_eq!(refusal_kind(&begin(&ann, "four.bin", 1, &"d".repeat(64)).await), "rate_limited");
    // Names that are paths, hold control characters or are too long; a hash that is not one.
    assert_eq!(refusal_kind(&begin(&carl, "a\0b", 1, &small.sha256()).await), "invalid");
    assert_eq!(refusal_kind(&begin(&carl, &"n".repeat(300), 1, &small.sha256()).await), "invalid");
    assert_eq!(refusal_kind(&begin(&carl, "x", 1, "not-a-hash").await), "invalid");
    let passwd = begin(&carl, "../../etc/passwd", small.size, &small.sha256()).await;
    assert_eq!(passwd["data"]["name"], "passwd");
    let (path, _) = ticket(&passwd);

    // A forged offset is told where the upload really is; bytes past the end are refused.
    let forged = patch(address, &path, &small, 5_000, small.size, None).await.unwrap();
    assert_eq!((forged.status, forged.offset()), (409, 0));
    let missing = request(address, "PATCH", &path, "Content-Length: 0\r\n").await;
    assert_eq!(missing.status, 400);
    let past = patch(address, &path, &Generated::new(7, small.size + 10), 0, small.size + 10, None).await.unwrap();
    assert_eq!(past.status, 413);

    // The wrong bytes for the hash: refused, and the upload is gone (asked again, the host says why).
    let dora = member(address, "dora").await;
    let other = Generated::new(8, 50_000);
    let (wrong_path, _) = ticket(&begin(&dora, "report.pdf", other.size, &small.sha256()).await);
    let wrong = patch(address, &wrong_path, &other, 0, other.size, None).await.unwrap();
    assert_eq!(wrong.status, 422);
    assert!(String::from_utf8_lossy(&wrong.body).contains("does not match its SHA-256"));
    assert_eq!(request(address, "HEAD", &wrong_path, "").await.status, 422);
    assert_eq!(request(address, "HEAD", "/uploads/0123456789abcdef0123456789abcdef", "").await.status, 404);
    assert_eq!(request(address, "GET", "/files/0123456789abcdef0123456789abcdef", "").await.status, 404);
    assert_eq!(request(address, "GET", "/files/..%2F..%2Fbanter.db", "").await.status, 404);

    // Meanwhile the chat went on for everyone.
    bert.send_message(LOBBY, "still here").await.unwrap();
    expect(&mut bert_events, message_with_text("still here")).await;
}

#[tokio::test]
async fn the_same_bytes_are_kept_once_and_only_safe_images_are_shown_inline() {
    let folder = tempfile::tempdir().unwrap();
    let host = start_durable_host(folder.path(), None).await;
    let address = host.local_addr();
    let html = b"<html><script>window.pwned = 1</script></html>".to_vec();
    let sha = hex(&Sha256::digest(&html));
    let mut ids = Vec::new();
    for name in ["ann", "bert"] {
        let socket = member(address, name).await;
        let (path, _) = ticket(&begin(&socket, "page.html", html.len() as u64, &sha).await);
        // The same user beginning the same file twice gets one upload.
        assert_eq!(ticket(&begin(&socket, "page.html", html.len() as u64, &sha).await).0, path);
        let mut stream = TcpStream::connect(address).await.unwrap();
        let head = format!(
            "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nUpload-Offset: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            html.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&html).await.unwrap();
        let done = read_answer(&mut stream).await;
        assert_eq!(done.status, 201);
        ids.push(done.json()["id"].as_str().unwrap().to_owned());
    }
    assert_ne!(ids[0], ids[1], "each upload has an id of its own");
    let blobs: Vec<_> = walk(&folder.path().join("files/blobs"));
    assert_eq!(blobs.len(), 1, "the same bytes are kept once: {blobs:?}");
    let served = request(address, "GET", &format!("/files/{}", ids[1]), "").await;
    assert_eq!(served.body, html);
    assert_eq!(served.header("content-type"), Some("application/octet-stream"));
    assert!(served.header("content-disposition").unwrap().starts_with("attachment;"), "{served:?}");
    assert!(served.header("content-security-policy").unwrap().contains("sandbox"));

    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 64]].concat();
    let socket = member(address, "carl").await;
    let (path, _) = ticket(&begin(&socket, "dot.png", png.len() as u64, &hex(&Sha256::digest(&png))).await);
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nUpload-Offset: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        png.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&png).await.unwrap();
    let done = read_answer(&mut stream).await;
    let info = done.json();
    assert_eq!(info["mime"], "image/png");
    let served = request(address, "GET", &format!("/files/{}", info["id"].as_str().unwrap()), "").await;
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert!(served.header("content-disposition").unwrap().starts_with("inline;"));
}

fn walk(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_goes_on_after_the_host_restarts() {
    let seed: u64 = rand::thread_rng().gen();
    println!("seed {seed}");
    let folder = tempfile::tempdir().unwrap();
    let file = Generated::new(seed, 8 * MIB + 123);
    let sha256 = file.sha256();
    let host = start_durable_host(folder.path(), None).await;
    let address = host.local_addr();
    let ann = member(address, "ann").await;
    let (path, _) = ticket(&begin(&ann, "scan.tiff", file.size, &sha256).await);
    // A request may send less than the whole file: the host says how far it is.
    let half = patch(address, &path, &file, 0, 3 * MIB, None).await.unwrap();
    assert_eq!((half.status, half.offset()), (204, 3 * MIB));
    drop(ann);
    host.shutdown().await.unwrap();

    let host = start_durable_host(folder.path(), Some(address)).await;
    let ann = member(address, "ann").await;
    assert_eq!(ticket(&begin(&ann, "scan.tiff", file.size, &sha256).await), (path.clone(), 3 * MIB));
    let done = patch(address, &path, &file, 3 * MIB, file.size, None).await.unwrap();
    assert_eq!(done.status, 201);
    let (status, downloaded) = download_sha256(address, done.json()["id"].as_str().unwrap()).await;
    assert_eq!((status, downloaded), (200, sha256));
    drop(host);
}

/// Uploads small bytes in one request, and returns the file as kept.
async fn refused_send(events: &mut banter_core::client::ClientEvents) -> banter_core::protocol::ErrorBody {
    expect(events, |event| match event {
        banter_core::client::ClientEvent::SendFailed { error, .. } => Some(error.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_file_goes_with_its_message_to_a_room_or_a_person_and_is_gone_with_it() {
    use banter_core::client::ClientEvent;
    use banter_core::protocol::BeginUpload;
    let folder = tempfile::tempdir().unwrap();
    let host = start_durable_host(folder.path(), None).await;
    let address = host.local_addr();
    let mut ann_config = fast_config(address, "ann");
    ann_config.user_key = Some("ann-files-key-0002".into());
    let (ann, mut ann_events) = join_with(ann_config).await;
    let (bert, mut bert_events) = join(address, "bert").await;
    let mut page = RawSocket::connect(address, "/", None).await.unwrap();
    let bytes = b"minutes of the meeting, 3 December".to_vec();
    let sha256 = hex(&Sha256::digest(&bytes));
    let begin = |name: &str| BeginUpload { name: name.into(), size: bytes.len() as u64, sha256: sha256.clone() };

    let ticket = ann.begin_upload(begin("minutes.txt")).await.unwrap();
    let file = upload_whole(address, &ticket.path, &bytes).await;
    ann.send_file(LOBBY, "the minutes", &file).await.unwrap();
    let seen = expect(&mut bert_events, message_with_text("the minutes")).await;
    assert_eq!(seen.file.as_ref(), Some(&file));
    // A tutorial page cannot show a file: it gets a line with its name, size and where it is.
    let (_, said) = page.next_named(&["chat message"]).await;
    let line = format!("ann: the minutes [file minutes.txt, 34 bytes: /files/{}]", file.id);
    assert_eq!(said[0], json!(line));

    // Only its uploader sends a file, and with one message only.
    bert.send_file(LOBBY, "mine now", &file).await.unwrap();
    assert_eq!(refused_send(&mut bert_events).await.kind.as_str(), "forbidden");
    ann.send_file(LOBBY, "again", &file).await.unwrap();
    assert_eq!(refused_send(&mut ann_events).await.kind.as_str(), "invalid");

    // The same bytes to Bert directly: another upload, another id, the same bytes on disk.
    let ticket = ann.begin_upload(begin("minutes (copy).txt")).await.unwrap();
    let copy = upload_whole(address, &ticket.path, &bytes).await;
    ann.send_direct_file("bert", "", &copy).await.unwrap();
    let direct = expect(&mut bert_events, |event| match event {
        ClientEvent::Direct(message) if message.file.is_some() => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(direct.file.as_ref().map(|file| file.name.as_str()), Some("minutes (copy).txt"));
    let blob = folder.path().join("files/blobs").join(&sha256[..2]).join(&sha256);
    assert!(blob.is_file());

    // Deleting a message deletes its file; the bytes go once no other file has them.
    ann.delete_message(LOBBY, seen.seq).await.unwrap();
    assert_eq!(request(address, "GET", &format!("/files/{}", file.id), "").await.status, 404);
    assert_eq!(request(address, "GET", &format!("/files/{}", copy.id), "").await.status, 200);
    assert!(blob.is_file(), "the direct message still has these bytes");
    ann.delete_direct(&direct.conversation, direct.seq).await.unwrap();
    assert_eq!(request(address, "GET", &format!("/files/{}", copy.id), "").await.status, 404);
    let deadline = tokio::time::Instant::now() + WAIT;
    while blob.exists() {
        assert!(tokio::time::Instant::now() < deadline, "the bytes of deleted files stayed on disk");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A finished upload that nobody sends holds the host's room for a day at most: the hourly sweep forgets it and
/// frees its bytes, and leaves alone a file that was sent.
#[tokio::test]
async fn a_file_uploaded_but_never_sent_is_freed_after_a_day() {
    use banter_core::protocol::BeginUpload;
    let folder = tempfile::tempdir().unwrap();
    let host = start_durable_host(folder.path(), None).await;
    let address = host.local_addr();
    let (ann, mut ann_events) = join(address, "ann").await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let ann = ann.clone();
        async move {
            let request =
                BeginUpload { name: name.into(), size: bytes.len() as u64, sha256: hex(&Sha256::digest(&bytes)) };
            let ticket = ann.begin_upload(request).await.unwrap();
            upload_whole(address, &ticket.path, &bytes).await
        }
    };
    let kept = upload(b"the agenda".to_vec(), "agenda.txt").await;
    let unsent = upload(b"a draft nobody sent".to_vec(), "draft.txt").await;
    ann.send_file(LOBBY, "agenda", &kept).await.unwrap();
    expect(&mut ann_events, message_with_text("agenda")).await;
    let blob = |file: &banter_core::protocol::FileInfo| {
        folder.path().join("files/blobs").join(&file.sha256[..2]).join(&file.sha256)
    };
    let hub = host.hub();

    // Within the day, both stay.
    hub.files().sweep(hub.store(), banter_core::clock::now_millis()).await;
    assert_eq!(request(address, "GET", &format!("/files/{}", unsent.id), "").await.status, 200);
    // A day later, the unsent one is gone with its bytes; the sent one stays.
    let tomorrow = banter_core::clock::now_millis() + 25 * 60 * 60 * 1000;
    hub.files().sweep(hub.store(), tomorrow).await;
    assert_eq!(request(address, "GET", &format!("/files/{}", unsent.id), "").await.status, 404);
    assert!(!blob(&unsent).exists(), "the unsent file's bytes were freed");
    assert_eq!(request(address, "GET", &format!("/files/{}", kept.id), "").await.status, 200);
    assert!(blob(&kept).exists());
    assert_eq!(hub.store().stored_file_bytes().await.unwrap(), 10);
}
