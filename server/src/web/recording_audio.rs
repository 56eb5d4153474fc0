//! A recording's audio (`/api/recordings/{id}/audio`), for its owner only.

use app::api::ports::{Playback, Principal, RecordingsError};
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tower::ServiceExt;

use super::AppState;

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
    let Some(Extension(me)) = principal else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
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
    if download {
        let detail = format!("recording {} of call {}", recording.id, recording.call_id);
        app::api::ports::write_audit(
            services.store.as_ref(),
            &me.sub,
            now,
            "recording_downloaded",
            detail,
        )
        .await;
    }
    match playback {
        Ok(Playback::File(path)) => {
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
        Ok(Playback::Url { url, .. }) => match HeaderValue::from_str(&url) {
            Ok(location) => (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response(),
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
