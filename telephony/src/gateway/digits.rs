//! Keys the gateway sends to the trunk by itself (a SIP media application's `SendDigits`), sans
//! IO: each key becomes RFC 4733 reports on the bridge's 20 ms tick, one report per tick while
//! the tone lasts, the end report three times, then a gap before the next key. A comma is a
//! half-second pause (the Chime guide's `send-digits.html`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::bridge::Tick;
use crate::tones::{dtmf_event, FRAME_SAMPLES};

/// What a comma in the digits waits (the Chime guide: "a 0.5 second delay").
pub const COMMA_PAUSE: Duration = Duration::from_millis(500);
/// The silence between two keys (the guide gives none; ITU-T Q.24 asks for at least 40 ms).
pub const KEY_GAP: Duration = Duration::from_millis(100);
/// The power of our key reports, in -dBm0 (RFC 4733's usual 10).
pub const VOLUME: u8 = 10;

/// One report to put on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyReport {
    pub event: u8,
    /// The key's start on the trunk stream's media clock (8 kHz), the same for all its reports.
    pub start: u64,
    /// The first report of the key (RTP marker).
    pub first: bool,
    pub end: bool,
    /// In 8 kHz units.
    pub duration: u16,
}

enum State {
    Idle,
    Tone {
        event: u8,
        start: u64,
        /// Samples reported so far, and the tone's length.
        reported: u64,
        length: u64,
    },
    Pause {
        until: Instant,
    },
}

pub(crate) struct KeySender {
    queue: VecDeque<(char, Duration)>,
    state: State,
    tick: Tick,
}

impl KeySender {
    pub(crate) fn new(now: Instant) -> KeySender {
        KeySender {
            queue: VecDeque::new(),
            state: State::Idle,
            tick: Tick::starting(now),
        }
    }

    /// Queues `digits` (`0-9*#A-D` and `,`; anything else is skipped), each key `tone` long.
    pub(crate) fn push(&mut self, digits: &str, tone: Duration, now: Instant) {
        if self.queue.is_empty() && matches!(self.state, State::Idle) {
            self.tick = Tick::starting(now);
        }
        for c in digits.chars() {
            if c == ',' || dtmf_event(c).is_some() {
                self.queue.push_back((c, tone));
            }
        }
    }

    /// When the sender next needs the time, if it has anything to do.
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        let busy = !matches!(self.state, State::Idle) || !self.queue.is_empty();
        busy.then_some(self.tick.next)
    }

    /// Whether a key's tone is on the wire now (the agent's audio waits meanwhile).
    pub(crate) fn sounding(&self) -> bool {
        matches!(self.state, State::Tone { .. })
    }

    /// The reports due at `now`; `media_now` is the trunk stream's media time now. Returns
    /// whether the last key has just been sent.
    pub(crate) fn on_timeout(
        &mut self,
        now: Instant,
        media_now: u64,
        out: &mut Vec<KeyReport>,
    ) -> bool {
        if self.next_wake().is_none() || !self.tick.due(now) {
            return false;
        }
        if let State::Pause { until } = self.state {
            if now < until {
                return false;
            }
            self.state = State::Idle;
        }
        if matches!(self.state, State::Idle) {
            let Some((c, tone)) = self.queue.pop_front() else {
                return false;
            };
            let Some(event) = dtmf_event(c) else {
                // A comma: the pause counts from this tick.
                self.state = State::Pause {
                    until: now + COMMA_PAUSE,
                };
                return self.finished();
            };
            let length = (tone.as_micros() * 8 / 1000).clamp(1, u16::MAX as u128) as u64;
            self.state = State::Tone {
                event,
                start: media_now,
                reported: 0,
                length,
            };
        }
        let State::Tone {
            event,
            start,
            reported,
            length,
        } = &mut self.state
        else {
            return false;
        };
        let first = *reported == 0;
        *reported = (*reported + FRAME_SAMPLES as u64).min(*length);
        let end = *reported >= *length;
        let report = KeyReport {
            event: *event,
            start: *start,
            first,
            end,
            duration: *reported as u16,
        };
        if !end {
            out.push(report);
            return false;
        }
        // The end report three times (RFC 4733 §2.5.1.4), then the gap.
        out.extend([
            report,
            KeyReport {
                first: false,
                ..report
            },
            KeyReport {
                first: false,
                ..report
            },
        ]);
        self.state = State::Pause {
            until: now + KEY_GAP,
        };
        self.finished()
    }

    fn finished(&self) -> bool {
        self.queue.is_empty()
    }
}
