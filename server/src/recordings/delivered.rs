//! Recordings the telephony provider writes into the store itself: Chime's
//! `StartCallRecording` (docs/recording.md, "Recording through Chime"). The server writes the
//! metadata when the recording starts and names the folder the provider writes into; the
//! provider says which file it will write (the handler's `RecordingStarted` push); when the
//! recording stops or the call ends, the file appears whole and the server completes the
//! metadata from it (duration, size, SHA-256, waveform), as it does for its own recordings.

use std::time::Duration;

use app::api::ports::write_audit;
use app::domain::recordings::{
    Pause, Recording, RecordingState, Waveform, FORMAT, WAVEFORM_COLUMNS,
};
use sha2::{Digest, Sha256};
use telephony::wav;

use super::{RecordError, Recorder};

/// Where the consent notice the provider plays is kept in the store (one object per notice:
/// its name is its content's hash).
const NOTICES: &str = "notices";
/// What a paused span becomes in the provider's file (the stand-in records silence; docs/chime.md
/// lists it among the assumptions).
const PAUSE_MODE: &str = "silence";
/// The provider writes the file when the recording stops or the call ends; after this long
/// without it, the recording is given up as lost.
pub const DELIVERY_WAIT: Duration = Duration::from_secs(300);
/// The first look for the file, then twice as long each time up to [`POLL_MAX`].
const POLL_FIRST: Duration = Duration::from_millis(250);
const POLL_MAX: Duration = Duration::from_secs(5);

/// A recording started at the provider's side.
pub struct Delivery {
    pub recording: Recording,
    /// The store's folder for the provider to write into (`bucket/prefix`).
    pub destination: String,
    /// The consent notice for the provider to play first (`bucket/key`).
    pub consent_tone: String,
}

impl Recorder {
    /// Puts the consent notice where the provider can read it and writes the metadata (state
    /// recording, the key a folder until the provider names its file).
    pub async fn start_delivered(
        &self,
        owner: &str,
        call_id: &str,
    ) -> Result<Delivery, RecordError> {
        let now = self.clock.now_ms();
        let id = uuid::Uuid::new_v4().to_string();
        let notice = wav::mono_8k(&self.settings.notice);
        let notice_key = format!("{NOTICES}/consent-{}.wav", &hex_sha256(&notice)[..16]);
        self.recordings.put(&notice_key, notice).await?;
        let folder = Recording::key_for(&id, now)
            .trim_end_matches(".wav")
            .to_string();
        let recording = self.new_metadata(&id, call_id, now, folder.clone(), PAUSE_MODE);
        self.store.insert_recording(owner, &recording).await?;
        tracing::info!(recording = %id, call = %call_id, "recording started at the provider");
        Ok(Delivery {
            destination: self.recordings.service_path(&folder),
            consent_tone: self.recordings.service_path(&notice_key),
            recording,
        })
    }

    /// The provider named the file it will write: the metadata points at it.
    pub async fn delivered_to(
        &self,
        owner: &str,
        recording: &mut Recording,
        path: &str,
    ) -> Result<(), RecordError> {
        let key = self
            .recordings
            .key_of_service_path(path)
            .ok_or(RecordError::Elsewhere)?;
        recording.location = self.recordings.location(&key);
        recording.key = key;
        self.store.update_recording(owner, recording).await?;
        Ok(())
    }

    /// Nothing will be delivered (the start failed, or the file was never named): the metadata
    /// goes, and the audit log says why.
    pub async fn abandon(&self, owner: &str, recording: &Recording, why: &str) {
        if let Err(e) = self.store.delete_recording(owner, &recording.id).await {
            tracing::error!(recording = %recording.id, error = %e, "abandoned recording's metadata not deleted");
        }
        write_audit(
            self.store.as_ref(),
            owner,
            self.clock.now_ms(),
            "recording_lost",
            format!(
                "recording {} of call {}: {why}",
                recording.id, recording.call_id
            ),
        )
        .await;
    }

    /// Waits (in the background) for the provider's file, then completes the metadata from it;
    /// gives up after `wait`. `stopped_at` is when the recording stopped or the call ended.
    pub fn await_delivery(
        &self,
        owner: &str,
        mut recording: Recording,
        pauses: Vec<Pause>,
        stopped_at: u64,
        wait: Duration,
    ) -> tokio::task::JoinHandle<Option<Recording>> {
        let recorder = self.clone();
        let owner = owner.to_string();
        tokio::spawn(async move {
            recording.pauses = pauses;
            let deadline = tokio::time::Instant::now() + wait;
            let mut poll = POLL_FIRST;
            loop {
                match recorder.recordings.size(&recording.key).await {
                    Ok(Some(_)) => break,
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(recording = %recording.id, error = %e, "recording not looked up; trying again")
                    }
                }
                if tokio::time::Instant::now() + poll > deadline {
                    tracing::error!(recording = %recording.id, waited_s = wait.as_secs(), "the provider's recording never arrived");
                    recorder
                        .abandon(&owner, &recording, "the provider's file never arrived")
                        .await;
                    return None;
                }
                tokio::time::sleep(poll).await;
                poll = (poll * 2).min(POLL_MAX);
            }
            match recorder
                .complete_delivered(&owner, recording, stopped_at)
                .await
            {
                Ok(r) => {
                    tracing::info!(recording = %r.id, duration_ms = r.duration_ms, bytes = r.bytes, "recording delivered");
                    super::recording_stored(r.bytes);
                    Some(r)
                }
                Err((id, e)) => {
                    tracing::error!(recording = %id, error = %e, "the provider's recording not taken in");
                    super::recording_failed();
                    None
                }
            }
        })
    }

    async fn complete_delivered(
        &self,
        owner: &str,
        mut recording: Recording,
        stopped_at: u64,
    ) -> Result<Recording, (String, RecordError)> {
        let id = recording.id.clone();
        let bytes = self
            .recordings
            .fetch(&recording.key)
            .await
            .map_err(|e| (id.clone(), e.into()))?;
        let summary = tokio::task::spawn_blocking(move || summarize(&bytes))
            .await
            .map_err(|e| (id.clone(), RecordError::Spool(std::io::Error::other(e))))?
            .map_err(|e| (id.clone(), RecordError::Delivered(e)))?;
        recording.bytes = summary.bytes;
        recording.sha256 = Some(summary.sha256);
        recording.waveform = summary.waveform;
        recording.duration_ms = summary.duration_ms;
        recording.format = summary.format;
        recording.ended_at = Some(stopped_at.max(recording.started_at));
        recording.state = RecordingState::Complete;
        self.store
            .update_recording(owner, &recording)
            .await
            .map_err(|e| (id, e.into()))?;
        Ok(recording)
    }
}

/// What a delivered file holds.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    bytes: u64,
    sha256: String,
    duration_ms: u64,
    format: String,
    waveform: Vec<u8>,
}

fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Reads a delivered WAV file: any PCM layout is kept and described; the waveform is drawn
/// for 16-bit stereo (left the called party, right the agent, as ours).
fn summarize(bytes: &[u8]) -> Result<Summary, String> {
    let layout = wav::layout(bytes)?;
    let ours = layout.is_pcm16(2) && layout.sample_rate == wav::SAMPLE_RATE;
    let format = if ours {
        FORMAT.to_string()
    } else {
        format!(
            "audio/wav; format {}; {} Hz; {} ch; {}-bit",
            layout.format, layout.sample_rate, layout.channels, layout.bits
        )
    };
    let waveform = if layout.is_pcm16(2) {
        let frames = &bytes[layout.data.clone()];
        let mut picture = Waveform::new((frames.len() / 4) as u64, WAVEFORM_COLUMNS);
        for f in frames.chunks_exact(4) {
            picture.push(
                i16::from_le_bytes([f[0], f[1]]),
                i16::from_le_bytes([f[2], f[3]]),
            );
        }
        picture.finish()
    } else {
        Vec::new()
    };
    Ok(Summary {
        bytes: bytes.len() as u64,
        sha256: hex_sha256(bytes),
        duration_ms: layout.duration_ms(),
        format,
        waveform,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivered_file_is_described_as_it_is() {
        // Our own layout: one second of stereo, the called party loud on the left.
        let dir = std::env::temp_dir().join(format!("delivered-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.wav");
        let mut writer = wav::WavWriter::create(&path).unwrap();
        writer.write(&[20_000; 8000], &[0; 8000]).unwrap();
        writer.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let summary = summarize(&bytes).unwrap();
        assert_eq!(summary.duration_ms, 1000);
        assert_eq!(summary.format, FORMAT);
        assert_eq!(summary.bytes, bytes.len() as u64);
        assert_eq!(summary.sha256, hex_sha256(&bytes));
        let (left, right) = summary.waveform.split_at(WAVEFORM_COLUMNS);
        assert!(left.iter().all(|&peak| peak > 100), "{left:?}");
        assert!(right.iter().all(|&peak| peak == 0), "{right:?}");
        let _ = std::fs::remove_dir_all(&dir);

        // Another layout is kept and said what it is, without a picture.
        let mono = wav::mono_8k(&[0; 4000]);
        let summary = summarize(&mono).unwrap();
        assert_eq!(summary.duration_ms, 500);
        assert_eq!(summary.format, "audio/wav; format 1; 8000 Hz; 1 ch; 16-bit");
        assert!(summary.waveform.is_empty());

        assert_eq!(
            summarize(b"not audio").unwrap_err(),
            "not a WAV file (no RIFF/WAVE header)"
        );
    }
}
