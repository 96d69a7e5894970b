//! The `banter-file:` scheme, through which the webview shows a shared image or plays a video without loading
//! anything from the network itself: `banter-file://localhost/ID/NAME` is fetched here from the host joined, a
//! piece at a time when the webview asks for a range (as a video player does), and never more than a bounded
//! piece in memory. `banter-file://localhost/chosen/TOKEN` is a photo the user chose to send, read from the disk
//! here, so that the webview can offer a smaller copy of it; only chosen files are served, by their token.

use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;
use crate::transfers::file_url;

/// The scheme's name, which the UI's `convertFileSrc(…, SCHEME)` and the CSP name too.
pub const SCHEME: &str = "banter-file";
/// The most bytes one answer carries when the webview asks for the whole file (an image): larger images get a card.
const WHOLE_MOST: u64 = 32 << 20;
/// The most bytes one answer to a range request carries: a player asks again for the rest.
const PIECE: u64 = 4 << 20;

/// The type the webview plays or shows a file as, from its name: the host names only images' types (others are
/// `application/octet-stream` there, so that nothing renders on its origin), and a player needs a video's.
fn media_type(name: &str, host_type: &str) -> String {
    let extension = name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    let known = match extension.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" | "ogg" => "video/ogg",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "opus" | "oga" => "audio/ogg",
        _ => return host_type.to_owned(),
    };
    known.to_owned()
}

/// The range asked for, as `(start, end inclusive)`; an open end and no range at all are bounded here.
fn wanted(request: &Request<Vec<u8>>) -> (u64, Option<u64>, u64) {
    let asked = request
        .headers()
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.split_once('-'))
        .and_then(|(start, end)| Some((start.parse::<u64>().ok()?, end.parse::<u64>().ok())));
    match asked {
        Some((start, end)) => (start, end, PIECE),
        None => (0, None, WHOLE_MOST),
    }
}

/// One HTTP client for every preview, so that a video's pieces reuse its connection to the host.
fn host_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

fn answer(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(text.as_bytes().to_vec())
        .unwrap_or_default()
}

/// A photo the user chose, whole, for the webview to draw a smaller copy of (which is why it may be read from
/// another origin: the webview's canvas needs CORS to export what it drew).
async fn chosen<R: Runtime>(app: &tauri::AppHandle<R>, token: &str) -> Response<Vec<u8>> {
    let Ok(path) = app.state::<AppState>().transfers.chosen(token) else {
        return answer(StatusCode::NOT_FOUND, "not a chosen file");
    };
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let kind = match name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        _ => return answer(StatusCode::NOT_FOUND, "only photos are read here"),
    };
    match tokio::fs::metadata(&path).await {
        Ok(metadata) if metadata.len() <= WHOLE_MOST => {}
        _ => return answer(StatusCode::NOT_FOUND, "too large to show"),
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => Response::builder()
            .header(header::CONTENT_TYPE, kind)
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .body(bytes)
            .unwrap_or_default(),
        Err(error) => answer(StatusCode::NOT_FOUND, &format!("could not read it: {error}")),
    }
}

async fn fetch<R: Runtime>(app: &tauri::AppHandle<R>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    // `convertFileSrc` encodes the whole `ID/NAME` once more (the name was encoded already).
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    let path = decode(request.uri().path().trim_start_matches('/'));
    let (id, name) = path.split_once('/').unwrap_or((path.as_str(), ""));
    if id == "chosen" {
        return chosen(app, name).await;
    }
    let name = decode(name);
    let Ok(url) = file_url(&app.state::<AppState>(), id).await else {
        return answer(StatusCode::NOT_FOUND, "not a file of the chat joined");
    };
    let (start, end, most) = wanted(request);
    let end = end.map_or(start + most - 1, |end| end.min(start + most - 1));
    let mut response =
        match host_client().get(url).header(header::RANGE.as_str(), format!("bytes={start}-{end}")).send().await {
            Ok(response) => response,
            Err(error) => return answer(StatusCode::BAD_GATEWAY, &format!("the host could not be reached: {error}")),
        };
    let status = response.status().as_u16();
    if status != 200 && status != 206 {
        return answer(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), "the host refused");
    }
    let host_type = response
        .headers()
        .get(header::CONTENT_TYPE.as_str())
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let range =
        response.headers().get(header::CONTENT_RANGE.as_str()).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if (body.len() + chunk.len()) as u64 <= most => body.extend_from_slice(&chunk),
            Ok(Some(_)) => return answer(StatusCode::BAD_GATEWAY, "the host sent more than was asked"),
            Ok(None) => break,
            Err(error) => return answer(StatusCode::BAD_GATEWAY, &format!("the download stopped: {error}")),
        }
    }
    let shown = media_type(&name, &host_type);
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, shown)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "private, max-age=86400");
    // The whole file when it fits and no range was asked for; else the piece, as a range of it, so that the
    // webview asks for more.
    let whole = range.as_deref().and_then(|range| range.rsplit('/').next()).and_then(|total| total.parse::<u64>().ok());
    let complete = whole.is_some_and(|total| start == 0 && body.len() as u64 == total) || status == 200;
    let builder = match range {
        Some(range) if !complete || request.headers().contains_key(header::RANGE) => {
            builder.status(StatusCode::PARTIAL_CONTENT).header(header::CONTENT_RANGE, range)
        }
        _ => builder.status(StatusCode::OK),
    };
    builder.body(body).unwrap_or_default()
}

/// Answers one request of the scheme, off the main thread.
pub fn serve<R: Runtime>(context: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = context.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        responder.respond(fetch(&app, &request).await);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_video_is_played_as_its_type_and_anything_else_keeps_the_hosts() {
        assert_eq!(media_type("clip.MP4", "application/octet-stream"), "video/mp4");
        assert_eq!(media_type("photo.png", "image/png"), "image/png");
        assert_eq!(media_type("page.html", "application/octet-stream"), "application/octet-stream");
    }

    #[test]
    fn an_open_range_is_bounded_to_a_piece() {
        let asked = Request::builder().header(header::RANGE, "bytes=100-").body(Vec::new()).unwrap_or_default();
        assert_eq!(wanted(&asked), (100, None, PIECE));
        let whole = Request::builder().body(Vec::new()).unwrap_or_default();
        assert_eq!(wanted(&whole), (0, None, WHOLE_MOST));
    }
}
