//! `POST /api/chime/progress`: the SIP media application handler's call progress (ringing,
//! answered, ended with a reason), pushed after each invocation that changed it and signed with
//! the shared secret (`sma::report`, `docs/chime.md`). Not behind the session layer: the
//! signature is the authentication. A push for a call another server holds is relayed to it
//! through the store (`cluster::progress_relay`).

use std::sync::Arc;

use app::api::ports::{Clock, Store};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use sma::flow::CallProgress;
use sma::report::{verify, ProgressReport, SIGNATURE_HEADER};

use crate::calls::CallHub;
use crate::cluster::{other_servers_live, progress_relay};
use crate::config::Secret;

pub const PATH: &str = "/api/chime/progress";

/// The largest body taken (a report is ~200 bytes).
pub const MAX_BODY: usize = 4 * 1024;

/// How far a push's timestamp may be from our clock: the handler's attempts take 2 s at most,
/// and clocks drift; a captured push replayed later than this is refused.
const TOLERANCE_MS: u64 = 5 * 60 * 1000;

/// What the endpoint needs: the calls, the shared secret and the time, and where to relay a
/// push for a call held elsewhere.
#[derive(Clone)]
pub struct ProgressState {
    pub calls: Arc<CallHub>,
    pub secret: Secret<String>,
    pub clock: Arc<dyn Clock>,
    /// With several servers on one store; `None`: this server's calls are all there are.
    pub relay: Option<RelayTo>,
}

/// The store the servers share, and this server's id in it.
#[derive(Clone)]
pub struct RelayTo {
    pub store: Arc<dyn Store>,
    pub server_id: String,
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
    // A new call in rings where it lands; the rest is for the server holding the call.
    let relayable = !matches!(report.progress, CallProgress::Incoming { .. });
    if state
        .calls
        .progress(call, transaction, sequence, report.progress.clone())
    {
        tracing::debug!(%call, sequence, "call progress");
        return StatusCode::NO_CONTENT.into_response();
    }
    if let Some(relay) = state.relay.as_ref().filter(|_| relayable) {
        let me = Some(relay.server_id.as_str());
        if other_servers_live(relay.store.as_ref(), now, me).await {
            match progress_relay::relay(relay.store.as_ref(), now, &report).await {
                Ok(true) => {
                    tracing::debug!(%call, sequence, "call progress relayed to the server holding the call");
                    return StatusCode::NO_CONTENT.into_response();
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(%call, sequence, error = %e, "call progress not relayed: the store failed");
                    let text = "the store is unavailable: the call's server was not told";
                    return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
                }
            }
        }
    }
    // Ended already (everywhere): the handler only logs it.
    tracing::info!(%call, transaction_id = %transaction, sequence, "call progress for no active call");
    (StatusCode::NOT_FOUND, "no active call has that id").into_response()
}
