//! The web client every Banter host serves at `/`, so that anyone on the LAN can join from a browser or a phone
//! with nothing installed, and the Socket.IO browser client at `/socket.io/socket.io.js`, as the reference server
//! serves it, so that pages written for plain Socket.IO work against a Banter host.
//!
//! The files are the web build of `ui/` (`npm run build:web`, which `make` runs), embedded at compile time even in
//! debug builds: a host needs no files beside its binary.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../ui/dist-web/"]
struct Assets;

/// The page's own policy: everything from the host itself, images also from blobs (attachments), nothing inline.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page and its assets.
pub fn routes() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset))
        .route("/icon.png", get(|headers: HeaderMap| async move { serve("icon.png", &headers, Caching::Revalidate) }))
}

/// The route of the Socket.IO browser client, `GET /socket.io/socket.io.js`.
pub fn socket_io_client_route() -> MethodRouter {
    get(socket_io_client)
}

/// Everything a host serves to browsers, for `HostConfig::web`.
pub fn client() -> banter_core::host::WebClient {
    banter_core::host::WebClient { pages: routes(), socket_io_client: socket_io_client_route() }
}

/// How long a browser may keep a file without asking again.
#[derive(Clone, Copy)]
enum Caching {
    /// Names that carry their content's hash never change.
    Immutable,
    /// The page and unhashed files: reuse only after checking the ETag.
    Revalidate,
    /// The Socket.IO client changes only with Banter's version.
    Hour,
}

async fn index(headers: HeaderMap) -> Response {
    let mut response = serve("index.html", &headers, Caching::Revalidate);
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    response
}

async fn socket_io_client(headers: HeaderMap) -> Response {
    serve("socket.io.js", &headers, Caching::Hour)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&format!("assets/{path}"), &headers, Caching::Immutable)
}

fn serve(path: &str, request: &HeaderMap, caching: Caching) -> Response {
    let Some(file) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let cache_control = match caching {
        Caching::Immutable => "public, max-age=31536000, immutable",
        Caching::Revalidate => "no-cache",
        Caching::Hour => "public, max-age=3600",
    };
    let headers = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, cache_control.to_owned()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    if request.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let mime = file.metadata.mimetype().to_owned();
    let mime =
        if mime.starts_with("text/") || mime.ends_with("javascript") { format!("{mime}; charset=utf-8") } else { mime };
    (headers, [(header::CONTENT_TYPE, mime)], Body::from(file.data.into_owned())).into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(path: &str, if_none_match: Option<&str>) -> Response {
        let mut request = Request::get(path);
        if let Some(etag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        let app = routes().route("/socket.io/socket.io.js", socket_io_client_route());
        app.oneshot(request.body(Body::empty()).unwrap_or_default()).await.unwrap_or_else(|never| match never {})
    }

    #[tokio::test]
    async fn the_page_is_served_with_its_policy_and_revalidated_by_etag() {
        let page = get("/", None).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default()
            .contains("script-src 'self'"));
        let etag = page.headers()[header::ETAG].to_str().unwrap_or_default().to_owned();
        assert_eq!(get("/", Some(&etag)).await.status(), StatusCode::NOT_MODIFIED);
    }

    #[tokio::test]
    async fn the_socket_io_client_and_hashed_assets_are_served_with_long_caching() {
        let client = get("/socket.io/socket.io.js", None).await;
        assert_eq!(client.status(), StatusCode::OK);
        assert_eq!(client.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        let asset =
            Assets::iter().find(|name| name.starts_with("assets/") && name.ends_with(".js")).expect("a built script");
        let response = get(&format!("/{asset}"), None).await;
        assert_eq!(response.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert_eq!(get("/assets/missing.js", None).await.status(), StatusCode::NOT_FOUND);
    }
}
