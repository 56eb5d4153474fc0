//! Recordings: metadata, playback, deletion, and the user's recording preference. The audio
//! is fetched from [`audio_path`] (our range-capable endpoint, which redirects to a presigned
//! URL when the recordings are in S3).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::ApiError;
use crate::domain::recordings::{Preferences, Recording, RecordingMode};

/// Where the browser gets a recording's audio (`?download=1` to save it as a file).
pub fn audio_path(id: &str) -> String {
    format!("/api/recordings/{id}/audio")
}

/// What the server functions and the REST API do with recordings.
#[cfg(feature = "ssr")]
pub mod ops {
    use super::*;
    use crate::api::ports::{Page, Playback, Principal, Services};

    /// A recording's metadata; `NotFound` unless it is the caller's.
    pub async fn get(services: &Services, me: &Principal, id: &str) -> Result<Recording, ApiError> {
        services
            .store
            .get_recording(&me.sub, id)
            .await?
            .ok_or(ApiError::NotFound)
    }

    pub async fn list(
        services: &Services,
        me: &Principal,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Recording>, ApiError> {
        Ok(services
            .store
            .list_recordings(&me.sub, cursor, limit)
            .await?)
    }

    /// Where the caller plays the recording back: our authenticated, range-capable endpoint
    /// (disk), or a presigned URL that expires within 5 minutes (S3; `expires_at` set).
    pub async fn playback(
        services: &Services,
        me: &Principal,
        id: &str,
    ) -> Result<(String, Option<u64>), ApiError> {
        let recording = get(services, me, id).await?;
        let now = services.clock.now_ms();
        match services
            .recordings
            .playback(&recording.key, now, None)
            .await
            .map_err(|e| match e {
                // Metadata without audio (a recording still being made, or lost).
                crate::api::ports::RecordingsError::NotFound => ApiError::NotFound,
                e => {
                    tracing::error!(error = %e, recording = %id, "playback unavailable");
                    ApiError::Unavailable
                }
            })? {
            // Audited when the audio is fetched from our endpoint.
            Playback::File(_) => Ok((audio_path(id), None)),
            Playback::Url { url, expires_at } => {
                audit_playback(
                    services,
                    &me.sub,
                    &recording,
                    "recording_url_issued",
                    &format!("presigned URL for the REST API, expires {expires_at}"),
                )
                .await;
                Ok((url, Some(expires_at)))
            }
        }
    }

    /// Every playback leaves an entry in the owner's audit trail: which recording, and how
    /// (`action`: `recording_played`, `recording_downloaded` or `recording_url_issued`).
    pub async fn audit_playback(
        services: &Services,
        owner: &str,
        recording: &Recording,
        action: &str,
        how: &str,
    ) {
        let detail = format!(
            "recording {} of call {}: {how}",
            recording.id, recording.call_id
        );
        crate::api::ports::write_audit(
            services.store.as_ref(),
            owner,
            services.clock.now_ms(),
            action,
            detail,
        )
        .await;
    }
}

/// A recording's metadata; `NotFound` unless it is the caller's.
#[server(endpoint = "recordings/get", input = Json)]
pub async fn get_recording(id: String) -> Result<Recording, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::get(&services, &me, &id).await
}

/// Deletes a recording (audio and metadata) and leaves an audit entry.
#[server(endpoint = "recordings/delete", input = Json)]
pub async fn delete_recording(id: String) -> Result<(), ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ssr::delete(
        services.store.as_ref(),
        services.recordings.as_ref(),
        &me.sub,
        &id,
        services.clock.now_ms(),
        "recording_deleted",
    )
    .await
    .map(|_| ())
    .map_err(ApiError::from)
}

#[server(endpoint = "preferences/get", input = Json)]
pub async fn get_preferences() -> Result<Preferences, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    Ok(services.store.preferences(&me.sub).await?)
}

/// Sets when calls are recorded; applies from the next call on.
#[server(endpoint = "preferences/recording", input = Json)]
pub async fn set_recording_mode(mode: RecordingMode) -> Result<Preferences, ApiError> {
    use crate::api::ssr::{audit, principal, services};
    let (me, services) = (principal()?, services()?);
    let mut preferences = services.store.preferences(&me.sub).await?;
    preferences.recording = mode;
    services
        .store
        .set_preferences(&me.sub, &preferences)
        .await?;
    audit(
        &services,
        &me.sub,
        "recording_mode_set",
        mode.as_str().into(),
    )
    .await;
    Ok(preferences)
}

/// Whether calls placed through the REST API (click to dial from another app) wait for the
/// agent to confirm them in the app before the microphone opens; applies from the next call.
#[server(endpoint = "preferences/confirm_api_calls", input = Json)]
pub async fn set_confirm_api_calls(on: bool) -> Result<Preferences, ApiError> {
    use crate::api::ssr::{audit, principal, services};
    let (me, services) = (principal()?, services()?);
    let mut preferences = services.store.preferences(&me.sub).await?;
    preferences.confirm_api_calls = on;
    services
        .store
        .set_preferences(&me.sub, &preferences)
        .await?;
    let detail = if on { "on" } else { "off" };
    audit(&services, &me.sub, "confirm_api_calls_set", detail.into()).await;
    Ok(preferences)
}

/// Do not disturb: inbound calls skip the agent (they still show as missed); applies from the
/// next call.
#[server(endpoint = "preferences/do_not_disturb", input = Json)]
pub async fn set_do_not_disturb(on: bool) -> Result<Preferences, ApiError> {
    use crate::api::ssr::{audit, principal, services};
    let (me, services) = (principal()?, services()?);
    let mut preferences = services.store.preferences(&me.sub).await?;
    preferences.do_not_disturb = on;
    services
        .store
        .set_preferences(&me.sub, &preferences)
        .await?;
    let detail = if on { "on" } else { "off" };
    audit(&services, &me.sub, "do_not_disturb_set", detail.into()).await;
    Ok(preferences)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::api::ports::{write_audit, Recordings, RecordingsError, Store, StoreError};
    use crate::api::ApiError;
    use crate::domain::recordings::{Recording, RecordingState};

    #[derive(Debug, thiserror::Error)]
    pub enum DeleteError {
        #[error("no such recording")]
        NotFound,
        #[error("the recording is still running; stop it first")]
        StillRecording,
        #[error(transparent)]
        Store(StoreError),
        #[error(transparent)]
        Recordings(RecordingsError),
    }

    impl From<StoreError> for DeleteError {
        fn from(e: StoreError) -> Self {
            match e {
                StoreError::NotFound => DeleteError::NotFound,
                e => DeleteError::Store(e),
            }
        }
    }

    impl From<DeleteError> for ApiError {
        fn from(e: DeleteError) -> Self {
            match e {
                DeleteError::NotFound => ApiError::NotFound,
                DeleteError::StillRecording => ApiError::RecordingInProgress,
                DeleteError::Store(e) => e.into(),
                DeleteError::Recordings(e) => {
                    tracing::error!(error = %e, "recordings store");
                    ApiError::Unavailable
                }
            }
        }
    }

    /// Deletes a recording: marked first, then the audio, then the metadata (a stop in between
    /// is finished at the next start); leaves an audit entry with `action`.
    pub async fn delete(
        store: &dyn Store,
        recordings: &dyn Recordings,
        owner: &str,
        id: &str,
        now: u64,
        action: &str,
    ) -> Result<Recording, DeleteError> {
        let mut r = store
            .get_recording(owner, id)
            .await?
            .ok_or(DeleteError::NotFound)?;
        if r.state == RecordingState::Recording {
            return Err(DeleteError::StillRecording);
        }
        r.state = RecordingState::Deleting;
        store.update_recording(owner, &r).await?;
        recordings
            .delete(&r.key)
            .await
            .map_err(DeleteError::Recordings)?;
        store.delete_recording(owner, id).await?;
        let detail = format!(
            "recording {} of call {} ({} ms, sha256 {})",
            r.id,
            r.call_id,
            r.duration_ms,
            r.sha256.as_deref().unwrap_or("-")
        );
        write_audit(store, owner, now, action, detail).await;
        Ok(r)
    }
}
