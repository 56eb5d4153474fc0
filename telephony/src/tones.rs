//! Tones at 8 kHz: generation (ringback, greeting, DTMF read-back) and detection (Goertzel),
//! used by the gateway, the PSTN simulator and the tests that listen to real audio.

use std::f32::consts::PI;

pub const SAMPLE_RATE: f32 = 8000.0;
/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;

/// A steady mix of sine waves, continuous across frames (no clicks at frame edges).
#[derive(Clone, Debug)]
pub struct ToneGenerator {
    freqs: Vec<f32>,
    amplitude: f32,
    sample: u64,
}

impl ToneGenerator {
    /// `amplitude` is the peak of each component, as a fraction of full scale.
    pub fn new(freqs: &[f32], amplitude: f32) -> Self {
        ToneGenerator {
            freqs: freqs.to_vec(),
            amplitude,
            sample: 0,
        }
    }

    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out.iter_mut() {
            let t = self.sample as f32 / SAMPLE_RATE;
            let v: f32 = self
                .freqs
                .iter()
                .map(|f| (2.0 * PI * f * t).sin())
                .sum::<f32>()
                * self.amplitude
                * 32767.0;
            *s = v.clamp(-32768.0, 32767.0) as i16;
            self.sample += 1;
        }
    }

    pub fn frame(&mut self) -> [i16; FRAME_SAMPLES] {
        let mut out = [0i16; FRAME_SAMPLES];
        self.fill(&mut out);
        out
    }
}

/// A decaying note: `freq` with a quieter octave above, fading to silence over `ms`.
fn note(out: &mut Vec<i16>, freq: f32, ms: u32, amplitude: f32) {
    let n = (SAMPLE_RATE as u32 * ms / 1000) as usize;
    for i in 0..n {
        let t = i as f32 / SAMPLE_RATE;
        let fade = (-4.0 * i as f32 / n as f32).exp();
        // A 5 ms attack: no click at the start.
        let attack = (i as f32 / (0.005 * SAMPLE_RATE)).min(1.0);
        let wave = (2.0 * PI * freq * t).sin() + 0.3 * (2.0 * PI * 2.0 * freq * t).sin();
        out.push((wave / 1.3 * fade * attack * amplitude * 32767.0) as i16);
    }
}

fn silence(out: &mut Vec<i16>, ms: u32) {
    out.extend(std::iter::repeat_n(
        0,
        (SAMPLE_RATE as u32 * ms / 1000) as usize,
    ));
}

/// The ringtone of a call in, one 4 s cycle to loop: two two-note chimes (A5 then E5), then
/// quiet. Our own sound (`public/sounds/ringtone.wav` is made from it).
pub fn ringtone() -> Vec<i16> {
    let mut out = Vec::new();
    for _ in 0..2 {
        note(&mut out, 880.0, 350, 0.5);
        note(&mut out, 659.25, 500, 0.5);
        silence(&mut out, 150);
    }
    silence(&mut out, 4000 - 2000);
    out
}

/// The call-waiting tone, one 5 s cycle to loop: two short soft beeps at 440 Hz, then quiet
/// (heard over a call, it must not drown the conversation). `public/sounds/call-waiting.wav`.
pub fn call_waiting_tone() -> Vec<i16> {
    let mut out = Vec::new();
    let beep = ToneGenerator::new(&[440.0], 0.2);
    for _ in 0..2 {
        let mut gen = beep.clone();
        let mut samples = vec![0i16; (SAMPLE_RATE * 0.25) as usize];
        gen.fill(&mut samples);
        out.extend(samples);
        silence(&mut out, 150);
    }
    silence(&mut out, 5000 - 800);
    out
}

/// The notes of [`hold_music`]: four chords (C, A minor, F, G major), each arpeggiated over
/// 2 s, every note inside the telephone band (300–3400 Hz) so a call carries all of it.
pub const HOLD_MUSIC_CHORDS: [[f32; 4]; 4] = [
    [523.25, 659.25, 783.99, 659.25],
    [440.0, 523.25, 659.25, 523.25],
    [349.23, 440.0, 523.25, 440.0],
    [392.0, 493.88, 587.33, 493.88],
];

/// Music on hold, one 8 s loop: a soft arpeggio over [`HOLD_MUSIC_CHORDS`], 250 ms a note,
/// each note fading as the next begins. Our own sound, made here; the gateway loops it to a
/// held caller (a deployment may play its own file instead, `docs/telephony.md`).
pub fn hold_music() -> Vec<i16> {
    let mut out = Vec::with_capacity(8 * SAMPLE_RATE as usize);
    for chord in HOLD_MUSIC_CHORDS {
        for _ in 0..2 {
            for freq in chord {
                note(&mut out, freq, 250, 0.3);
            }
        }
    }
    out
}

/// The special information tone (ITU-T E.180): 913.8, 1370.6 and 1776.7 Hz, 276, 276 and
/// 380 ms, the signal networks play before "the call cannot be completed". What a caller hears
/// when no recorded message is configured, twice with a second between.
pub fn special_information_tone() -> Vec<i16> {
    let mut out = Vec::new();
    for round in 0..2 {
        if round > 0 {
            silence(&mut out, 1000);
        }
        for (freq, ms) in [(913.8, 276), (1370.6, 276), (1776.7, 380)] {
            let mut tone = ToneGenerator::new(&[freq], 0.25);
            let mut samples = vec![0i16; (SAMPLE_RATE as u32 * ms / 1000) as usize];
            tone.fill(&mut samples);
            out.extend(samples);
        }
    }
    out
}

/// The two frequencies of a DTMF key (Q.23), or `None` for anything else.
pub fn dtmf_freqs(digit: char) -> Option<(f32, f32)> {
    const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let (r, c) = match digit.to_ascii_uppercase() {
        '1' => (0, 0),
        '2' => (0, 1),
        '3' => (0, 2),
        'A' => (0, 3),
        '4' => (1, 0),
        '5' => (1, 1),
        '6' => (1, 2),
        'B' => (1, 3),
        '7' => (2, 0),
        '8' => (2, 1),
        '9' => (2, 2),
        'C' => (2, 3),
        '*' => (3, 0),
        '0' => (3, 1),
        '#' => (3, 2),
        'D' => (3, 3),
        _ => return None,
    };
    Some((ROWS[r], COLS[c]))
}

/// The RFC 4733 event code of a DTMF key.
pub fn dtmf_event(digit: char) -> Option<u8> {
    match digit.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}

/// The DTMF key of an RFC 4733 event code.
pub fn dtmf_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some((b'0' + event) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + event - 12) as char),
        _ => None,
    }
}

/// Power of `freq` in `samples` (Goertzel), normalised so a full-scale sine gives ~0.25.
pub fn goertzel(samples: &[i16], freq: f32) -> f32 {
    let n = samples.len() as f32;
    let coeff = 2.0 * (2.0 * PI * freq / SAMPLE_RATE).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x as f32 / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n)
}

/// Mean power of `samples` (a full-scale sine gives 0.5).
pub fn power(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    samples
        .iter()
        .map(|&x| {
            let v = x as f32 / 32768.0;
            v * v
        })
        .sum::<f32>()
        / samples.len() as f32
}

/// Share of the signal's power at `freq` (0..1): near 1 for a clean tone at that frequency.
pub fn tone_purity(samples: &[i16], freq: f32) -> f32 {
    let total = power(samples);
    if total <= 0.0 {
        return 0.0;
    }
    // A sine of amplitude A has mean power A²/2 and normalised Goertzel power A²/4.
    (2.0 * goertzel(samples, freq) / total).min(1.0)
}

/// How much of the audio's power is at the hold music's notes and their octaves: per 125 ms
/// block (one note, or the end of one and the start of the next), the shares of all of them
/// together. About 0.6 for the music (each note fades: a fading tone is not all at its
/// frequency in a block), near 0 for a tone or noise.
pub fn hold_music_share(samples: &[i16]) -> f32 {
    let mut notes: Vec<f32> = HOLD_MUSIC_CHORDS
        .iter()
        .flatten()
        .flat_map(|f| [*f, 2.0 * f])
        .collect();
    notes.sort_by(f32::total_cmp);
    notes.dedup();
    let blocks: Vec<f32> = samples
        .chunks_exact(1000)
        .map(|block| notes.iter().map(|f| tone_purity(block, *f)).sum())
        .collect();
    blocks.iter().sum::<f32>() / blocks.len().max(1) as f32
}

/// Detects DTMF keys in a stream of 20 ms blocks; a key is reported once, when it has been
/// present for two blocks in a row (40 ms, the Q.24 minimum), and again only after a pause.
#[derive(Debug, Default)]
pub struct DtmfDetector {
    current: Option<char>,
    candidate: Option<char>,
    reported: bool,
}

impl DtmfDetector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one block (ideally 160 samples); returns a key when one is recognised.
    pub fn push(&mut self, block: &[i16]) -> Option<char> {
        let key = classify_block(block);
        if key != self.candidate {
            self.candidate = key;
            self.reported = false;
            return None;
        }
        if key.is_some() && !self.reported && self.current != key {
            self.reported = true;
            self.current = key;
            return key;
        }
        if key.is_none() {
            self.current = None;
        }
        None
    }
}

fn classify_block(block: &[i16]) -> Option<char> {
    const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    const KEYS: [[char; 4]; 4] = [
        ['1', '2', '3', 'A'],
        ['4', '5', '6', 'B'],
        ['7', '8', '9', 'C'],
        ['*', '0', '#', 'D'],
    ];
    let total = power(block);
    // Quieter than about -40 dBFS: nothing to detect.
    if total < 1e-4 {
        return None;
    }
    let best = |freqs: &[f32; 4]| {
        let powers: Vec<f32> = freqs.iter().map(|&f| goertzel(block, f)).collect();
        let (i, &p) = powers
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        // The winner must clearly dominate its group.
        let others = powers.iter().enumerate().filter(|(j, _)| *j != i);
        if others.into_iter().any(|(_, &q)| q * 6.0 > p) {
            return None;
        }
        Some((i, p))
    };
    let (r, pr) = best(&ROWS)?;
    let (c, pc) = best(&COLS)?;
    // Both tones together carry most of the power (2 × Goertzel ≈ mean power of a sine).
    if 2.0 * (pr + pc) < 0.6 * total {
        return None;
    }
    // Twist: neither tone more than ~8 dB stronger than the other.
    if pr > pc * 6.3 || pc > pr * 6.3 {
        return None;
    }
    Some(KEYS[r][c])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_blocks(digit: char, blocks: usize) -> Vec<[i16; FRAME_SAMPLES]> {
        let (lo, hi) = dtmf_freqs(digit).unwrap();
        let mut g = ToneGenerator::new(&[lo, hi], 0.3);
        (0..blocks).map(|_| g.frame()).collect()
    }

    #[test]
    fn goertzel_finds_a_tone_and_ignores_others() {
        let mut g = ToneGenerator::new(&[1000.0], 0.5);
        let f: Vec<i16> = (0..4).flat_map(|_| g.frame()).collect();
        assert!(tone_purity(&f, 1000.0) > 0.9, "{}", tone_purity(&f, 1000.0));
        assert!(tone_purity(&f, 440.0) < 0.05);
    }

    #[test]
    fn every_key_is_detected_once() {
        for digit in "0123456789*#ABCD".chars() {
            let mut d = DtmfDetector::new();
            let mut got = Vec::new();
            for b in key_blocks(digit, 5) {
                got.extend(d.push(&b));
            }
            for _ in 0..3 {
                got.extend(d.push(&[0; FRAME_SAMPLES]));
            }
            assert_eq!(got, vec![digit]);
        }
    }

    #[test]
    fn a_repeated_key_needs_a_pause_between() {
        let mut d = DtmfDetector::new();
        let mut got = Vec::new();
        for _ in 0..2 {
            for b in key_blocks('5', 4) {
                got.extend(d.push(&b));
            }
            for _ in 0..3 {
                got.extend(d.push(&[0; FRAME_SAMPLES]));
            }
        }
        assert_eq!(got, vec!['5', '5']);
    }

    #[test]
    fn speech_like_single_tones_are_not_keys() {
        let mut d = DtmfDetector::new();
        let mut g = ToneGenerator::new(&[440.0], 0.5);
        for _ in 0..20 {
            assert_eq!(d.push(&g.frame()), None);
        }
        let mut g = ToneGenerator::new(&[697.0], 0.5);
        for _ in 0..20 {
            assert_eq!(d.push(&g.frame()), None);
        }
    }

    #[test]
    fn event_codes_map_both_ways() {
        for digit in "0123456789*#ABCD".chars() {
            assert_eq!(dtmf_digit(dtmf_event(digit).unwrap()), Some(digit));
        }
        assert_eq!(dtmf_event('x'), None);
        assert_eq!(dtmf_digit(16), None);
    }
}
