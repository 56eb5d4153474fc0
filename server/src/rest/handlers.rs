//! The `/api/v1` handlers: each translates HTTP to the same `ops` the server functions use.

use app::api::{calls, contacts, recordings, ApiError};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::OpenApi;

use super::extract::{
    if_match, needs, page_size, precondition, problem, with_etag, ApiResult, Body, Caller, Params,
};
use super::model::*;
use super::{ApiDoc, RestState};

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document")))]
pub(super) async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn me(Caller(me, _): Caller<needs::AnyScope>) -> Json<Me> {
    Json(Me {
        sub: me.sub,
        email: me.email,
        roles: me.groups,
    })
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactListParams),
    security(("bearer" = ["contacts:read"])),
    responses((status = 200, body = ContactPageOut), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list_contacts(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::ContactsRead>,
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
    security(("bearer" = ["contacts:write"])),
    responses((status = 201, body = ContactOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid contact: `errors` says what, per field", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn create_contact(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::ContactsWrite>,
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
    params(("id" = String, Path)), security(("bearer" = ["contacts:read"])),
    responses((status = 200, body = ContactOut, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn get_contact(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::ContactsRead>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let contact = contacts::ops::get(&state.services, &me, &id).await?;
    Ok(with_etag(contact.into(), StatusCode::OK))
}

#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactIn,
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The version being replaced, e.g. \"3\"")),
    security(("bearer" = ["contacts:write"])),
    responses((status = 200, body = ContactOut, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is required", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn update_contact(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::ContactsWrite>,
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
    security(("bearer" = ["contacts:write"])),
    responses((status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn delete_contact(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::ContactsWrite>,
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
    security(("bearer" = ["calls:read"])),
    responses((status = 200, body = CallPageOut), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list_calls(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::CallsRead>,
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
    security(("bearer" = ["calls:write"])),
    responses((status = 201, description = "Placed; follow it with GET /api/v1/calls/{id}. Unless the user turned it off (Settings, \"Ask before calls from integrations\"), the app first asks the agent to confirm the call and opens the microphone only then; a call the agent cancels, or does not confirm within 30 s, ends with `end_reason` `cancelled`, `hangup_by` `agent` and `sip_cause` `declined in the app` or `not confirmed in the app in time`", body = CallOut, headers(("Location" = String))),
        (status = 403, description = "`CallsBlocked`: a velocity rule paused the caller's calls until an admin lifts the block; `AwaitingApproval`: a new account an admin has not approved yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`AppNotOpen`: no tab of the app is open to carry the audio; `CallInProgress`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`NumberRefused`: not a number that may be dialled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`TooManyCallAttempts`, `DailyMinutesUsed` (with `Retry-After`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`CallingUnavailable` on this server; `ServiceBusy`: every line in use (with `Retry-After`)", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn place_call(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::CallsWrite>,
    Body(input): Body<CallIn>,
) -> ApiResult<Response> {
    let country = input.default_country.map(Into::into);
    let services = &state.services;
    let relay = || crate::cluster::relay_dial(services, &me, &input.number, country);
    let ticket = match crate::cluster::holder_elsewhere(services, &me.sub).await {
        // The user's app is open on another server: the call runs there.
        true => relay().await?,
        false => {
            let here = calls::ops::start(
                services,
                &me,
                &input.number,
                country,
                app::api::ports::CallOrigin::Api,
            )
            .await;
            match here {
                // A tab of the user's here was closing as we looked (it counted still): their
                // app may be open on another server.
                Err(ApiError::AppNotOpen) if crate::cluster::others_live(services).await => {
                    relay().await?
                }
                other => other?,
            }
        }
    };
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
    security(("bearer" = ["calls:read"])),
    responses((status = 200, body = CallOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn get_call(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::CallsRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<CallOut>> {
    Ok(Json(
        calls::ops::get(&state.services, &me, &id).await?.into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/recordings", tag = "recordings", params(PageParams),
    security(("bearer" = ["recordings:read"])),
    responses((status = 200, body = RecordingPageOut), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list_recordings(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::RecordingsRead>,
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
    params(("id" = String, Path)), security(("bearer" = ["recordings:read"])),
    responses((status = 200, body = RecordingOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn get_recording(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::RecordingsRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<RecordingOut>> {
    Ok(Json(
        recordings::ops::get(&state.services, &me, &id)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}/playback", tag = "recordings",
    params(("id" = String, Path)), security(("bearer" = ["recordings:read"])),
    responses((status = 200, body = PlaybackOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn recording_playback(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::RecordingsRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<PlaybackOut>> {
    let (url, expires_at) = recordings::ops::playback(&state.services, &me, &id).await?;
    Ok(Json(PlaybackOut { url, expires_at }))
}
