//! The REST API for integrations, under `/api/v1`: the user's contacts, call log, recordings
//! and themselves, with a Bearer token: a session's access token (the app's sign-in; Cognito
//! access tokens on AWS) or an integration token made in Settings, limited to its scopes
//! (`extract::Caller`). Cursor-paged lists, RFC 9457 problem details for every
//! error, a body-size limit and a request rate per user, and an OpenAPI 3.1 document generated
//! from this code at `/api/v1/openapi.json`.
//!
//! Handlers only translate HTTP; what they do is the same `ops` the server functions use.

mod admin;
mod admin_numbers;
mod admin_users;
mod extract;
mod handlers;
pub mod model;

use std::sync::{Arc, Mutex};

use app::api::ports::Services;
use app::domain::rate_limit::RequestLimiter;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;

use extract::problem;
pub(crate) use extract::{allow, bearer_principal, needs};
pub use extract::{Body, Caller, Credential, Params, ProblemResponse};
use handlers::*;

/// Largest request body accepted (a contact is well under 4 KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Requests per user by default (`SOFTPHONE_API_BURST`, `SOFTPHONE_API_RATE`): a burst, then
/// this many per second.
pub const BURST: u32 = 60;
pub const PER_SECOND: u32 = 10;
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 100;

#[derive(Clone)]
pub struct RestState {
    services: Services,
    limiter: Arc<Mutex<RequestLimiter<String>>>,
}

/// The `/api/v1` routes (nest them under `/api/v1`), with a request rate per user of `burst`
/// at once, then `per_second`.
pub fn router_with_limits<S: Clone + Send + Sync + 'static>(
    services: Services,
    burst: u32,
    per_second: u32,
) -> Router<S> {
    let state = RestState {
        services,
        limiter: Arc::new(Mutex::new(RequestLimiter::new(burst, per_second))),
    };
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/contacts", get(list_contacts).post(create_contact))
        .route(
            "/contacts/{id}",
            get(get_contact).put(update_contact).delete(delete_contact),
        )
        .route("/calls", get(list_calls).post(place_call))
        .route("/calls/{id}", get(get_call))
        .route("/recordings", get(list_recordings))
        .route("/recordings/{id}", get(get_recording))
        .route("/recordings/{id}/playback", get(recording_playback))
        .route("/admin/blocked", get(admin::list_blocked))
        .route("/admin/limits/{sub}", get(admin::show_limits))
        .route(
            "/admin/limits/{sub}/lift",
            axum::routing::post(admin::lift_block),
        )
        .route(
            "/admin/limits/{sub}/overrides",
            axum::routing::put(admin::set_overrides),
        )
        .route(
            "/admin/limits/{sub}/approve",
            axum::routing::post(admin::approve),
        )
        .route(
            "/admin/users/{sub}/disable",
            axum::routing::post(admin_users::disable_user),
        )
        .route(
            "/admin/users/{sub}/enable",
            axum::routing::post(admin_users::enable_user),
        )
        .route("/admin/numbers", get(admin_numbers::list_numbers))
        .route(
            "/admin/numbers/{e164}",
            axum::routing::put(admin_numbers::put_number).delete(admin_numbers::delete_number),
        )
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "NotFound", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The `bearer` security scheme every authenticated route names.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session's access token (the app's sign-in, or Amazon Cognito), which may use every operation, or an integration token (`sp_pat_…`, made in Settings), which may use the operations its scopes allow: each operation names the scope it needs (403 `MissingScope` otherwise). The admin operations take an administrator's session token only (403 `SessionRequired` for an integration token).",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Softphone API",
        version = "1",
        description = "Contacts, call log and call recordings of the signed-in agent. Times are milliseconds since the Unix epoch; lists are newest (or A–Z) first and paged with `cursor`; errors are RFC 9457 problem details."
    ),
    paths(openapi, me, list_contacts, create_contact, get_contact, update_contact, delete_contact,
        list_calls, place_call, get_call, list_recordings, get_recording, recording_playback,
        admin::list_blocked, admin::show_limits, admin::lift_block, admin::set_overrides, admin::approve,
        admin_users::disable_user, admin_users::enable_user,
        admin_numbers::list_numbers, admin_numbers::put_number, admin_numbers::delete_number),
    modifiers(&BearerAuth),
    tags((name = "me"), (name = "contacts"), (name = "calls"), (name = "recordings"), (name = "admin"), (name = "meta"))
)]
pub struct ApiDoc;
