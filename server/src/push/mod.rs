//! Missed-call push notifications (Web Push): `vapid.rs` is the server's key and the RFC 8292
//! token, `transport.rs` posts to push services, and here is what is sent to whom: each of the
//! owner's subscriptions gets the payload encrypted for it (RFC 8291 `aes128gcm`, the
//! `web-push-native` crate) with `TTL` and `Urgency` (RFC 8030), unless it is the owner's quiet
//! hours. A 404 or 410 means the subscription is gone: it is removed. Other failures are logged
//! (by the subscription's id and the push service's host, never the endpoint: it is a
//! capability) and counted.

pub mod transport;
pub mod vapid;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use app::api::ports::{Clock, Notifier, PushStore, StoreError};
use app::domain::push::{Endpoints, MissedCall, PushOutcome, PushPayload, PushSubscription};
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use web_push_native::p256;

pub use transport::{HttpPush, PushTransport};
pub use vapid::{origin, VapidError, VapidKey};

/// How long a push service keeps a missed-call notification for a device that is offline: a
/// day (a missed call older than that is in Recents; a notification would only be noise).
pub const MISSED_CALL_TTL_SECS: u64 = 24 * 3600;
/// A test notification is worth nothing later than a few minutes.
pub const TEST_TTL_SECS: u64 = 300;

/// RFC 8030 §5.3: how hard the push service tries to deliver now (battery against delay).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    High,
}

impl Urgency {
    fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("the subscription's keys are not usable")]
    Keys,
    #[error("the endpoint is not an http(s) URL")]
    Endpoint,
    #[error("encryption failed: {0}")]
    Encrypt(String),
    #[error(transparent)]
    Vapid(#[from] VapidError),
}

/// Builds the HTTP request that delivers `payload` to one subscription: encrypted for its keys,
/// signed for its push service's origin at `now_secs`.
pub fn build_request(
    subscription: &PushSubscription,
    payload: &[u8],
    key: &VapidKey,
    subject: &str,
    now_secs: u64,
    ttl_secs: u64,
    urgency: Urgency,
) -> Result<http::Request<Vec<u8>>, PushError> {
    let p256dh = URL_SAFE_NO_PAD
        .decode(&subscription.p256dh)
        .map_err(|_| PushError::Keys)?;
    let auth = URL_SAFE_NO_PAD
        .decode(&subscription.auth)
        .map_err(|_| PushError::Keys)?;
    if auth.len() != app::domain::push::AUTH_LEN {
        return Err(PushError::Keys);
    }
    let ua_public = p256::PublicKey::from_sec1_bytes(&p256dh).map_err(|_| PushError::Keys)?;
    let ua_auth = web_push_native::Auth::clone_from_slice(&auth);
    let body = web_push_native::encrypt(payload.to_vec(), &ua_public, &ua_auth)
        .map_err(|e| PushError::Encrypt(e.to_string()))?;
    let audience = origin(&subscription.endpoint).ok_or(PushError::Endpoint)?;
    let authorization = key.authorization(&audience, subject, now_secs)?;
    http::Request::post(&subscription.endpoint)
        .header("TTL", ttl_secs)
        .header("Urgency", urgency.as_str())
        .header(http::header::CONTENT_ENCODING, "aes128gcm")
        .header(http::header::CONTENT_TYPE, "application/octet-stream")
        .header(http::header::AUTHORIZATION, authorization)
        .body(body)
        .map_err(|_| PushError::Endpoint)
}

/// What was sent since the start, for the logs and tests.
#[derive(Debug, Default)]
pub struct PushCounters {
    pub sent: AtomicU64,
    pub removed: AtomicU64,
    pub failed: AtomicU64,
    pub quiet: AtomicU64,
}

/// The push sender the server wires into `Services` (as its `Notifier`) and the call path
/// calls when a call is missed.
pub struct WebPush {
    store: Arc<dyn PushStore>,
    clock: Arc<dyn Clock>,
    key: VapidKey,
    /// The JWT's `sub`: how a push service reaches the operator (mailto: or https:).
    subject: String,
    transport: Arc<dyn PushTransport>,
    endpoints: Endpoints,
    pub counters: PushCounters,
}

impl WebPush {
    pub fn new(
        store: Arc<dyn PushStore>,
        clock: Arc<dyn Clock>,
        key: VapidKey,
        subject: String,
        transport: Arc<dyn PushTransport>,
        endpoints: Endpoints,
    ) -> Self {
        WebPush {
            store,
            clock,
            key,
            subject,
            transport,
            endpoints,
            counters: PushCounters::default(),
        }
    }

    /// Tells each of `owner`'s devices about a call nobody answered, unless it is the owner's
    /// quiet hours. Waits for every push service's answer (about a second; at most 10 s each):
    /// spawn it from a call path that must not wait.
    pub async fn notify_missed_call(&self, owner: &str, call: MissedCall) -> PushOutcome {
        let now = self.clock.now_ms();
        match self.store.push_settings(owner).await {
            Ok(settings) if settings.is_quiet(now) => {
                self.counters.quiet.fetch_add(1, Ordering::Relaxed);
                tracing::info!(call = %call.call_id, "missed-call push held back: quiet hours");
                return PushOutcome {
                    quiet: true,
                    ..PushOutcome::default()
                };
            }
            Ok(_) => {}
            // Sent anyway: a missed notification is worse than one in quiet hours.
            Err(e) => tracing::warn!(error = %e, "push settings unreadable; sending anyway"),
        }
        let payload = PushPayload::from(&call);
        match self
            .send_to_owner(owner, &payload, MISSED_CALL_TTL_SECS, Urgency::High)
            .await
        {
            Ok(outcome) => outcome,
            Err(e) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, call = %call.call_id, "missed-call push not sent: subscriptions unreadable");
                PushOutcome {
                    failed: 1,
                    ..PushOutcome::default()
                }
            }
        }
    }

    /// One test notification to each of the owner's devices (quiet hours or not).
    pub async fn send_test(&self, owner: &str) -> Result<PushOutcome, StoreError> {
        let payload = PushPayload::Test {
            at: self.clock.now_ms(),
        };
        self.send_to_owner(owner, &payload, TEST_TTL_SECS, Urgency::Normal)
            .await
    }

    async fn send_to_owner(
        &self,
        owner: &str,
        payload: &PushPayload,
        ttl_secs: u64,
        urgency: Urgency,
    ) -> Result<PushOutcome, StoreError> {
        let subscriptions = self.store.push_subscriptions(owner).await?;
        let body = serde_json::to_vec(payload).unwrap_or_default();
        let mut outcome = PushOutcome::default();
        for subscription in &subscriptions {
            match self.send_one(subscription, &body, ttl_secs, urgency).await {
                Sent::Accepted => outcome.sent += 1,
                Sent::Gone => outcome.removed += 1,
                Sent::Failed => outcome.failed += 1,
            }
        }
        Ok(outcome)
    }

    async fn send_one(
        &self,
        subscription: &PushSubscription,
        body: &[u8],
        ttl_secs: u64,
        urgency: Urgency,
    ) -> Sent {
        // The push service's host names where it went; the endpoint's path is the capability.
        let service = origin(&subscription.endpoint).unwrap_or_default();
        let id = subscription.id.as_str();
        let request = match build_request(
            subscription,
            body,
            &self.key,
            &self.subject,
            self.clock.now_ms() / 1000,
            ttl_secs,
            urgency,
        ) {
            Ok(request) => request,
            Err(e) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(subscription = id, %service, error = %e, "push not built");
                return Sent::Failed;
            }
        };
        match self.transport.post(request).await {
            Ok(status) if (200..300).contains(&status) => {
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
                Sent::Accepted
            }
            Ok(status @ (404 | 410)) => {
                self.counters.removed.fetch_add(1, Ordering::Relaxed);
                tracing::info!(subscription = id, %service, status, "push subscription gone: removed");
                if let Err(e) = self
                    .store
                    .delete_push_endpoint(&subscription.endpoint)
                    .await
                {
                    tracing::error!(subscription = id, error = %e, "gone push subscription not removed");
                }
                Sent::Gone
            }
            Ok(status) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(subscription = id, %service, status, "push refused");
                Sent::Failed
            }
            Err(e) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(subscription = id, %service, error = %e, "push not delivered");
                Sent::Failed
            }
        }
    }
}

enum Sent {
    Accepted,
    Gone,
    Failed,
}

#[async_trait]
impl Notifier for WebPush {
    fn public_key(&self) -> Option<String> {
        Some(self.key.public_key().to_string())
    }

    fn endpoints(&self) -> Endpoints {
        self.endpoints
    }

    async fn notify_missed_call(&self, owner: &str, call: MissedCall) -> PushOutcome {
        WebPush::notify_missed_call(self, owner, call).await
    }

    async fn send_test(&self, owner: &str) -> Result<PushOutcome, StoreError> {
        WebPush::send_test(self, owner).await
    }
}
