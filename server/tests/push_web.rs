//! Missed-call push notifications end to end on the server side: `WebPush` sends through its
//! real HTTP client to a fake push service on 127.0.0.1, which records what arrives; the test
//! checks the VAPID token (signature with jsonwebtoken, an implementation of its own, and the
//! claims), the RFC 8030/8291 headers, and decrypts the body with `web-push-native`'s `decrypt`
//! and the browser's keys. A 410 removes the subscription, a 500 is counted and kept, quiet
//! hours send nothing, and the log never carries the endpoint or the caller's number. The
//! Settings operations (subscribe, unsubscribe, test, quiet hours) run on the same sender.

#[path = "common/rest.rs"]
mod rest_common;

use std::sync::{Arc, Mutex};

use app::api::ports::{Clock, Notifier, Principal, Services, Store};
use app::api::ApiError;
use app::domain::push::{
    Endpoints, MissedCall, PushOutcome, PushSettings, PushSubscription, QuietHours,
    SubscribeRequest, SubscriptionError,
};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use server::push::vapid::JWT_LIFETIME_SECS;
use server::push::{HttpPush, VapidKey, WebPush};
use server::store::SqliteStore;
use web_push_native::p256;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;

const SUBJECT: &str = "mailto:ops@example.com";
const CALLER: &str = "+6581234567";

/// What the fake push service received: the path's name, headers and body.
type Received = Arc<Mutex<Vec<(String, HeaderMap, Vec<u8>)>>>;

/// A push service on loopback: `/push/<name>` answers 201, but `gone` 410, `missing` 404 and
/// `broken` 500.
async fn fake_push_service() -> (String, Received) {
    async fn receive(
        State(received): State<Received>,
        Path(name): Path<String>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> StatusCode {
        received
            .lock()
            .unwrap()
            .push((name.clone(), headers, body.to_vec()));
        match name.as_str() {
            "gone" => StatusCode::GONE,
            "missing" => StatusCode::NOT_FOUND,
            "broken" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::CREATED,
        }
    }
    let received = Received::default();
    let app = Router::new()
        .route("/push/{name}", post(receive))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, received)
}

/// A browser's side of a subscription: its P-256 key pair and auth secret.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Self {
        let secret = loop {
            if let Ok(s) = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
                break s;
            }
        };
        Browser {
            secret,
            auth: rand::random(),
        }
    }

    fn request(&self, endpoint: &str) -> SubscribeRequest {
        SubscribeRequest {
            endpoint: endpoint.into(),
            p256dh: URL_SAFE_NO_PAD
                .encode(self.secret.public_key().to_encoded_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(self.auth),
            label: "Chrome on Linux".into(),
        }
    }

    fn subscription(&self, owner: &str, endpoint: &str, created_at: u64) -> PushSubscription {
        let r = self.request(endpoint);
        PushSubscription {
            id: app::api::push::ops::subscription_id(endpoint),
            owner: owner.into(),
            endpoint: r.endpoint,
            p256dh: r.p256dh,
            auth: r.auth,
            label: r.label,
            created_at,
        }
    }

    fn decrypt(&self, body: &[u8]) -> serde_json::Value {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(body.to_vec(), &self.secret, &auth).unwrap();
        serde_json::from_slice(&plain).unwrap()
    }
}

struct FixedClock(u64);

impl Clock for FixedClock {
    fn now_ms(&self) -> u64 {
        self.0
    }
}

fn now_ms() -> u64 {
    server::clock::SystemClock.now_ms()
}

fn sender(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> (Arc<WebPush>, String) {
    let (key, _) = VapidKey::generate().unwrap();
    let public = key.public_key().to_string();
    let push = WebPush::new(
        store,
        clock,
        key,
        SUBJECT.into(),
        Arc::new(HttpPush::new().unwrap()),
        Endpoints::AlsoLoopbackHttp,
    );
    (Arc::new(push), public)
}

fn missed_call() -> MissedCall {
    MissedCall {
        call_id: "call-1".into(),
        from: Some(CALLER.into()),
        contact_name: Some("Ana Pérez".into()),
        to: "+6560000001".into(),
        at: 1_700_000_000_000,
    }
}

/// Checks the request's VAPID token against the server's public key with jsonwebtoken, and its
/// claims; returns the token's claims.
fn check_vapid(headers: &HeaderMap, origin: &str, server_key: &str) -> serde_json::Value {
    let authorization = headers["authorization"].to_str().unwrap();
    let (token, k) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .unwrap_or_else(|| panic!("not a vapid header: {authorization}"));
    assert_eq!(k, server_key, "k is the server's public key");
    let point = URL_SAFE_NO_PAD.decode(k).unwrap();
    assert_eq!(
        (point.len(), point[0]),
        (65, 0x04),
        "an uncompressed P-256 point"
    );
    let key = DecodingKey::from_ec_components(
        &URL_SAFE_NO_PAD.encode(&point[1..33]),
        &URL_SAFE_NO_PAD.encode(&point[33..]),
    )
    .unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[origin]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("the VAPID token does not verify: {e}"))
        .claims;
    let exp = claims["exp"].as_u64().unwrap();
    let now = now_ms() / 1000;
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "exp {exp} within 24 h of {now}"
    );
    assert_eq!(claims["sub"], SUBJECT);
    claims
}

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

#[tokio::test]
async fn a_missed_call_reaches_each_device_encrypted_and_signed_and_gone_ones_are_removed() {
    let log = LogBuffer::default();
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(log.clone())
            .finish(),
    );
    let (origin, received) = fake_push_service().await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let (push, server_key) = sender(store.clone(), Arc::new(server::clock::SystemClock));
    let (phone, laptop, old, broken) = (
        Browser::new(),
        Browser::new(),
        Browser::new(),
        Browser::new(),
    );
    // The capability part of each endpoint: it must never reach the log.
    let secret_path = "s3cr3t-capability-token";
    for (browser, name, at) in [
        (&phone, format!("phone-{secret_path}"), 1),
        (&laptop, "laptop".to_string(), 2),
        (&old, "gone".to_string(), 3),
        (&broken, "broken".to_string(), 4),
    ] {
        let endpoint = format!("{origin}/push/{name}");
        store
            .put_push_subscription(&browser.subscription("alice", &endpoint, at), 20)
            .await
            .unwrap();
    }
    let bob = Browser::new();
    store
        .put_push_subscription(
            &bob.subscription("bob", &format!("{origin}/push/bob"), 5),
            20,
        )
        .await
        .unwrap();

    let outcome = push.notify_missed_call("alice", missed_call()).await;
    assert_eq!(
        outcome,
        PushOutcome {
            sent: 2,
            removed: 1,
            failed: 1,
            quiet: false
        }
    );
    let received = received.lock().unwrap().clone();
    let names: Vec<&str> = received.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("phone-{secret_path}").as_str(),
            "laptop",
            "gone",
            "broken"
        ],
        "each of Alice's devices once, none of Bob's"
    );
    let expected = serde_json::json!({
        "type": "missed_call",
        "call_id": "call-1",
        "from": CALLER,
        "contact_name": "Ana Pérez",
        "to": "+6560000001",
        "at": 1_700_000_000_000u64,
    });
    for (browser, (_, headers, body)) in [&phone, &laptop].into_iter().zip(&received) {
        check_vapid(headers, &origin, &server_key);
        assert_eq!(headers["ttl"], "86400");
        assert_eq!(headers["urgency"], "high");
        assert_eq!(headers["content-encoding"], "aes128gcm");
        assert_eq!(headers["content-type"], "application/octet-stream");
        assert_eq!(browser.decrypt(body), expected);
        // Not readable without the browser's keys.
        assert!(!String::from_utf8_lossy(body).contains(CALLER));
    }
    // The phone's payload does not open with the laptop's keys.
    let auth = web_push_native::Auth::clone_from_slice(&laptop.auth);
    assert!(web_push_native::decrypt(received[0].2.clone(), &laptop.secret, &auth).is_err());

    // 410: removed; 500: kept (and counted) for the next time.
    let left: Vec<String> = store
        .push_subscriptions("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.endpoint.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        left,
        [format!("phone-{secret_path}").as_str(), "laptop", "broken"]
    );
    assert_eq!(store.push_subscriptions("bob").await.unwrap().len(), 1);
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(push.counters.sent.load(Relaxed), 2);
    assert_eq!(push.counters.removed.load(Relaxed), 1);
    assert_eq!(push.counters.failed.load(Relaxed), 1);

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // (Only this test makes a push service fail; the other lines' call sites are shared with
    // tests running at the same time on other threads, which tracing's per-thread subscriber
    // cannot be relied on to catch.)
    assert!(log.contains("push refused"), "the failure is logged: {log}");
    for secret in [secret_path, "/push/", CALLER, "Ana", server_key.as_str()] {
        assert!(!log.contains(secret), "the log carries {secret:?}: {log}");
    }
}

#[tokio::test]
async fn a_404_also_removes_and_a_device_that_moved_to_another_user_notifies_them() {
    let (origin, received) = fake_push_service().await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let (push, _) = sender(store.clone(), Arc::new(server::clock::SystemClock));
    let device = Browser::new();
    let endpoint = format!("{origin}/push/missing");
    store
        .put_push_subscription(&device.subscription("alice", &endpoint, 1), 20)
        .await
        .unwrap();
    let outcome = push.notify_missed_call("alice", missed_call()).await;
    assert_eq!((outcome.sent, outcome.removed), (0, 1));
    assert!(store.push_subscriptions("alice").await.unwrap().is_empty());
    // Bob signs in on the device that was Alice's: his calls reach it, hers no longer.
    let endpoint = format!("{origin}/push/shared");
    store
        .put_push_subscription(&device.subscription("alice", &endpoint, 2), 20)
        .await
        .unwrap();
    store
        .put_push_subscription(&device.subscription("bob", &endpoint, 3), 20)
        .await
        .unwrap();
    assert_eq!(
        push.notify_missed_call("alice", missed_call()).await.sent,
        0
    );
    assert_eq!(push.notify_missed_call("bob", missed_call()).await.sent, 1);
    assert_eq!(received.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn quiet_hours_hold_missed_calls_back_but_not_the_test() {
    let (origin, received) = fake_push_service().await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    // 23:30 in Singapore (UTC+8) is 15:30 UTC.
    let day = 20_000u64 * 24 * 3600 * 1000;
    let at = day + (15 * 60 + 30) * 60_000;
    let (push, server_key) = sender(store.clone(), Arc::new(FixedClock(at)));
    let device = Browser::new();
    store
        .put_push_subscription(
            &device.subscription("alice", &format!("{origin}/push/a"), 1),
            20,
        )
        .await
        .unwrap();
    let night = PushSettings {
        quiet_hours: Some(QuietHours {
            start: 22 * 60,
            end: 7 * 60,
            utc_offset_minutes: 8 * 60,
            time_zone: "Asia/Singapore".into(),
        }),
    };
    store.set_push_settings("alice", &night).await.unwrap();
    let outcome = push.notify_missed_call("alice", missed_call()).await;
    assert_eq!(
        outcome,
        PushOutcome {
            quiet: true,
            ..PushOutcome::default()
        }
    );
    assert!(
        received.lock().unwrap().is_empty(),
        "nothing sent in quiet hours"
    );
    assert_eq!(
        push.counters
            .quiet
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );

    // Settings' test goes out anyway (the user asked for it), as a test payload.
    let outcome = Notifier::send_test(push.as_ref(), "alice").await.unwrap();
    assert_eq!(outcome.sent, 1);
    let (_, headers, body) = received.lock().unwrap()[0].clone();
    assert_eq!(
        device.decrypt(&body),
        serde_json::json!({"type": "test", "at": at})
    );
    assert_eq!(headers["urgency"], "normal");
    assert_eq!(headers["ttl"], "300");
    // The token's expiry follows the sender's clock: 12 hours after it.
    let authorization = headers["authorization"].to_str().unwrap();
    assert!(authorization.ends_with(&format!(", k={server_key}")));
    let claims = authorization
        .strip_prefix("vapid t=")
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["exp"], at / 1000 + JWT_LIFETIME_SECS);
    assert_eq!(claims["aud"], origin.as_str());

    // Outside quiet hours (08:00 there, 00:00 UTC) the call goes out.
    let (morning, _) = sender(store.clone(), Arc::new(FixedClock(day + 24 * 3600 * 1000)));
    assert_eq!(
        morning
            .notify_missed_call("alice", missed_call())
            .await
            .sent,
        1
    );
}

fn alice() -> Principal {
    Principal {
        sub: "alice".into(),
        email: "alice@example.com".into(),
        groups: Vec::new(),
    }
}

async fn services_with(push: Option<Arc<WebPush>>) -> Services {
    let api = rest_common::api_with_limits(100, 100).await;
    Services {
        push: match push {
            Some(push) => push,
            None => Arc::new(app::api::ports::PushOff),
        },
        ..api.services
    }
}

#[tokio::test]
async fn settings_subscribe_checks_strictly_then_tests_and_unsubscribes() {
    use app::api::push::ops;
    let (origin, received) = fake_push_service().await;
    let services = services_with(None).await;
    let (push, server_key) = sender(services.store.clone(), services.clock.clone());
    let services = Services {
        push: push.clone(),
        ..services
    };
    let me = alice();
    let state = ops::state(&services, &me).await.unwrap();
    assert_eq!(state.public_key.as_deref(), Some(server_key.as_str()));
    assert!(state.devices.is_empty());

    let device = Browser::new();
    let endpoint = format!("{origin}/push/settings");
    // Refused, each with its reason: nothing is stored.
    let refused = |request: SubscribeRequest| {
        let services = services.clone();
        let me = me.clone();
        async move { ops::subscribe(&services, &me, &request).await.unwrap_err() }
    };
    assert_eq!(
        refused(device.request("http://push.example/x")).await,
        ApiError::PushSubscriptionInvalid(SubscriptionError::EndpointNotHttps)
    );
    let mut short_auth = device.request(&endpoint);
    short_auth.auth.truncate(10);
    assert_eq!(
        refused(short_auth).await,
        ApiError::PushSubscriptionInvalid(SubscriptionError::BadAuth)
    );
    let mut bad_key = device.request(&endpoint);
    bad_key.p256dh = URL_SAFE_NO_PAD.encode([4u8; 33]);
    assert_eq!(
        refused(bad_key).await,
        ApiError::PushSubscriptionInvalid(SubscriptionError::BadP256dh)
    );
    assert_eq!(
        ApiError::PushSubscriptionInvalid(SubscriptionError::BadAuth).http_status(),
        422
    );
    assert!(ops::state(&services, &me).await.unwrap().devices.is_empty());

    let added = ops::subscribe(&services, &me, &device.request(&endpoint))
        .await
        .unwrap();
    assert_eq!(added.label, "Chrome on Linux");
    assert_eq!(added.id, ops::subscription_id(&endpoint));
    let state = ops::state(&services, &me).await.unwrap();
    assert_eq!(state.devices, std::slice::from_ref(&added));
    let json = serde_json::to_string(&state).unwrap();
    assert!(
        !json.contains("/push/settings"),
        "Settings never gets an endpoint back: {json}"
    );

    assert_eq!(ops::test(&services, &me).await.unwrap().sent, 1);
    assert_eq!(received.lock().unwrap().len(), 1);

    // Quiet hours are checked, then kept.
    let bad = PushSettings {
        quiet_hours: Some(QuietHours {
            start: 25 * 60,
            end: 0,
            utc_offset_minutes: 0,
            time_zone: String::new(),
        }),
    };
    assert!(matches!(
        ops::save_settings(&services, &me, &bad).await,
        Err(ApiError::QuietHoursInvalid(_))
    ));
    let good = PushSettings {
        quiet_hours: Some(QuietHours {
            start: 22 * 60,
            end: 7 * 60,
            utc_offset_minutes: -300,
            time_zone: "America/Panama".into(),
        }),
    };
    ops::save_settings(&services, &me, &good).await.unwrap();
    assert_eq!(ops::state(&services, &me).await.unwrap().settings, good);

    // The device unsubscribes by its endpoint; another user cannot remove it by id.
    let bob = Principal {
        sub: "bob".into(),
        ..alice()
    };
    ops::unsubscribe(&services, &bob, &added.id).await.unwrap();
    assert_eq!(ops::state(&services, &me).await.unwrap().devices.len(), 1);
    ops::unsubscribe(&services, &me, &endpoint).await.unwrap();
    assert!(ops::state(&services, &me).await.unwrap().devices.is_empty());
}

#[tokio::test]
async fn with_push_off_settings_says_so() {
    use app::api::push::ops;
    let services = services_with(None).await;
    let state = ops::state(&services, &alice()).await.unwrap();
    assert_eq!(state.public_key, None);
    let request = Browser::new().request("https://push.example/x");
    assert_eq!(
        ops::subscribe(&services, &alice(), &request)
            .await
            .unwrap_err(),
        ApiError::PushUnavailable
    );
    assert_eq!(
        ops::test(&services, &alice()).await.unwrap_err(),
        ApiError::PushUnavailable
    );
    assert_eq!(ApiError::PushUnavailable.http_status(), 503);
}
