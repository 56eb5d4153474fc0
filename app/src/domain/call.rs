//! One call, one state machine (`docs/telephony.md`), sans-IO in the style of `str0m`: inputs
//! go in with the time, outputs come out, nothing here touches a socket or a clock.
//!
//! `Idle → Dialing → Ringing → Connected (muted / on hold) → Ended{reason}`. The gateway feeds
//! it trunk events (SIP responses, BYE), the user's actions and `Tick`s; it answers with what to
//! send and play, and the next deadline. The end reason is the one shown, stored and counted.

use serde::{Deserialize, Serialize};

use super::calls::EndReason;

/// Limits that end calls the far end never ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLimits {
    /// No response at all to the INVITE (not even 100 Trying) within this: the trunk is
    /// unreachable, and the call fails at once rather than after the SIP transaction's 32 s.
    pub response_timeout_ms: u64,
    /// No 180, 183 or final answer to the INVITE within this: the trunk is stuck.
    pub setup_timeout_ms: u64,
    /// Ringing this long without an answer: give up (CANCEL) as "no answer".
    pub ring_timeout_ms: u64,
    /// A connected call is ended (BYE) after this long: a toll-fraud and runaway guard.
    pub max_duration_ms: u64,
    /// Our BYE or CANCEL unconfirmed this long: the call is over for the agent anyway (the SIP
    /// transaction goes on by itself).
    pub end_timeout_ms: u64,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            response_timeout_ms: 5_000,
            setup_timeout_ms: 32_000,
            ring_timeout_ms: 60_000,
            max_duration_ms: 2 * 3600 * 1000,
            end_timeout_ms: 5_000,
        }
    }
}

/// Who ended the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HangupBy {
    Agent,
    Remote,
    System,
}

impl HangupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            HangupBy::Agent => "agent",
            HangupBy::Remote => "remote",
            HangupBy::System => "system",
        }
    }
}

/// What the UI shows and the call log stores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallState {
    Idle,
    /// INVITE sent, no ringing yet.
    Dialing,
    /// The far end is alerting (180), or playing early media (183).
    Ringing,
    Connected {
        muted: bool,
        /// The agent holds the call: the far end hears music on hold, the agent nothing.
        on_hold: bool,
        /// The far end holds us (its session update made the call `sendonly`/`inactive`).
        #[serde(default)]
        held_by_far_end: bool,
    },
    /// BYE or CANCEL sent, waiting for the far end to confirm.
    Ending,
    Ended {
        reason: EndReason,
        by: HangupBy,
        cause: Option<String>,
    },
}

/// What the trunk (SIP leg) reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrunkEvent {
    /// 100 Trying.
    Trying,
    /// 180 Ringing (no media: we play ringback ourselves).
    Ringing,
    /// 183 Session Progress (early media: the network plays its own tones).
    EarlyMedia,
    /// 200 OK to the INVITE.
    Answered,
    /// A final failure response to the INVITE.
    Rejected { status: u16, reason: String },
    /// The far end hung up (BYE).
    RemoteBye,
    /// The far end confirmed our BYE or CANCEL (200 / 487).
    EndConfirmed,
    /// The far end put us on hold (`true`) or took us back.
    FarEndHold(bool),
    /// Nothing more can be sent or received (transport, media or ICE failure).
    Failed { detail: String },
    /// The provider decided the call's end itself, with the reason (Chime PSTN Audio: the SIP
    /// media application's handler maps the far end's SIP code). Before the answer it is the
    /// far end's refusal; once connected, its hang-up; while we are ending, the confirmation.
    Ended {
        reason: EndReason,
        cause: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The user pressed Call (the number already passed the policy and the guards).
    Dial,
    Trunk(TrunkEvent),
    /// The user pressed End.
    Hangup,
    Mute(bool),
    Hold(bool),
    /// Another agent took the call (a transfer): it is over for this agent, without a BYE
    /// (the far end stays, with them).
    HandedOver,
    /// The server is shutting down: the call is hung up (CANCEL or BYE) and ends
    /// `interrupted` by the system ([`SHUTDOWN_CAUSE`]).
    Shutdown,
    /// Time passed; deadlines are checked.
    Tick,
}

/// The cause written on a call the server hung up as it shut down.
pub const SHUTDOWN_CAUSE: &str = "the server shut down";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    SendInvite,
    SendCancel,
    SendBye,
    PlayRingback,
    StopRingback,
    /// Stop or resume sending the agent's audio.
    SendAudio(bool),
    /// Hold the far end (it hears music on hold) or take it back.
    SendHold(bool),
    State(CallState),
    /// The call record's answer time (ms since the epoch).
    Answered {
        at: u64,
    },
    /// The call is over; the record gets its end time, reason, who and cause.
    Ended {
        at: u64,
        reason: EndReason,
        by: HangupBy,
        cause: Option<String>,
    },
}

/// The cause of a call the trunk never answered at all (not even 100 Trying).
pub const NO_RESPONSE: &str = "no response from the trunk";

/// The end reason for a final SIP failure response to an INVITE (issue 3's mapping).
pub fn end_reason_for_status(status: u16) -> EndReason {
    match status {
        486 | 600 => EndReason::Busy,
        480 | 408 => EndReason::NoAnswer,
        404 | 484 | 604 => EndReason::NotFound,
        487 => EndReason::Cancelled,
        401 | 403 | 407 | 503 | 603 | 606 => EndReason::Refused,
        _ => EndReason::Failed,
    }
}

#[derive(Clone, Debug)]
pub struct Call {
    limits: CallLimits,
    state: CallState,
    dialed_at: Option<u64>,
    ringing_at: Option<u64>,
    answered_at: Option<u64>,
    ending_at: Option<u64>,
    /// The trunk has answered the INVITE with something (100 Trying at least).
    responded: bool,
    ringback: bool,
    /// How the call will end once the far end confirms our BYE/CANCEL.
    pending_end: Option<(EndReason, HangupBy, Option<String>)>,
    outputs: Vec<Output>,
}

impl Call {
    pub fn new(limits: CallLimits) -> Self {
        Call {
            limits,
            state: CallState::Idle,
            dialed_at: None,
            ringing_at: None,
            answered_at: None,
            ending_at: None,
            responded: false,
            ringback: false,
            pending_end: None,
            outputs: Vec::new(),
        }
    }

    /// A call another agent handed over, as the agent who took it finds it: answered at
    /// `answered_at` (its duration limit counts from then, not from the hand-over), the far
    /// end on hold until this agent's audio is up and [`Input::Hold`]`(false)` takes it back.
    pub fn taken_over(limits: CallLimits, answered_at: u64) -> Self {
        let mut call = Call::new(limits);
        call.answered_at = Some(answered_at);
        call.responded = true;
        call.state = CallState::Connected {
            muted: false,
            on_hold: true,
            held_by_far_end: false,
        };
        call
    }

    pub fn state(&self) -> &CallState {
        &self.state
    }

    pub fn is_over(&self) -> bool {
        matches!(self.state, CallState::Ended { .. })
    }

    /// The next time `Tick` must be given, if any deadline is pending.
    pub fn next_deadline(&self) -> Option<u64> {
        match self.state {
            CallState::Dialing if !self.responded => Some(
                self.dialed_at?
                    + self
                        .limits
                        .response_timeout_ms
                        .min(self.limits.setup_timeout_ms),
            ),
            CallState::Dialing => Some(self.dialed_at? + self.limits.setup_timeout_ms),
            CallState::Ringing => Some(self.ringing_at? + self.limits.ring_timeout_ms),
            CallState::Connected { .. } => Some(self.answered_at? + self.limits.max_duration_ms),
            CallState::Ending => Some(self.ending_at? + self.limits.end_timeout_ms),
            _ => None,
        }
    }

    /// Drains what the last inputs asked for, in order.
    pub fn poll_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }

    fn set_state(&mut self, state: CallState) {
        if self.state != state {
            self.state = state.clone();
            self.outputs.push(Output::State(state));
        }
    }

    fn ringback(&mut self, on: bool) {
        if self.ringback != on {
            self.ringback = on;
            self.outputs.push(if on {
                Output::PlayRingback
            } else {
                Output::StopRingback
            });
        }
    }

    fn end(&mut self, now: u64, reason: EndReason, by: HangupBy, cause: Option<String>) {
        self.ringback(false);
        self.pending_end = None;
        self.outputs.push(Output::Ended {
            at: now,
            reason,
            by,
            cause: cause.clone(),
        });
        self.set_state(CallState::Ended { reason, by, cause });
    }

    /// Sends CANCEL (before answer) or BYE (after), then waits for the far end to confirm.
    fn start_ending(&mut self, now: u64, reason: EndReason, by: HangupBy, cause: Option<String>) {
        self.ringback(false);
        self.ending_at = Some(now);
        let answered = matches!(self.state, CallState::Connected { .. });
        self.outputs.push(if answered {
            Output::SendBye
        } else {
            Output::SendCancel
        });
        self.pending_end = Some((reason, by, cause));
        self.set_state(CallState::Ending);
    }

    /// Feeds one input at `now` (ms since the epoch). Inputs that make no sense in the current
    /// state are ignored: a late 180 after the answer, a second hang-up, a tick with nothing due.
    pub fn handle(&mut self, input: Input, now: u64) {
        use CallState as S;
        if matches!(input, Input::Trunk(_)) {
            self.responded = true;
        }
        match (self.state.clone(), input) {
            (S::Idle, Input::Dial) => {
                self.dialed_at = Some(now);
                self.outputs.push(Output::SendInvite);
                self.set_state(S::Dialing);
            }
            (S::Idle, Input::Hangup) => self.end(now, EndReason::Cancelled, HangupBy::Agent, None),
            (S::Idle, Input::Shutdown) => self.end(
                now,
                EndReason::Interrupted,
                HangupBy::System,
                Some(SHUTDOWN_CAUSE.into()),
            ),
            (S::Dialing | S::Ringing | S::Connected { .. }, Input::Shutdown) => {
                self.start_ending(
                    now,
                    EndReason::Interrupted,
                    HangupBy::System,
                    Some(SHUTDOWN_CAUSE.into()),
                );
            }

            (S::Dialing | S::Ringing, Input::Trunk(TrunkEvent::Ringing)) => {
                self.ringing_at.get_or_insert(now);
                self.ringback(true);
                self.set_state(S::Ringing);
            }
            (S::Dialing | S::Ringing, Input::Trunk(TrunkEvent::EarlyMedia)) => {
                // The network's own tones (or announcements) now reach the agent.
                self.ringing_at.get_or_insert(now);
                self.ringback(false);
                self.set_state(S::Ringing);
            }
            (S::Dialing | S::Ringing | S::Ending, Input::Trunk(TrunkEvent::Answered)) => {
                if self.state == S::Ending {
                    // Answered while our CANCEL crossed it: hang up the answered call at once,
                    // still ending for the reason we cancelled.
                    self.answered_at = Some(now);
                    self.ending_at = Some(now);
                    self.outputs.push(Output::SendBye);
                    return;
                }
                self.ringback(false);
                self.answered_at = Some(now);
                self.outputs.push(Output::Answered { at: now });
                self.set_state(S::Connected {
                    muted: false,
                    on_hold: false,
                    held_by_far_end: false,
                });
            }
            (S::Dialing | S::Ringing, Input::Trunk(TrunkEvent::Rejected { status, reason })) => {
                let cause = Some(format!("{status} {reason}").trim().to_string());
                self.end(now, end_reason_for_status(status), HangupBy::Remote, cause);
            }
            (S::Dialing | S::Ringing, Input::Hangup) => {
                self.start_ending(now, EndReason::Cancelled, HangupBy::Agent, None);
            }

            (
                S::Connected {
                    on_hold,
                    held_by_far_end,
                    ..
                },
                Input::Mute(muted),
            ) => {
                self.outputs.push(Output::SendAudio(!muted && !on_hold));
                self.set_state(S::Connected {
                    muted,
                    on_hold,
                    held_by_far_end,
                });
            }
            (
                S::Connected {
                    muted,
                    on_hold: was,
                    held_by_far_end,
                },
                Input::Hold(on_hold),
            ) if was != on_hold => {
                self.outputs.push(Output::SendHold(on_hold));
                self.outputs.push(Output::SendAudio(!muted && !on_hold));
                self.set_state(S::Connected {
                    muted,
                    on_hold,
                    held_by_far_end,
                });
            }
            (
                S::Connected {
                    muted,
                    on_hold,
                    held_by_far_end: was,
                },
                Input::Trunk(TrunkEvent::FarEndHold(held_by_far_end)),
            ) if was != held_by_far_end => {
                self.set_state(S::Connected {
                    muted,
                    on_hold,
                    held_by_far_end,
                });
            }
            (S::Connected { .. }, Input::Hangup) => {
                self.start_ending(now, EndReason::Completed, HangupBy::Agent, None);
            }
            (S::Connected { .. }, Input::HandedOver) => {
                self.end(now, EndReason::Transferred, HangupBy::Agent, None);
            }
            (S::Connected { .. }, Input::Trunk(TrunkEvent::RemoteBye)) => {
                self.end(
                    now,
                    EndReason::Completed,
                    HangupBy::Remote,
                    Some("BYE".into()),
                );
            }

            (S::Dialing | S::Ringing, Input::Trunk(TrunkEvent::Ended { reason, cause })) => {
                // A failure is the system's (the far end never answered a thing); any other
                // reason (busy, no answer, not found, refused) is the far end's.
                let by = if reason == EndReason::Failed {
                    HangupBy::System
                } else {
                    HangupBy::Remote
                };
                self.end(now, reason, by, cause);
            }
            (S::Connected { .. }, Input::Trunk(TrunkEvent::Ended { reason, cause })) => {
                self.end(now, reason, HangupBy::Remote, cause);
            }

            (S::Ending, Input::Trunk(TrunkEvent::EndConfirmed | TrunkEvent::RemoteBye))
            | (S::Ending, Input::Trunk(TrunkEvent::Rejected { .. }))
            | (S::Ending, Input::Trunk(TrunkEvent::Ended { .. })) => {
                let (reason, by, cause) = self.pending_end.take().unwrap_or((
                    EndReason::Completed,
                    HangupBy::Agent,
                    None,
                ));
                self.end(now, reason, by, cause);
            }

            (
                S::Dialing | S::Ringing | S::Connected { .. } | S::Ending,
                Input::Trunk(TrunkEvent::Failed { detail }),
            ) => {
                // Already ending: the reason we were ending for stands. Otherwise it failed.
                let reason = match (&self.state, &self.pending_end) {
                    (S::Ending, Some(pending)) => pending.0,
                    _ => EndReason::Failed,
                };
                self.end(now, reason, HangupBy::System, Some(detail));
            }

            (S::Dialing, Input::Tick)
                if !self.responded && self.next_deadline().is_some_and(|d| now >= d) =>
            {
                // Nothing to wait for: no CANCEL can go before a response. The INVITE is given
                // up (should a response come late, the CANCEL or a BYE follows it by itself).
                self.outputs.push(Output::SendCancel);
                self.end(
                    now,
                    EndReason::Failed,
                    HangupBy::System,
                    Some(NO_RESPONSE.into()),
                );
            }
            (S::Dialing, Input::Tick) if self.next_deadline().is_some_and(|d| now >= d) => {
                self.start_ending(
                    now,
                    EndReason::Failed,
                    HangupBy::System,
                    Some("no answer from the trunk".into()),
                );
            }
            (S::Ringing, Input::Tick) if self.next_deadline().is_some_and(|d| now >= d) => {
                self.start_ending(
                    now,
                    EndReason::NoAnswer,
                    HangupBy::System,
                    Some("ring timeout".into()),
                );
            }
            (S::Connected { .. }, Input::Tick)
                if self.next_deadline().is_some_and(|d| now >= d) =>
            {
                self.start_ending(
                    now,
                    EndReason::Completed,
                    HangupBy::System,
                    Some("maximum call duration".into()),
                );
            }
            (S::Ending, Input::Tick) if self.next_deadline().is_some_and(|d| now >= d) => {
                // The far end never confirmed (SIP gives up after 32 s too): the call is over.
                let (reason, by, cause) = self.pending_end.take().unwrap_or((
                    EndReason::Completed,
                    HangupBy::Agent,
                    None,
                ));
                self.end(now, reason, by, cause);
            }

            // Anything else is stale or repeated; ignoring it keeps the state honest.
            _ => {}
        }
    }
}
