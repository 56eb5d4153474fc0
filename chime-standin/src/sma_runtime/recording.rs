//! `StartCallRecording` into a directory standing in for S3: the gateway's recording tap
//! (stereo 8 kHz, left the called party, right the agent) written as a WAV file at
//! `<dir>/<Location>/<unix ms>_<TransactionId>_<CallId>.wav`, finished when the recording stops
//! or the call ends (Chime delivers the file at the end too). A `PlayAudio` right before it
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
    pcm_of_wav(&bytes).ok_or(RecordingError::AudioFormat)
}

/// Walks the RIFF chunks: `fmt ` must say PCM, one channel, 8000 Hz, 16 bits; `data` is read.
fn pcm_of_wav(bytes: &[u8]) -> Option<Vec<i16>> {
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
    let u32_at = |at: usize| {
        let b = bytes.get(at..at + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut at = 12;
    let mut format_ok = false;
    while at + 8 <= bytes.len() {
        let id = bytes.get(at..at + 4)?;
        let len = usize::try_from(u32_at(at + 4)?).ok()?;
        let body = at + 8;
        if id == b"fmt " {
            format_ok = u16_at(body)? == 1
                && u16_at(body + 2)? == 1
                && u32_at(body + 4)? == 8000
                && u16_at(body + 14)? == 16;
        } else if id == b"data" {
            if !format_ok {
                return None;
            }
            let data = bytes.get(body..body.checked_add(len)?.min(bytes.len()))?;
            return Some(
                data.chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect(),
            );
        }
        // Chunks are padded to an even length.
        at = body.checked_add(len)?.checked_add(len % 2)?;
    }
    None
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
    let mut writer = WavWriter::create(&folder.join(&name))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(channels: u16, rate: u32, bits: u16, data: &[u8], extra_chunk: bool) -> Vec<u8> {
        let mut out = b"RIFF\0\0\0\0WAVE".to_vec();
        if extra_chunk {
            // An odd-length LIST chunk and its pad byte come before fmt in some files.
            out.extend_from_slice(b"LIST");
            out.extend_from_slice(&3u32.to_le_bytes());
            out.extend_from_slice(b"abc\0");
        }
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn only_8khz_mono_16_bit_pcm_is_read() {
        let data = [1u8, 0, 0xff, 0xff];
        assert_eq!(
            pcm_of_wav(&wav(1, 8000, 16, &data, false)),
            Some(vec![1, -1])
        );
        assert_eq!(
            pcm_of_wav(&wav(1, 8000, 16, &data, true)),
            Some(vec![1, -1])
        );
        assert_eq!(pcm_of_wav(&wav(2, 8000, 16, &data, false)), None);
        assert_eq!(pcm_of_wav(&wav(1, 16000, 16, &data, false)), None);
        assert_eq!(pcm_of_wav(&wav(1, 8000, 8, &data, false)), None);
        assert_eq!(pcm_of_wav(b"RIFF"), None);
        assert_eq!(pcm_of_wav(b"not a wav file at all"), None);
    }

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
