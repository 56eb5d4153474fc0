//! The token verifier's key cache against a real local JWKS endpoint (`docs/security.md`,
//! "Accounts and sign-in"): while a fetch is slow, verifications whose key is cached are not
//! delayed; a failing endpoint is fetched with exponential back-off, not once per request; and
//! tokens naming unknown keys fetch at most once per window.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::api::ports::AuthError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use server::identity::jwks::HttpJwks;
use server::identity::jwt::{sign, AccessClaims};
use server::identity::{RefreshPolicy, SigningKey, TokenVerifier};

const ISSUER: &str = "http://issuer.test";
const CLIENT: &str = "client";

#[derive(Clone, Copy)]
enum Behaviour {
    /// The first fetch answers at once, later ones after this long.
    SlowAfterFirst(Duration),
    /// Every fetch fails with a 503.
    Failing,
}

#[derive(Clone)]
struct Endpoint {
    key: Arc<SigningKey>,
    behaviour: Behaviour,
    fetches: Arc<AtomicUsize>,
}

async fn jwks(State(e): State<Endpoint>) -> Response {
    let n = e.fetches.fetch_add(1, Ordering::SeqCst);
    match e.behaviour {
        Behaviour::Failing => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Behaviour::SlowAfterFirst(delay) => {
            if n > 0 {
                tokio::time::sleep(delay).await;
            }
            Json(e.key.jwks()).into_response()
        }
    }
}

/// Serves the key set on 127.0.0.1; the verifier, and the count of fetches.
async fn verifier_against(
    behaviour: Behaviour,
    policy: RefreshPolicy,
) -> (TokenVerifier, Arc<SigningKey>, Arc<AtomicUsize>) {
    let (key, _) = SigningKey::generate().unwrap();
    let key = Arc::new(key);
    let fetches = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(Endpoint {
            key: key.clone(),
            behaviour,
            fetches: fetches.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let source = HttpJwks::new(&format!("http://127.0.0.1:{port}/.well-known/jwks.json")).unwrap();
    let verifier =
        TokenVerifier::with_policy(ISSUER.into(), CLIENT.into(), Arc::new(source), policy);
    (verifier, key, fetches)
}

fn token(key: &SigningKey) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = AccessClaims {
        sub: "user-1".into(),
        iss: ISSUER.into(),
        client_id: CLIENT.into(),
        token_use: "access".into(),
        scope: "aws.cognito.signin.user.admin".into(),
        auth_time: now,
        iat: now,
        exp: now + 600,
        jti: "j".into(),
        origin_jti: "o".into(),
        username: "user-1".into(),
        groups: Vec::new(),
    };
    sign(&claims, key).unwrap()
}

/// A token signed by a key the endpoint does not publish.
fn token_with_unknown_key() -> String {
    token(&SigningKey::generate().unwrap().0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_fetch_does_not_delay_tokens_whose_key_is_cached() {
    let slow = Duration::from_secs(3);
    let policy = RefreshPolicy {
        min_interval: Duration::ZERO,
        ..RefreshPolicy::default()
    };
    let (verifier, key, fetches) = verifier_against(Behaviour::SlowAfterFirst(slow), policy).await;
    let verifier = Arc::new(verifier);
    let good = token(&key);
    verifier.verify_access(&good).await.expect("first fetch");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // A token naming an unknown key starts a slow fetch …
    let stranger = {
        let verifier = verifier.clone();
        tokio::spawn(async move { verifier.verify_access(&token_with_unknown_key()).await })
    };
    while fetches.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // … while tokens whose key is cached go through at once.
    let started = Instant::now();
    for _ in 0..20 {
        verifier.verify_access(&good).await.expect("cached key");
    }
    let took = started.elapsed();
    eprintln!("20 verifications with a cached key during a {slow:?} fetch: {took:?}");
    assert!(
        took < Duration::from_millis(500),
        "verifications waited for the fetch: {took:?}"
    );
    assert!(!stranger.is_finished(), "the slow fetch was still running");
    assert!(matches!(
        stranger.await.unwrap(),
        Err(AuthError::InvalidToken(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keys_fetch_once_for_all_waiting_callers_and_once_per_window() {
    let (verifier, key, fetches) = verifier_against(
        Behaviour::SlowAfterFirst(Duration::from_millis(300)),
        RefreshPolicy::default(),
    )
    .await;
    let verifier = Arc::new(verifier);
    // Twenty tokens with unknown keys at once, before any key is cached: one fetch.
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let verifier = verifier.clone();
            tokio::spawn(async move { verifier.verify_access(&token_with_unknown_key()).await })
        })
        .collect();
    for caller in callers {
        assert!(matches!(
            caller.await.unwrap(),
            Err(AuthError::InvalidToken(_))
        ));
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "one fetch for all");
    // Key-id spraying within the window fetches nothing more; known keys still verify.
    for _ in 0..50 {
        assert!(verifier
            .verify_access(&token_with_unknown_key())
            .await
            .is_err());
    }
    verifier.verify_access(&token(&key)).await.expect("cached");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_is_fetched_with_exponential_back_off() {
    let policy = RefreshPolicy {
        min_interval: Duration::from_secs(30),
        first_back_off: Duration::from_millis(200),
        max_back_off: Duration::from_millis(800),
    };
    let (verifier, key, fetches) = verifier_against(Behaviour::Failing, policy).await;
    let verifier = Arc::new(verifier);
    let good = token(&key);
    // Eight callers verify as fast as they can for 2.5 s.
    let until = Instant::now() + Duration::from_millis(2500);
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let (verifier, good) = (verifier.clone(), good.clone());
            tokio::spawn(async move {
                let mut answers = 0u32;
                while Instant::now() < until {
                    let answer = verifier.verify_access(&good).await;
                    assert!(
                        matches!(answer, Err(AuthError::Unavailable(_))),
                        "no keys because the provider fails is unavailable: {answer:?}"
                    );
                    answers += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                answers
            })
        })
        .collect();
    let mut answers = 0;
    for caller in callers {
        answers += caller.await.unwrap();
    }
    // Fetches at about 0, 0.2, 0.6, 1.4 and 2.2 s (waits 200, 400, 800, 800 ms).
    let fetched = fetches.load(Ordering::SeqCst);
    eprintln!("failing endpoint: {answers} verifications, {fetched} fetches in 2.5 s");
    assert!(answers > 500, "the callers kept asking: {answers}");
    assert!(
        (4..=6).contains(&fetched),
        "{fetched} fetches in 2.5 s, expected about 5"
    );
}
