//! `StartCallRecording` into a directory standing in for S3: the gateway's recording tap
//! (stereo 8 kHz, left the called party, right the agent) written as a WAV file at
//! `<dir>/<Location>/<unix ms>_<TransactionId>_<CallId>.wav`, finished when the recording stops
//! or the call ends (Chime delivers the file at the end too).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use telephony::gateway::{LegCommand, LegCommander, RecordCommand};
use telephony::recording::{PauseMode, RecordedAudio};
use telephony::wav::WavWriter;
use tokio::sync::mpsc;

/// Why a recording cannot start.
#[derive(Debug, thiserror::Error)]
pub(super) enum RecordingError {
    #[error("StartCallRecording is not supported by the stand-in without CHIME_STANDIN_S3_DIR")]
    NoDirectory,
    #[error("the Location is not a relative bucket/prefix path")]
    BadLocation,
    #[error("the recording file cannot be created: {0}")]
    Io(#[from] std::io::Error),
}

/// Starts recording `leg` into a new file under `dir`; the object's key (the location and the
/// file name) on success.
pub(super) fn start(
    dir: Option<&Path>,
    location: &str,
    transaction_id: &str,
    call_id: &str,
    leg: &LegCommander,
) -> Result<String, RecordingError> {
    let dir = dir.ok_or(RecordingError::NoDirectory)?;
    let location = location.trim_matches('/');
    let relative = PathBuf::from(location);
    if location.is_empty()
        || !relative
            .components()
            .all(|part| matches!(part, Component::Normal(_)))
    {
        return Err(RecordingError::BadLocation);
    }
    let name = format!("{}_{transaction_id}_{call_id}.wav", sma::report::now_ms());
    let folder = dir.join(&relative);
    std::fs::create_dir_all(&folder)?;
    let mut writer = WavWriter::create(&folder.join(&name))?;
    let (sink, mut audio) = mpsc::unbounded_channel();
    leg.command(LegCommand::Record(RecordCommand::Start {
        sink,
        notice: Arc::from(Vec::new()),
        mode: PauseMode::Silence,
    }));
    let key = format!("{location}/{name}");
    let logged = key.clone();
    // Blocking file writes, a frame at a time: off the runtime's threads.
    tokio::task::spawn_blocking(move || {
        while let Some(chunk) = audio.blocking_recv() {
            if let RecordedAudio::Frames { left, right } = chunk {
                if let Err(error) = writer.write(&left, &right) {
                    tracing::warn!(%error, key = %logged, "recording write failed");
                    return;
                }
            }
        }
        match writer.finish() {
            Ok(frames) => tracing::info!(key = %logged, frames, "recording delivered"),
            Err(error) => tracing::warn!(%error, key = %logged, "recording not finished"),
        }
    });
    Ok(key)
}
