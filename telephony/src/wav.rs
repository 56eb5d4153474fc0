//! Crash-safe stereo WAV for call recordings: 16-bit PCM, 8 kHz, left = called party, right =
//! agent (as Chime records). Frames are collected for a second, then appended and the header's
//! sizes rewritten in place (two writes a second per call instead of fifty), so a crash loses
//! at most that second, and [`recover`] finalises any partial file found after a restart.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

pub const SAMPLE_RATE: u32 = 8000;
pub const CHANNELS: u16 = 2;
pub const BYTES_PER_FRAME: u32 = 4;
pub const HEADER_LEN: u64 = 44;
/// Header sizes are brought up to date after this many frames (one second).
const SYNC_EVERY: u64 = SAMPLE_RATE as u64;

fn header(data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&CHANNELS.to_le_bytes());
    h[24..28].copy_from_slice(&SAMPLE_RATE.to_le_bytes());
    h[28..32].copy_from_slice(&(SAMPLE_RATE * BYTES_PER_FRAME).to_le_bytes());
    h[32..34].copy_from_slice(&(BYTES_PER_FRAME as u16).to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// Streams a stereo recording to a file.
pub struct WavWriter {
    file: File,
    frames: u64,
    since_sync: u64,
    buf: Vec<u8>,
}

impl WavWriter {
    /// Creates the file (it must not exist: a recording is never overwritten).
    pub fn create(path: &Path) -> io::Result<WavWriter> {
        let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
        file.write_all(&header(0))?;
        Ok(WavWriter {
            file,
            frames: 0,
            since_sync: 0,
            buf: Vec::with_capacity((SYNC_EVERY + 160) as usize * BYTES_PER_FRAME as usize),
        })
    }

    /// Appends frames: `left[i]` (called party) and `right[i]` (agent) side by side; the
    /// shorter side is padded with silence.
    pub fn write(&mut self, left: &[i16], right: &[i16]) -> io::Result<()> {
        let n = left.len().max(right.len());
        for i in 0..n {
            self.buf
                .extend_from_slice(&left.get(i).copied().unwrap_or(0).to_le_bytes());
            self.buf
                .extend_from_slice(&right.get(i).copied().unwrap_or(0).to_le_bytes());
        }
        self.frames += n as u64;
        self.since_sync += n as u64;
        if self.since_sync >= SYNC_EVERY {
            self.since_sync = 0;
            self.sync()?;
        }
        Ok(())
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn duration_ms(&self) -> u64 {
        self.frames * 1000 / SAMPLE_RATE as u64
    }

    /// The collected frames onto the file, then the header's sizes for them.
    fn sync(&mut self) -> io::Result<()> {
        self.file.write_all(&self.buf)?;
        self.buf.clear();
        let data_len = (self.frames * BYTES_PER_FRAME as u64).min(u32::MAX as u64 - 36) as u32;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&header(data_len))?;
        self.file.seek(SeekFrom::End(0))?;
        Ok(())
    }

    /// Final sizes, flushed to the disk; returns the number of frames.
    pub fn finish(mut self) -> io::Result<u64> {
        self.sync()?;
        self.file.sync_all()?;
        Ok(self.frames)
    }
}

/// What [`recover`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recovered {
    pub frames: u64,
    /// Bytes of a torn last frame that were cut off.
    pub trimmed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("not one of our recordings (no WAV header)")]
    NotOurs,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Finalises a recording left by a crash: drops a torn last frame and writes the header's sizes
/// for what the file holds. A file that was finished already is left as it is.
pub fn recover(path: &Path) -> Result<Recovered, RecoverError> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let mut head = [0u8; 44];
    if file.read_exact(&mut head).is_err() || &head[0..4] != b"RIFF" || &head[8..16] != b"WAVEfmt "
    {
        return Err(RecoverError::NotOurs);
    }
    let len = file.metadata()?.len();
    let data = len - HEADER_LEN;
    let trimmed = data % BYTES_PER_FRAME as u64;
    let data = data - trimmed;
    if trimmed > 0 {
        file.set_len(HEADER_LEN + data)?;
    }
    let data_len = data.min(u32::MAX as u64 - 36) as u32;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header(data_len))?;
    file.sync_all()?;
    Ok(Recovered {
        frames: data / BYTES_PER_FRAME as u64,
        trimmed,
    })
}

/// Reads a recording back: (left, right) samples. For tests, checks and the waveform picture.
pub fn read(path: &Path) -> io::Result<(Vec<i16>, Vec<i16>)> {
    let bytes = std::fs::read(path)?;
    if bytes.len() < HEADER_LEN as usize || &bytes[0..4] != b"RIFF" {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "not a WAV file"));
    }
    let declared = u32::from_le_bytes([bytes[40], bytes[41], bytes[42], bytes[43]]) as usize;
    let data = &bytes[HEADER_LEN as usize..];
    let data = &data[..declared.min(data.len())];
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for frame in data.chunks_exact(BYTES_PER_FRAME as usize) {
        left.push(i16::from_le_bytes([frame[0], frame[1]]));
        right.push(i16::from_le_bytes([frame[2], frame[3]]));
    }
    Ok((left, right))
}

/// Where a WAV file's audio is and how it is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// 1 is integer PCM.
    pub format: u16,
    pub channels: u16,
    pub sample_rate: u32,
    pub bits: u16,
    /// The `data` chunk's bytes (cut short where the file is).
    pub data: std::ops::Range<usize>,
}

impl Layout {
    /// Whether this is 16-bit integer PCM with `channels` channels.
    pub fn is_pcm16(&self, channels: u16) -> bool {
        self.format == 1 && self.channels == channels && self.bits == 16
    }

    /// How long the audio plays.
    pub fn duration_ms(&self) -> u64 {
        let bytes_per_second =
            u64::from(self.sample_rate) * u64::from(self.channels) * u64::from(self.bits / 8);
        (self.data.len() as u64 * 1000)
            .checked_div(bytes_per_second)
            .unwrap_or(0)
    }
}

/// Walks a WAV file's RIFF chunks to its `fmt ` and `data` chunks (other chunks, such as
/// `LIST`, may come first). The error says what is missing.
pub fn layout(bytes: &[u8]) -> Result<Layout, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a WAV file (no RIFF/WAVE header)".into());
    }
    let mut at = 12;
    let mut format = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        let body = (at + 8)..(at + 8).saturating_add(len).min(bytes.len());
        match id {
            b"fmt " if body.len() >= 16 => {
                let body = &bytes[body];
                let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
                let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                format = Some((u16_at(0), u16_at(2), rate, u16_at(14)));
            }
            b"data" => {
                let Some((format, channels, sample_rate, bits)) = format else {
                    return Err("no fmt chunk before the data".into());
                };
                return Ok(Layout {
                    format,
                    channels,
                    sample_rate,
                    bits,
                    data: body,
                });
            }
            _ => {}
        }
        at = at
            .saturating_add(8)
            .saturating_add(len)
            .saturating_add(len & 1);
    }
    Err("no data chunk".into())
}

/// Parses a spoken notice: a WAV file of 16-bit PCM, mono, 8 kHz (what the gateway sends
/// without resampling). The error says what the file is instead.
pub fn parse_mono_8k(bytes: &[u8]) -> Result<Vec<i16>, String> {
    let layout = layout(bytes)?;
    if !layout.is_pcm16(1) || layout.sample_rate != SAMPLE_RATE {
        return Err(format!(
            "format {}, {} channel(s), {} Hz, {}-bit: it must be PCM (1), mono, 8000 Hz, 16-bit",
            layout.format, layout.channels, layout.sample_rate, layout.bits
        ));
    }
    Ok(bytes[layout.data]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

/// A mono 8 kHz 16-bit PCM WAV file of `samples` (a notice for a service that plays files).
pub fn mono_8k(samples: &[i16]) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = header(data_len).to_vec();
    out[22..24].copy_from_slice(&1u16.to_le_bytes());
    out[28..32].copy_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    out[32..34].copy_from_slice(&2u16.to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("softphone-wav-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("call.wav")
    }

    #[test]
    fn a_finished_recording_reads_back_exactly() {
        let path = temp("finished");
        let mut w = WavWriter::create(&path).unwrap();
        let left: Vec<i16> = (0..160).map(|i| i * 10).collect();
        let right: Vec<i16> = (0..160).map(|i| -i).collect();
        for _ in 0..100 {
            w.write(&left, &right).unwrap();
        }
        assert_eq!(w.duration_ms(), 2000);
        assert_eq!(w.finish().unwrap(), 16_000);
        let (l, r) = read(&path).unwrap();
        assert_eq!(l.len(), 16_000);
        assert_eq!(&l[..160], &left[..]);
        assert_eq!(&r[..160], &right[..]);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 44 + 16_000 * 4);
        assert_eq!(
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()),
            36 + 64_000
        );
        assert_eq!(u16::from_le_bytes(bytes[22..24].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), 8000);
        // Never overwritten.
        assert!(WavWriter::create(&path).is_err());
    }

    #[test]
    fn the_shorter_side_is_padded_with_silence() {
        let path = temp("padded");
        let mut w = WavWriter::create(&path).unwrap();
        w.write(&[1, 2, 3], &[9]).unwrap();
        w.finish().unwrap();
        assert_eq!(read(&path).unwrap(), (vec![1, 2, 3], vec![9, 0, 0]));
    }

    #[test]
    fn a_crash_leaves_a_file_that_recovers_to_a_valid_wav() {
        let path = temp("crash");
        let mut w = WavWriter::create(&path).unwrap();
        for _ in 0..125 {
            // 2.5 s of audio: the file was last brought up to date at 2 s.
            w.write(&[7; 160], &[-7; 160]).unwrap();
        }
        drop(w); // the process dies: no finish, the last half second is lost
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        // A torn last frame, as a crash mid-write can leave.
        f.write_all(&[1, 2, 3]).unwrap();
        drop(f);
        let declared =
            u32::from_le_bytes(std::fs::read(&path).unwrap()[40..44].try_into().unwrap());
        assert_eq!(
            declared,
            16_000 * 4,
            "sizes were synced at the last full second"
        );
        let r = recover(&path).unwrap();
        assert_eq!(
            r,
            Recovered {
                frames: 16_000,
                trimmed: 3
            }
        );
        let (l, rr) = read(&path).unwrap();
        assert_eq!((l.len(), rr.len()), (16_000, 16_000));
        assert!(l.iter().all(|&s| s == 7) && rr.iter().all(|&s| s == -7));
        // Recovering again changes nothing.
        assert_eq!(
            recover(&path).unwrap(),
            Recovered {
                frames: 16_000,
                trimmed: 0
            }
        );
    }

    #[test]
    fn a_mono_notice_file_reads_back_and_lays_out() {
        let samples = [0i16, 1, -1, i16::MAX, i16::MIN, 300];
        let file = mono_8k(&samples);
        assert_eq!(parse_mono_8k(&file).unwrap(), samples);
        let laid_out = layout(&file).unwrap();
        assert!(laid_out.is_pcm16(1) && !laid_out.is_pcm16(2));
        assert_eq!(laid_out.data, 44..56);
        // 8000 samples of 2 bytes: one second.
        assert_eq!(layout(&mono_8k(&[0; 8000])).unwrap().duration_ms(), 1000);
        assert_eq!(layout(&file[..40]).unwrap_err(), "no data chunk");
    }

    #[test]
    fn a_spoken_notice_must_be_mono_8k_pcm() {
        // Our own stereo writer's output is refused with what it is.
        let path = temp("notice");
        let mut w = WavWriter::create(&path).unwrap();
        w.write(&[1, 2], &[3, 4]).unwrap();
        w.finish().unwrap();
        let stereo = std::fs::read(&path).unwrap();
        let e = parse_mono_8k(&stereo).unwrap_err();
        assert!(e.contains("2 channel(s)"), "{e}");
        // The same header made mono, with an extra chunk before the data.
        let mut mono = stereo[..36].to_vec();
        mono[22] = 1;
        mono.extend_from_slice(b"LIST\x03\0\0\0abc\0");
        mono.extend_from_slice(b"data\x04\0\0\0");
        mono.extend_from_slice(&[0x10, 0, 0xf0, 0xff]);
        assert_eq!(parse_mono_8k(&mono).unwrap(), vec![16, -16]);
        assert!(parse_mono_8k(b"hello").is_err());
        assert!(parse_mono_8k(&mono[..36]).is_err());
    }

    #[test]
    fn recovery_refuses_files_that_are_not_recordings() {
        let path = temp("junk");
        std::fs::write(&path, b"not a wav at all, not even close to one ......").unwrap();
        assert!(matches!(recover(&path), Err(RecoverError::NotOurs)));
        std::fs::write(&path, b"RIFF").unwrap();
        assert!(matches!(recover(&path), Err(RecoverError::NotOurs)));
        assert!(read(&path).is_err());
    }
}
