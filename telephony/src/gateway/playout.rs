//! What the bridge plays toward the browser besides the trunk's audio: the output clock that
//! keeps timestamps continuous across sources, and ringback with the callee country's cadence.

use crate::tones::{ToneGenerator, FRAME_SAMPLES};

/// Timestamps toward the browser: continuous across ringback and trunk audio.
#[derive(Debug, Default)]
pub(crate) struct OutClock {
    now: u64,
    last_source: Option<u32>,
}

impl OutClock {
    /// Advances by the source's own timestamp step when it is plausible, by the frame length
    /// otherwise (first packet, a new source, a jump).
    pub(crate) fn advance(&mut self, source_ts: Option<u32>, samples: u64) -> u64 {
        let step = match (source_ts, self.last_source) {
            (Some(ts), Some(last)) => {
                let d = ts.wrapping_sub(last) as i32;
                if d > 0 && d < 16_000 {
                    d as u64
                } else {
                    samples
                }
            }
            _ => samples,
        };
        self.last_source = source_ts;
        self.now += step;
        self.now
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
        assert_eq!(c.advance(None, 160), 160);
        assert_eq!(c.advance(None, 160), 320);
        assert_eq!(c.advance(Some(1_000_000), 160), 480);
        // A 40 ms gap in the trunk's timestamps shows.
        assert_eq!(c.advance(Some(1_000_320), 160), 800);
        // A wild jump or a step backwards advances by one frame, never backwards.
        assert_eq!(c.advance(Some(5), 160), 960);
        assert_eq!(c.advance(Some(3), 160), 1120);
    }
}
