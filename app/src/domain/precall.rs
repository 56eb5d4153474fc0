//! The pre-call check's network test, judged (docs/quality.md, "Pre-call check"): the browser
//! sends a tone to this server's gateway, which sends it straight back, and samples the
//! statistics each second as during a call ([`super::quality::Monitor`]); the verdict reads the
//! summary with the call screen's own thresholds.

use super::quality::{Summary, Warning};

/// Seconds measured once the audio flows.
pub const TEST_SECONDS: u32 = 8;
/// Seconds the browser waits for its audio to connect before it gives up.
pub const CONNECT_SECONDS: u32 = 6;

/// What a test measured: the summary of its samples, and how much audio came back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkCheck {
    pub summary: Summary,
    pub bytes_back: u64,
    /// Whether the peer connection connected at all.
    pub connected: bool,
}

/// What the test says of calls from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No warning, and a MOS of 4 or more: clear calls.
    Good,
    /// A high round trip or jitter, or a MOS under 4: usable, with moments of delay or chop.
    Fair,
    /// Packets lost, a MOS under 3.5, or audio that stopped: calls will break up.
    Poor,
    /// Nothing came back: the network does not carry calls' audio (UDP blocked, no TURN).
    NoAudio,
}

/// The MOS under which a connection is not "good" (the E-model's "satisfied" band starts at
/// 4.03; the bars show 4 for over 4.0).
const GOOD_MOS: f64 = 4.0;
/// The MOS under which it is "poor" (the call screen's low-MOS warning).
const POOR_MOS: f64 = 3.5;

impl NetworkCheck {
    pub fn verdict(&self) -> Verdict {
        let s = &self.summary;
        if !self.connected || self.bytes_back == 0 {
            return Verdict::NoAudio;
        }
        let has = |w: Warning| s.warnings.contains(&w);
        let mos = s.average_mos();
        if has(Warning::HighPacketLoss)
            || has(Warning::LowMos)
            || has(Warning::MediaStalled)
            || mos.is_some_and(|m| m < POOR_MOS)
        {
            Verdict::Poor
        } else if has(Warning::HighRtt)
            || has(Warning::HighJitter)
            || mos.is_none_or(|m| m < GOOD_MOS)
        {
            Verdict::Fair
        } else {
            Verdict::Good
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quality::{Counters, Monitor, Sampler};

    /// A test of `TEST_SECONDS` seconds with these per-second figures.
    fn run(rtt_ms: f64, jitter_ms: f64, lost_per_second: u64) -> NetworkCheck {
        let (mut sampler, mut monitor) = (Sampler::default(), Monitor::new());
        let mut counters = Counters::default();
        let mut bytes = 0;
        for second in 1..=u64::from(TEST_SECONDS) {
            counters.packets_received += 50 - lost_per_second;
            counters.packets_lost += lost_per_second as i64;
            counters.bytes_received += 8_000;
            counters.jitter_ms = jitter_ms;
            counters.rtt_ms = Some(rtt_ms);
            let sample = sampler.sample(counters, None);
            bytes += sample.bytes_received;
            monitor.push(sample, second * 1000);
        }
        NetworkCheck {
            summary: monitor.summary().clone(),
            bytes_back: bytes,
            connected: true,
        }
    }

    #[test]
    fn verdicts_follow_the_call_screen_s_thresholds() {
        assert_eq!(run(40.0, 2.0, 0).verdict(), Verdict::Good);
        // 450 ms round trip: the two would talk over each other.
        assert_eq!(run(450.0, 2.0, 0).verdict(), Verdict::Fair);
        assert_eq!(run(40.0, 45.0, 0).verdict(), Verdict::Fair);
        // 2 of 50 packets lost each second: 4 %.
        assert_eq!(run(40.0, 2.0, 2).verdict(), Verdict::Poor);
        assert_eq!(run(900.0, 80.0, 0).verdict(), Verdict::Poor);
    }

    #[test]
    fn nothing_back_is_no_audio() {
        let mut check = run(40.0, 2.0, 0);
        check.connected = false;
        assert_eq!(check.verdict(), Verdict::NoAudio);
        let silent = NetworkCheck {
            connected: true,
            ..NetworkCheck::default()
        };
        assert_eq!(silent.verdict(), Verdict::NoAudio);
    }
}
