//! `POST /api/chime/progress`: the SIP media application handler's call progress (ringing,
//! answered, ended with a reason), pushed after each invocation that changed it and signed with
//! the shared secret (`sma::report`, `docs/chime.md`). Not behind the session layer: the
//! signature is the authentication.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sma::report::{verify, ProgressReport, SIGNATURE_HEADER};

use super::AppState;

pub const PATH: &str = "/api/chime/progress";

/// The largest body taken (a report is ~200 bytes).
pub const MAX_BODY: usize = 4 * 1024;

/// How far a push's timestamp may be from our clock: the handler's attempts take 2 s at most,
/// and clocks drift; a captured push replayed later than this is refused.
const TOLERANCE_MS: u64 = 5 * 60 * 1000;

pub async fn progress(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = state.chime_events_secret.as_ref() else {
        // Not the Chime shape: nothing here takes progress.
        return StatusCode::NOT_FOUND.into_response();
    };
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let now = state.services.clock.now_ms();
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
    let call = report.call_id.clone();
    if state
        .calls
        .progress(&report.call_id, report.sequence, report.progress)
    {
        tracing::debug!(%call, sequence = report.sequence, "call progress");
        StatusCode::NO_CONTENT.into_response()
    } else {
        // Ended already, or another server's call: the handler only logs it.
        tracing::info!(%call, sequence = report.sequence, "call progress for no active call");
        (StatusCode::NOT_FOUND, "no active call has that id").into_response()
    }
}
