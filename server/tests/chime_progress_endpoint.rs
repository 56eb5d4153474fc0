//! `POST /api/chime/progress`: a push is taken only with a valid, fresh signature over its exact
//! body, only as a progress report, and only for an active call; each refusal says why.

use std::sync::Arc;

use app::api::ports::{CallOrigin, CallStore, Telephony};
use app::domain::calls::{CallRecord, EndReason};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use server::calls::{CallHub, Provider};
use server::clock::SystemClock;
use server::config::Secret;
use server::store::SqliteStore;
use server::web::{chime_progress_router, ChimeProgressState, CHIME_PROGRESS_PATH};
use sma::flow::CallProgress;
use sma::report::{now_ms, sign, ProgressReport, SIGNATURE_HEADER};
use tower::ServiceExt;

const SECRET: &str = "an-events-secret-of-32-characters-or-more";

async fn endpoint_with_a_call(call_id: &str) -> Router {
    let store = Arc::new(SqliteStore::in_memory().await.unwrap());
    let hub = Arc::new(CallHub::new(
        Provider::None,
        store.clone(),
        Arc::new(SystemClock),
        vec![],
        None,
    ));
    let record = CallRecord::outbound(call_id.into(), "+6560000001".into(), 1);
    store.insert_call("alice", &record).await.unwrap();
    hub.begin(
        "alice",
        record,
        CallOrigin::App { connection: 1 },
        3_600_000,
    )
    .await;
    chime_progress_router(ChimeProgressState {
        calls: hub,
        secret: Secret::new(SECRET.into()),
        clock: Arc::new(SystemClock),
        relay: None,
    })
}

fn report(call_id: &str) -> Vec<u8> {
    serde_json::to_vec(&ProgressReport {
        call_id: call_id.into(),
        transaction_id: "t-1".into(),
        sequence: 4,
        progress: CallProgress::Ended {
            at: 10,
            reason: EndReason::Busy,
            cause: Some("486".into()),
        },
    })
    .unwrap()
}

async fn post(app: &Router, body: Vec<u8>, signature: Option<String>) -> (StatusCode, String) {
    let mut request = Request::post(CHIME_PROGRESS_PATH).header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn a_signed_report_for_an_active_call_is_taken() {
    let app = endpoint_with_a_call("c-1").await;
    let body = report("c-1");
    let signature = sign(SECRET.as_bytes(), now_ms(), &body);
    let (status, _) = post(&app, body, Some(signature)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_report_for_no_active_call_is_not_found() {
    let app = endpoint_with_a_call("c-1").await;
    let body = report("c-other");
    let signature = sign(SECRET.as_bytes(), now_ms(), &body);
    let (status, text) = post(&app, body, Some(signature)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("no active call"), "{text}");
}

#[tokio::test]
async fn signatures_that_do_not_hold_are_refused_with_the_reason() {
    let app = endpoint_with_a_call("c-1").await;
    let body = report("c-1");
    let now = now_ms();
    let cases = [
        (None, "no signature"),
        (Some("v1=abc".to_string()), "not t=<ms>,v1=<hex>"),
        (
            Some(sign(
                b"another-secret-of-32-characters-or-more!",
                now,
                &body,
            )),
            "does not match",
        ),
        (
            Some(sign(SECRET.as_bytes(), now - 10 * 60 * 1000, &body)),
            "outside the allowed window",
        ),
    ];
    for (signature, why) in cases {
        let (status, text) = post(&app, body.clone(), signature).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
        assert!(text.contains(why), "{why}: {text}");
    }
    // The signature covers the exact body: one changed byte and it no longer holds.
    let signature = sign(SECRET.as_bytes(), now, &body);
    let mut tampered = body.clone();
    let at = tampered.iter().position(|&b| b == b'4').unwrap();
    tampered[at] = b'5';
    let (status, _) = post(&app, tampered, Some(signature)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_report_is_a_bad_request() {
    let app = endpoint_with_a_call("c-1").await;
    let body = br#"{"call_id":"c-1","progress":{"state":"exploded"}}"#.to_vec();
    let signature = sign(SECRET.as_bytes(), now_ms(), &body);
    let (status, text) = post(&app, body, Some(signature)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("not a progress report"), "{text}");
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_anything_else() {
    let app = endpoint_with_a_call("c-1").await;
    let body = vec![b' '; 64 * 1024];
    let signature = sign(SECRET.as_bytes(), now_ms(), &body);
    let (status, _) = post(&app, body, Some(signature)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}
