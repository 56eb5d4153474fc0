//! The REST API's contract, endpoint by endpoint, through its real router: Bearer tokens only,
//! owner scoping (another user's ids are 404), optimistic concurrency with ETag / If-Match,
//! cursor pages, and problem details for bad JSON, unknown fields, wrong content types, huge
//! bodies, bad cursors, bad parameters, missing or wrong tokens and too many requests; and the
//! OpenAPI document covering every route.

use std::sync::{Arc, Mutex};

use app::api::ports::{ClientAddr, Identity, Services, Store};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::guards::{CallGuard, GuardLimits};
use app::domain::recordings::{ConsentNotice, Recording, RecordingState};
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

const PASSWORD: &str = "Corr3ct-horse!";

struct Api {
    router: Router,
    store: Arc<dyn Store>,
    identity: Arc<LocalIdentity>,
    recordings_dir: std::path::PathBuf,
}

async fn api_with_limits(burst: u32, per_second: u32) -> Api {
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
    let guard = Arc::new(Mutex::new(CallGuard::new(GuardLimits::default())));
    let hub = Arc::new(CallHub::new(
        None,
        store.clone(),
        Arc::new(SystemClock),
        guard.clone(),
        vec![],
        None,
    ));
    let services = Services {
        store: store.clone(),
        identity: identity.clone(),
        numbers: Arc::new(server::numbers::Libphonenumber),
        clock: Arc::new(SystemClock),
        telephony: hub,
        recordings: Arc::new(DiskRecordings::open(&dir).unwrap()),
        call_guard: guard,
        secure_cookies: false,
    };
    Api {
        router: Router::new().nest(
            "/api/v1",
            server::rest::router_with_limits(services, burst, per_second),
        ),
        store,
        identity,
        recordings_dir: dir,
    }
}

async fn api() -> Api {
    api_with_limits(1000, 1000).await
}

/// Signs a user up and in; returns (access token, ID token, sub).
async fn user(api: &Api, email: &str) -> (String, String, String) {
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

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    json: Value,
}

async fn send(api: &Api, request: Request<Body>) -> Reply {
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

fn request(method: &str, path: &str, token: Option<&str>) -> axum::http::request::Builder {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r
}

async fn get(api: &Api, path: &str, token: &str) -> Reply {
    send(
        api,
        request("GET", path, Some(token))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn with_json(api: &Api, method: &str, path: &str, token: &str, body: &Value) -> Reply {
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
fn assert_problem(reply: &Reply, status: StatusCode, code: &str) {
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

fn ana() -> Value {
    json!({"name": "Ana Pérez", "company": "Banco", "numbers": [
        {"label": "mobile", "number": "+507 6123-4567"},
        {"label": "work", "number": "6123 4568"}], "default_country": "PA"})
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let api = api().await;
    let (access, id_token, _) = user(&api, "agent@example.com").await;

    let reply = send(
        &api,
        request("GET", "/api/v1/me", None)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");
    assert_eq!(
        reply.headers.get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer"
    );
    for bad in [id_token.as_str(), "not.a.token", "x"] {
        let reply = get(&api, "/api/v1/me", bad).await;
        assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");
        assert_eq!(
            reply.headers.get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer error=\"invalid_token\""
        );
    }
    // A session cookie is not a credential here.
    let reply = send(
        &api,
        request("GET", "/api/v1/me", None)
            .header(header::COOKIE, format!("sp_access={access}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");

    let reply = get(&api, "/api/v1/me", &access).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["email"], "agent@example.com");
    assert_eq!(reply.json["roles"], json!([]));

    let reply = get(&api, "/api/v1/nothing-here", &access).await;
    assert_problem(&reply, StatusCode::NOT_FOUND, "NotFound");
}

#[tokio::test]
async fn contacts_crud_with_etags_and_owner_scoping() {
    let api = api().await;
    let (alice, _, _) = user(&api, "alice@example.com").await;
    let (bob, _, _) = user(&api, "bob@example.com").await;

    let created = with_json(&api, "POST", "/api/v1/contacts", &alice, &ana()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.headers.get(header::LOCATION).unwrap(),
        &format!("/api/v1/contacts/{id}")
    );
    assert_eq!(created.headers.get(header::ETAG).unwrap(), "\"1\"");
    assert_eq!(
        created.json["numbers"],
        json!([{"label": "mobile", "e164": "+50761234567"}, {"label": "work", "e164": "+50761234568"}])
    );

    let fetched = get(&api, &format!("/api/v1/contacts/{id}"), &alice).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json, created.json);

    // Bob: 404 for Alice's contact, whatever he tries; his list is empty.
    let path = format!("/api/v1/contacts/{id}");
    assert_problem(
        &get(&api, &path, &bob).await,
        StatusCode::NOT_FOUND,
        "NotFound",
    );
    let mut put = request("PUT", &path, Some(&bob))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::from(ana().to_string()))
        .unwrap();
    assert_problem(&send(&api, put).await, StatusCode::NOT_FOUND, "NotFound");
    let reply = send(
        &api,
        request("DELETE", &path, Some(&bob))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::NOT_FOUND, "NotFound");
    let list = get(&api, "/api/v1/contacts", &bob).await;
    assert_eq!(list.json["items"], json!([]));

    // Replacing needs If-Match; a stale version fails the precondition.
    let mut edited = ana();
    edited["name"] = json!("Ana P. Pérez");
    let reply = with_json(&api, "PUT", &path, &alice, &edited).await;
    assert_problem(&reply, StatusCode::PRECONDITION_REQUIRED, "IfMatchRequired");
    put = request("PUT", &path, Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::from(edited.to_string()))
        .unwrap();
    let updated = send(&api, put).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.json["version"], 2);
    assert_eq!(updated.headers.get(header::ETAG).unwrap(), "\"2\"");
    put = request("PUT", &path, Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::from(edited.to_string()))
        .unwrap();
    assert_problem(
        &send(&api, put).await,
        StatusCode::PRECONDITION_FAILED,
        "Conflict",
    );
    put = request("PUT", &path, Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "yesterday")
        .body(Body::from(edited.to_string()))
        .unwrap();
    assert_problem(
        &send(&api, put).await,
        StatusCode::BAD_REQUEST,
        "InvalidIfMatch",
    );

    // Invalid contacts say what is wrong, per field.
    let reply = with_json(
        &api,
        "POST",
        "/api/v1/contacts",
        &alice,
        &json!({"name": "", "numbers": [{"number": "+65 1900 123 4567"}]}),
    )
    .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "ContactInvalid");
    assert!(reply.json["errors"].is_object(), "{}", reply.json);

    // Delete: a stale If-Match is refused, then it goes, then it is gone.
    let stale = request("DELETE", &path, Some(&alice))
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::empty())
        .unwrap();
    assert_problem(
        &send(&api, stale).await,
        StatusCode::PRECONDITION_FAILED,
        "Conflict",
    );
    let reply = send(
        &api,
        request("DELETE", &path, Some(&alice))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_problem(
        &get(&api, &path, &alice).await,
        StatusCode::NOT_FOUND,
        "NotFound",
    );
}

#[tokio::test]
async fn lists_page_with_cursors_and_search() {
    let api = api().await;
    let (alice, _, _) = user(&api, "alice@example.com").await;
    for i in 0..5 {
        let body = json!({"name": format!("Person {i}"), "numbers": [{"number": format!("+65 8123 450{i}")}]});
        let reply = with_json(&api, "POST", "/api/v1/contacts", &alice, &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    }
    let mut names = Vec::new();
    let mut path = "/api/v1/contacts?limit=2".to_string();
    loop {
        let page = get(&api, &path, &alice).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.json);
        let items = page.json["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        names.extend(
            items
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string()),
        );
        match page.json.get("next_cursor").and_then(Value::as_str) {
            Some(cursor) => path = format!("/api/v1/contacts?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        names,
        (0..5).map(|i| format!("Person {i}")).collect::<Vec<_>>()
    );
    let found = get(&api, "/api/v1/contacts?search=8123%204503", &alice).await;
    assert_eq!(found.json["items"][0]["name"], "Person 3");
    assert_eq!(found.json["items"].as_array().unwrap().len(), 1);

    for (path, code) in [
        ("/api/v1/contacts?cursor=garbage", "BadCursor"),
        ("/api/v1/contacts?limit=0", "InvalidQuery"),
        ("/api/v1/contacts?limit=1000", "InvalidQuery"),
        ("/api/v1/contacts?limit=two", "InvalidQuery"),
        ("/api/v1/contacts?favourites=maybe", "InvalidQuery"),
        ("/api/v1/calls?filter=missed", "InvalidQuery"),
        ("/api/v1/calls?cursor=%%%", "BadCursor"),
        ("/api/v1/recordings?cursor=garbage", "BadCursor"),
    ] {
        let reply = get(&api, path, &alice).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, code);
    }
}

#[tokio::test]
async fn bad_bodies_are_problems_and_change_nothing() {
    let api = api().await;
    let (alice, _, sub) = user(&api, "alice@example.com").await;
    let post = |body: Body, content_type: Option<&str>| {
        let mut r = request("POST", "/api/v1/contacts", Some(&alice));
        if let Some(t) = content_type {
            r = r.header(header::CONTENT_TYPE, t);
        }
        r.body(body).unwrap()
    };
    let cases = [
        (
            post(Body::from("{\"name\": "), Some("application/json")),
            StatusCode::BAD_REQUEST,
            "MalformedJson",
        ),
        (
            post(Body::from("[1, 2]"), Some("application/json")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidBody",
        ),
        (
            post(
                Body::from(json!({"name": "A", "numbers": [], "admin": true}).to_string()),
                Some("application/json"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidBody",
        ),
        (
            post(Body::from(ana().to_string()), Some("text/plain")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
        (
            post(Body::from(ana().to_string()), None),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
        (
            post(
                Body::from(format!(
                    "{{\"name\": \"{}\", \"numbers\": []}}",
                    "x".repeat(server::rest::MAX_BODY_BYTES)
                )),
                Some("application/json"),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "BodyTooLarge",
        ),
    ];
    for (request, status, code) in cases {
        let reply = send(&api, request).await;
        assert_problem(&reply, status, code);
    }
    let stored = api
        .store
        .list_contacts(&sub, &Default::default(), None, 10)
        .await
        .unwrap();
    assert!(stored.items.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn calls_and_recordings_are_the_owners_only() {
    let api = api().await;
    let (alice, _, alice_sub) = user(&api, "alice@example.com").await;
    let (bob, _, _) = user(&api, "bob@example.com").await;
    let mut call = CallRecord::outbound("call-1".into(), "+6591234567".into(), 1_000);
    call.answered_at = Some(2_000);
    call.ended_at = Some(62_000);
    call.end_reason = Some(EndReason::Completed);
    call.recording_id = Some("rec-1".into());
    api.store.insert_call(&alice_sub, &call).await.unwrap();
    let recording = Recording {
        id: "rec-1".into(),
        call_id: "call-1".into(),
        started_at: 2_000,
        ended_at: Some(62_000),
        duration_ms: 60_000,
        bytes: 1_920_044,
        sha256: Some("ab".repeat(32)),
        format: app::domain::recordings::FORMAT.into(),
        consent: ConsentNotice::Tone,
        pause_mode: "silence".into(),
        pauses: vec![],
        location: "disk:1970/01/01/rec-1.wav".into(),
        key: Recording::key_for("rec-1", 2_000),
        retain_until: 10_000_000,
        state: RecordingState::Complete,
        upload_id: None,
        waveform: vec![1, 2, 3],
    };
    api.store
        .insert_recording(&alice_sub, &recording)
        .await
        .unwrap();

    let calls = get(&api, "/api/v1/calls?filter=answered", &alice).await;
    assert_eq!(calls.status, StatusCode::OK, "{}", calls.json);
    assert_eq!(calls.json["items"][0]["id"], "call-1");
    assert_eq!(calls.json["items"][0]["number"], "+6591234567");
    assert_eq!(calls.json["items"][0]["end_reason"], "completed");
    let failed = get(&api, "/api/v1/calls?filter=failed", &alice).await;
    assert_eq!(failed.json["items"], json!([]));
    let one = get(&api, "/api/v1/calls/call-1", &alice).await;
    assert_eq!(one.json["recording_id"], "rec-1");

    let list = get(&api, "/api/v1/recordings", &alice).await;
    assert_eq!(list.json["items"][0]["id"], "rec-1");
    assert!(
        list.json["items"][0].get("waveform").is_none(),
        "internal fields stay inside"
    );
    assert!(list.json["items"][0].get("location").is_none());
    let meta = get(&api, "/api/v1/recordings/rec-1", &alice).await;
    assert_eq!(meta.json["state"], "complete");
    assert_eq!(meta.json["consent"], "tone");
    // Metadata without its audio (yet): nothing to play.
    let playback = get(&api, "/api/v1/recordings/rec-1/playback", &alice).await;
    assert_problem(&playback, StatusCode::NOT_FOUND, "NotFound");
    let file = api.recordings_dir.join(&recording.key);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"RIFF").unwrap();
    let playback = get(&api, "/api/v1/recordings/rec-1/playback", &alice).await;
    assert_eq!(playback.status, StatusCode::OK, "{}", playback.json);
    assert_eq!(playback.json["url"], "/api/recordings/rec-1/audio");

    // Placing a call needs calling on this server (none here).
    let reply = with_json(
        &api,
        "POST",
        "/api/v1/calls",
        &alice,
        &json!({"number": "+65 6000 0001"}),
    )
    .await;
    assert_problem(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "CallingUnavailable",
    );
    let reply = with_json(
        &api,
        "POST",
        "/api/v1/calls",
        &alice,
        &json!({"number": "+65 1900 123 4567"}),
    )
    .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "NumberRefused");
    assert_eq!(reply.json["errors"], json!("premium_rate"));

    for path in [
        "/api/v1/calls/call-1",
        "/api/v1/recordings/rec-1",
        "/api/v1/recordings/rec-1/playback",
    ] {
        assert_problem(
            &get(&api, path, &bob).await,
            StatusCode::NOT_FOUND,
            "NotFound",
        );
    }
    for path in ["/api/v1/calls", "/api/v1/recordings"] {
        assert_eq!(get(&api, path, &bob).await.json["items"], json!([]));
    }
}

#[tokio::test]
async fn a_refused_call_is_audited_as_from_the_app() {
    let api = api().await;
    let (alice, _, sub) = user(&api, "alice@example.com").await;
    let reply = with_json(
        &api,
        "POST",
        "/api/v1/calls",
        &alice,
        &json!({"number": "+65 1900 123 4567"}),
    )
    .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "NumberRefused");
    let trail = api.store.list_audit(&sub, 10).await.unwrap();
    let refused = trail
        .iter()
        .find(|e| e.action == "call_refused")
        .expect("call_refused audited");
    assert_eq!(refused.detail, "premium_rate");
    assert!(
        trail.iter().all(|e| e.action != "call_started"),
        "{trail:?}"
    );
}

#[tokio::test]
async fn too_many_requests_are_refused_with_retry_after() {
    let api = api_with_limits(3, 1).await;
    let (alice, _, _) = user(&api, "alice@example.com").await;
    for _ in 0..3 {
        assert_eq!(get(&api, "/api/v1/me", &alice).await.status, StatusCode::OK);
    }
    let reply = get(&api, "/api/v1/me", &alice).await;
    assert_problem(&reply, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert_eq!(reply.headers.get(header::RETRY_AFTER).unwrap(), "1");
    // Another user has their own allowance.
    let (bob, _, _) = user(&api, "bob@example.com").await;
    assert_eq!(get(&api, "/api/v1/me", &bob).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let api = api().await;
    let reply = send(
        &api,
        request("GET", "/api/v1/openapi.json", None)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for path in [
        "/api/v1/me",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/calls",
        "/api/v1/calls/{id}",
        "/api/v1/recordings",
        "/api/v1/recordings/{id}",
        "/api/v1/recordings/{id}/playback",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains(&path), "{path} missing from {paths:?}");
    }
    for method in ["get", "put", "delete"] {
        assert!(
            doc["paths"]["/api/v1/contacts/{id}"][method].is_object(),
            "{method}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in [
        "ContactIn",
        "ContactOut",
        "CallOut",
        "RecordingOut",
        "Problem",
        "Me",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
