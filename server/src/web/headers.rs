//! Security and caching headers on every response.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub async fn security_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("microphone=(self), camera=(), geolocation=()"),
    );
    if path.starts_with("/pkg/") {
        // The bundle may come brotli- or gzip-encoded by what the request accepts: a shared
        // cache must keep the variants apart.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        let cache = if super::bundle::is_hashed_asset(&path) {
            // Named by its content: a new build has new names, so this one never changes.
            "public, max-age=31536000, immutable"
        } else {
            // Plain names (a debug site): the browser asks again each time.
            "no-cache"
        };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    } else if path == "/sw.js" || path == "/manifest.webmanifest" {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if path.starts_with("/chime/") {
        // The Chime SDK bundle (1.4 MB): its name carries the SDK version, so it never changes.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    } else if !path.starts_with("/icons/") {
        // Pages carry the user's data: never from a shared cache.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}
