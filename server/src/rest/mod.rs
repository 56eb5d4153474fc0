//! The REST API for integrations, under `/api/v1`: the user's contacts, call log, recordings
//! and themselves, with a Bearer access token (the same tokens the app's sign-in issues;
//! Cognito access tokens on AWS). Cursor-paged lists, RFC 9457 problem details for every
//! error, a body-size limit and a request rate per user, and an OpenAPI 3.1 document generated
//! from this code at `/api/v1/openapi.json`.
//!
//! Handlers only translate HTTP; what they do is the same `ops` the server functions use.

pub mod model;

use std::sync::{Arc, Mutex};

use app::api::ports::{Principal, Services};
use app::api::{calls, contacts, recordings, ApiError};
use app::domain::rate_limit::RequestLimiter;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use model::*;

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
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "NotFound", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error response: problem details with the status it names.
pub struct ProblemResponse {
    problem: Box<Problem>,
    retry_after: Option<u64>,
    www_authenticate: Option<&'static str>,
}

fn problem(status: StatusCode, code: &str, detail: impl Into<String>) -> ProblemResponse {
    ProblemResponse {
        problem: Box::new(Problem {
            kind: format!("/api/v1/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.into(),
            errors: None,
        }),
        retry_after: None,
        www_authenticate: None,
    }
}

impl From<ApiError> for ProblemResponse {
    fn from(e: ApiError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // The variant's name is the code; its fields, when it has any, the details.
        let (code, errors) = match serde_json::to_value(&e) {
            Ok(serde_json::Value::String(name)) => (name, None),
            Ok(serde_json::Value::Object(map)) => match map.into_iter().next() {
                Some((name, fields)) => (name, Some(fields)),
                None => ("Error".into(), None),
            },
            _ => ("Error".into(), None),
        };
        let retry_after = match &e {
            ApiError::TooManyAttempts { retry_after_secs }
            | ApiError::TooManyCallAttempts { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let mut p = problem(status, &code, e.to_string());
        // Internal detail of a malformed request stays in the log.
        p.problem.errors = errors.filter(|_| !matches!(e, ApiError::Request(_)));
        p.retry_after = retry_after;
        p
    }
}

impl IntoResponse for ProblemResponse {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::warn!(code = %self.problem.code, detail = %self.problem.detail, "REST request failed");
        }
        let mut response = (status, Json(*self.problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(challenge) = self.www_authenticate {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

type ApiResult<T> = Result<T, ProblemResponse>;

/// A JSON body; a missing or wrong content type, malformed JSON, unknown fields or an
/// oversized body become problem details.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ProblemResponse;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> ProblemResponse {
    let status = rejection.status();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "BodyTooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
        StatusCode::UNPROCESSABLE_ENTITY => "InvalidBody",
        _ => "MalformedJson",
    };
    problem(status, code, rejection.body_text())
}

/// Query parameters; bad ones become problem details.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ProblemResponse;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(query_problem(rejection)),
        }
    }
}

fn query_problem(rejection: QueryRejection) -> ProblemResponse {
    problem(
        StatusCode::BAD_REQUEST,
        "InvalidQuery",
        rejection.body_text(),
    )
}

// ---------------------------------------------------------------------------------------------
// Who is calling

/// The caller, from `Authorization: Bearer <access token>` (cookies are not accepted here:
/// integrations hold tokens, and cookie-authenticated cross-site requests are not possible),
/// within the per-user request rate.
pub struct Caller(pub Principal);

impl FromRequestParts<RestState> for Caller {
    type Rejection = ProblemResponse;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &RestState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorised = |detail: &str, challenge: &'static str| {
            let mut p = problem(StatusCode::UNAUTHORIZED, "NotSignedIn", detail);
            p.www_authenticate = Some(challenge);
            p
        };
        let token = crate::web::bearer_token(&parts.headers).ok_or_else(|| {
            unauthorised(
                "send an access token: Authorization: Bearer <token>",
                "Bearer",
            )
        })?;
        let principal = match state.services.identity.verify_access(token).await {
            Ok(p) => p,
            Err(app::api::ports::AuthError::Unavailable(detail)) => {
                tracing::error!(%detail, "identity provider unavailable");
                return Err(ApiError::Unavailable.into());
            }
            Err(e) => {
                tracing::debug!(error = %e, "REST token rejected");
                return Err(unauthorised(
                    "the access token is not valid or has expired",
                    "Bearer error=\"invalid_token\"",
                ));
            }
        };
        let now = state.services.clock.now_ms();
        let verdict = state
            .limiter
            .lock()
            .map_err(|_| ProblemResponse::from(ApiError::Unavailable))?
            .take(&principal.sub, now);
        if let Err(wait) = verdict {
            let mut p = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "too many requests; retry after the time in Retry-After",
            );
            p.retry_after = Some(wait.as_secs().max(1));
            return Err(p);
        }
        Ok(Caller(principal))
    }
}

fn page_size(limit: Option<u32>) -> ApiResult<usize> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n as usize),
        n => Err(problem(
            StatusCode::BAD_REQUEST,
            "InvalidQuery",
            format!("limit {n} is out of range 1-{MAX_PAGE}"),
        )),
    }
}

/// The contact version an `If-Match` header names (`"3"` or `W/"3"`).
fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            problem(
                StatusCode::BAD_REQUEST,
                "InvalidIfMatch",
                "If-Match must be the contact's version as an entity tag, e.g. \"3\"",
            )
        })
}

fn with_etag(contact: ContactOut, status: StatusCode) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", contact.version)).ok();
    let location = HeaderValue::from_str(&format!("/api/v1/contacts/{}", contact.id)).ok();
    let mut response = (status, Json(contact)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED {
        if let Some(location) = location {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}

/// A stale `If-Match` is a failed precondition, not a generic conflict.
fn precondition(e: ApiError) -> ProblemResponse {
    match e {
        ApiError::Conflict => problem(
            StatusCode::PRECONDITION_FAILED,
            "Conflict",
            "the contact changed since that version; fetch it again",
        ),
        e => e.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document")))]
async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(Caller(me): Caller) -> Json<Me> {
    Json(Me {
        sub: me.sub,
        email: me.email,
        roles: me.groups,
    })
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactListParams),
    security(("bearer" = [])),
    responses((status = 200, body = ContactPageOut), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn list_contacts(
    State(state): State<RestState>,
    Caller(me): Caller,
    Params(p): Params<ContactListParams>,
) -> ApiResult<Json<ContactPageOut>> {
    let page = contacts::ops::list(
        &state.services,
        &me,
        p.search.as_deref().unwrap_or_default(),
        p.favourites.unwrap_or(false),
        p.cursor.as_deref(),
        page_size(p.limit)?,
    )
    .await?;
    Ok(Json(ContactPageOut {
        items: page.items.into_iter().map(ContactOut::from).collect(),
        next_cursor: page.next,
    }))
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactIn,
    security(("bearer" = [])),
    responses((status = 201, body = ContactOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid contact: `errors` says what, per field", body = Problem, content_type = "application/problem+json")))]
async fn create_contact(
    State(state): State<RestState>,
    Caller(me): Caller,
    Body(input): Body<ContactIn>,
) -> ApiResult<Response> {
    let contact = contacts::ops::save(
        &state.services,
        &me,
        None,
        None,
        &input.draft(),
        input.default_country.map(Into::into),
    )
    .await?;
    Ok(with_etag(contact.into(), StatusCode::CREATED))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ContactOut, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_contact(
    State(state): State<RestState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let contact = contacts::ops::get(&state.services, &me, &id).await?;
    Ok(with_etag(contact.into(), StatusCode::OK))
}

#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactIn,
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The version being replaced, e.g. \"3\"")),
    security(("bearer" = [])),
    responses((status = 200, body = ContactOut, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is required", body = Problem, content_type = "application/problem+json")))]
async fn update_contact(
    State(state): State<RestState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(input): Body<ContactIn>,
) -> ApiResult<Response> {
    let Some(version) = if_match(&headers)? else {
        return Err(problem(
            StatusCode::PRECONDITION_REQUIRED,
            "IfMatchRequired",
            "send If-Match with the version you are replacing (the ETag of GET)",
        ));
    };
    let contact = contacts::ops::save(
        &state.services,
        &me,
        Some(&id),
        Some(version),
        &input.draft(),
        input.default_country.map(Into::into),
    )
    .await
    .map_err(precondition)?;
    Ok(with_etag(contact.into(), StatusCode::OK))
}

#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "Delete only this version")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json")))]
async fn delete_contact(
    State(state): State<RestState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    if let Some(version) = if_match(&headers)? {
        let current = contacts::ops::get(&state.services, &me, &id).await?;
        if current.version != version {
            return Err(precondition(ApiError::Conflict));
        }
    }
    contacts::ops::delete(&state.services, &me, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", params(CallListParams),
    security(("bearer" = [])),
    responses((status = 200, body = CallPageOut), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_calls(
    State(state): State<RestState>,
    Caller(me): Caller,
    Params(p): Params<CallListParams>,
) -> ApiResult<Json<CallPageOut>> {
    let page = calls::ops::list(
        &state.services,
        &me,
        p.filter.unwrap_or_default().into(),
        p.search.as_deref().unwrap_or_default(),
        p.cursor.as_deref(),
        page_size(p.limit)?,
    )
    .await?;
    Ok(Json(CallPageOut {
        items: page.items.into_iter().map(CallOut::from).collect(),
        next_cursor: page.next,
    }))
}

#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", request_body = CallIn,
    security(("bearer" = [])),
    responses((status = 201, description = "Placed; follow it with GET /api/v1/calls/{id}", body = CallOut, headers(("Location" = String))),
        (status = 409, description = "`AppNotOpen`: no tab of the app is open to carry the audio; `CallInProgress`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`NumberRefused`: not a number that may be dialled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`TooManyCallAttempts`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`CallingUnavailable` on this server", body = Problem, content_type = "application/problem+json")))]
async fn place_call(
    State(state): State<RestState>,
    Caller(me): Caller,
    Body(input): Body<CallIn>,
) -> ApiResult<Response> {
    let ticket = calls::ops::start(
        &state.services,
        &me,
        &input.number,
        input.default_country.map(Into::into),
        app::api::ports::CallOrigin::Api,
    )
    .await?;
    let call: CallOut = calls::ops::get(&state.services, &me, &ticket.call_id)
        .await?
        .into();
    let location = HeaderValue::from_str(&format!("/api/v1/calls/{}", call.id)).ok();
    let mut response = (StatusCode::CREATED, Json(call)).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "calls", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = CallOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_call(
    State(state): State<RestState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CallOut>> {
    Ok(Json(
        calls::ops::get(&state.services, &me, &id).await?.into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/recordings", tag = "recordings", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = RecordingPageOut), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_recordings(
    State(state): State<RestState>,
    Caller(me): Caller,
    Params(p): Params<PageParams>,
) -> ApiResult<Json<RecordingPageOut>> {
    let page = recordings::ops::list(
        &state.services,
        &me,
        p.cursor.as_deref(),
        page_size(p.limit)?,
    )
    .await?;
    Ok(Json(RecordingPageOut {
        items: page.items.into_iter().map(RecordingOut::from).collect(),
        next_cursor: page.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}", tag = "recordings",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RecordingOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_recording(
    State(state): State<RestState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RecordingOut>> {
    Ok(Json(
        recordings::ops::get(&state.services, &me, &id)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}/playback", tag = "recordings",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = PlaybackOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn recording_playback(
    State(state): State<RestState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PlaybackOut>> {
    let (url, expires_at) = recordings::ops::playback(&state.services, &me, &id).await?;
    Ok(Json(PlaybackOut { url, expires_at }))
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document

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
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token: from the app's sign-in (local identity) or Amazon Cognito",
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
        list_calls, place_call, get_call, list_recordings, get_recording, recording_playback),
    modifiers(&BearerAuth),
    tags((name = "me"), (name = "contacts"), (name = "calls"), (name = "recordings"), (name = "meta"))
)]
pub struct ApiDoc;
