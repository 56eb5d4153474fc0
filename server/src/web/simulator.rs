//! The embedded default's hook for calls in, `POST /api/simulator/calls` with
//! `{"from": "+6591234567", "to": "+6560000000"}`: the built-in PSTN simulator calls one of the
//! business's numbers as a customer would (answered: it echoes; unanswered: it gives up after
//! 60 s). For trying calls in and for the end-to-end tests, with no AWS account. The route
//! exists only when the simulator is the trunk (never toward a real network), and only for a
//! signed-in user (docs/security.md).

use app::api::ports::Principal;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use telephony::simulator::{CallInError, SimulatorCaller};

pub const PATH: &str = "/api/simulator/calls";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallInRequest {
    /// The customer's number (E.164).
    from: String,
    /// The business's number called (E.164).
    to: String,
}

pub async fn call_in(
    State(simulator): State<SimulatorCaller>,
    principal: Option<Extension<Principal>>,
    body: Result<Json<CallInRequest>, JsonRejection>,
) -> Response {
    if principal.is_none() {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
    };
    match simulator.call_in(&request.from, &request.to) {
        Ok(mut call) => {
            // Driven to its end (the echo runs inside); nobody reads its events.
            tokio::spawn(async move { while call.next().await.is_some() {} });
            (StatusCode::ACCEPTED, "calling").into_response()
        }
        Err(e @ CallInError::NotInPlan(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response()
        }
        Err(e @ CallInError::NoOrigination) => {
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
        }
    }
}
