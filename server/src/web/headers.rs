//! Security and caching headers on every response: the content security policy, HSTS over
//! HTTPS, COOP, and the rest (`docs/security.md`, "Web and sessions").
//!
//! The policy allows scripts from this origin only, plus the inline scripts Leptos writes into
//! each page (the hydration loader and the resources' data), which carry a fresh nonce per
//! response: leptos_axum makes one for every page it renders, and [`Policy::nonce_for_page`]
//! puts the same nonce into that page's header. Hashes would not do: the resources' script
//! holds each page's own data. The WASM needs `'wasm-unsafe-eval'` to be compiled.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::TrustedProxies;

/// HSTS: a year; not `includeSubDomains`, which would reach sites of the operator's we know
/// nothing about.
const HSTS: &str = "max-age=31536000";

/// What the headers depend on, made once at start.
pub struct Policy {
    /// `connect-src` beyond `'self'`.
    connect: String,
    /// `media-src` beyond `'self' blob:` (where recordings play from: S3's presigned URLs).
    media: String,
    /// Served over HTTPS (the public URL says so): HSTS on every response.
    https: bool,
    trusted_proxies: TrustedProxies,
}

impl Policy {
    /// `public_url`: where browsers reach us (its WebSocket origin is named as well as
    /// `'self'`, which older Safari does not extend to `ws:`); `connect`: other origins the
    /// browser talks to (the Chime meeting's signalling and TURN control).
    pub fn new(public_url: &str, connect: &[String], trusted_proxies: TrustedProxies) -> Policy {
        let mut sources: Vec<String> = Vec::new();
        if let Some(host) = public_url.strip_prefix("https://") {
            sources.push(format!("wss://{host}"));
        } else if let Some(host) = public_url.strip_prefix("http://") {
            sources.push(format!("ws://{host}"));
        }
        sources.extend(connect.iter().cloned());
        Policy {
            connect: sources.join(" "),
            media: String::new(),
            https: public_url.starts_with("https://"),
            trusted_proxies,
        }
    }

    /// Also lets audio play from `origins` (the recordings' S3 endpoint).
    pub fn with_media(mut self, origins: &[String]) -> Policy {
        self.media = origins.iter().map(|o| format!(" {o}")).collect();
        self
    }

    /// The content security policy, allowing inline scripts with this nonce (pages), or none.
    pub fn csp(&self, nonce: Option<&str>) -> String {
        let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
        let connect = if self.connect.is_empty() {
            String::new()
        } else {
            format!(" {}", self.connect)
        };
        let media = &self.media;
        format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; \
             style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; \
             media-src 'self' blob:{media}; connect-src 'self'{connect}; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    }

    /// Puts this page's policy, with the nonce leptos_axum made for its inline scripts, on the
    /// page's response; called in the page's Leptos context.
    pub fn nonce_for_page(&self) {
        let Some(nonce) = leptos::nonce::use_nonce() else {
            return;
        };
        let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        if let Ok(value) = HeaderValue::from_str(&self.csp(Some(&nonce))) {
            response.insert_header(header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// The connect-src origins of the Chime shapes: Amazon Chime's own (signalling over `wss:`,
/// TURN control over `https:`), or the local stand-in's base URL.
pub fn chime_sources(stand_in: Option<&str>, chime: bool) -> Vec<String> {
    match stand_in {
        Some(url) => {
            let ws = url
                .strip_prefix("http://")
                .map(|host| format!("ws://{host}"))
                .or_else(|| url.strip_prefix("https://").map(|h| format!("wss://{h}")));
            std::iter::once(url.to_string()).chain(ws).collect()
        }
        None if chime => vec!["https://*.chime.aws".into(), "wss://*.chime.aws".into()],
        None => Vec::new(),
    }
}

/// The media-src origins recordings play from: none beyond our own for recordings on disk;
/// with recordings in S3, the S3 endpoint the presigned URLs name (a configured endpoint such as
/// a local emulator's, else any AWS host: the bucket's virtual-hosted name varies by region).
pub fn recording_sources(in_s3: bool, s3_endpoint: Option<&str>) -> Vec<String> {
    match (in_s3, s3_endpoint.filter(|url| !url.is_empty())) {
        (false, _) => Vec::new(),
        (true, Some(url)) => vec![url.trim_end_matches('/').to_string()],
        (true, None) => vec!["https://*.amazonaws.com".to_string()],
    }
}

pub async fn security_headers(
    State(policy): State<Arc<Policy>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let https = policy.https
        || super::client::forwarded_https(peer, request.headers(), &policy.trusted_proxies);
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(value) = HeaderValue::from_str(&policy.csp(None)) {
            h.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_our_scripts_and_endpoints_only() {
        let policy = Policy::new(
            "https://phone.example.com",
            &chime_sources(None, true),
            TrustedProxies::default(),
        );
        let csp = policy.csp(Some("abc123"));
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc123';"),
            "{csp}"
        );
        let scripts = csp.split(';').find(|d| d.trim().starts_with("script-src"));
        assert!(
            scripts.is_some_and(|s| !s.contains("unsafe-inline")),
            "{csp}"
        );
        for part in [
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "connect-src 'self' wss://phone.example.com https://*.chime.aws wss://*.chime.aws;",
        ] {
            assert!(csp.contains(part), "{part} in {csp}");
        }
        assert!(policy.https);
        let csp = policy.csp(None);
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );

        let local = Policy::new(
            "http://127.0.0.1:3000",
            &chime_sources(Some("http://127.0.0.1:4100"), true),
            TrustedProxies::default(),
        );
        assert!(
            local.csp(None).contains(
                "connect-src 'self' ws://127.0.0.1:3000 http://127.0.0.1:4100 ws://127.0.0.1:4100;"
            ),
            "{}",
            local.csp(None)
        );
        assert!(!local.https);
        let plain = Policy::new("http://127.0.0.1:3000", &[], TrustedProxies::default());
        assert!(plain
            .csp(None)
            .contains("connect-src 'self' ws://127.0.0.1:3000;"));
    }

    #[test]
    fn recordings_in_s3_may_play_from_s3_only() {
        let csp = |sources: Vec<String>| {
            Policy::new("https://phone.example.com", &[], TrustedProxies::default())
                .with_media(&sources)
                .csp(None)
        };
        assert!(csp(recording_sources(false, Some("http://127.0.0.1:5000")))
            .contains("media-src 'self' blob:;"));
        assert!(csp(recording_sources(true, Some("http://127.0.0.1:5000/")))
            .contains("media-src 'self' blob: http://127.0.0.1:5000;"));
        assert!(csp(recording_sources(true, None))
            .contains("media-src 'self' blob: https://*.amazonaws.com;"));
        assert!(csp(recording_sources(true, Some("")))
            .contains("media-src 'self' blob: https://*.amazonaws.com;"));
    }
}
