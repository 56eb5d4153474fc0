//! Fetches a JSON Web Key Set over HTTPS (Cognito's `…/.well-known/jwks.json`, or an
//! emulator's over plain http), for the token verifier.

use std::time::Duration;

use app::api::ports::AuthError;
use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;

use super::jwt::JwksSource;

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
