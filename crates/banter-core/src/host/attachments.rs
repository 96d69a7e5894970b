//! What an uploaded image must be before the store keeps it.
//!
//! Uploads travel as Socket.IO binary payloads; downloads go over plain HTTP (`GET /attachments/{id}`) so that a
//! large image never sits in front of chat events on a socket (socketioxide issue #273), browsers can cache it,
//! and clients that cannot read binary events (rust_socketio drops binary nested in objects) still get it. The
//! store keeps the bytes under their SHA-256, up to a quota past which the oldest are evicted.

use crate::protocol::{ErrorBody, ErrorKind};

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

/// The type of an uploaded image, or why it is refused.
pub fn check_upload(bytes: &[u8], max_bytes: usize) -> Result<&'static str, ErrorBody> {
    if bytes.len() > max_bytes {
        return Err(ErrorBody::new(
            ErrorKind::TooLarge,
            format!("The image is {} bytes; at most {max_bytes} are allowed.", bytes.len()),
        ));
    }
    sniff_image_type(bytes)
        .ok_or_else(|| ErrorBody::new(ErrorKind::Invalid, "Only PNG, JPEG, GIF and WebP images can be attached."))
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
        assert_eq!(check_upload(b"not an image", 32).err().map(|e| e.kind), Some(ErrorKind::Invalid));
        let big = [PNG, &[0u8; 16][..]].concat();
        assert_eq!(check_upload(&big, 32).err().map(|e| e.kind), Some(ErrorKind::TooLarge));
        assert_eq!(check_upload(PNG, 32).ok(), Some("image/png"));
    }
}
