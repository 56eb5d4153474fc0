//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the back ends it needs
//! answer too, with a report of each).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// "ok" or "unavailable" for `/readyz`, logging why; an error when the back end is `required`.
fn readiness<E: std::fmt::Display>(
    checked: Result<(), E>,
    what: &str,
    required: bool,
) -> &'static str {
    match checked {
        Ok(()) => "ok",
        Err(e) if required => {
            tracing::error!(error = %e, "{what} not ready");
            "unavailable"
        }
        Err(e) => {
            tracing::warn!(error = %e, "{what} not ready");
            "unavailable"
        }
    }
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let services = &state.services;
    // The trunk is reported, not required: contacts and Recents work without it.
    let trunk = state.calls.trunk_status();
    // Reported, not required either: calls go on, only recording them fails.
    let recordings = readiness(services.recordings.ping().await, "recordings store", false);
    // Required: without them nobody can sign in, stay signed in or see their data.
    let identity = readiness(services.identity.ping().await, "identity provider", true);
    let store = readiness(services.store.ping().await, "store", true);
    let status = if store == "ok" && identity == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let report = serde_json::json!({
        "store": store,
        "store_kind": services.store.kind(),
        "identity": identity,
        "identity_kind": services.identity.kind(),
        "trunk": trunk,
        "recordings": recordings,
        "recordings_store": services.recordings.kind(),
    });
    (status, Json(report)).into_response()
}
