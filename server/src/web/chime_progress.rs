//! `POST /api/chime/progress`: the SIP media application handler's call progress (ringing,
//! answered, ended with a reason), pushed after each invocation that changed it and signed with
//! the shared secret (`sma::report`, `docs/chime.md`). Not behind the session layer: the
//! signature is the authentication.

use std::sync::Arc;

use app::api::ports::Clock;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use sma::report::{verify, ProgressReport, SIGNATURE_HEADER};

use crate::calls::CallHub;
use crate::config::Secret;

pub const PATH: &str = "/api/chime/progress";

/// The largest body taken (a report is ~200 bytes).
pub const MAX_BODY: usize = 4 * 1024;

/// How far a push's timestamp may be from our clock: the handler's attempts take 2 s at most,
/// and clocks drift; a captured push replayed later than this is refused.
const TOLERANCE_MS: u64 = 5 * 60 * 1000;

/// What the endpoint needs: the calls, the shared secret and the time.
#[derive(Clone)]
pub struct ProgressState {
    pub calls: Arc<CallHub>,
    pub secret: Secret<String>,
    pub clock: Arc<dyn Clock>,
}

/// The endpoint alone (merged into the app's router in the Chime shapes; tests mount it).
pub fn router<S: Clone + Send + Sync + 'static>(state: ProgressState) -> Router<S> {
    Router::new()
        .route(PATH, post(progress).layer(DefaultBodyLimit::max(MAX_BODY)))
        .with_state(state)
}

async fn progress(State(state): State<ProgressState>, headers: HeaderMap, body: Bytes) -> Response {
    let secret = &state.secret;
    let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let now = state.clock.now_ms();
    if let Err(e) = verify(secret.expose().as_bytes(), header, &body, now, TOLERANCE_MS) {
        tracing::warn!(error = %e, "call progress refused: its signature");
        return (StatusCode::UNAUTHORIZED, e.to_string()).into_response();
    }
    let report: ProgressReport = match serde_json::from_slice(&body) {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(error = %e, "call progress refused: not a progress report");
            return (
                StatusCode::BAD_REQUEST,
                format!("not a progress report: {e}"),
            )
                .into_response();
        }
    };
    let (call, sequence) = (report.call_id.as_str(), report.sequence);
    let transaction = report.transaction_id.as_str();
    if state
        .calls
        .progress(call, transaction, sequence, report.progress)
    {
        tracing::debug!(%call, sequence, "call progress");
        StatusCode::NO_CONTENT.into_response()
    } else {
        // Ended already, or another server's call: the handler only logs it.
        tracing::info!(%call, transaction_id = %transaction, sequence, "call progress for no active call");
        (StatusCode::NOT_FOUND, "no active call has that id").into_response()
    }
}
