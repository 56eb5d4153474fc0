//! Call recordings: their metadata, the user's recording preference and the waveform picture.
//! The audio itself lives in the recordings store (disk or S3); the gateway records it.

use serde::{Deserialize, Serialize};

/// Sample format of every recording (as Chime records): stereo WAV, 16-bit PCM, 8 kHz,
/// left = the called party, right = the agent.
pub const FORMAT: &str = "audio/wav; pcm_s16le; 8000 Hz; 2 ch (left: called party, right: agent)";
pub const CONTENT_TYPE: &str = "audio/wav";
/// Bytes per second of audio (8000 frames × 2 channels × 2 bytes).
pub const BYTES_PER_SECOND: u64 = 32_000;
/// Columns of the waveform picture (per channel).
pub const WAVEFORM_COLUMNS: usize = 240;

/// The user's choice of when calls are recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingMode {
    /// Every answered call, from the answer on.
    Always,
    /// The call screen asks when the call is answered; the record button works throughout.
    #[default]
    Ask,
    /// No recording, and no record button.
    Never,
}

impl RecordingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingMode::Always => "always",
            RecordingMode::Ask => "ask",
            RecordingMode::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<RecordingMode> {
        match s {
            "always" => Some(RecordingMode::Always),
            "ask" => Some(RecordingMode::Ask),
            "never" => Some(RecordingMode::Never),
            _ => None,
        }
    }
}

/// Per-user settings kept on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub recording: RecordingMode,
    /// A call placed through the REST API (click to dial from another app) waits for the agent
    /// to confirm it in the app before the microphone opens. On unless the user turns it off.
    #[serde(default = "yes")]
    pub confirm_api_calls: bool,
    /// Inbound calls skip this agent (`domain::inbound::Availability::DoNotDisturb`). Off
    /// unless the user turns it on.
    #[serde(default)]
    pub do_not_disturb: bool,
}

fn yes() -> bool {
    true
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            recording: RecordingMode::default(),
            confirm_api_calls: true,
            do_not_disturb: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingState {
    /// Being written now.
    Recording,
    /// Ended with the call (or stopped) and stored.
    Complete,
    /// The server stopped mid-recording; what was written up to then was kept.
    Interrupted,
    /// Being deleted (object first, then this record).
    Deleting,
}

impl RecordingState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingState::Recording => "recording",
            RecordingState::Complete => "complete",
            RecordingState::Interrupted => "interrupted",
            RecordingState::Deleting => "deleting",
        }
    }

    pub fn parse(s: &str) -> Option<RecordingState> {
        match s {
            "recording" => Some(RecordingState::Recording),
            "complete" => Some(RecordingState::Complete),
            "interrupted" => Some(RecordingState::Interrupted),
            "deleting" => Some(RecordingState::Deleting),
            _ => None,
        }
    }
}

/// A paused span: where it is in the recording and how long the call went on unrecorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Milliseconds into the recording's audio where the pause begins.
    pub offset_ms: u64,
    /// How long the pause lasted on the call's clock.
    pub duration_ms: u64,
}

/// What the called party was told when recording started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentNotice {
    /// Two 1400 Hz beeps.
    Tone,
    /// The beeps, then the operator's spoken notice.
    ToneAndSpoken,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    pub id: String,
    pub call_id: String,
    /// Milliseconds since the Unix epoch.
    pub started_at: u64,
    pub ended_at: Option<u64>,
    /// Length of the audio in the file.
    pub duration_ms: u64,
    pub bytes: u64,
    /// Hex SHA-256 of the stored file (known once it is complete).
    pub sha256: Option<String>,
    pub format: String,
    pub consent: ConsentNotice,
    /// What paused spans became: "silence" or "skip".
    pub pause_mode: String,
    pub pauses: Vec<Pause>,
    /// Where the audio is: the recordings store's kind and key, e.g. `disk:2026/11/25/<id>.wav`
    /// or `s3://bucket/2026/11/25/<id>.wav`.
    pub location: String,
    /// The object key in the recordings store (no phone numbers in it).
    pub key: String,
    /// After this (ms since the epoch) the retention job deletes the recording.
    pub retain_until: u64,
    pub state: RecordingState,
    /// The S3 multipart upload in progress, so a crash can abort it.
    pub upload_id: Option<String>,
    /// Peaks per column, left then right ([`WAVEFORM_COLUMNS`] each), 0–255.
    pub waveform: Vec<u8>,
}

impl Recording {
    /// The object key for a recording started at `started_at`: date folders and the id only.
    pub fn key_for(id: &str, started_at: u64) -> String {
        let (y, m, d) = civil_date(started_at / 1000);
        format!("{y:04}/{m:02}/{d:02}/{id}.wav")
    }

    pub fn is_playable(&self) -> bool {
        matches!(
            self.state,
            RecordingState::Complete | RecordingState::Interrupted
        )
    }
}

/// Duration of a WAV body of `bytes` (after the 44-byte header).
pub fn duration_of(data_bytes: u64) -> u64 {
    data_bytes * 1000 / BYTES_PER_SECOND
}

/// The picture drawn under the player: the peak level of each channel per column on a
/// decibel scale (0 = −60 dBFS or quieter, 255 = full scale), so quiet speech shows as well
/// as loud. Built as the audio streams past (a recording may not fit in memory).
pub struct Waveform {
    columns: usize,
    frames: u64,
    seen: u64,
    peaks: Vec<u8>,
}

impl Waveform {
    /// For a recording of `frames` stereo frames.
    pub fn new(frames: u64, columns: usize) -> Waveform {
        Waveform {
            columns,
            frames: frames.max(1),
            seen: 0,
            peaks: vec![0; columns * 2],
        }
    }

    pub fn push(&mut self, left: i16, right: i16) {
        if self.columns == 0 {
            return;
        }
        let col = ((self.seen * self.columns as u64 / self.frames) as usize).min(self.columns - 1);
        self.seen += 1;
        for (ch, s) in [left, right].into_iter().enumerate() {
            let slot = &mut self.peaks[ch * self.columns + col];
            *slot = (*slot).max(level(s));
        }
    }

    /// Left channel's columns, then the right's.
    pub fn finish(self) -> Vec<u8> {
        self.peaks
    }
}

/// A sample's level: 0 at −60 dBFS or below, 255 at full scale.
fn level(sample: i16) -> u8 {
    let a = sample.unsigned_abs() as f32 / 32768.0;
    if a <= 0.001 {
        return 0;
    }
    let db = 20.0 * a.log10();
    ((db + 60.0) / 60.0 * 255.0).round().clamp(0.0, 255.0) as u8
}

/// A size for people: `1.9 MB`, `640 kB`.
pub fn format_size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    } else {
        format!("{} kB", bytes.div_ceil(1000))
    }
}

/// A moment as `2026-11-25 22:20 UTC` (the same on the server and in the browser).
pub fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (y, m, d) = civil_date(secs);
    let (h, min) = ((secs / 3600) % 24, (secs / 60) % 60);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02} UTC")
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(crate) fn civil_date(secs: u64) -> (i64, u32, u32) {
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Waveform`] of interleaved stereo samples in one go.
    fn waveform(interleaved: &[i16], columns: usize) -> Vec<u8> {
        let mut w = Waveform::new(interleaved.len() as u64 / 2, columns);
        for frame in interleaved.chunks_exact(2) {
            w.push(frame[0], frame[1]);
        }
        w.finish()
    }

    #[test]
    fn keys_hold_the_date_and_id_only() {
        // 2026-11-25T22:20:17Z
        assert_eq!(
            Recording::key_for("r1", 1_795_645_217_000),
            "2026/11/25/r1.wav"
        );
        assert_eq!(Recording::key_for("r2", 0), "1970/01/01/r2.wav");
        // A leap day.
        assert_eq!(
            Recording::key_for("r3", 1_709_208_000_000),
            "2024/02/29/r3.wav"
        );
    }

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(format_size(1_920_044), "1.9 MB");
        assert_eq!(format_size(640_044), "641 kB");
        assert_eq!(format_size(44), "1 kB");
        assert_eq!(format_utc(1_795_645_217_000), "2026-11-25 22:20 UTC");
    }

    #[test]
    fn modes_and_states_round_trip_their_names() {
        for m in [
            RecordingMode::Always,
            RecordingMode::Ask,
            RecordingMode::Never,
        ] {
            assert_eq!(RecordingMode::parse(m.as_str()), Some(m));
        }
        for s in [
            RecordingState::Recording,
            RecordingState::Complete,
            RecordingState::Interrupted,
            RecordingState::Deleting,
        ] {
            assert_eq!(RecordingState::parse(s.as_str()), Some(s));
        }
        assert_eq!(RecordingMode::parse("sometimes"), None);
    }

    #[test]
    fn the_waveform_shows_each_channel_s_peaks() {
        // Left loud in the first half, right loud in the second.
        let mut s = Vec::new();
        for i in 0..1000 {
            if i < 500 {
                s.extend([32000i16, 0]);
            } else {
                s.extend([0, -16000]);
            }
        }
        let w = waveform(&s, 10);
        assert_eq!(w.len(), 20);
        assert!(w[..5].iter().all(|&v| v >= 253), "{w:?}");
        assert!(w[5..10].iter().all(|&v| v == 0));
        assert!(w[10..15].iter().all(|&v| v == 0));
        // −6 dB: nine tenths of the height.
        assert!(w[15..].iter().all(|&v| (226..=230).contains(&v)), "{w:?}");
        // −30 dB (quiet speech) still shows at half height; −70 dB does not.
        assert_eq!(level(1036), 127);
        assert_eq!(level(10), 0);
        assert_eq!(duration_of(32_000 * 3 + 16_000), 3500);
    }
}
