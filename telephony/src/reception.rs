//! What the receiver of one RTP stream measures, sans-IO (RFC 3550 §6.4.1, Appendix A.3 and
//! A.8): packets received, packets lost (expected from the extended highest sequence number,
//! less those received), and the interarrival jitter. The gateway keeps one for the trunk's
//! audio of each call (docs/quality.md, "The phone network's side").

use std::time::Instant;

/// The RTP clock of G.711: 8 000 timestamp units a second.
const CLOCK_RATE: f64 = 8000.0;
/// A jump of more than this many sequence numbers is a restarted stream, not loss (A.1's
/// `MAX_DROPOUT`).
const MAX_DROPOUT: u16 = 3000;

/// One stream's reception so far.
#[derive(Clone, Debug, Default)]
pub struct Reception {
    started: Option<(Instant, u32)>,
    base_seq: u32,
    /// The extended highest sequence number seen (cycles in the high bits).
    max_seq: u32,
    received: u64,
    /// The previous packet's relative transit time, in timestamp units.
    transit: Option<f64>,
    /// RFC 3550's running estimate, in timestamp units.
    jitter: f64,
    max_jitter: f64,
}

/// What a [`Reception`] measured, in the units people read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceptionSummary {
    pub received: u64,
    /// Expected less received (never below zero: duplicates do not make loss negative).
    pub lost: u64,
    /// The jitter estimate now (µs).
    pub jitter_us: u64,
    /// The highest the estimate reached (µs).
    pub max_jitter_us: u64,
}

impl Reception {
    /// A packet with `sequence` and `timestamp` arrived at `now`.
    pub fn on_packet(&mut self, sequence: u16, timestamp: u32, now: Instant) {
        let (start, first_ts) = *self.started.get_or_insert((now, timestamp));
        if self.received == 0 {
            self.base_seq = u32::from(sequence);
            self.max_seq = u32::from(sequence);
        } else {
            let highest = self.max_seq as u16;
            let ahead = sequence.wrapping_sub(highest);
            if ahead != 0 && ahead < MAX_DROPOUT {
                // In order, with or without a gap; past 65535 the cycle count goes up.
                let cycles = self.max_seq & 0xFFFF_0000;
                let cycles = if sequence < highest {
                    cycles + 0x1_0000
                } else {
                    cycles
                };
                self.max_seq = cycles | u32::from(sequence);
            } else if ahead != 0 && ahead <= u16::MAX - 100 {
                // A jump far ahead: the sender restarted its sequence; count from here.
                self.base_seq = u32::from(sequence).wrapping_sub(self.received as u32);
                self.max_seq = u32::from(sequence);
            }
            // Otherwise a duplicate or a late packet: received, not a new highest.
        }
        self.received += 1;
        // A.8: the difference of relative transit times, smoothed by 1/16.
        let arrival = now.duration_since(start).as_secs_f64() * CLOCK_RATE;
        let sent = f64::from(timestamp.wrapping_sub(first_ts));
        let transit = arrival - sent;
        if let Some(previous) = self.transit {
            let d = (transit - previous).abs();
            self.jitter += (d - self.jitter) / 16.0;
            self.max_jitter = self.max_jitter.max(self.jitter);
        }
        self.transit = Some(transit);
    }

    /// Packets received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    pub fn summary(&self) -> ReceptionSummary {
        let expected = if self.received == 0 {
            0
        } else {
            u64::from(self.max_seq.wrapping_sub(self.base_seq)) + 1
        };
        let us = |units: f64| (units / CLOCK_RATE * 1e6).round() as u64;
        ReceptionSummary {
            received: self.received,
            lost: expected.saturating_sub(self.received),
            jitter_us: us(self.jitter),
            max_jitter_us: us(self.max_jitter),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Packets every 20 ms (160 timestamp units), arriving with `delay(i)` ms on top.
    fn stream(
        sequences: impl IntoIterator<Item = u16>,
        delay: impl Fn(u32) -> u64,
    ) -> ReceptionSummary {
        let start = Instant::now();
        let mut r = Reception::default();
        for (i, seq) in sequences.into_iter().enumerate() {
            let i = i as u32;
            let at = start + Duration::from_millis(20 * u64::from(i) + delay(i));
            r.on_packet(seq, 1000 + 160 * i, at);
        }
        r.summary()
    }

    #[test]
    fn a_steady_stream_loses_nothing_and_has_no_jitter() {
        let s = stream(100..600, |_| 0);
        assert_eq!((s.received, s.lost), (500, 0));
        assert!(s.jitter_us < 10 && s.max_jitter_us < 10, "{s:?}");
    }

    #[test]
    fn gaps_are_lost_packets_across_the_sequence_wrap() {
        // 65 500 … 65 535, 0 … 99 with every tenth missing: 136 expected, 13 or 14 lost.
        let all: Vec<u16> = (65_500..=u16::MAX).chain(0..100).collect();
        let kept: Vec<u16> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 10 != 3)
            .map(|(_, s)| *s)
            .collect();
        let s = stream(kept.clone(), |_| 0);
        assert_eq!(s.received, kept.len() as u64);
        assert_eq!(s.received + s.lost, all.len() as u64);
        assert_eq!(s.lost, 14, "{s:?}");
    }

    #[test]
    fn duplicates_and_late_packets_are_not_loss() {
        let s = stream([1, 2, 4, 3, 5, 5, 6], |_| 0);
        assert_eq!((s.received, s.lost), (7, 0));
    }

    #[test]
    fn a_restarted_sequence_is_not_counted_as_thousands_lost() {
        let s = stream((10..20).chain(40_000..40_010), |_| 0);
        assert_eq!((s.received, s.lost), (20, 0));
    }

    #[test]
    fn jitter_follows_rfc_3550_for_alternating_delays() {
        // Every other packet 10 ms late: each transit difference is 10 ms, so the estimate
        // converges on 10 ms (A.8's J += (|D| − J)/16).
        let s = stream(0..400, |i| if i % 2 == 1 { 10 } else { 0 });
        assert!((9_500..=10_000).contains(&s.jitter_us), "{s:?}");
        assert!(s.max_jitter_us >= s.jitter_us);
        // Then steady again: the estimate decays, the maximum stays.
        let start = Instant::now();
        let mut r = Reception::default();
        for i in 0..400u32 {
            let late = if i < 200 && i % 2 == 1 { 10 } else { 0 };
            let at = start + Duration::from_millis(20 * u64::from(i) + late);
            r.on_packet(i as u16, 160 * i, at);
        }
        let s = r.summary();
        assert!(s.jitter_us < 500, "{s:?}");
        assert!(s.max_jitter_us > 9_000, "{s:?}");
    }

    #[test]
    fn nothing_received_is_nothing_lost() {
        let s = Reception::default().summary();
        assert_eq!(s, ReceptionSummary::default());
    }
}
