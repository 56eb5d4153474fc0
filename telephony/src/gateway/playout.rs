//! What the bridge plays toward the browser besides the trunk's audio: the output clock that
//! keeps timestamps continuous across sources, and ringback with the callee country's cadence.

use crate::tones::{ToneGenerator, FRAME_SAMPLES};

/// The largest step between two trunk packets still taken as the same run of audio (2 s at
/// 8 kHz): anything further is a new stream or a jump, and the browser's clock moves on by one
/// frame instead.
const MAX_STEP: i64 = 16_000;

/// Timestamps toward the browser: continuous across ringback and trunk audio, and within a run
/// of trunk audio as the trunk timed it. A gap (a lost packet) stays a gap, and a packet that
/// arrives late (overtaken on the way) goes back to its own place, before the latest, so the
/// browser's jitter buffer can put it in order; it must not push the clock on, or every
/// reordering would stretch the browser's timeline by a frame.
#[derive(Debug, Default)]
pub(crate) struct OutClock {
    /// The latest timestamp handed out.
    now: u64,
    run: Option<Run>,
}

/// A run of trunk audio: the source timestamp placed at [`OutClock::now`], and where the run
/// began on our clock (a late packet goes no earlier: before it lie our own frames).
#[derive(Clone, Copy, Debug)]
struct Run {
    latest_source: u32,
    start: u64,
}

impl OutClock {
    /// The next frame of our own (ringback, silence): one frame on, and a trunk packet after it
    /// begins a new run.
    pub(crate) fn next_frame(&mut self, samples: u64) -> u64 {
        self.run = None;
        self.now += samples;
        self.now
    }

    /// The next packet comes from another source (a consultation's target, the customer
    /// again): it begins a new run one frame on, whatever its timestamp.
    pub(crate) fn new_run(&mut self) {
        self.run = None;
    }

    /// A trunk packet's place: by its own timestamp's step from the latest one in the run, or
    /// one frame on when it begins a run (the first packet, after our own frames, after a
    /// jump). `None` for one that cannot be placed: a duplicate, or late from before the run
    /// began.
    pub(crate) fn place(&mut self, source_ts: u32, samples: u64) -> Option<u64> {
        if let Some(run) = self.run.as_mut() {
            let step = i64::from(source_ts.wrapping_sub(run.latest_source) as i32);
            if step > 0 && step < MAX_STEP {
                run.latest_source = source_ts;
                self.now += step as u64;
                return Some(self.now);
            }
            if step < 0 && step > -MAX_STEP {
                let at = self.now.checked_sub(step.unsigned_abs())?;
                return (at >= run.start).then_some(at);
            }
            if step == 0 {
                return None;
            }
        }
        self.now += samples;
        self.run = Some(Run {
            latest_source: source_ts,
            start: self.now,
        });
        Some(self.now)
    }
}

/// Ringback (ITU-T E.180) with the callee country's cadence.
#[derive(Debug)]
pub(crate) struct Ringback {
    tone: ToneGenerator,
    /// (on, off) pairs in 20 ms frames.
    cadence: &'static [(u32, u32)],
    position: u32,
}

impl Ringback {
    pub(crate) fn for_number(e164: &str) -> Ringback {
        // Singapore: 425 Hz, 0.4 on 0.2 off 0.4 on 2 off. Panama: 425 Hz, 1 on 4 off.
        const SG: &[(u32, u32)] = &[(20, 10), (20, 100)];
        const PA: &[(u32, u32)] = &[(50, 200)];
        let cadence = if e164.starts_with("+65") { SG } else { PA };
        Ringback {
            tone: ToneGenerator::new(&[425.0], 0.2),
            cadence,
            position: 0,
        }
    }

    pub(crate) fn frame(&mut self) -> [i16; FRAME_SAMPLES] {
        let period: u32 = self.cadence.iter().map(|(a, b)| a + b).sum();
        let mut p = self.position % period;
        self.position += 1;
        let mut on = false;
        for (a, b) in self.cadence {
            if p < *a {
                on = true;
                break;
            }
            p -= a;
            if p < *b {
                break;
            }
            p -= b;
        }
        let tone = self.tone.frame();
        if on {
            tone
        } else {
            [0; FRAME_SAMPLES]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_frames(mut rb: Ringback, frames: usize) -> Vec<bool> {
        (0..frames)
            .map(|_| rb.frame().iter().any(|&s| s != 0))
            .collect()
    }

    #[test]
    fn ringback_follows_the_country_cadence() {
        // Singapore: 0.4 s on, 0.2 off, 0.4 on, 2.0 off (20 ms frames), then again.
        let sg = on_frames(Ringback::for_number("+6560000001"), 300);
        let expect_sg = |i: usize| matches!(i % 150, 0..=19 | 30..=49);
        assert!(sg.iter().enumerate().all(|(i, &on)| on == expect_sg(i)));
        // Panama: 1 s on, 4 s off.
        let pa = on_frames(Ringback::for_number("+5072000001"), 500);
        assert!(pa.iter().enumerate().all(|(i, &on)| on == (i % 250 < 50)));
    }

    #[test]
    fn the_browser_clock_is_continuous_across_sources_and_jumps() {
        let mut c = OutClock::default();
        // Ringback frames (no source clock), then trunk audio with its own timestamps.
        assert_eq!(c.next_frame(160), 160);
        assert_eq!(c.next_frame(160), 320);
        assert_eq!(c.place(1_000_000, 160), Some(480));
        // A 40 ms gap in the trunk's timestamps shows.
        assert_eq!(c.place(1_000_320, 160), Some(800));
        // A wild jump (either way) begins a new run one frame on, never backwards.
        assert_eq!(c.place(5, 160), Some(960));
        assert_eq!(c.place(5 + 160, 160), Some(1120));
        assert_eq!(c.place(3_000_000_000, 160), Some(1280));
        // Our own frames in between: the trunk's next packet begins a run after them.
        assert_eq!(c.next_frame(160), 1440);
        assert_eq!(c.place(3_000_000_160, 160), Some(1600));
    }

    #[test]
    fn a_late_packet_goes_back_to_its_place_and_the_clock_keeps_time() {
        let mut c = OutClock::default();
        assert_eq!(c.next_frame(160), 160);
        let t0 = u32::MAX - 400; // the source's clock wraps on the way
        assert_eq!(c.place(t0, 160), Some(320));
        // A packet from before the run began would land on our own frames: it has no place.
        assert_eq!(c.place(t0.wrapping_sub(160), 160), None);
        // The third packet overtakes the second: each lands where the trunk timed it.
        assert_eq!(c.place(t0.wrapping_add(320), 160), Some(640));
        assert_eq!(c.place(t0.wrapping_add(160), 160), Some(480));
        assert_eq!(c.place(t0.wrapping_add(480), 160), Some(800));
        // A long run with every other pair swapped ends where an ordered one would.
        let mut last = 0;
        for i in 4..1004u32 {
            let n = if i % 2 == 0 { i + 1 } else { i - 1 };
            last = last.max(c.place(t0.wrapping_add(160 * n), 160).expect("placed"));
        }
        assert_eq!(last, 320 + 160 * 1003);
        // Nor has a duplicate.
        assert_eq!(c.place(t0.wrapping_add(160 * 1003), 160), None);
    }
}
