//! Fetches a JSON Web Key Set over HTTPS (Cognito's `…/.well-known/jwks.json`, or an
//! emulator's over plain http), and keeps it for the token verifier: a reader whose key is
//! cached never waits for the network, one fetch runs at a time, and failed fetches back off.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::api::ports::AuthError;
use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;

use super::jwt::JwksSource;

/// When the key set may be fetched again.
#[derive(Clone, Copy, Debug)]
pub struct RefreshPolicy {
    /// After a fetch that worked: an unknown `kid` fetches again at most this often (stops
    /// key-id spraying from making us hammer the endpoint).
    pub min_interval: Duration,
    /// After a failed fetch: the first wait, doubled after each further failure up to `max_back_off`.
    pub first_back_off: Duration,
    pub max_back_off: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            min_interval: Duration::from_secs(30),
            first_back_off: Duration::from_secs(1),
            max_back_off: Duration::from_secs(300),
        }
    }
}

impl RefreshPolicy {
    /// The wait after `failures` failed fetches in a row (at least one).
    fn back_off(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first_back_off
            .saturating_mul(1u32 << doublings)
            .min(self.max_back_off)
    }
}

struct CacheState {
    keys: Arc<JwkSet>,
    /// No fetch before this (none yet: fetch at once).
    next_fetch: Option<Instant>,
    failures: u32,
    last_error: Option<String>,
}

/// The key set, shared by every verification. The state's lock is never held across an
/// `await`; the fetch lock is held across the fetch, and only callers that lack their key and
/// may fetch wait on it.
pub struct KeyCache {
    source: Arc<dyn JwksSource>,
    policy: RefreshPolicy,
    state: Mutex<CacheState>,
    fetching: tokio::sync::Mutex<()>,
}

impl KeyCache {
    pub fn new(source: Arc<dyn JwksSource>, policy: RefreshPolicy) -> Self {
        KeyCache {
            source,
            policy,
            state: Mutex::new(CacheState {
                keys: Arc::new(JwkSet { keys: Vec::new() }),
                next_fetch: None,
                failures: 0,
                last_error: None,
            }),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // The state is plain data, consistent after every assignment: a panic elsewhere while
        // it was held leaves nothing half-done.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached keys, and whether a fetch is allowed now.
    fn snapshot(&self) -> (Arc<JwkSet>, bool) {
        let state = self.state();
        let due = state.next_fetch.is_none_or(|at| Instant::now() >= at);
        (state.keys.clone(), due)
    }

    /// The key set holding `kid`: the cached one when it does, else one fetched now if the
    /// policy allows (a single fetch for all the callers waiting), else the cached one.
    /// `Err(Unavailable)` only when there are no keys at all because fetching fails.
    pub async fn keys_for(&self, kid: &str) -> Result<Arc<JwkSet>, AuthError> {
        let (keys, due) = self.snapshot();
        if keys.find(kid).is_some() || !due {
            return self.usable(keys);
        }
        let _single = self.fetching.lock().await;
        // Another caller may have fetched while this one waited.
        let (keys, due) = self.snapshot();
        if keys.find(kid).is_some() || !due {
            return self.usable(keys);
        }
        let fetched = self.source.fetch().await;
        let now = Instant::now();
        let mut state = self.state();
        match fetched {
            Ok(keys) => {
                state.keys = Arc::new(keys);
                state.failures = 0;
                state.last_error = None;
                state.next_fetch = Some(now + self.policy.min_interval);
            }
            Err(e) => {
                state.failures = state.failures.saturating_add(1);
                let wait = self.policy.back_off(state.failures);
                tracing::warn!(error = %e, failures = state.failures, retry_in_ms = wait.as_millis() as u64, "signing keys not fetched");
                state.last_error = Some(e.to_string());
                state.next_fetch = Some(now + wait);
            }
        }
        let keys = state.keys.clone();
        drop(state);
        self.usable(keys)
    }

    /// An empty set because fetching fails is the provider being unavailable, not a bad token.
    fn usable(&self, keys: Arc<JwkSet>) -> Result<Arc<JwkSet>, AuthError> {
        if keys.keys.is_empty() {
            if let Some(error) = &self.state().last_error {
                return Err(AuthError::Unavailable(error.clone()));
            }
        }
        Ok(keys)
    }
}

/// A key set is a few kilobytes; anything much larger is not one.
const MAX_JWKS_BYTES: usize = 256 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpJwks {
    url: String,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl HttpJwks {
    pub fn new(url: &str) -> Result<Self, AuthError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| AuthError::Unavailable(format!("TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpJwks {
            url: url.to_string(),
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn get(&self) -> Result<Bytes, String> {
        let uri: axum::http::Uri = self.url.parse().map_err(|e| format!("bad URL: {e}"))?;
        let response = self
            .client
            .get(uri)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map(|body| body.to_bytes())
            .map_err(|e| format!("body: {e}"))
    }
}

#[async_trait]
impl JwksSource for HttpJwks {
    async fn fetch(&self) -> Result<JwkSet, AuthError> {
        let body = tokio::time::timeout(FETCH_TIMEOUT, self.get())
            .await
            .map_err(|_| format!("no answer within {} s", FETCH_TIMEOUT.as_secs()))
            .and_then(|r| r)
            .map_err(|e| AuthError::Unavailable(format!("JWKS {}: {e}", self.url)))?;
        serde_json::from_slice(&body)
            .map_err(|e| AuthError::Unavailable(format!("JWKS {}: not a key set: {e}", self.url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_doubles_from_the_first_wait_up_to_the_cap() {
        let policy = RefreshPolicy::default();
        let waits: Vec<u64> = (1..=12).map(|f| policy.back_off(f).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(policy.back_off(u32::MAX), Duration::from_secs(300));
    }
}
