//! The console's static files, served from a directory (normally `web/dist`).
//!
//! - MIME types, ranges and conditional requests: `tower-http`'s `ServeDir`, which also keeps
//!   every path inside the directory.
//! - SPA fallback: a `GET`/`HEAD` of a path that is not a file answers `index.html`, so shared
//!   console URLs (`/environments/prod`) load the app. Paths under `/api/` never fall back:
//!   they answer a JSON 404.
//! - Caching: HTML (`index.html`, the fallback) is `Cache-Control: no-cache`, so a new release
//!   is picked up at once; files whose name carries a content hash (`app-3f2a9c1b4e5d6f70.js`,
//!   `index-BfH3k2s9.css`) are `public, max-age=31536000, immutable`; anything else
//!   `no-cache`.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ProxyError;

/// `Cache-Control` of HTML and unhashed files.
pub const NO_CACHE: &str = "no-cache";
/// `Cache-Control` of content-hashed files.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether a file name carries a content hash: a `-`-separated part of its stem (before the
/// first `.`, `_bg` suffix ignored) of at least 8 ASCII letters and digits including a digit.
pub fn is_hashed(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or("");
    stem.split('-').skip(1).any(|part| {
        let part = part.strip_suffix("_bg").unwrap_or(part);
        part.len() >= 8
            && part.bytes().all(|b| b.is_ascii_alphanumeric())
            && part.bytes().any(|b| b.is_ascii_digit())
    })
}

/// A router serving `dir` for every path no other route takes: merge it last (its `GET /`
/// and fallback) into a server's router.
pub fn router(dir: &Path) -> Router {
    let dir: PathBuf = dir.to_owned();
    let index_dir = dir.clone();
    Router::new()
        .route("/", get(move |request: Request| serve(index_dir, request)))
        .fallback(move |request: Request| serve(dir, request))
}

async fn serve(dir: PathBuf, request: Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return ProxyError::UnknownOperation(format!("No API route {path}")).into_response();
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response();
    }
    let hashed = path.rsplit('/').next().is_some_and(is_hashed);
    let files = ServeDir::new(&dir).fallback(ServeFile::new(dir.join("index.html")));
    let mut response = match files.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    let html = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let cache = if response.status().is_success() && hashed && !html {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    response
        .headers_mut()
        .insert(http::header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_asset_names_are_recognised() {
        for name in [
            "baryon-console-3b2f1c9d8e7a6b5c.js",
            "baryon-console-3b2f1c9d8e7a6b5c_bg.wasm",
            "style-0a1b2c3d4e5f6a7b.css",
            "index-BfH3k2s9.js",
        ] {
            assert!(is_hashed(name), "{name}");
        }
        for name in [
            "index.html",
            "favicon.ico",
            "my-component-library.js",
            "app.js",
            "",
        ] {
            assert!(!is_hashed(name), "{name}");
        }
    }
}
