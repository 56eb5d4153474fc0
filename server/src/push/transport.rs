//! Posting a push to a push service: the HTTPS client the server already has (hyper, rustls).
//! A thin adapter: a request in, the status out.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Sends a built push request; the push service's status, or why there was none.
#[async_trait]
pub trait PushTransport: Send + Sync {
    async fn post(&self, request: http::Request<Vec<u8>>) -> Result<u16, String>;
}

/// A push service answers within seconds; a call's notification is not worth waiting longer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The answer's body is read (so the connection can be reused) up to this much.
const MAX_ANSWER_BYTES: usize = 16 * 1024;

pub struct HttpPush {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpPush {
    pub fn new() -> Result<Self, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("TLS roots: {e}"))?
            // Plain http reaches only the loopback fake push service of the tests: the
            // subscriptions' endpoints are checked to be https:// otherwise.
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpPush {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }
}

#[async_trait]
impl PushTransport for HttpPush {
    async fn post(&self, request: http::Request<Vec<u8>>) -> Result<u16, String> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let send = async {
            let response = self
                .client
                .request(request)
                // hyper's message names the host only; never the endpoint's path.
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            let status = response.status().as_u16();
            let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await;
            Ok(status)
        };
        tokio::time::timeout(SEND_TIMEOUT, send)
            .await
            .map_err(|_| format!("no answer within {} s", SEND_TIMEOUT.as_secs()))?
    }
}
