//! Why an upload that is gone ended without a file, for a while. A full disk drops an upload in the middle of its
//! request, and the answer can be lost with the connection the host then closes: the uploader's next request (a
//! `HEAD` to learn the offset, a `PATCH` to go on) hears the reason, not only that there is no such upload.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::http::StatusCode;

use crate::protocol::ErrorBody;

/// How many reasons are kept: the latest ones, a few bytes each.
const KEPT: usize = 256;

#[derive(Debug, Default)]
pub struct Dropped(Mutex<VecDeque<(String, StatusCode, ErrorBody)>>);

impl Dropped {
    pub fn remember(&self, upload: &str, status: StatusCode, error: &ErrorBody) {
        let mut kept = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back((upload.to_owned(), status, error.clone()));
    }

    pub fn why(&self, upload: &str) -> Option<(StatusCode, ErrorBody)> {
        let kept = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.iter().rev().find(|(id, _, _)| id == upload).map(|(_, status, error)| (*status, error.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ErrorKind;

    #[test]
    fn the_latest_reasons_are_kept_and_the_oldest_forgotten() {
        let dropped = Dropped::default();
        let full = ErrorBody::new(ErrorKind::StorageFull, "full");
        for index in 0..=KEPT {
            dropped.remember(&format!("u{index}"), StatusCode::INSUFFICIENT_STORAGE, &full);
        }
        assert!(dropped.why("u0").is_none());
        assert_eq!(dropped.why(&format!("u{KEPT}")).map(|(status, _)| status), Some(StatusCode::INSUFFICIENT_STORAGE));
    }
}
