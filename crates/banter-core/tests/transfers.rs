//! The client's side of shared files: an upload from disk and a download to disk, each through a TCP proxy that
//! cuts the link midway, each taken up again by itself and checked against the file's SHA-256.

#![allow(clippy::unwrap_used)] // A test that meets an unexpected error should stop right there.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use banter_core::client::transfer::{download_file, size_and_sha256, upload_file, Progress};
use banter_core::protocol::LOBBY;
use common::proxy::Proxy;
use common::*;
use rand::{Rng, RngCore, SeedableRng};

/// A file of `mib` MiB of seeded random bytes.
fn random_file(folder: &std::path::Path, name: &str, seed: u64, mib: usize) -> std::path::PathBuf {
    let path = folder.join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        rng.fill_bytes(&mut block);
        file.write_all(&block).unwrap();
    }
    path
}

/// Calls back with the progress, and cuts the proxy once, for a moment, when the transfer is past `at` bytes.
fn cut_once_past(proxy: &Arc<Proxy>, at: u64) -> (Progress, Arc<AtomicU64>, Arc<std::sync::atomic::AtomicBool>) {
    let reached = Arc::new(AtomicU64::new(0));
    let watched = Arc::clone(&reached);
    let proxy = Arc::clone(proxy);
    let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let was_cut = Arc::clone(&cut);
    let progress: Progress = Arc::new(move |done, _total| {
        watched.store(done, Ordering::Relaxed);
        if done > at && !cut.swap(true, Ordering::Relaxed) {
            proxy.cut();
            let proxy = Arc::clone(&proxy);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                proxy.restore();
            });
        }
    });
    (progress, reached, was_cut)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_and_a_download_cut_midway_go_on_by_themselves_and_arrive_whole() {
    let seed: u64 = rand::thread_rng().gen();
    println!("seed {seed}");
    let folder = tempfile::tempdir().unwrap();
    let path = random_file(folder.path(), "video.mkv", seed, 64);
    let (size, sha256) = size_and_sha256(&path).await.unwrap();
    let host = start_host().await;
    let proxy = Arc::new(Proxy::start(host.local_addr()).await);
    let base: url::Url = format!("http://{}", proxy.address).parse().unwrap();
    let (ann, _ann_events) = join(host.local_addr(), "ann").await;
    let (bert, mut bert_events) = join(host.local_addr(), "bert").await;

    let at = rand::rngs::StdRng::seed_from_u64(seed).gen_range(size / 8..size / 2);
    let (progress, reached, cut) = cut_once_past(&proxy, at);
    let file = upload_file(&ann, &base, &path, progress).await.unwrap();
    assert!(cut.load(Ordering::Relaxed), "the link was cut during the upload");
    assert_eq!((file.size, file.sha256.as_str(), file.name.as_str()), (size, sha256.as_str(), "video.mkv"));
    assert_eq!(reached.load(Ordering::Relaxed), size);
    ann.send_file(LOBBY, "the video", &file).await.unwrap();
    let seen = expect(&mut bert_events, message_with_text("the video")).await;
    let shared = seen.file.unwrap();

    let at = rand::rngs::StdRng::seed_from_u64(seed ^ 1).gen_range(size / 8..size / 2);
    let (progress, _, cut) = cut_once_past(&proxy, at);
    let saved = folder.path().join("saved.mkv");
    let url = base.join(&format!("/files/{}", shared.id)).unwrap();
    assert_eq!(download_file(&url, &saved, progress).await.unwrap(), size);
    assert!(cut.load(Ordering::Relaxed), "the link was cut during the download");
    assert_eq!(size_and_sha256(&saved).await.unwrap(), (size, sha256));
    assert!(!folder.path().join("saved.mkv.part").exists());
    drop(bert);
}
