//! Cross-site request forgery: a request that changes something with the session cookies
//! (every POST, PUT, PATCH and DELETE outside the REST API) must be JSON and come from our own
//! pages, else 403. A cross-site form can send only `text/plain`, `application/x-www-form-
//! urlencoded` or `multipart/form-data`, and a cross-site `fetch` with JSON needs a CORS
//! pre-flight we never grant; the browser's `Origin` (or `Sec-Fetch-Site`) says who sent it.
//! `SameSite=Strict` cookies alone do not stop a sibling subdomain, nor login CSRF (signing the
//! victim into the attacker's account, which needs no cookie at all).
//!
//! Exempt: the REST API (`/api/v1/`, Bearer tokens only, never cookies) and the Chime progress
//! pushes (signed by the SIP media application's handler, no cookies).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Whether a browser request comes from our own pages: its `Origin` is the configured public
/// URL or names the host it was sent to.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == public_url {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Why a request is refused, or `None` when it may go on.
pub fn refusal(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    public_url: &str,
) -> Option<&'static str> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) || path.starts_with("/api/v1/")
        || path == super::CHIME_PROGRESS_PATH
    {
        return None;
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Some("not JSON");
    }
    // Browsers send `Sec-Fetch-Site` (all current ones) and `Origin` (on every POST); either
    // may vouch for the request, and neither may say it is from elsewhere.
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = fetch_site {
        if !matches!(site, "same-origin" | "none") {
            return Some("sent from another site");
        }
    }
    let origin = headers.contains_key(header::ORIGIN);
    if origin && !same_origin(headers, public_url) {
        return Some("sent from another origin");
    }
    if !origin && fetch_site.is_none() {
        return Some("no Origin");
    }
    None
}

/// 403 for a request [`refusal`] refuses, with the UI's error shape as its body
/// (`{"Request": "…"}`) and a log line naming the path and the reason (nothing of the body).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if let Some(reason) = refusal(request.method(), path, request.headers(), &state.public_url) {
        tracing::warn!(method = %request.method(), path, reason, "cross-site request refused");
        let body =
            serde_json::json!({ "Request": format!("cross-site request refused: {reason}") });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PUBLIC: &str = "https://phone.example.com";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_is_the_public_url_or_the_host_asked() {
        assert!(same_origin(&headers(&[("origin", PUBLIC)]), PUBLIC));
        assert!(same_origin(
            &headers(&[("origin", "http://127.0.0.1:3000")]),
            PUBLIC
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            PUBLIC
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), PUBLIC));
        assert!(!same_origin(&headers(&[]), PUBLIC));
    }

    #[test]
    fn only_same_origin_json_changes_anything() {
        let post = Method::POST;
        let fn_path = "/api/contacts/save";
        let json = ("content-type", "application/json");
        let ours = ("origin", "http://127.0.0.1:3000");
        let ok = |pairs: &[(&'static str, &'static str)]| {
            refusal(&post, fn_path, &headers(pairs), PUBLIC)
        };
        assert_eq!(ok(&[json, ours]), None);
        assert_eq!(
            ok(&[("content-type", "application/json; charset=utf-8"), ours]),
            None
        );
        assert_eq!(ok(&[json, ("sec-fetch-site", "same-origin")]), None);
        assert_eq!(ok(&[json, ("sec-fetch-site", "none")]), None);
        assert_eq!(ok(&[json, ours, ("sec-fetch-site", "same-origin")]), None);
        for (content_type, _) in [
            ("text/plain", 0),
            ("application/x-www-form-urlencoded", 0),
            ("multipart/form-data; boundary=x", 0),
        ] {
            assert!(
                ok(&[("content-type", content_type), ours]).is_some(),
                "{content_type}"
            );
        }
        assert!(ok(&[ours]).is_some(), "no content type");
        assert!(ok(&[json, ("origin", "https://evil.example")]).is_some());
        assert!(ok(&[json, ("sec-fetch-site", "cross-site")]).is_some());
        assert!(
            ok(&[json, ("sec-fetch-site", "same-site")]).is_some(),
            "a sibling subdomain"
        );
        assert!(ok(&[json, ours, ("sec-fetch-site", "cross-site")]).is_some());
        assert!(ok(&[json]).is_some(), "neither Origin nor Sec-Fetch-Site");
        // Reading is not guarded; the REST API and the signed Chime pushes are not cookie-based.
        assert_eq!(refusal(&Method::GET, fn_path, &headers(&[]), PUBLIC), None);
        assert_eq!(refusal(&post, "/api/v1/calls", &headers(&[]), PUBLIC), None);
        assert_eq!(
            refusal(
                &post,
                super::super::CHIME_PROGRESS_PATH,
                &headers(&[]),
                PUBLIC
            ),
            None
        );
        assert!(refusal(&Method::DELETE, "/anything", &headers(&[json]), PUBLIC).is_some());
    }
}
