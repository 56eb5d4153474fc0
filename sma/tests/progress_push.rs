//! The progress push against a tiny local server on 127.0.0.1: the body and its signature as
//! the server will check them, one retry after a 5xx, and a bounded failure when nobody answers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use sma::flow::CallProgress;
use sma::report::{now_ms, verify, ProgressReport, ReportError, Reporter, SIGNATURE_HEADER};

const SECRET: &str = "an-events-secret-of-32-bytes-or-more";

#[derive(Clone, Default)]
struct Received {
    /// Status to answer each request with, in order (then 204).
    answers: Arc<Mutex<Vec<StatusCode>>>,
    bodies: Arc<Mutex<Vec<(Option<String>, Bytes)>>>,
}

async fn progress(State(received): State<Received>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    received
        .bodies
        .lock()
        .expect("lock")
        .push((signature, body));
    let mut answers = received.answers.lock().expect("lock");
    if answers.is_empty() {
        StatusCode::NO_CONTENT
    } else {
        answers.remove(0)
    }
}

async fn server(answers: Vec<StatusCode>) -> (String, Received) {
    let received = Received {
        answers: Arc::new(Mutex::new(answers)),
        ..Received::default()
    };
    let app = Router::new()
        .route("/api/chime/progress", post(progress))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/api/chime/progress"), received)
}

fn report() -> ProgressReport {
    ProgressReport {
        call_id: "c0ffee00-0000-4000-8000-000000000001".into(),
        transaction_id: "8c9372d0-e766-4890-823a-32ca8403201a".into(),
        sequence: 6,
        progress: CallProgress::Answered {
            at: 1_700_000_000_000,
        },
    }
}

#[tokio::test]
async fn a_push_is_signed_json_the_server_verifies() {
    let (url, received) = server(Vec::new()).await;
    let reporter = Reporter::new(&url, SECRET.as_bytes()).expect("a reporter");
    reporter.push(&report()).await.expect("pushed");
    let bodies = received.bodies.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 1);
    let (signature, body) = &bodies[0];
    verify(
        SECRET.as_bytes(),
        signature.as_deref(),
        body,
        now_ms(),
        5_000,
    )
    .expect("verifies");
    let json: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(
        json,
        serde_json::json!({
            "call_id": "c0ffee00-0000-4000-8000-000000000001",
            "transaction_id": "8c9372d0-e766-4890-823a-32ca8403201a",
            "sequence": 6,
            "progress": {"state": "answered", "at": 1_700_000_000_000u64}
        })
    );
}

#[tokio::test]
async fn a_server_error_is_retried_once_and_a_refusal_is_not() {
    let (url, received) = server(vec![StatusCode::SERVICE_UNAVAILABLE]).await;
    let reporter = Reporter::new(&url, SECRET.as_bytes()).expect("a reporter");
    reporter.push(&report()).await.expect("the retry lands");
    assert_eq!(received.bodies.lock().expect("lock").len(), 2);

    let (url, received) = server(vec![StatusCode::UNAUTHORIZED]).await;
    let reporter = Reporter::new(&url, SECRET.as_bytes()).expect("a reporter");
    let error = reporter.push(&report()).await.expect_err("refused");
    assert!(matches!(error, ReportError::Status(401)), "{error}");
    assert_eq!(received.bodies.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_silent_server_costs_two_bounded_attempts() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let reporter = Reporter::new(&format!("http://{addr}/p"), SECRET.as_bytes()).expect("ok");
    let started = Instant::now();
    let error = reporter.push(&report()).await.expect_err("times out");
    assert!(matches!(error, ReportError::Timeout), "{error}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1_900) && took < Duration::from_millis(3_000),
        "{took:?}"
    );
    // report() only logs.
    reporter
        .report(Some("c"), "t", 1, Some(&CallProgress::Ringing { at: 1 }))
        .await;
}
