//! The REST API through its real router, for the `rest_*` suites: a fresh in-memory server per
//! test, signed-up users, requests with a Bearer token, and the problem-details check.
#![allow(dead_code)]

use std::sync::Arc;

use app::api::ports::{ClientAddr, Identity, Services, Store};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::calls::CallHub;
use server::clock::SystemClock;
use server::identity::{LocalIdentity, LocalIdentityConfig, SigningKey};
use server::recordings::DiskRecordings;
use server::store::SqliteStore;
use tower::ServiceExt;

pub const PASSWORD: &str = "Corr3ct-horse!";

pub struct Api {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub identity: Arc<LocalIdentity>,
    pub recordings_dir: std::path::PathBuf,
    pub services: Services,
}

pub async fn api_with_limits(burst: u32, per_second: u32) -> Api {
    api_with(burst, per_second, None).await
}

/// An API on `recordings` (S3 in the moto suite), or on a fresh disk directory.
pub async fn api_with(
    burst: u32,
    per_second: u32,
    recordings: Option<Arc<dyn app::api::ports::Recordings>>,
) -> Api {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let (key, _) = SigningKey::generate().unwrap();
    let identity = Arc::new(
        LocalIdentity::new(
            LocalIdentityConfig::new("http://127.0.0.1:3000".into()),
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(key),
        )
        .await
        .unwrap(),
    );
    let dir = std::env::temp_dir().join(format!("softphone-rest-{}", uuid::Uuid::new_v4()));
    let hub = Arc::new(CallHub::new(
        server::calls::Provider::None,
        store.clone(),
        Arc::new(SystemClock),
        vec![],
        None,
    ));
    let services = Services {
        store: store.clone(),
        identity: identity.clone(),
        numbers: Arc::new(server::numbers::Libphonenumber),
        clock: Arc::new(SystemClock),
        telephony: hub,
        recordings: recordings.unwrap_or_else(|| Arc::new(DiskRecordings::open(&dir).unwrap())),
        push: Arc::new(app::api::ports::PushOff),
        spend_policy: app::domain::spend::SpendPolicy::default(),
        sign_up_policy: app::domain::signup::SignUpPolicy::default(),
        secure_cookies: false,
    };
    Api {
        router: Router::new().nest(
            "/api/v1",
            server::rest::router_with_limits(services.clone(), burst, per_second),
        ),
        services,
        store,
        identity,
        recordings_dir: dir,
    }
}

pub async fn api() -> Api {
    api_with_limits(1000, 1000).await
}

/// Signs a user up and in; returns (access token, ID token, sub).
pub async fn user(api: &Api, email: &str) -> (String, String, String) {
    let from = ClientAddr("192.0.2.1".parse().unwrap());
    api.identity.sign_up(email, PASSWORD, from).await.unwrap();
    let tokens = api.identity.sign_in(email, PASSWORD, from).await.unwrap();
    let sub = api
        .identity
        .verify_access(&tokens.access_token)
        .await
        .unwrap()
        .sub;
    (tokens.access_token, tokens.id_token, sub)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
}

pub async fn send(api: &Api, request: Request<Body>) -> Reply {
    let response = api.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        json,
    }
}

pub fn request(method: &str, path: &str, token: Option<&str>) -> axum::http::request::Builder {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r
}

pub async fn get(api: &Api, path: &str, token: &str) -> Reply {
    send(
        api,
        request("GET", path, Some(token))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

pub async fn with_json(api: &Api, method: &str, path: &str, token: &str, body: &Value) -> Reply {
    send(
        api,
        request(method, path, Some(token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

/// Every error is problem details naming its code, with the status it travels with.
pub fn assert_problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.json);
    assert_eq!(
        reply.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    assert_eq!(reply.json["status"], status.as_u16(), "{}", reply.json);
    assert_eq!(reply.json["code"], code, "{}", reply.json);
    assert_eq!(reply.json["type"], format!("/api/v1/problems/{code}"));
    assert!(reply.json["title"].is_string() && reply.json["detail"].is_string());
}

pub fn ana() -> Value {
    json!({"name": "Ana Pérez", "company": "Banco", "numbers": [
        {"label": "mobile", "number": "+507 6123-4567"},
        {"label": "work", "number": "6123 4568"}], "default_country": "PA"})
}
