//! Images staged by `attachment:upload` and served at `GET /attachments/{id}`.
//!
//! Uploads travel as Socket.IO binary payloads; downloads go over plain HTTP so that a large image never sits in
//! front of chat events on a socket (socketioxide issue #273), browsers can cache it, and clients that cannot read
//! binary events (rust_socketio drops binary nested in objects) still get it. The store is in memory and bounded:
//! past its size the oldest images are dropped, and messages that referenced them show a missing image.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use rand::Rng;

use crate::protocol::{Attachment, ErrorBody, ErrorKind};

/// Attachments held by one host.
#[derive(Debug)]
pub struct AttachmentStore {
    max_attachment_bytes: usize,
    max_total_bytes: usize,
    total_bytes: usize,
    by_id: HashMap<String, Stored>,
    /// Ids, oldest first, for eviction.
    order: VecDeque<String>,
}

#[derive(Debug, Clone)]
struct Stored {
    mime: &'static str,
    bytes: Bytes,
}

/// The image formats browsers and WebKitGTK display, recognised by their first bytes; anything else is refused,
/// whatever the uploader says it is.
pub fn sniff_image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

impl AttachmentStore {
    pub fn new(max_attachment_bytes: usize, max_total_bytes: usize) -> Self {
        AttachmentStore {
            max_attachment_bytes,
            max_total_bytes,
            total_bytes: 0,
            by_id: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Stores an image and describes it, or says why it was refused.
    pub fn stage(&mut self, bytes: Bytes) -> Result<Attachment, ErrorBody> {
        if bytes.len() > self.max_attachment_bytes {
            return Err(ErrorBody::new(
                ErrorKind::TooLarge,
                format!("The image is {} bytes; at most {} are allowed.", bytes.len(), self.max_attachment_bytes),
            ));
        }
        let mime = sniff_image_type(&bytes).ok_or_else(|| {
            ErrorBody::new(ErrorKind::Invalid, "Only PNG, JPEG, GIF and WebP images can be attached.")
        })?;
        let id = format!("{:032x}", rand::thread_rng().gen::<u128>());
        self.total_bytes += bytes.len();
        while self.total_bytes > self.max_total_bytes {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(evicted) = self.by_id.remove(&oldest) {
                self.total_bytes -= evicted.bytes.len();
            }
        }
        let attachment =
            Attachment { id: id.clone(), mime: mime.to_owned(), size: u32::try_from(bytes.len()).unwrap_or(u32::MAX) };
        self.order.push_back(id.clone());
        self.by_id.insert(id, Stored { mime, bytes });
        Ok(attachment)
    }

    /// The description of a stored attachment, for a message that references it.
    pub fn describe(&self, id: &str) -> Result<Attachment, ErrorBody> {
        let stored = self.by_id.get(id).ok_or_else(|| {
            ErrorBody::new(ErrorKind::NotFound, "That attachment is not on the host (upload it again).")
        })?;
        Ok(Attachment {
            id: id.to_owned(),
            mime: stored.mime.to_owned(),
            size: u32::try_from(stored.bytes.len()).unwrap_or(u32::MAX),
        })
    }

    /// The content type and bytes of an attachment, for the HTTP route.
    pub fn get(&self, id: &str) -> Option<(&'static str, Bytes)> {
        self.by_id.get(id).map(|stored| (stored.mime, stored.bytes.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0123456789";

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(sniff_image_type(PNG), Some("image/png"));
        assert_eq!(sniff_image_type(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image_type(b"<svg onload=alert(1)>"), None);
    }

    #[test]
    fn oversized_and_unknown_files_are_refused() {
        let mut store = AttachmentStore::new(16, 1000);
        assert_eq!(store.stage(Bytes::from_static(b"not an image")).err().map(|e| e.kind), Some(ErrorKind::Invalid));
        let big = [PNG, &[0u8; 16][..]].concat();
        assert_eq!(store.stage(Bytes::from(big)).err().map(|e| e.kind), Some(ErrorKind::TooLarge));
    }

    #[test]
    fn the_oldest_images_go_first_when_the_store_is_full() {
        let mut store = AttachmentStore::new(100, 40);
        let first = store.stage(Bytes::from_static(PNG)).expect("stored");
        let second = store.stage(Bytes::from_static(PNG)).expect("stored");
        let third = store.stage(Bytes::from_static(PNG)).expect("stored");
        assert!(store.get(&first.id).is_none());
        assert!(store.get(&second.id).is_some() && store.get(&third.id).is_some());
        assert_eq!(store.describe(&third.id).map(|a| a.mime).ok().as_deref(), Some("image/png"));
        assert_eq!(store.describe("nope").err().map(|e| e.kind), Some(ErrorKind::NotFound));
    }
}
