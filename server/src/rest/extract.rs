//! What the handlers take and give back: problem details for every error, the JSON body, query
//! and caller (Bearer token, request rate) extractors, and the paging and ETag helpers.

use std::marker::PhantomData;

use app::api::ports::Principal;
use app::api::ApiError;
use app::domain::tokens::Scope;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

use super::model::{ContactOut, Problem};
use super::{RestState, DEFAULT_PAGE, MAX_PAGE};

/// An error response: problem details with the status it names.
pub struct ProblemResponse {
    problem: Box<Problem>,
    retry_after: Option<u64>,
    www_authenticate: Option<&'static str>,
}

pub(super) fn problem(
    status: StatusCode,
    code: &str,
    detail: impl Into<String>,
) -> ProblemResponse {
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
        app::api::metrics::api_error(&e);
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
            | ApiError::TooManyCallAttempts { retry_after_secs }
            | ApiError::ServiceBusy { retry_after_secs }
            | ApiError::DailyMinutesUsed { retry_after_secs } => Some(*retry_after_secs),
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

pub(super) type ApiResult<T> = Result<T, ProblemResponse>;

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

/// What a handler needs the caller's credential to allow: a scope of integration tokens, or a
/// session's access token only (the admin endpoints).
pub trait Needs: Send + Sync + 'static {
    /// `None`: any credential (a session's token, or an integration token of any scope).
    const SCOPE: Option<Scope>;
    /// Integration tokens are refused whatever their scopes.
    const SESSION_ONLY: bool = false;
}

/// The marker types handlers name in `Caller<…>`, one per scope.
pub mod needs {
    use super::{Needs, Scope};

    macro_rules! scope_markers {
        ($($name:ident => $scope:expr;)*) => {
            $(
                pub struct $name;
                impl Needs for $name {
                    const SCOPE: Option<Scope> = $scope;
                }
            )*
        };
    }

    scope_markers! {
        AnyScope => None;
        ContactsRead => Some(Scope::ContactsRead);
        ContactsWrite => Some(Scope::ContactsWrite);
        CallsRead => Some(Scope::CallsRead);
        CallsWrite => Some(Scope::CallsWrite);
        RecordingsRead => Some(Scope::RecordingsRead);
    }

    /// The admin endpoints: a signed-in administrator's session token, never an integration
    /// token (there is no admin scope; docs/security.md, "Web and sessions").
    pub struct SessionOnly;
    impl Needs for SessionOnly {
        const SCOPE: Option<Scope> = None;
        const SESSION_ONLY: bool = true;
    }
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A session's access token (the app's sign-in, or Cognito): every scope.
    Session,
    /// An integration token with these scopes.
    Integration(Vec<Scope>),
}

/// The caller, from `Authorization: Bearer <token>`: a session's access token or an
/// integration token (`sp_pat_…`) holding the scope `N` names (cookies are not accepted here:
/// integrations hold tokens, and cookie-authenticated cross-site requests are not possible),
/// within the per-user request rate.
pub struct Caller<N: Needs>(pub Principal, pub PhantomData<N>);

/// The principal and credential a Bearer token stands for (shared with the recording audio
/// route, which takes integration tokens too).
pub(crate) async fn bearer_principal(
    services: &app::api::ports::Services,
    token: &str,
) -> Result<(Principal, Credential), ProblemResponse> {
    let unauthorised = || {
        let mut p = problem(
            StatusCode::UNAUTHORIZED,
            "NotSignedIn",
            "the access token is not valid or has expired",
        );
        p.www_authenticate = Some("Bearer error=\"invalid_token\"");
        p
    };
    if token.starts_with(app::domain::tokens::PREFIX) {
        return match app::api::tokens::ops::authenticate(services, token).await {
            Ok((principal, scopes)) => Ok((principal, Credential::Integration(scopes))),
            Err(app::api::tokens::ops::TokenAuthError::Unavailable) => {
                Err(ApiError::Unavailable.into())
            }
            Err(app::api::tokens::ops::TokenAuthError::AccountDisabled) => {
                Err(ApiError::AccountDisabled.into())
            }
            Err(app::api::tokens::ops::TokenAuthError::Invalid) => {
                tracing::debug!("REST integration token rejected");
                Err(unauthorised())
            }
        };
    }
    match services.identity.verify_access(token).await {
        Ok(p) => Ok((p, Credential::Session)),
        Err(app::api::ports::AuthError::Unavailable(detail)) => {
            tracing::error!(%detail, "identity provider unavailable");
            Err(ApiError::Unavailable.into())
        }
        // Known and valid, but an administrator disabled the account: 403, not "sign in".
        Err(app::api::ports::AuthError::AccountDisabled) => Err(ApiError::AccountDisabled.into()),
        Err(e) => {
            tracing::debug!(error = %e, "REST token rejected");
            Err(unauthorised())
        }
    }
}

/// Whether `credential` may do what `N` needs: 403 naming the missing scope otherwise.
pub(crate) fn allow<N: Needs>(credential: &Credential) -> Result<(), ProblemResponse> {
    let Credential::Integration(scopes) = credential else {
        return Ok(());
    };
    if N::SESSION_ONLY {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "SessionRequired",
            "integration tokens cannot use the admin endpoints; use a signed-in administrator's access token",
        ));
    }
    match N::SCOPE {
        Some(needed) if !scopes.contains(&needed) => {
            let mut p = problem(
                StatusCode::FORBIDDEN,
                "MissingScope",
                format!(
                    "this integration token lacks the scope {}; make a token with it in Settings",
                    needed.as_str()
                ),
            );
            p.problem.errors = Some(serde_json::json!({ "scope": needed.as_str() }));
            Err(p)
        }
        _ => Ok(()),
    }
}

impl<N: Needs> FromRequestParts<RestState> for Caller<N> {
    type Rejection = ProblemResponse;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &RestState,
    ) -> Result<Self, Self::Rejection> {
        let token = crate::web::bearer_token(&parts.headers).ok_or_else(|| {
            let mut p = problem(
                StatusCode::UNAUTHORIZED,
                "NotSignedIn",
                "send an access token: Authorization: Bearer <token>",
            );
            p.www_authenticate = Some("Bearer");
            p
        })?;
        let (principal, credential) = bearer_principal(&state.services, token).await?;
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
        allow::<N>(&credential)?;
        Ok(Caller(principal, PhantomData))
    }
}

pub(super) fn page_size(limit: Option<u32>) -> ApiResult<usize> {
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
pub(super) fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
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

pub(super) fn with_etag(contact: ContactOut, status: StatusCode) -> Response {
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
pub(super) fn precondition(e: ApiError) -> ProblemResponse {
    match e {
        ApiError::Conflict => problem(
            StatusCode::PRECONDITION_FAILED,
            "Conflict",
            "the contact changed since that version; fetch it again",
        ),
        e => e.into(),
    }
}
