//! Call quality, sans-IO: a mean opinion score (MOS) from what a call's media measures (round
//! trip, jitter, loss), the warnings an agent sees while it lasts, and the summary kept with
//! the call. The browser samples its statistics every second and the gateway its counters; both
//! feed [`Monitor`] with the time passed in. docs/quality.md gives the sources.
//!
//! **The MOS** is the E-model of ITU-T G.107 reduced to what a G.711 call varies in:
//! `R = 93.2 − Id − Ie_eff`, where
//! - `Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)` is the delay impairment for the one-way
//!   mouth-to-ear delay `d` (ms), here half the round trip plus the jitter buffer (twice the
//!   jitter) plus one 20 ms packet;
//! - `Ie_eff = Ie + (95 − Ie)·Ppl / (Ppl + Bpl)` is the equipment impairment under random
//!   packet loss `Ppl` (%), with G.711's `Ie = 0` and, with packet loss concealment,
//!   `Bpl = 25.1` (ITU-T G.113, Appendix I);
//! - and G.107's mapping `MOS = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R)` for `0 < R < 100`
//!   (1 below, 4.5 above).
//!
//! Every other factor keeps G.107's default, which is where the 93.2 comes from.
//!
//! **The warnings** follow Twilio's Voice SDK, which agents may know: a sample each second, a
//! warning raised when 3 of the last 5 samples cross its threshold, and cleared no sooner than
//! 5 s after the last one that did.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// One second of a call's media, as measured.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Round trip (ms); `None` before the first measurement.
    pub rtt_ms: Option<f64>,
    /// Interarrival jitter of what we receive (ms).
    pub jitter_ms: f64,
    /// Packets lost of those expected in this second (%).
    pub loss_percent: f64,
    /// The microphone's level (0 to 1) while it is not muted; `None` when muted or unknown (a
    /// muted microphone is silent by choice).
    pub input_level: Option<f64>,
    /// Bytes received in this second.
    pub bytes_received: u64,
}

/// The delay impairment `Id` for a one-way delay of `d` ms (G.107, simplified as in Cole and
/// Rosenbluth's "Voice over IP performance monitoring", 2001).
pub fn delay_impairment(d: f64) -> f64 {
    let d = d.max(0.0);
    0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 }
}

/// The effective equipment impairment `Ie_eff` of G.711 with loss concealment at `loss` % of
/// packets lost at random (G.107 with G.113's `Ie = 0`, `Bpl = 25.1`).
pub fn loss_impairment(loss: f64) -> f64 {
    const BPL: f64 = 25.1;
    let loss = loss.clamp(0.0, 100.0);
    95.0 * loss / (loss + BPL)
}

/// G.107's transmission rating `R` for a call with this round trip, jitter (ms) and loss (%).
pub fn r_factor(rtt_ms: f64, jitter_ms: f64, loss_percent: f64) -> f64 {
    let one_way = rtt_ms.max(0.0) / 2.0 + 2.0 * jitter_ms.max(0.0) + 20.0;
    93.2 - delay_impairment(one_way) - loss_impairment(loss_percent)
}

/// G.107's MOS (1 to 4.5) for a rating `R`.
pub fn mos_of_r(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)
    }
}

/// The MOS of a call with this round trip, jitter (ms) and loss (%).
pub fn mos(rtt_ms: f64, jitter_ms: f64, loss_percent: f64) -> f64 {
    mos_of_r(r_factor(rtt_ms, jitter_ms, loss_percent))
}

/// Signal bars (1 to 5) for a MOS, as twilio-video draws them.
pub fn bars(mos: f64) -> u8 {
    match mos {
        m if m > 4.2 => 5,
        m if m > 4.0 => 4,
        m if m > 3.6 => 3,
        m if m > 3.0 => 2,
        _ => 1,
    }
}

/// What an agent is warned of during a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// The round trip is over 400 ms: the two talk over each other.
    HighRtt,
    /// Jitter over 30 ms: audio arrives unevenly.
    HighJitter,
    /// Over 1 % of packets lost (or 3 % on average over 7 s): words drop out.
    HighPacketLoss,
    /// A MOS under 3.5: the call sounds poor for any of the reasons together.
    LowMos,
    /// The unmuted microphone's level has not moved in 10 s: it is dead, or the wrong one.
    SilentMicrophone,
    /// Nothing received for 3 s: the audio has stopped.
    MediaStalled,
}

impl Warning {
    /// The name on the page (`data-warning`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Warning::HighRtt => "high_rtt",
            Warning::HighJitter => "high_jitter",
            Warning::HighPacketLoss => "high_packet_loss",
            Warning::LowMos => "low_mos",
            Warning::SilentMicrophone => "silent_microphone",
            Warning::MediaStalled => "media_stalled",
        }
    }

    pub const ALL: [Warning; 6] = [
        Warning::HighRtt,
        Warning::HighJitter,
        Warning::HighPacketLoss,
        Warning::LowMos,
        Warning::SilentMicrophone,
        Warning::MediaStalled,
    ];
}

/// Thresholds (Twilio Voice JS's `statsMonitor`).
const RTT_MAX_MS: f64 = 400.0;
const JITTER_MAX_MS: f64 = 30.0;
const LOSS_MAX_PERCENT: f64 = 1.0;
const LOSS_AVERAGE_MAX_PERCENT: f64 = 3.0;
const MOS_MIN: f64 = 3.5;
/// The standard deviation of the input level (0 to 1) under which a microphone is taken as
/// dead: Twilio's 327.67 on its 0–32767 scale.
const LEVEL_DEVIATION_MIN: f64 = 0.01;
/// ...when it is also this quiet on average (about −34 dBFS): a steady tone (a test signal, a
/// headset's sidetone generator) does not move either, and it is not silence.
const LEVEL_QUIET_MAX: f64 = 0.02;
/// Samples kept: the longest rule looks at 10.
const KEPT: usize = 10;
/// How long a warning stays after the last sample over its threshold (ms).
const CLEAR_AFTER_MS: u64 = 5_000;

/// A change of the warnings shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Raised(Warning),
    Cleared(Warning),
}

/// The warnings of one call, from its samples.
#[derive(Clone, Debug, Default)]
pub struct Monitor {
    /// Newest last.
    samples: VecDeque<Sample>,
    /// Raised warnings, each with the time of its last sample over the threshold.
    raised: Vec<(Warning, u64)>,
    summary: Summary,
}

impl Monitor {
    pub fn new() -> Monitor {
        Monitor::default()
    }

    /// Takes one sample taken at `now_ms`; returns the warnings raised and cleared by it.
    pub fn push(&mut self, sample: Sample, now_ms: u64) -> Vec<Change> {
        if self.samples.len() == KEPT {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        self.summary.add(&sample);
        let mut changes = Vec::new();
        for warning in Warning::ALL {
            let over = self.over(warning);
            let at = self.raised.iter().position(|(w, _)| *w == warning);
            match (over, at) {
                (true, Some(i)) => self.raised[i].1 = now_ms,
                (true, None) => {
                    self.raised.push((warning, now_ms));
                    self.summary.note(warning);
                    changes.push(Change::Raised(warning));
                }
                (false, Some(i)) if now_ms.saturating_sub(self.raised[i].1) >= CLEAR_AFTER_MS => {
                    self.raised.remove(i);
                    changes.push(Change::Cleared(warning));
                }
                (false, _) => {}
            }
        }
        changes
    }

    /// The warnings shown now, in [`Warning::ALL`]'s order.
    pub fn active(&self) -> Vec<Warning> {
        let mut active: Vec<Warning> = self.raised.iter().map(|(w, _)| *w).collect();
        active.sort();
        active
    }

    /// The MOS of the latest sample with a round trip.
    pub fn latest_mos(&self) -> Option<f64> {
        self.samples.iter().rev().find_map(Summary::mos_of)
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Whether `warning`'s rule holds over the samples kept.
    fn over(&self, warning: Warning) -> bool {
        let last = |n: usize| self.samples.iter().rev().take(n);
        // At least 3 of the last 5 samples (and 3 taken) satisfy `test`.
        let three_of_five =
            |test: &dyn Fn(&Sample) -> bool| last(5).filter(|s| test(s)).count() >= 3;
        match warning {
            Warning::HighRtt => three_of_five(&|s| s.rtt_ms.is_some_and(|r| r > RTT_MAX_MS)),
            Warning::HighJitter => three_of_five(&|s| s.jitter_ms > JITTER_MAX_MS),
            Warning::HighPacketLoss => {
                let average = if self.samples.len() >= 7 {
                    last(7).map(|s| s.loss_percent).sum::<f64>() / 7.0
                } else {
                    0.0
                };
                three_of_five(&|s| s.loss_percent > LOSS_MAX_PERCENT)
                    || average > LOSS_AVERAGE_MAX_PERCENT
            }
            Warning::LowMos => three_of_five(&|s| Summary::mos_of(s).is_some_and(|m| m < MOS_MIN)),
            Warning::SilentMicrophone => {
                let levels: Vec<f64> = last(KEPT).filter_map(|s| s.input_level).collect();
                levels.len() == KEPT
                    && deviation(&levels) < LEVEL_DEVIATION_MIN
                    && mean(&levels) < LEVEL_QUIET_MAX
            }
            Warning::MediaStalled => {
                self.samples.len() >= 3 && last(3).all(|s| s.bytes_received == 0)
            }
        }
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn deviation(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

/// What the browser's statistics count from the call's start (`getStats`: the audio
/// `inbound-rtp`'s packets and bytes, its jitter now, the round trip now).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counters {
    pub packets_received: u64,
    /// Can go down: a late packet counted lost is taken back.
    pub packets_lost: i64,
    pub bytes_received: u64,
    pub jitter_ms: f64,
    pub rtt_ms: Option<f64>,
}

/// Turns counters read once a second into that second's [`Sample`].
#[derive(Clone, Debug, Default)]
pub struct Sampler {
    last: Option<Counters>,
}

impl Sampler {
    pub fn sample(&mut self, now: Counters, input_level: Option<f64>) -> Sample {
        let before = self.last.unwrap_or_default();
        self.last = Some(now);
        let received = now.packets_received.saturating_sub(before.packets_received);
        let lost = (now.packets_lost - before.packets_lost).max(0) as u64;
        let expected = received + lost;
        Sample {
            rtt_ms: now.rtt_ms,
            jitter_ms: now.jitter_ms,
            loss_percent: if expected == 0 {
                0.0
            } else {
                lost as f64 * 100.0 / expected as f64
            },
            input_level,
            bytes_received: now.bytes_received.saturating_sub(before.bytes_received),
        }
    }
}

/// A call's quality, summed up for its record: worst and average MOS, the worst loss, jitter
/// and round trip, and the warnings raised at any time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Samples with a round trip (those with a MOS).
    pub rated: u32,
    pub worst_mos: Option<f64>,
    /// The sum of the rated samples' MOS (the average is `mos_sum / rated`).
    pub mos_sum: f64,
    pub max_loss_percent: f64,
    pub max_jitter_ms: f64,
    pub max_rtt_ms: Option<f64>,
    pub warnings: Vec<Warning>,
}

impl Summary {
    fn mos_of(s: &Sample) -> Option<f64> {
        s.rtt_ms.map(|rtt| mos(rtt, s.jitter_ms, s.loss_percent))
    }

    fn add(&mut self, s: &Sample) {
        self.max_loss_percent = self.max_loss_percent.max(s.loss_percent);
        self.max_jitter_ms = self.max_jitter_ms.max(s.jitter_ms);
        if let Some(rtt) = s.rtt_ms {
            self.max_rtt_ms = Some(self.max_rtt_ms.map_or(rtt, |m| m.max(rtt)));
        }
        if let Some(m) = Summary::mos_of(s) {
            self.rated += 1;
            self.mos_sum += m;
            self.worst_mos = Some(self.worst_mos.map_or(m, |w| w.min(m)));
        }
    }

    fn note(&mut self, warning: Warning) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
            self.warnings.sort();
        }
    }

    pub fn average_mos(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.mos_sum / f64::from(self.rated))
    }

    /// Whether a summary a browser sent could have come from [`Monitor`]: the ones that could
    /// not are refused rather than stored (`SummaryError` names the field).
    pub fn check(&self) -> Result<(), SummaryError> {
        // A day of one-second samples: longer than the longest call allowed.
        const MOST_SAMPLES: u32 = 86_400;
        let within = |v: f64, hi: f64| v.is_finite() && (0.0..=hi).contains(&v);
        if self.rated > MOST_SAMPLES {
            return Err(SummaryError("rated"));
        }
        match self.worst_mos {
            None if self.rated > 0 => return Err(SummaryError("worst_mos")),
            Some(m) if self.rated == 0 || !within(m, 4.5) || m < 1.0 => {
                return Err(SummaryError("worst_mos"))
            }
            _ => {}
        }
        let rated = f64::from(self.rated);
        let worst = self.worst_mos.unwrap_or(0.0);
        // The average lies between the worst and the best MOS there is (4.5); a little room
        // for the sum's rounding.
        if !self.mos_sum.is_finite()
            || self.mos_sum < worst * rated - 1e-6
            || self.mos_sum > 4.5 * rated + 1e-6
        {
            return Err(SummaryError("mos_sum"));
        }
        if !within(self.max_loss_percent, 100.0) {
            return Err(SummaryError("max_loss_percent"));
        }
        if !within(self.max_jitter_ms, 60_000.0) {
            return Err(SummaryError("max_jitter_ms"));
        }
        if self.max_rtt_ms.is_some_and(|r| !within(r, 60_000.0)) {
            return Err(SummaryError("max_rtt_ms"));
        }
        let mut seen = self.warnings.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.warnings.len() {
            return Err(SummaryError("warnings"));
        }
        Ok(())
    }
}

/// How the phone network's side of a call arrived at the gateway: the trunk's packets
/// received and lost (RFC 3550's count from sequence numbers) and the worst interarrival
/// jitter. Measured by the gateway itself, so there is none for calls through Chime.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrunkReception {
    pub received: u64,
    pub lost: u64,
    pub max_jitter_ms: f64,
}

impl TrunkReception {
    /// Lost packets as a share of those expected (%).
    pub fn loss_percent(&self) -> f64 {
        let expected = self.received + self.lost;
        if expected == 0 {
            0.0
        } else {
            100.0 * self.lost as f64 / expected as f64
        }
    }
}

/// How a call sounded, as kept with it: the agent's browser's summary, and the gateway's
/// measure of the trunk's audio; each is written when it comes (the trunk's at the call's end,
/// the browser's when its audio closes), so either may be missing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallQuality {
    pub agent: Option<Summary>,
    pub trunk: Option<TrunkReception>,
}

/// A call-quality summary that no [`Monitor`] could have made; the field it is wrong in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the call's quality summary has an impossible {0}")]
pub struct SummaryError(pub &'static str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_checked_field_by_field() {
        let mut monitor = Monitor::new();
        for (i, loss) in [0.0, 12.0, 12.0, 12.0, 0.0].into_iter().enumerate() {
            let sample = Sample {
                rtt_ms: Some(40.0),
                jitter_ms: 5.0,
                loss_percent: loss,
                input_level: Some(0.2),
                bytes_received: 1000,
            };
            monitor.push(sample, 1000 * i as u64);
        }
        let good = monitor.summary().clone();
        assert_eq!(good.check(), Ok(()));
        assert_eq!(Summary::default().check(), Ok(()), "a call with no sample");
        let bad = |f: fn(&mut Summary)| {
            let mut s = good.clone();
            f(&mut s);
            s.check().map_err(|e| e.0)
        };
        assert_eq!(bad(|s| s.rated = 100_000), Err("rated"));
        assert_eq!(bad(|s| s.worst_mos = None), Err("worst_mos"));
        assert_eq!(bad(|s| s.worst_mos = Some(4.6)), Err("worst_mos"));
        assert_eq!(bad(|s| s.worst_mos = Some(0.5)), Err("worst_mos"));
        assert_eq!(bad(|s| s.worst_mos = Some(f64::NAN)), Err("worst_mos"));
        assert_eq!(bad(|s| s.mos_sum = f64::INFINITY), Err("mos_sum"));
        assert_eq!(
            bad(|s| s.mos_sum = 4.6 * f64::from(s.rated)),
            Err("mos_sum")
        );
        assert_eq!(bad(|s| s.mos_sum = 0.0), Err("mos_sum"));
        assert_eq!(bad(|s| s.max_loss_percent = 101.0), Err("max_loss_percent"));
        assert_eq!(bad(|s| s.max_loss_percent = -1.0), Err("max_loss_percent"));
        assert_eq!(bad(|s| s.max_jitter_ms = f64::NAN), Err("max_jitter_ms"));
        assert_eq!(bad(|s| s.max_rtt_ms = Some(-3.0)), Err("max_rtt_ms"));
        assert_eq!(
            bad(|s| s.warnings = vec![Warning::HighPacketLoss, Warning::HighPacketLoss]),
            Err("warnings")
        );
        let none_rated = Summary {
            worst_mos: Some(4.0),
            ..Summary::default()
        };
        assert_eq!(none_rated.check().map_err(|e| e.0), Err("worst_mos"));
    }

    fn close(a: f64, b: f64, within: f64) -> bool {
        (a - b).abs() <= within
    }

    /// G.107 (06/2015), Annex B, Figure B.1 and Table B.1: MOS for R.
    #[test]
    fn mos_follows_g107_for_published_ratings() {
        for (r, want) in [
            (93.2, 4.41),
            (90.0, 4.34),
            (80.0, 4.03),
            (70.0, 3.60),
            (60.0, 3.10),
            (50.0, 2.58),
        ] {
            let got = mos_of_r(r);
            assert!(close(got, want, 0.01), "R {r}: {got} want {want}");
        }
        assert_eq!(mos_of_r(-5.0), 1.0);
        assert_eq!(mos_of_r(120.0), 4.5);
    }

    /// G.113 Appendix I: G.711 with concealment, random loss, Bpl 25.1; and G.107's default
    /// rating 93.2 with neither delay nor loss beyond the defaults.
    #[test]
    fn impairments_follow_the_published_parameters() {
        assert!(close(loss_impairment(0.0), 0.0, 1e-9));
        assert!(close(loss_impairment(2.0), 7.01, 0.01));
        assert!(close(loss_impairment(25.1), 47.5, 1e-9)); // half of 95 at Ppl = Bpl
        assert!(close(delay_impairment(100.0), 2.4, 1e-9));
        // Over 177.3 ms the delay costs far more: 0.024·300 + 0.11·122.7.
        assert!(close(delay_impairment(300.0), 20.697, 1e-3));
        // A call on a LAN: no loss, 20 ms round trip, 2 ms jitter → d = 34 ms.
        assert!(close(r_factor(20.0, 2.0, 0.0), 93.2 - 0.816, 1e-9));
        assert!(mos(20.0, 2.0, 0.0) > 4.3);
    }

    #[test]
    fn mos_falls_with_loss_delay_and_jitter() {
        let good = mos(50.0, 5.0, 0.0);
        assert!(mos(50.0, 5.0, 5.0) < good);
        assert!(mos(600.0, 5.0, 0.0) < good);
        assert!(mos(50.0, 80.0, 0.0) < good);
        // 5 % loss and a 400 ms round trip: poor.
        assert!(mos(400.0, 30.0, 5.0) < MOS_MIN);
        assert_eq!(bars(good), 5);
        assert_eq!(bars(3.8), 3);
        assert_eq!(bars(2.0), 1);
    }

    fn good() -> Sample {
        Sample {
            rtt_ms: Some(40.0),
            jitter_ms: 3.0,
            loss_percent: 0.0,
            input_level: Some(0.2),
            bytes_received: 1_700,
        }
    }

    /// Feeds `samples` one second apart from `start` (s); the changes with their second.
    fn run(monitor: &mut Monitor, start: u64, samples: &[Sample]) -> Vec<(u64, Change)> {
        let mut changes = Vec::new();
        for (i, s) in samples.iter().enumerate() {
            let at = start + i as u64;
            for c in monitor.push(*s, at * 1000) {
                changes.push((at, c));
            }
        }
        changes
    }

    /// Levels that move as speech does.
    fn speaking(i: usize) -> Option<f64> {
        Some([0.05, 0.3, 0.1, 0.4, 0.2][i % 5])
    }

    #[test]
    fn loss_warns_at_three_of_five_and_clears_five_seconds_after_the_last() {
        let mut m = Monitor::new();
        let lossy = Sample {
            loss_percent: 5.0,
            ..good()
        };
        let samples: Vec<Sample> = (0..20)
            .map(|i| Sample {
                input_level: speaking(i),
                ..if (3..8).contains(&i) { lossy } else { good() }
            })
            .collect();
        let changes = run(&mut m, 0, &samples);
        // Raised with the third lossy second (5). The rule holds until 9 (three of 5..9 are
        // lossy; so is the average of 3..9), and the warning clears 5 s later: at 14.
        assert_eq!(
            changes,
            vec![
                (5, Change::Raised(Warning::HighPacketLoss)),
                (14, Change::Cleared(Warning::HighPacketLoss)),
            ],
            "{changes:?}"
        );
        assert!(m.active().is_empty());
        assert_eq!(m.summary().warnings, vec![Warning::HighPacketLoss]);
        assert_eq!(m.summary().max_loss_percent, 5.0);
    }

    #[test]
    fn two_bad_seconds_in_five_raise_nothing() {
        let mut m = Monitor::new();
        let samples: Vec<Sample> = (0..12)
            .map(|i| Sample {
                input_level: speaking(i),
                jitter_ms: if i % 5 < 2 { 80.0 } else { 3.0 },
                ..good()
            })
            .collect();
        assert_eq!(run(&mut m, 0, &samples), vec![]);
    }

    #[test]
    fn a_steady_three_percent_loss_is_caught_on_average_too() {
        // 1 % is not "over 1 %", yet the seven-second average of this pattern is over 3 %.
        let pattern = [1.0, 1.0, 1.0, 1.0, 16.0, 1.0, 1.0];
        let mut m = Monitor::new();
        let samples: Vec<Sample> = pattern
            .iter()
            .enumerate()
            .map(|(i, loss)| Sample {
                loss_percent: *loss,
                input_level: speaking(i),
                ..good()
            })
            .collect();
        let changes = run(&mut m, 0, &samples);
        assert_eq!(changes, vec![(6, Change::Raised(Warning::HighPacketLoss))]);
    }

    #[test]
    fn a_silent_microphone_warns_after_ten_seconds_unless_muted() {
        let mut m = Monitor::new();
        let flat = Sample {
            input_level: Some(0.001),
            ..good()
        };
        let changes = run(&mut m, 0, &[flat; 12]);
        assert_eq!(
            changes,
            vec![(9, Change::Raised(Warning::SilentMicrophone))]
        );

        // A steady tone does not move either, but it is not silence.
        let mut m = Monitor::new();
        let tone = Sample {
            input_level: Some(0.3),
            ..good()
        };
        assert_eq!(run(&mut m, 0, &[tone; 12]), vec![]);

        // Muted: the level is not looked at.
        let mut m = Monitor::new();
        let muted = Sample {
            input_level: None,
            ..good()
        };
        assert_eq!(run(&mut m, 0, &[muted; 12]), vec![]);
    }

    #[test]
    fn stalled_media_and_high_rtt_and_low_mos() {
        let mut m = Monitor::new();
        let stalled = Sample {
            bytes_received: 0,
            ..good()
        };
        let mut samples = vec![good(), good(), stalled, stalled, stalled];
        for (i, s) in samples.iter_mut().enumerate() {
            s.input_level = speaking(i);
        }
        let changes = run(&mut m, 0, &samples);
        assert_eq!(changes, vec![(4, Change::Raised(Warning::MediaStalled))]);

        let mut m = Monitor::new();
        let far = Sample {
            rtt_ms: Some(900.0),
            jitter_ms: 40.0,
            ..good()
        };
        let samples: Vec<Sample> = (0..3)
            .map(|i| Sample {
                input_level: speaking(i),
                ..far
            })
            .collect();
        let changes = run(&mut m, 0, &samples);
        assert_eq!(
            changes,
            vec![
                (2, Change::Raised(Warning::HighRtt)),
                (2, Change::Raised(Warning::HighJitter)),
                (2, Change::Raised(Warning::LowMos)),
            ]
        );
        assert_eq!(
            m.active(),
            vec![Warning::HighRtt, Warning::HighJitter, Warning::LowMos]
        );
        let summary = m.summary();
        assert_eq!(summary.rated, 3);
        assert_eq!(summary.max_rtt_ms, Some(900.0));
        assert!(summary.worst_mos.unwrap() < MOS_MIN);
        assert!(close(
            summary.average_mos().unwrap(),
            mos(900.0, 40.0, 0.0),
            1e-9
        ));
        assert_eq!(m.latest_mos(), Some(mos(900.0, 40.0, 0.0)));
    }

    #[test]
    fn counters_become_each_seconds_loss_and_bytes() {
        let mut sampler = Sampler::default();
        let at = |received, lost, bytes| Counters {
            packets_received: received,
            packets_lost: lost,
            bytes_received: bytes,
            jitter_ms: 4.0,
            rtt_ms: Some(30.0),
        };
        let first = sampler.sample(at(50, 0, 8_000), Some(0.2));
        assert_eq!(first.bytes_received, 8_000);
        assert_eq!(first.loss_percent, 0.0);
        // 45 received and 5 lost in the next second: 10 %.
        let second = sampler.sample(at(95, 5, 15_200), Some(0.2));
        assert_eq!(second.bytes_received, 7_200);
        assert!(close(second.loss_percent, 10.0, 1e-9), "{second:?}");
        assert_eq!((second.rtt_ms, second.jitter_ms), (Some(30.0), 4.0));
        // A late packet taken back from the lost: no negative loss; nothing received: stalled.
        let third = sampler.sample(at(95, 4, 15_200), None);
        assert_eq!((third.loss_percent, third.bytes_received), (0.0, 0));
        assert_eq!(third.input_level, None);
    }
}
