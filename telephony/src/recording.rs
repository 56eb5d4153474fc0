//! The gateway's recording tap (sans-IO, time passed in): lines up the two directions of a
//! call on one wall-clock timeline as 8 kHz stereo (left = called party, right = agent, as
//! Chime records), mixes the consent notice into what the called party hears, and honours
//! pauses. The gateway feeds it decoded frames as they pass and polls it every 20 ms; what it
//! yields goes to the recorder (the server's), which streams it to storage.

use std::collections::VecDeque;
use std::time::Duration;

use crate::tones::ToneGenerator;

/// Audio is written this far behind real time, so a frame arriving a little late still lands
/// in its place instead of leaving a gap.
const PLAYOUT_DELAY: u64 = 320; // 40 ms at 8 kHz
/// More queued than this on one side (the network delivered a burst, or one side's clock runs
/// fast) and the oldest samples are dropped: the recording stays in step with the call.
const MAX_BACKLOG: usize = 1600; // 200 ms

/// Frequency of the recording notice beep (the usual "this call is recorded" tone).
pub const NOTICE_TONE_HZ: f32 = 1400.0;

/// What a paused span becomes in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseMode {
    /// Silence for as long as the pause lasts: the file's timeline is the call's.
    Silence,
    /// Nothing: the file is shorter than the call by the paused time.
    Skip,
}

impl PauseMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PauseMode::Silence => "silence",
            PauseMode::Skip => "skip",
        }
    }
}

/// What the tap hands to the recorder, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordedAudio {
    /// Stereo samples: `left[i]` (called party) with `right[i]` (agent); same length.
    Frames {
        left: Vec<i16>,
        right: Vec<i16>,
    },
    Paused,
    Resumed,
}

/// The consent notice played to the called party when recording starts: two 1400 Hz beeps
/// (250 ms on, 250 off, 250 on), then the optional spoken notice after a short gap.
pub fn consent_notice(spoken: Option<&[i16]>) -> Vec<i16> {
    const Q: usize = 2000; // 250 ms
    let mut beep = vec![0i16; Q];
    ToneGenerator::new(&[NOTICE_TONE_HZ], 0.25).fill(&mut beep);
    let mut out = Vec::with_capacity(3 * Q + spoken.map_or(0, |s| s.len() + Q));
    out.extend_from_slice(&beep);
    out.extend(std::iter::repeat_n(0, Q));
    out.extend_from_slice(&beep);
    if let Some(spoken) = spoken {
        out.extend(std::iter::repeat_n(0, Q));
        out.extend_from_slice(spoken);
    }
    out
}

pub struct RecordingTap {
    /// When recording started, on the caller's clock.
    start: Duration,
    /// Samples of the timeline already handed out (or skipped while paused).
    accounted: u64,
    left: VecDeque<i16>,
    right: VecDeque<i16>,
    paused: bool,
    mode: PauseMode,
    notice: VecDeque<i16>,
    /// The same notice, for the agent to hear (not recorded: it is not the called party).
    agent_notice: VecDeque<i16>,
    /// Markers waiting to go out after the frames before them.
    pending: Vec<RecordedAudio>,
}

impl RecordingTap {
    /// Starts recording at `now`; `notice` is mixed into the agent's audio toward the called
    /// party from the first frame on.
    pub fn new(now: Duration, mode: PauseMode, notice: Vec<i16>) -> RecordingTap {
        RecordingTap {
            start: now,
            accounted: 0,
            left: VecDeque::with_capacity(MAX_BACKLOG),
            right: VecDeque::with_capacity(MAX_BACKLOG),
            paused: false,
            mode,
            agent_notice: notice.iter().copied().collect(),
            notice: notice.into(),
            pending: Vec::new(),
        }
    }

    /// Audio from the called party (toward the agent).
    pub fn called_party(&mut self, pcm: &[i16]) {
        self.left.extend(pcm);
    }

    /// Audio from the called party on its way to the agent, after [`Self::called_party`]: the
    /// notice, while it lasts, is mixed in so the agent hears what the called party heard.
    /// Returns whether `pcm` changed.
    pub fn agent_hears(&mut self, pcm: &mut [i16]) -> bool {
        let mut changed = false;
        for s in pcm.iter_mut() {
            let Some(n) = self.agent_notice.pop_front() else {
                break;
            };
            *s = s.saturating_add(n);
            changed = true;
        }
        changed
    }

    /// Audio from the agent on its way to the called party: the notice, while it lasts, is
    /// mixed in. Returns whether `pcm` changed (then it must be re-encoded before sending).
    pub fn agent(&mut self, pcm: &mut [i16]) -> bool {
        let mut changed = false;
        for s in pcm.iter_mut() {
            let Some(n) = self.notice.pop_front() else {
                break;
            };
            *s = s.saturating_add(n);
            changed = true;
        }
        self.right.extend(pcm.iter());
        changed
    }

    /// Whether the consent notice is still playing.
    pub fn notice_playing(&self) -> bool {
        !self.notice.is_empty()
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Stops writing audio from `now` on (the call goes on).
    pub fn pause(&mut self, now: Duration) {
        if self.paused {
            return;
        }
        self.flush_until(self.position(now));
        self.paused = true;
        self.pending.push(RecordedAudio::Paused);
    }

    pub fn resume(&mut self, now: Duration) {
        if !self.paused {
            return;
        }
        self.flush_until(self.position(now));
        self.paused = false;
        self.pending.push(RecordedAudio::Resumed);
    }

    /// What is due by `now` (a little behind it, see [`PLAYOUT_DELAY`]).
    pub fn poll(&mut self, now: Duration) -> Vec<RecordedAudio> {
        let upto = self.position(now).saturating_sub(PLAYOUT_DELAY);
        // A pause or resume already flushed up to its own moment.
        if upto > self.accounted {
            self.flush_until(upto);
        }
        std::mem::take(&mut self.pending)
    }

    /// Everything up to `now`, with no playout delay: the recording ends here.
    pub fn stop(mut self, now: Duration) -> Vec<RecordedAudio> {
        self.flush_until(self.position(now));
        self.pending
    }

    /// Samples of timeline from the start to `now`.
    fn position(&self, now: Duration) -> u64 {
        (now.saturating_sub(self.start).as_micros() as u64) * 8 / 1000
    }

    fn flush_until(&mut self, upto: u64) {
        let n = upto.saturating_sub(self.accounted) as usize;
        if n == 0 {
            return;
        }
        self.accounted += n as u64;
        let left = take(&mut self.left, n);
        let right = take(&mut self.right, n);
        if self.paused {
            match self.mode {
                PauseMode::Skip => return,
                PauseMode::Silence => {
                    self.push_frames(vec![0; n], vec![0; n]);
                    return;
                }
            }
        }
        self.push_frames(left, right);
    }

    fn push_frames(&mut self, left: Vec<i16>, right: Vec<i16>) {
        // Consecutive frames merge, so markers keep their place and chunks stay few.
        if let Some(RecordedAudio::Frames { left: l, right: r }) = self.pending.last_mut() {
            l.extend(left);
            r.extend(right);
        } else {
            self.pending.push(RecordedAudio::Frames { left, right });
        }
    }
}

/// The next `n` samples of one side, silence where it has none; a backlog beyond
/// [`MAX_BACKLOG`] loses its oldest samples first.
fn take(queue: &mut VecDeque<i16>, n: usize) -> Vec<i16> {
    let excess = queue.len().saturating_sub(MAX_BACKLOG + n);
    queue.drain(..excess);
    let have = queue.len().min(n);
    let mut out: Vec<i16> = queue.drain(..have).collect();
    out.resize(n, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tones::goertzel;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn frames(out: &[RecordedAudio]) -> (Vec<i16>, Vec<i16>) {
        let (mut l, mut r) = (Vec::new(), Vec::new());
        for a in out {
            if let RecordedAudio::Frames { left, right } = a {
                assert_eq!(left.len(), right.len());
                l.extend(left);
                r.extend(right);
            }
        }
        (l, r)
    }

    #[test]
    fn both_sides_line_up_on_the_wall_clock() {
        let mut tap = RecordingTap::new(ms(1000), PauseMode::Silence, vec![]);
        let mut all = Vec::new();
        for i in 0..50u64 {
            tap.called_party(&[100; 160]);
            tap.agent(&mut [-100; 160]);
            all.extend(tap.poll(ms(1000 + 20 * (i + 1))));
        }
        all.extend(tap.stop(ms(2000)));
        let (l, r) = frames(&all);
        assert_eq!(l.len(), 8000, "one second of call, one second of audio");
        assert!(l.iter().all(|&s| s == 100) && r.iter().all(|&s| s == -100));
    }

    #[test]
    fn a_silent_side_is_written_as_silence_and_time_still_passes() {
        let mut tap = RecordingTap::new(ms(0), PauseMode::Silence, vec![]);
        tap.agent(&mut [7; 160]);
        let (l, r) = frames(&tap.stop(ms(500)));
        assert_eq!(l.len(), 4000);
        assert!(l.iter().all(|&s| s == 0));
        assert_eq!(&r[..160], &[7; 160][..]);
        assert!(r[160..].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_late_frame_within_the_playout_delay_lands_in_its_place() {
        let mut tap = RecordingTap::new(ms(0), PauseMode::Silence, vec![]);
        tap.called_party(&[1; 160]);
        let mut out = tap.poll(ms(20));
        // The second frame arrives 15 ms late.
        out.extend(tap.poll(ms(40)));
        tap.called_party(&[2; 160]);
        out.extend(tap.poll(ms(55)));
        out.extend(tap.stop(ms(60)));
        let (l, _) = frames(&out);
        assert_eq!(l.len(), 480);
        assert_eq!(&l[..160], &[1; 160][..]);
        assert_eq!(&l[160..320], &[2; 160][..]);
    }

    #[test]
    fn a_burst_beyond_the_backlog_drops_the_oldest_audio() {
        let mut tap = RecordingTap::new(ms(0), PauseMode::Silence, vec![]);
        for i in 0..40 {
            tap.called_party(&[i as i16; 160]); // 800 ms arriving at once
        }
        let (l, _) = frames(&tap.stop(ms(100)));
        assert_eq!(l.len(), 800);
        // 100 ms written from what was kept: the newest 200 ms + 100 ms window.
        assert!(l[0] >= 21, "oldest dropped, got {}", l[0]);
    }

    #[test]
    fn pauses_are_silence_or_skipped_and_marked() {
        for mode in [PauseMode::Silence, PauseMode::Skip] {
            let mut tap = RecordingTap::new(ms(0), mode, vec![]);
            let mut out = Vec::new();
            for i in 0..100u64 {
                tap.called_party(&[5; 160]);
                tap.agent(&mut [5; 160]);
                let now = ms(20 * (i + 1));
                if i == 24 {
                    tap.pause(now);
                }
                if i == 74 {
                    tap.resume(now);
                }
                out.extend(tap.poll(now));
            }
            out.extend(tap.stop(ms(2000)));
            let markers: Vec<_> = out
                .iter()
                .filter(|a| !matches!(a, RecordedAudio::Frames { .. }))
                .collect();
            assert_eq!(markers, [&RecordedAudio::Paused, &RecordedAudio::Resumed]);
            let (l, r) = frames(&out);
            match mode {
                PauseMode::Silence => {
                    assert_eq!(l.len(), 16000);
                    assert!(l[4000..12000].iter().all(|&s| s == 0));
                    assert!(r[4000..12000].iter().all(|&s| s == 0));
                    assert!(l[..4000].iter().all(|&s| s == 5));
                }
                PauseMode::Skip => {
                    assert_eq!(l.len(), 8000);
                    assert!(l.iter().all(|&s| s == 5 || s == 0));
                }
            }
        }
    }

    #[test]
    fn the_agent_hears_the_notice_too_but_it_is_not_recorded_as_the_called_party() {
        let mut tap = RecordingTap::new(ms(0), PauseMode::Silence, consent_notice(None));
        let mut heard = Vec::new();
        let mut out = Vec::new();
        for i in 0..50u64 {
            let mut frame = [0i16; 160];
            tap.called_party(&frame);
            tap.agent_hears(&mut frame);
            heard.extend_from_slice(&frame);
            out.extend(tap.poll(ms(20 * (i + 1))));
        }
        assert!(goertzel(&heard[..2000], NOTICE_TONE_HZ) > 0.005);
        assert!(heard[6000..].iter().all(|&s| s == 0), "only once");
        let (left, _) = frames(&out);
        assert!(
            left.iter().all(|&s| s == 0),
            "the left channel is the called party's"
        );
    }

    #[test]
    fn a_spoken_notice_follows_the_beeps_after_a_gap() {
        let spoken = [500i16; 800];
        let notice = consent_notice(Some(&spoken));
        assert_eq!(notice.len(), 6000 + 2000 + 800);
        assert!(notice[6000..8000].iter().all(|&s| s == 0));
        assert_eq!(&notice[8000..], &spoken[..]);
    }

    #[test]
    fn the_notice_is_mixed_into_the_agent_audio_and_recorded() {
        let notice = consent_notice(None);
        assert_eq!(notice.len(), 6000);
        let mut tap = RecordingTap::new(ms(0), PauseMode::Silence, notice);
        let mut out = Vec::new();
        let mut changed = 0;
        for i in 0..50u64 {
            let mut frame = [0i16; 160];
            if tap.agent(&mut frame) {
                changed += 1;
            }
            out.extend(tap.poll(ms(20 * (i + 1))));
        }
        assert_eq!(changed, 38, "750 ms of notice: 37.5 frames");
        assert!(!tap.notice_playing());
        let (_, r) = frames(&out);
        let beep = &r[..2000];
        assert!(goertzel(beep, NOTICE_TONE_HZ) > 100.0 * goertzel(beep, 1000.0));
        assert!(r[2000..4000].iter().all(|&s| s == 0));
    }
}
