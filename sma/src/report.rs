//! The progress push (docs/chime.md, "The progress push"): after an invocation whose outcome
//! changed what the call record should say, the handler POSTs it to the server as JSON, signed
//! with HMAC-SHA256 over the timestamp and the body (`X-Softphone-Signature: t=<ms>,v1=<hex>`).
//! The server checks it with [`verify`]. A push that fails is only logged by the caller: the
//! actions returned never depend on it, and the service waits 5 s for the Lambda, so the
//! attempts are bounded (1 s each, one retry).

use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::flow::CallProgress;

/// The full URL progress is POSTed to (e.g. `http://127.0.0.1:3000/api/chime/progress`).
pub const EVENTS_URL_ENV: &str = "SOFTPHONE_CHIME_EVENTS_URL";
/// The shared secret the pushes are signed with.
pub const EVENTS_SECRET_ENV: &str = "SOFTPHONE_CHIME_EVENTS_SECRET";
pub const SIGNATURE_HEADER: &str = "X-Softphone-Signature";
/// HMAC-SHA256 keys shorter than its output weaken it.
pub const MIN_SECRET_BYTES: usize = 32;
/// Per attempt; with one retry a push takes at most about 2 s of the service's 5 s.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);

type HmacSha256 = Hmac<Sha256>;

/// The pushed body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReport {
    /// Our call id from the attributes; empty when they carry none (the server can still find
    /// the call by its transaction id).
    pub call_id: String,
    pub transaction_id: String,
    /// The event's `Sequence`: orders pushes that arrive out of order.
    pub sequence: u64,
    pub progress: CallProgress,
}

/// Why a signature is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signature header")]
    Missing,
    #[error("the signature header is not t=<ms>,v1=<hex>")]
    Malformed,
    #[error("the signature's timestamp is outside the allowed window")]
    Stale,
    #[error("the signature does not match")]
    BadSignature,
}

/// Why the reporter cannot be built or a push did not land.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{EVENTS_SECRET_ENV} must be at least {MIN_SECRET_BYTES} bytes (it has {0})")]
    SecretTooShort(usize),
    #[error("{EVENTS_URL_ENV} is set but {EVENTS_SECRET_ENV} is not")]
    SecretMissing,
    #[error("{EVENTS_URL_ENV} is not an http(s) URL: {0}")]
    InvalidUrl(String),
    #[error("TLS roots: {0}")]
    Tls(String),
    #[error("the request failed: {0}")]
    Request(String),
    #[error("no answer within {} ms", ATTEMPT_TIMEOUT.as_millis())]
    Timeout,
    #[error("the server answered HTTP {0}")]
    Status(u16),
}

impl ReportError {
    /// Worth a second attempt: the server may not have seen it.
    fn is_transient(&self) -> bool {
        match self {
            ReportError::Request(_) | ReportError::Timeout => true,
            ReportError::Status(status) => *status >= 500,
            _ => false,
        }
    }
}

/// `t=<t_ms>,v1=<lowercase hex HMAC-SHA256(secret, "<t_ms>." + body)>`.
pub fn sign(secret: &[u8], t_ms: u64, body: &[u8]) -> String {
    let tag = mac(secret, t_ms, body).finalize().into_bytes();
    format!("t={t_ms},v1={}", hex(&tag))
}

/// Checks a push's signature header against its body: well formed, within `tolerance_ms` of
/// `now_ms` either way, and the MAC compared in constant time.
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now_ms: u64,
    tolerance_ms: u64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let (t_ms, tag) = parse_header(header).ok_or(SignatureError::Malformed)?;
    if now_ms.abs_diff(t_ms) > tolerance_ms {
        return Err(SignatureError::Stale);
    }
    mac(secret, t_ms, body)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::BadSignature)
}

fn mac(secret: &[u8], t_ms: u64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts any key length"),
    };
    mac.update(t_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `t=<digits>,v1=<64 hex>`, in that order, nothing else.
fn parse_header(header: &str) -> Option<(u64, Vec<u8>)> {
    let (t, v1) = header.trim().split_once(',')?;
    let t = t.trim().strip_prefix("t=")?;
    let v1 = v1.trim().strip_prefix("v1=")?;
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || v1.len() != 64 {
        return None;
    }
    let t_ms = t.parse().ok()?;
    let tag = unhex(v1)?;
    Some((t_ms, tag))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Pushes progress to one URL with one secret.
pub struct Reporter {
    url: http::Uri,
    secret: Vec<u8>,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for Reporter {
    // Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter").field("url", &self.url).finish()
    }
}

impl Reporter {
    pub fn new(url: &str, secret: &[u8]) -> Result<Reporter, ReportError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ReportError::SecretTooShort(secret.len()));
        }
        let url: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| ReportError::InvalidUrl(e.to_string()))?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none() {
            return Err(ReportError::InvalidUrl(url.to_string()));
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| ReportError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Reporter {
            url,
            secret: secret.to_vec(),
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// From [`EVENTS_URL_ENV`] and [`EVENTS_SECRET_ENV`]; `None` when no URL is set (nothing
    /// is pushed).
    pub fn from_env() -> Result<Option<Reporter>, ReportError> {
        Reporter::from_values(
            std::env::var(EVENTS_URL_ENV).ok(),
            std::env::var(EVENTS_SECRET_ENV).ok(),
        )
    }

    /// The same from given values (the stand-in's configuration).
    pub fn from_values(
        url: Option<String>,
        secret: Option<String>,
    ) -> Result<Option<Reporter>, ReportError> {
        let Some(url) = url.filter(|url| !url.trim().is_empty()) else {
            return Ok(None);
        };
        let secret = secret.ok_or(ReportError::SecretMissing)?;
        Reporter::new(url.trim(), secret.as_bytes()).map(Some)
    }

    pub fn url(&self) -> &http::Uri {
        &self.url
    }

    /// POSTs the report, signed at `now_ms` (re-signed for the retry); one retry after a
    /// connection failure, a timeout or a 5xx.
    pub async fn push(&self, report: &ProgressReport) -> Result<(), ReportError> {
        let body = Bytes::from(
            serde_json::to_vec(report).map_err(|e| ReportError::Request(e.to_string()))?,
        );
        match self.attempt(&body).await {
            Err(error) if error.is_transient() => self.attempt(&body).await,
            result => result,
        }
    }

    async fn attempt(&self, body: &Bytes) -> Result<(), ReportError> {
        let request = http::Request::post(self.url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&self.secret, now_ms(), body))
            .body(Full::new(body.clone()))
            .map_err(|e| ReportError::Request(e.to_string()))?;
        let response = tokio::time::timeout(ATTEMPT_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| ReportError::Timeout)?
            .map_err(|e| ReportError::Request(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(ReportError::Status(status.as_u16()))
        }
    }

    /// Pushes `progress` when there is some, logging a failure (by call and transaction id
    /// only: no numbers, no secret); false if it was not delivered. Never fails: the actions
    /// do not depend on it.
    pub async fn report(
        &self,
        call_id: Option<&str>,
        transaction_id: &str,
        sequence: u64,
        progress: Option<&CallProgress>,
    ) -> bool {
        let Some(progress) = progress else {
            return true;
        };
        let report = ProgressReport {
            call_id: call_id.unwrap_or_default().to_string(),
            transaction_id: transaction_id.to_string(),
            sequence,
            progress: progress.clone(),
        };
        if let Err(error) = self.push(&report).await {
            tracing::warn!(
                %error,
                call_id = report.call_id.as_str(),
                transaction_id,
                sequence,
                "progress push failed"
            );
            return false;
        }
        true
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const BODY: &[u8] = br#"{"call_id":"c","transaction_id":"t","sequence":3,"progress":{"state":"ringing","at":1}}"#;

    #[test]
    fn a_signature_verifies_within_the_window() {
        let header = sign(SECRET, 1_000_000, BODY);
        assert!(header.starts_with("t=1000000,v1="));
        assert_eq!(header.len(), "t=1000000,v1=".len() + 64);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, 1_000_000, 300_000),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, Some(&header), BODY, 1_200_000, 300_000),
            Ok(())
        );
    }

    #[test]
    fn a_known_vector() {
        // HMAC-SHA256(key "key", "1.x"), computed independently (Python's hmac module).
        assert_eq!(
            sign(b"key", 1, b"x"),
            "t=1,v1=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec"
        );
    }

    #[test]
    fn a_tampered_body_or_another_secret_is_refused() {
        let header = sign(SECRET, 5_000, BODY);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            verify(SECRET, Some(&header), &tampered, 5_000, 1_000),
            Err(SignatureError::BadSignature)
        );
        let other = b"fedcba9876543210fedcba9876543210";
        assert_eq!(
            verify(other, Some(&header), BODY, 5_000, 1_000),
            Err(SignatureError::BadSignature)
        );
        // The timestamp is signed too.
        let moved = header.replacen("t=5000", "t=5001", 1);
        assert_eq!(
            verify(SECRET, Some(&moved), BODY, 5_000, 1_000),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn a_stale_or_future_timestamp_is_refused() {
        let header = sign(SECRET, 10_000, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, 20_001, 10_000),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, Some(&header), BODY, 0, 9_999),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_refused() {
        assert_eq!(
            verify(SECRET, None, BODY, 0, 0),
            Err(SignatureError::Missing)
        );
        let good = sign(SECRET, 7, BODY);
        let tag = good.split_once(",v1=").map(|(_, t)| t).unwrap_or_default();
        for header in [
            String::new(),
            "t=7".into(),
            format!("v1={tag},t=7"),
            format!("t=,v1={tag}"),
            format!("t=-7,v1={tag}"),
            format!("t=7,v1={}", &tag[..63]),
            format!("t=7,v1={}g", &tag[..63]),
            format!("t=7,v0={tag}"),
            format!("t=99999999999999999999999,v1={tag}"),
        ] {
            assert_eq!(
                verify(SECRET, Some(&header), BODY, 7, 0),
                Err(SignatureError::Malformed),
                "{header:?}"
            );
        }
    }

    #[test]
    fn short_secrets_and_bad_urls_are_refused() {
        assert!(matches!(
            Reporter::new("http://127.0.0.1:1/p", b"short"),
            Err(ReportError::SecretTooShort(5))
        ));
        assert!(matches!(
            Reporter::new("ftp://127.0.0.1/p", SECRET),
            Err(ReportError::InvalidUrl(_))
        ));
        assert!(matches!(
            Reporter::from_values(Some("http://127.0.0.1:1/p".into()), None),
            Err(ReportError::SecretMissing)
        ));
        assert!(matches!(Reporter::from_values(None, None), Ok(None)));
        let message = ReportError::SecretTooShort(5).to_string();
        assert!(message.contains(EVENTS_SECRET_ENV) && message.contains("32"));
    }
}
