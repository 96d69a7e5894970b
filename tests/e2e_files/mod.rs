//! Shared files in the real app, hosting, with a terminal guest: the app sends a file through the native picker
//! (the GTK dialog, driven with xdotool as a user's keyboard would) and the guest saves it with `banter-cli get`;
//! the guest sends a photo and a document with `/send`, the app shows the photo through its `banter-file:` scheme
//! and saves the document through the Save dialog; a large photo goes smaller; a paste goes as a file; a direct
//! message carries a file too.

use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::e2e_actions::wait_for_content;
use crate::harness::*;
use crate::webdriver::WebDriver;
use crate::{banter_app, banter_cli, screenshot_path};

/// Bytes that differ from MiB to MiB, so that a piece out of place changes the hash.
fn generated(size: usize, seed: u8) -> Vec<u8> {
    (0..size).map(|index| (index as u32).wrapping_mul(2_654_435_761).to_le_bytes()[(index >> 20) % 4] ^ seed).collect()
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An image made by ImageMagick (which the screenshots use already), as `convert ARGS PATH` makes it.
fn image(path: &Path, args: &[&str]) {
    let status = std::process::Command::new("/usr/bin/convert").args(args).arg(path).status().unwrap();
    assert!(status.success());
}

/// Saves the file a guest's line names (`… [file NAME, SIZE: URL]`) to `to` with `banter-cli get`.
async fn get(line: &str, to: &Path) {
    let status = tokio::process::Command::new(banter_cli()).args(["get", &url_of(line), "-o"]).arg(to).status().await;
    assert!(status.unwrap().success(), "{line}");
}

/// Answers the GTK file dialog titled `title` with `path`, typed as a user would (in the dialog's location field,
/// which Ctrl+L opens, or in the Save dialog's name field, which takes a whole path).
async fn answer_dialog(display: &Display, title: &str, path: &Path) {
    let xdotool = |args: &[&str]| {
        std::process::Command::new("xdotool").env("DISPLAY", &display.name).args(args).output().unwrap()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    let window = loop {
        let found = xdotool(&["search", "--onlyvisible", "--name", title]);
        let id = String::from_utf8_lossy(&found.stdout).lines().next().map(str::to_owned);
        if let Some(id) = id {
            break id;
        }
        assert!(tokio::time::Instant::now() < deadline, "no {title:?} dialog appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The dialog builds its widgets after it is mapped: a moment before typing into it.
    tokio::time::sleep(Duration::from_millis(700)).await;
    xdotool(&["windowfocus", "--sync", &window]);
    if title == "Save as" {
        xdotool(&["key", "--window", &window, "ctrl+a"]);
    } else {
        xdotool(&["key", "--window", &window, "ctrl+l"]);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    xdotool(&["type", "--window", &window, "--delay", "15", &path.to_string_lossy()]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    xdotool(&["key", "--window", &window, "Return"]);
}

/// Reads lines of the guest until one starts with `prefix`; answers it.
async fn guest_line(guest: &mut Cli, prefix: &str) -> String {
    let rest = guest.line_after(prefix).await;
    format!("{prefix}{rest}")
}

/// The URL at the end of a file line: `… [file NAME, SIZE: URL]`.
fn url_of(line: &str) -> String {
    line.rsplit(": ").next().unwrap().trim_end_matches(']').to_owned()
}

pub async fn files_go_both_ways(display: &Display) {
    let data = tempdir("files");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    let room_port = fill_host_form(&app, "Filer").await;
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    let address = format!("127.0.0.1:{room_port}");
    let mut guest = Cli::join(&banter_cli(), &address, "carrier").await;
    app.wait_for_text("[data-testid=messages]", "carrier joined").await;

    // The app sends a 3 MiB document through the picker; the guest saves it by the URL its line carries.
    let folder = tempdir("files-out");
    std::fs::create_dir_all(&folder).unwrap();
    let report = folder.join("report 2026.pdf");
    std::fs::write(&report, generated(3 << 20, 7)).unwrap();
    app.click_on("[data-testid=attach]").await;
    answer_dialog(display, "Send files", &report).await;
    app.wait_for_text("[data-testid=transfer-line]", "Sent").await;
    // Read from the DOM: WebKitWebDriver reads no text from a one-line, ellipsised name.
    wait_for_content(&app, "[data-testid=file-name]", "report 2026.pdf").await;
    let line = guest_line(&mut guest, "[lobby] Filer: [file report 2026.pdf, 3.0 MiB: http://").await;
    let got = folder.join("got.pdf");
    get(&line, &got).await;
    assert_eq!(sha256_of(&got), sha256_of(&report), "the guest saved the app's bytes");

    // A large photo is offered smaller: the app reads it through banter-file:, draws it at 1600 px, and the copy
    // is what the guest gets.
    let big = folder.join("holiday.png");
    image(&big, &["-seed", "7", "-size", "2400x1600", "plasma:"]);
    app.click_on("[data-testid=attach]").await;
    answer_dialog(display, "Send files", &big).await;
    app.wait_for("[data-testid=photo-smaller]").await;
    app.click_on("[data-testid=photo-smaller]").await;
    let line = guest_line(&mut guest, "[lobby] Filer: [file holiday.jpg, ").await;
    let copy = folder.join("copy.jpg");
    get(&line, &copy).await;
    let size = std::process::Command::new("/usr/bin/identify").args(["-format", "%w %h"]).arg(&copy).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&size.stdout), "1600 1067", "the smaller copy's size");

    // The guest sends a photo: the app shows it (through banter-file:, fetched from the host by Rust).
    let photo = folder.join("sunset.png");
    image(&photo, &["-size", "320x200", "gradient:#4f46e5-#f59e0b"]);
    guest.say(&format!("/send {} the view", photo.display())).await;
    app.wait_for_text("[data-testid=messages]", "the view").await;
    let loaded = "return [...document.querySelectorAll('[data-testid=file-preview]')] \
                  .some((image) => image.complete && image.naturalWidth === 320);";
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.execute(loaded).await.as_bool() != Some(true) {
        assert!(tokio::time::Instant::now() < deadline, "the photo never showed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // …and a document, which the app saves through the Save dialog, checked against the host's hash.
    let notes = folder.join("notes.bin");
    std::fs::write(&notes, generated(5 << 20, 3)).unwrap();
    guest.say(&format!("/send {}", notes.display())).await;
    wait_for_content(&app, "[data-testid=messages]", "notes.bin").await;
    let save = "const buttons = [...document.querySelectorAll('[data-testid=file-save]')]; \
                buttons[buttons.length - 1].click(); return true;";
    app.execute(save).await;
    let saved = folder.join("saved notes.bin");
    answer_dialog(display, "Save as", &saved).await;
    app.wait_for_text("[data-testid=transfer-line]", "Saved").await;
    assert_eq!(sha256_of(&saved), sha256_of(&notes), "the app saved the guest's bytes");
    app.wait_for("[data-testid=transfer-show]").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    display.screenshot(&screenshot_path("files.png"), 1100, 720);

    // A paste of bytes without a name (a screenshot): they cross once, as a raw IPC body, and go as a file.
    let paste = "const data = new DataTransfer(); \
                 data.items.add(new File([new Uint8Array(2048).fill(3)], '', { type: 'image/png' })); \
                 const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }); \
                 document.querySelector('[data-testid=composer]').dispatchEvent(paste); return true;";
    app.execute(paste).await;
    let line = guest_line(&mut guest, "[lobby] Filer: [file Pasted ").await;
    assert!(line.contains(".png, 2.0 KiB: http://"), "{line}");

    // A file in a direct message: the guest's DM arrives with it, under the guest's name.
    guest.say("/dm Filer psst").await;
    app.click_until_text("[data-testid='conversation-carrier']", "[data-testid=conversation-title]", "carrier").await;
    app.click_on("[data-testid=attach]").await;
    answer_dialog(display, "Send files", &photo).await;
    guest_line(&mut guest, "[dm] Filer → carrier: [file sunset.png, ").await;

    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.close().await;
}
