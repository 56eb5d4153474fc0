//! A recording's audio (`/api/recordings/{id}/audio`), for its owner only.

use app::api::ports::{Playback, Principal, RecordingsError};
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tower::ServiceExt;

use app::api::recordings::ops::audit_playback;

use super::AppState;

/// The owner of an integration token with `recordings:read` in `Authorization: Bearer`, or the
/// answer refusing it (401 without a valid token, 403 without the scope).
async fn integration_caller(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Principal, Response> {
    let unauthorised = || (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    let token = super::bearer_token(headers)
        .filter(|t| t.starts_with(app::domain::tokens::PREFIX))
        .ok_or_else(unauthorised)?;
    let (me, credential) = crate::rest::bearer_principal(&state.services, token)
        .await
        .map_err(IntoResponse::into_response)?;
    crate::rest::allow::<crate::rest::needs::RecordingsRead>(&credential)
        .map_err(IntoResponse::into_response)?;
    Ok(me)
}

#[derive(serde::Deserialize)]
pub struct AudioQuery {
    /// Present: served as an attachment (and audited as a download).
    #[serde(default)]
    download: Option<String>,
}

/// Whether `id` could name a recording at all (ids are short, ASCII letters, digits and `-`).
fn is_recording_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A recording's audio, for its owner only (anyone else gets 404, as for a recording that
/// does not exist). Disk: served here with range requests (seeking); S3: a redirect to a
/// presigned GET that expires within 5 minutes.
pub async fn recording_audio(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    Path(id): Path<String>,
    Query(query): Query<AudioQuery>,
    request: Request,
) -> Response {
    let (me, via) = match principal {
        Some(Extension(me)) => (me, "session"),
        // An integration token with `recordings:read` (the REST API's playback hands out this
        // address with "the same Authorization").
        None => match integration_caller(&state, request.headers()).await {
            Ok(me) => (me, "integration token"),
            Err(response) => return response,
        },
    };
    let not_found = || (StatusCode::NOT_FOUND, "no such recording").into_response();
    if !is_recording_id(&id) {
        return not_found();
    }
    let services = &state.services;
    let recording = match services.store.get_recording(&me.sub, &id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "recording metadata unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again shortly").into_response();
        }
    };
    if !recording.is_playable() {
        return (StatusCode::CONFLICT, "the recording is still being made").into_response();
    }
    let download = query.download.is_some();
    let filename = format!(
        "call-recording-{}.wav",
        app::domain::recordings::format_utc(recording.started_at)
            .trim_end_matches(" UTC")
            .replace([' ', ':'], "-")
    );
    let now = services.clock.now_ms();
    let playback = services
        .recordings
        .playback(&recording.key, now, download.then_some(filename.as_str()))
        .await;
    let action = if download {
        "recording_downloaded"
    } else {
        "recording_played"
    };
    match playback {
        Ok(Playback::File(path)) => {
            // Each request for the audio is audited (an audio element's seeks are ranges of
            // one playback, but a range can also fetch the whole file).
            let range = request
                .headers()
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok())
                .map(|r| format!(", {}", r.chars().take(40).collect::<String>()))
                .unwrap_or_default();
            let how = format!("served by this server{range}, {via}");
            audit_playback(services, &me.sub, &recording, action, &how).await;
            let served = tower_http::services::ServeFile::new(path)
                .oneshot(request)
                .await;
            let mut response = match served {
                Ok(r) => r.map(Body::new),
                Err(e) => match e {},
            };
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(app::domain::recordings::CONTENT_TYPE),
            );
            let disposition = if download { "attachment" } else { "inline" };
            if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{filename}\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Ok(Playback::Url { url, expires_at }) => match HeaderValue::from_str(&url) {
            Ok(location) => {
                let how = format!("presigned URL issued, expires {expires_at}, {via}");
                audit_playback(services, &me.sub, &recording, action, &how).await;
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(header::LOCATION, location)],
                )
                    .into_response()
            }
            Err(_) => (StatusCode::BAD_GATEWAY, "bad playback URL").into_response(),
        },
        Err(RecordingsError::NotFound) => {
            // Metadata without audio: recovery should have made this impossible.
            tracing::error!(recording = %recording.id, "recording metadata without audio");
            not_found()
        }
        Err(e) => {
            tracing::error!(recording = %recording.id, error = %e, "recordings store unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "try again shortly").into_response()
        }
    }
}
