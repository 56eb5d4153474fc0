//! Call recordings on the server: the recorder (the gateway's recorded audio → a crash-safe
//! spool WAV → the recordings store, metadata in the store; or a file the provider writes into
//! the store itself, [`delivered`]), start-up recovery, deletion and the retention job. Storage adapters implement `app::api::ports::Recordings`.

pub mod delivered;
pub mod disk;
pub mod s3;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use app::api::ports::{write_audit, Clock, Recordings, RecordingsError, Store, StoreError, Upload};
use app::domain::recordings::{
    duration_of, ConsentNotice, Pause, Recording, RecordingState, Waveform, FORMAT,
    WAVEFORM_COLUMNS,
};
use sha2::{Digest, Sha256};
use telephony::recording::{PauseMode, RecordedAudio};
use telephony::wav::{self, WavWriter};
use tokio::sync::mpsc;

pub use disk::DiskRecordings;

/// How often a growing recording is offered to the store (S3 sends whole parts).
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// A finished recording the recordings store or the database did not take is tried again
/// after this long, then twice as long each time up to [`RETRY_MAX`], while the server runs.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(300);
const DAY_MS: u64 = 86_400_000;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Recordings(#[from] RecordingsError),
    #[error("recording file: {0}")]
    Spool(#[from] std::io::Error),
    /// The provider named a file outside the recordings store.
    #[error("the provider's recording is not in the recordings store")]
    Elsewhere,
    /// The provider's file is not a WAV file the server can read.
    #[error("the provider's recording: {0}")]
    Delivered(String),
}

/// How recordings are made on this server.
#[derive(Clone)]
pub struct RecorderSettings {
    pub pause_mode: PauseMode,
    /// What the called party hears when recording starts (beeps, then any spoken notice).
    pub notice: Arc<[i16]>,
    pub consent: ConsentNotice,
    pub retention_days: u32,
}

impl RecorderSettings {
    pub fn new(pause_mode: PauseMode, spoken: Option<&[i16]>, retention_days: u32) -> Self {
        RecorderSettings {
            pause_mode,
            notice: telephony::recording::consent_notice(spoken).into(),
            consent: if spoken.is_some() {
                ConsentNotice::ToneAndSpoken
            } else {
                ConsentNotice::Tone
            },
            retention_days,
        }
    }
}

/// Starts recordings and sees them to the store.
#[derive(Clone)]
pub struct Recorder {
    pub store: Arc<dyn Store>,
    pub recordings: Arc<dyn Recordings>,
    pub clock: Arc<dyn Clock>,
    pub settings: RecorderSettings,
}

/// A recording that has started: its metadata and where the gateway sends its audio. The
/// recorder finishes it on its own once the sender is dropped (the leg stopped recording).
pub struct Started {
    pub recording: Recording,
    pub sink: mpsc::UnboundedSender<RecordedAudio>,
    pub done: tokio::task::JoinHandle<Option<Recording>>,
}

impl Recorder {
    /// Writes the metadata first, then the spool file: a file never exists without its
    /// metadata, so recovery can always account for it.
    pub async fn start(&self, owner: &str, call_id: &str) -> Result<Started, RecordError> {
        let now = self.clock.now_ms();
        let id = uuid::Uuid::new_v4().to_string();
        let key = Recording::key_for(&id, now);
        let upload = self.recordings.begin(&key).await?;
        let recording = Recording {
            bytes: wav::HEADER_LEN,
            upload_id: upload.id.clone(),
            ..self.new_metadata(&id, call_id, now, key, self.settings.pause_mode.as_str())
        };
        if let Err(e) = self.store.insert_recording(owner, &recording).await {
            if let Some(upload_id) = &upload.id {
                let _ = self.recordings.abort(&recording.key, upload_id).await;
            }
            return Err(e.into());
        }
        let spool = spool_path(self.recordings.as_ref(), &id);
        let writer = match WavWriter::create(&spool) {
            Ok(w) => w,
            Err(e) => {
                let _ = self.store.delete_recording(owner, &id).await;
                if let Some(upload_id) = &upload.id {
                    let _ = self.recordings.abort(&recording.key, upload_id).await;
                }
                return Err(e.into());
            }
        };
        let (sink, audio) = mpsc::unbounded_channel();
        let task = Writing {
            store: self.store.clone(),
            recordings: self.recordings.clone(),
            clock: self.clock.clone(),
            owner: owner.to_string(),
            recording: recording.clone(),
            spool,
            upload,
        };
        let done = tokio::spawn(task.run(writer, audio));
        tracing::info!(recording = %id, call = %call_id, "recording started");
        Ok(Started {
            recording,
            sink,
            done,
        })
    }
}

impl Recorder {
    /// The metadata of a recording that starts now: state recording, nothing stored yet.
    fn new_metadata(
        &self,
        id: &str,
        call_id: &str,
        now: u64,
        key: String,
        pause_mode: &str,
    ) -> Recording {
        Recording {
            id: id.to_string(),
            call_id: call_id.to_string(),
            started_at: now,
            ended_at: None,
            duration_ms: 0,
            bytes: 0,
            sha256: None,
            format: FORMAT.to_string(),
            consent: self.settings.consent,
            pause_mode: pause_mode.to_string(),
            pauses: Vec::new(),
            location: self.recordings.location(&key),
            key,
            retain_until: now + self.settings.retention_days as u64 * DAY_MS,
            state: RecordingState::Recording,
            upload_id: None,
            waveform: Vec::new(),
        }
    }
}

fn spool_path(recordings: &dyn Recordings, id: &str) -> PathBuf {
    recordings.spool_dir().join(format!("{id}.wav"))
}

/// One recording being written.
struct Writing {
    store: Arc<dyn Store>,
    recordings: Arc<dyn Recordings>,
    clock: Arc<dyn Clock>,
    owner: String,
    recording: Recording,
    spool: PathBuf,
    upload: Upload,
}

impl Writing {
    async fn run(
        mut self,
        mut writer: WavWriter,
        mut audio: mpsc::UnboundedReceiver<RecordedAudio>,
    ) -> Option<Recording> {
        let mut paused: Option<(u64, u64)> = None; // (offset in the audio, clock) at the pause
        let mut write_error = None;
        let mut last_progress = tokio::time::Instant::now();
        while let Some(a) = audio.recv().await {
            match a {
                RecordedAudio::Frames { left, right } => {
                    if write_error.is_none() {
                        if let Err(e) = writer.write(&left, &right) {
                            tracing::error!(recording = %self.recording.id, error = %e, "recording write failed: the rest of the call is not recorded");
                            write_error = Some(e);
                        }
                    }
                }
                RecordedAudio::Paused => {
                    paused = Some((writer.duration_ms(), self.clock.now_ms()));
                }
                RecordedAudio::Resumed => self.close_pause(&mut paused).await,
            }
            if last_progress.elapsed() >= PROGRESS_EVERY {
                last_progress = tokio::time::Instant::now();
                if let Err(e) = self
                    .recordings
                    .upload_progress(&self.recording.key, &mut self.upload, &self.spool)
                    .await
                {
                    tracing::warn!(recording = %self.recording.id, error = %e, "recording upload behind; retried at the next step");
                }
            }
        }
        self.close_pause(&mut paused).await;
        if let Err(e) = writer.finish() {
            tracing::error!(recording = %self.recording.id, error = %e, "recording not finalised; recovered at the next start");
            return None;
        }
        let state = if write_error.is_some() {
            RecordingState::Interrupted
        } else {
            RecordingState::Complete
        };
        self.store_finished(state).await
    }

    /// Stores the finished spool file and writes the final metadata. While the server runs, a
    /// recordings store or database that is down is tried again with back-off until it takes
    /// them (a stop meanwhile leaves the spool file and the open metadata: start-up recovery
    /// finishes them).
    async fn store_finished(mut self, state: RecordingState) -> Option<Recording> {
        let now = self.clock.now_ms();
        let path = self.spool.clone();
        let summary = match tokio::task::spawn_blocking(move || summarize(&path)).await {
            Ok(Ok(summary)) => summary,
            Ok(Err(e)) => {
                tracing::error!(recording = %self.recording.id, error = %e, "recording not readable; recovered at the next start");
                recording_failed();
                return None;
            }
            Err(e) => {
                tracing::error!(recording = %self.recording.id, error = %e, "recording not summarised; recovered at the next start");
                recording_failed();
                return None;
            }
        };
        let mut wait = RETRY_FIRST;
        let bytes = loop {
            match self
                .recordings
                .complete(&self.recording.key, &mut self.upload, &self.spool)
                .await
            {
                Ok(bytes) => break bytes,
                Err(RecordingsError::Spool(e)) => {
                    tracing::error!(recording = %self.recording.id, error = %e, "recording file unreadable; recovered at the next start");
                    recording_failed();
                    return None;
                }
                Err(e) => {
                    tracing::warn!(recording = %self.recording.id, error = %e, retry_in_s = wait.as_secs(), "recordings store unavailable: the finished recording is kept and sent again");
                    recording_failed();
                    if self.upload.id != self.recording.upload_id {
                        // Recovery after a stop must abort the upload that is really open.
                        self.recording.upload_id = self.upload.id.clone();
                        let _ = self
                            .store
                            .update_recording(&self.owner, &self.recording)
                            .await;
                    }
                }
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(RETRY_MAX);
        };
        let recording = finished(self.recording, summary, bytes, state, now);
        let mut wait = RETRY_FIRST;
        while let Err(e) = self.store.update_recording(&self.owner, &recording).await {
            tracing::warn!(recording = %recording.id, error = %e, retry_in_s = wait.as_secs(), "store unavailable: the stored recording's metadata is written again");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(RETRY_MAX);
        }
        tracing::info!(recording = %recording.id, duration_ms = recording.duration_ms, bytes = recording.bytes, state = recording.state.as_str(), "recording stored");
        recording_stored(recording.bytes);
        Some(recording)
    }

    async fn close_pause(&mut self, paused: &mut Option<(u64, u64)>) {
        if let Some((offset_ms, at)) = paused.take() {
            self.recording.pauses.push(Pause {
                offset_ms,
                duration_ms: self.clock.now_ms().saturating_sub(at),
            });
            // Visible before the call ends.
            if let Err(e) = self
                .store
                .update_recording(&self.owner, &self.recording)
                .await
            {
                tracing::warn!(recording = %self.recording.id, error = %e, "pause not saved yet");
            }
        }
    }
}

/// What a finished spool file holds.
struct Summary {
    /// Bytes after the header.
    audio_bytes: u64,
    sha256: String,
    waveform: Vec<u8>,
}

/// Hashes a WAV file and draws its waveform, reading it once in blocks.
fn summarize(path: &Path) -> std::io::Result<Summary> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    summarize_from(file, len)
}

/// [`summarize`] for a recording of `len` bytes read from anywhere (a file, or a stored
/// object fetched into memory).
fn summarize_from(mut file: impl Read, len: u64) -> std::io::Result<Summary> {
    let audio_bytes = len.saturating_sub(wav::HEADER_LEN);
    let frames = audio_bytes / wav::BYTES_PER_FRAME as u64;
    let mut hash = Sha256::new();
    let mut picture = Waveform::new(frames, WAVEFORM_COLUMNS);
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0u64;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        // Audio starts after the header; frames may straddle blocks.
        let skip = wav::HEADER_LEN.saturating_sub(offset).min(n as u64) as usize;
        offset += n as u64;
        carry.extend_from_slice(&buf[skip..n]);
        let whole = carry.len() / 4 * 4;
        for f in carry[..whole].chunks_exact(4) {
            picture.push(
                i16::from_le_bytes([f[0], f[1]]),
                i16::from_le_bytes([f[2], f[3]]),
            );
        }
        carry.drain(..whole);
    }
    Ok(Summary {
        audio_bytes,
        sha256: format!("{:x}", hash.finalize()),
        waveform: picture.finish(),
    })
}

/// Stores a recovered spool file and writes the metadata's final shape.
async fn finalise(
    store: &dyn Store,
    recordings: &dyn Recordings,
    owner: &str,
    recording: Recording,
    spool: &Path,
    state: RecordingState,
    now: u64,
) -> Result<Recording, RecordError> {
    let path = spool.to_path_buf();
    let summary = tokio::task::spawn_blocking(move || summarize(&path))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    let bytes = recordings
        .complete(&recording.key, &mut Upload::default(), spool)
        .await?;
    let recording = finished(recording, summary, bytes, state, now);
    store.update_recording(owner, &recording).await?;
    Ok(recording)
}

/// A recording's final metadata, once its audio is stored (`bytes` of it, summed up in
/// `summary`).
fn finished(
    mut recording: Recording,
    summary: Summary,
    bytes: u64,
    state: RecordingState,
    now: u64,
) -> Recording {
    recording.duration_ms = duration_of(summary.audio_bytes);
    recording.ended_at = Some(match state {
        RecordingState::Complete => now,
        // The server stopped: the audio says when.
        _ => recording.started_at + recording.duration_ms,
    });
    recording.bytes = bytes;
    recording.sha256 = Some(summary.sha256);
    recording.waveform = summary.waveform;
    recording.state = state;
    recording.upload_id = None;
    recording
}

/// What start-up recovery did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Partial recordings finalised and marked interrupted.
    pub interrupted: u64,
    /// Metadata with no audio anywhere, removed (audited).
    pub lost: u64,
    /// Deletions a stop cut short, finished.
    pub deleted: u64,
    /// Spool files with no metadata, removed.
    pub orphans: u64,
}

/// Which recordings in progress a recovery pass takes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryScope<'a> {
    /// At this server's start, before any call: the recordings its last run left (it kept its
    /// id) and those of calls of no server; then half-done deletions and orphaned spool files.
    Start { server: &'a str },
    /// While servers run (the lease sweep): the recordings of calls whose server's lease ended.
    /// Their audio is in that server's spool: recovered if the spool is here (a shared data
    /// folder) or the audio reached the store, else the recording is dropped with a
    /// `recording_lost` audit entry (its call is closed as interrupted; docs/recording.md).
    Abandoned { server: &'a str },
}

/// Every recording the scope names is finalised from its spool file and marked interrupted
/// (or, with no audio anywhere, dropped with an audit entry); at start-up half-done deletions are finished and spool files nobody owns are
/// removed. Afterwards every file has metadata.
pub async fn recover(
    store: &dyn Store,
    recordings: &dyn Recordings,
    now: u64,
    scope: RecoveryScope<'_>,
) -> Result<Recovery, RecordError> {
    let mut done = Recovery::default();
    let live = store.live_servers(now).await?;
    // Spool files of recordings other servers are writing now (a shared data folder).
    let mut theirs = Vec::new();
    loop {
        let open = store
            .recordings_in_state(RecordingState::Recording, 1000)
            .await?;
        let mut handled = 0;
        for (owner, r) in open {
            let server = match store.get_call(&owner, &r.call_id).await? {
                Some(call) => call.server,
                None => None,
            };
            let take = match (scope, server.as_deref()) {
                (RecoveryScope::Start { .. }, None) => true,
                (RecoveryScope::Start { server: me }, Some(s)) => {
                    s == me || !live.iter().any(|l| l == s)
                }
                (RecoveryScope::Abandoned { .. }, None) => false,
                (RecoveryScope::Abandoned { server: me }, Some(s)) => {
                    s != me && !live.iter().any(|l| l == s)
                }
            };
            if !take {
                theirs.push(spool_path(recordings, &r.id));
                continue;
            }
            handled += 1;
            recover_one(store, recordings, &owner, r, now, &mut done).await?;
        }
        if handled == 0 {
            break;
        }
        theirs.clear();
    }
    if matches!(scope, RecoveryScope::Abandoned { .. }) {
        return Ok(done);
    }
    loop {
        let half_deleted = store
            .recordings_in_state(RecordingState::Deleting, 100)
            .await?;
        if half_deleted.is_empty() {
            break;
        }
        for (owner, r) in half_deleted {
            recordings.delete(&r.key).await?;
            store.delete_recording(&owner, &r.id).await?;
            done.deleted += 1;
        }
    }
    // Spool files whose recording is not being written: nothing refers to them.
    if let Ok(mut dir) = tokio::fs::read_dir(recordings.spool_dir()).await {
        while let Ok(Some(entry)) = dir.next_entry().await {
            if theirs.contains(&entry.path()) {
                continue;
            }
            tracing::warn!(file = %entry.path().display(), "spool file without a recording removed");
            let _ = tokio::fs::remove_file(entry.path()).await;
            done.orphans += 1;
        }
    }
    Ok(done)
}

/// Recovers one recording its writer left: from the spool file, from the store, or, when its
/// server's spool is elsewhere, closed as interrupted without audio.
async fn recover_one(
    store: &dyn Store,
    recordings: &dyn Recordings,
    owner: &str,
    r: Recording,
    now: u64,
    done: &mut Recovery,
) -> Result<(), RecordError> {
    let spool = spool_path(recordings, &r.id);
    if let Some(upload_id) = &r.upload_id {
        // Whatever parts went up are superseded by the whole file.
        if let Err(e) = recordings.abort(&r.key, upload_id).await {
            tracing::warn!(recording = %r.id, error = %e, "stale upload not aborted");
        }
    }
    let recovered = match tokio::fs::try_exists(&spool).await {
        Ok(true) => {
            let p = spool.clone();
            tokio::task::spawn_blocking(move || wav::recover(&p))
                .await
                .ok()
                .and_then(Result::ok)
        }
        _ => None,
    };
    if recovered.is_some() {
        let id = r.id.clone();
        finalise(
            store,
            recordings,
            owner,
            r,
            &spool,
            RecordingState::Interrupted,
            now,
        )
        .await?;
        tracing::warn!(recording = %id, "recording interrupted by the last stop: kept up to the stop");
        done.interrupted += 1;
    } else if recordings.size(&r.key).await?.is_some() {
        // Stored, but the stop came before the metadata said so.
        let mut r = r;
        let bytes = recordings.fetch(&r.key).await?;
        let summary = summarize_from(&bytes[..], bytes.len() as u64)?;
        r.bytes = bytes.len() as u64;
        r.sha256 = Some(summary.sha256);
        r.waveform = summary.waveform;
        r.duration_ms = duration_of(summary.audio_bytes);
        r.ended_at = Some(r.started_at + r.duration_ms);
        r.state = RecordingState::Interrupted;
        r.upload_id = None;
        store.update_recording(owner, &r).await?;
        done.interrupted += 1;
    } else {
        // Nothing was ever written, or it was written on a server that is gone (its spool):
        // no metadata without audio.
        let _ = tokio::fs::remove_file(&spool).await;
        store.delete_recording(owner, &r.id).await?;
        write_audit(
            store,
            owner,
            now,
            "recording_lost",
            format!(
                "recording {} of call {}: no audio survived the stop",
                r.id, r.call_id
            ),
        )
        .await;
        done.lost += 1;
    }
    Ok(())
}

pub use app::api::recordings::ssr::{delete, DeleteError};

/// One pass of the retention job: every recording past its date is deleted (audio and
/// metadata, audited as `recording_expired`). With `dry_run`, only lists them.
pub async fn retention_sweep(
    store: &dyn Store,
    recordings: &dyn Recordings,
    now: u64,
    dry_run: bool,
) -> Result<Vec<(String, Recording)>, RecordError> {
    let mut swept = Vec::new();
    loop {
        let expired = store.expired_recordings(now, 100).await?;
        if expired.is_empty() || dry_run {
            swept.extend(expired);
            return Ok(swept);
        }
        for (owner, r) in expired {
            match delete(store, recordings, &owner, &r.id, now, "recording_expired").await {
                Ok(_) | Err(DeleteError::NotFound) => {}
                Err(DeleteError::Store(e)) => return Err(e.into()),
                Err(DeleteError::Recordings(e)) => return Err(e.into()),
                Err(DeleteError::StillRecording) => {}
            }
            swept.push((owner, r));
        }
    }
}

/// Runs [`retention_sweep`] every `every` for as long as the server runs.
pub fn spawn_retention(
    store: Arc<dyn Store>,
    recordings: Arc<dyn Recordings>,
    clock: Arc<dyn Clock>,
    every: Duration,
) {
    tokio::spawn(async move {
        loop {
            match retention_sweep(store.as_ref(), recordings.as_ref(), clock.now_ms(), false).await
            {
                Ok(swept) if !swept.is_empty() => {
                    tracing::info!(
                        deleted = swept.len(),
                        "retention: expired recordings deleted"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention sweep failed; retried later"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// A recording stored: its bytes counted (`app::api::metrics::RECORDING_BYTES`).
pub(crate) fn recording_stored(bytes: u64) {
    metrics::counter!(app::api::metrics::RECORDING_BYTES.name).increment(bytes);
}

/// A recording (or one attempt to store it) failed (`app::api::metrics::RECORDING_FAILURES`).
pub(crate) fn recording_failed() {
    metrics::counter!(app::api::metrics::RECORDING_FAILURES.name).increment(1);
}
