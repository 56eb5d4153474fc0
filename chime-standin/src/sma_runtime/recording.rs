//! `StartCallRecording` into a directory standing in for S3: the gateway's recording tap
//! (stereo 8 kHz, left the called party, right the agent) written as a WAV file at
//! `<dir>/<Location>/<unix ms>_<TransactionId>_<CallId>.wav`, which appears (a rename) when the
//! recording stops or the call ends (Chime delivers the file at the end too). A `PlayAudio` right before it
//! becomes the gateway's consent notice: the WAV object read from the same directory.

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
    #[error("PlayAudio needs CHIME_STANDIN_S3_DIR to read its audio from")]
    NoAudioDirectory,
    #[error("the audio object cannot be read: {0}")]
    AudioMissing(std::io::Error),
    #[error("the audio is not a WAV file of 8 kHz mono 16-bit PCM")]
    AudioFormat,
}

/// The samples of the WAV object `bucket/key` under `dir` (8 kHz mono 16-bit PCM: the
/// gateway's rate, so nothing is resampled).
pub(super) fn read_audio(
    dir: Option<&Path>,
    bucket: &str,
    key: &str,
) -> Result<Vec<i16>, RecordingError> {
    let dir = dir.ok_or(RecordingError::NoAudioDirectory)?;
    let relative = PathBuf::from(bucket).join(key);
    if !relative
        .components()
        .all(|part| matches!(part, Component::Normal(_)))
    {
        return Err(RecordingError::BadLocation);
    }
    let bytes = std::fs::read(dir.join(relative)).map_err(RecordingError::AudioMissing)?;
    telephony::wav::parse_mono_8k(&bytes).map_err(|_| RecordingError::AudioFormat)
}

/// Starts recording `leg` into a new file under `dir`; the object's key (the location and the
/// file name) on success.
pub(super) fn start(
    dir: Option<&Path>,
    location: &str,
    transaction_id: &str,
    call_id: &str,
    leg: &LegCommander,
    notice: Vec<i16>,
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
    // Written under a hidden name and renamed when finished: like an S3 object, the file
    // appears whole or not at all.
    let partial = folder.join(format!(".{name}.partial"));
    let delivered = folder.join(&name);
    let mut writer = WavWriter::create(&partial)?;
    let (sink, mut audio) = mpsc::unbounded_channel();
    leg.command(LegCommand::Record(RecordCommand::Start {
        sink,
        notice: Arc::from(notice),
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
                    let _ = std::fs::remove_file(&partial);
                    return;
                }
            }
        }
        match writer
            .finish()
            .and_then(|frames| std::fs::rename(&partial, &delivered).map(|()| frames))
        {
            Ok(frames) => tracing::info!(key = %logged, frames, "recording delivered"),
            Err(error) => tracing::warn!(%error, key = %logged, "recording not finished"),
        }
    });
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_outside_the_directory_are_refused() {
        let dir = Path::new("/nonexistent-s3");
        assert!(matches!(
            read_audio(Some(dir), "..", "x.wav"),
            Err(RecordingError::BadLocation)
        ));
        assert!(matches!(
            read_audio(Some(dir), "bucket", "/etc/passwd"),
            Err(RecordingError::BadLocation)
        ));
        assert!(matches!(
            read_audio(None, "bucket", "x.wav"),
            Err(RecordingError::NoAudioDirectory)
        ));
    }
}
