//! The call flow as one pure function: an event, the dialling policy and the time go in; the
//! actions to return, the attributes to keep and the call's progress come out. Calls in are in
//! [`crate::inbound`]; calls out below.
//!
//! The server's `CreateSipMediaApplicationCall` places leg A toward the meeting bridge with an
//! `ArgumentsMap` (docs/chime.md). Then: leg A answers → `JoinChimeMeeting`; joined → the
//! policy is checked again and `CallAndBridge` dials the target (leg B); bridged → answered.
//! `UpdateSipMediaApplicationCall` brings digits, hang-up and recording requests. When either
//! leg hangs up, the other is hung up too (the service leaves it up, and bills it).

use app::domain::call::{end_reason_for_status, CallLimits};
use app::domain::calls::EndReason;
use app::domain::numbers::RefusalReason;
use serde::{Deserialize, Serialize};

use crate::action::{
    Action, AudioSource, CallAndBridge, CallLeg, Endpoint, Hangup, JoinChimeMeeting, PlayAudio,
    RecordingDestination, Response, SendDigits, StartCallRecording, Track,
};
use crate::event::{ActionData, ActionType, Event, EventType, ParticipantStatus, ParticipantTag};
use crate::state::{split_s3_path, CallState, Stage};

/// The `Arguments` of `UpdateSipMediaApplicationCall` this flow understands.
pub mod update {
    /// What to do: one of the `*_ACTION` values below.
    pub const ACTION: &str = "Action";
    pub const DIGITS_ACTION: &str = "digits";
    pub const HANGUP_ACTION: &str = "hangup";
    pub const RECORD_START_ACTION: &str = "record_start";
    pub const RECORD_PAUSE_ACTION: &str = "record_pause";
    pub const RECORD_RESUME_ACTION: &str = "record_resume";
    pub const RECORD_STOP_ACTION: &str = "record_stop";
    /// `digits`: the keys to send (`0-9 * # A-D ,`).
    pub const DIGITS: &str = "Digits";
    /// `record_start`: `bucket` or `bucket/prefix` the recording is delivered to.
    pub const DESTINATION: &str = "Destination";
    /// `record_start`, optional: `bucket/key` of the consent notice played first.
    pub const CONSENT_TONE: &str = "ConsentTone";
    /// A call in: the caller joins the answering agent's meeting (`MEETING_ID`, `JOIN_TOKEN`
    /// of the caller's attendee, our `CALL_ID`).
    pub const ANSWER_ACTION: &str = "answer";
    pub const MEETING_ID: &str = "MeetingId";
    pub const JOIN_TOKEN: &str = "JoinToken";
    pub const CALL_ID: &str = "CallId";
    /// `hangup` of a call in not answered yet, optional: the SIP code it is refused with
    /// (400–699; 480 otherwise).
    pub const SIP_CODE: &str = "SipCode";
}

/// How long each digit is sent for (the AWS samples' value; the guide's default is 250).
pub const DIGIT_TONE_MS: u32 = 100;

/// What the server records about the call after this event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CallProgress {
    /// A call in to one of our numbers (`to`) rings, from `from` (none when withheld): the
    /// server rings its agents.
    Incoming {
        at: u64,
        from: Option<String>,
        to: String,
    },
    /// The target's phone is ringing.
    Ringing { at: u64 },
    /// The target answered and is bridged to the agent.
    Answered { at: u64 },
    /// The call is over (or its end is decided and the legs are being hung up).
    Ended {
        at: u64,
        reason: EndReason,
        /// Why, in words, when there is more to say than the reason.
        cause: Option<String>,
    },
    /// `StartCallRecording` succeeded: the recording will be delivered to `location`
    /// (`bucket/key`, as the service's `CallRecordingDestination` gives it).
    RecordingStarted { at: u64, location: String },
    /// `StartCallRecording` failed: nothing will be delivered.
    RecordingFailed { at: u64, cause: Option<String> },
}

impl CallProgress {
    /// The progress as JSON for a log line: a call in's numbers are left out (logs never carry
    /// phone numbers).
    pub fn log_text(&self) -> String {
        match self {
            CallProgress::Incoming { at, from, .. } => serde_json::json!({
                "state": "incoming",
                "at": at,
                "withheld": from.is_none(),
            })
            .to_string(),
            other => serde_json::to_string(other).unwrap_or_default(),
        }
    }
}

/// The result of one invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What the Lambda returns.
    pub response: Response,
    /// Set when the event changed what the call record should say.
    pub progress: Option<CallProgress>,
    /// Our call id (from the attributes), to find the record with.
    pub call_id: Option<String>,
}

/// Runs the flow for one event. `policy` is the server's dialling policy for an E.164 number;
/// `now_ms` stamps the progress.
pub fn handle(
    event: &Event,
    policy: &dyn Fn(&str) -> Result<(), RefusalReason>,
    now_ms: u64,
) -> Outcome {
    let stored = event
        .call_details
        .transaction_attributes
        .clone()
        .unwrap_or_default();
    let mut call = Call {
        event,
        policy,
        state: CallState::from_attributes(&stored),
        actions: Vec::new(),
        progress: None,
        now_ms,
    };
    match &event.invocation_event_type {
        EventType::NewOutboundCall => call.new_outbound(),
        EventType::NewInboundCall => call.new_inbound(),
        EventType::Ringing => call.ringing(),
        EventType::CallAnswered => call.answered(),
        EventType::ActionSuccessful => call.action_succeeded(),
        EventType::ActionFailed => call.action_failed(),
        EventType::CallUpdateRequested => call.update_requested(),
        EventType::Hangup => call.hung_up(),
        // Notifications that need nothing from this flow; the state is kept as it is.
        EventType::ActionInterrupted
        | EventType::DigitsReceived
        | EventType::InvalidLambdaResponse
        | EventType::Other(_) => {}
    }
    call.finish()
}

/// One invocation's working state.
pub(crate) struct Call<'e> {
    pub(crate) event: &'e Event,
    policy: &'e dyn Fn(&str) -> Result<(), RefusalReason>,
    pub(crate) state: CallState,
    pub(crate) actions: Vec<Action>,
    pub(crate) progress: Option<CallProgress>,
    pub(crate) now_ms: u64,
}

impl Call<'_> {
    fn finish(self) -> Outcome {
        Outcome {
            response: Response::new(self.actions, Some(self.state.to_attributes())),
            progress: self.progress,
            call_id: self.state.call_id,
        }
    }

    fn new_outbound(&mut self) {
        if let Some(arguments) = self.event.arguments() {
            self.state = CallState::from_attributes(arguments);
        }
    }

    fn ringing(&mut self) {
        // Leg A ringing is the meeting bridge; only ringing while bridging is the target's.
        if self.state.stage == Stage::Bridging {
            self.progress = Some(CallProgress::Ringing { at: self.now_ms });
        }
    }

    fn answered(&mut self) {
        if self.state.inbound {
            // A call in is answered by joining it to a meeting (`joined_in`).
            return;
        }
        match self.state.stage {
            Stage::Placed => {}
            // The agent gave up while leg A was being set up: it is not wanted any more.
            Stage::Ended => return self.hang_up_leg_a(),
            Stage::Joining
            | Stage::Bridging
            | Stage::Bridged
            | Stage::Offered
            | Stage::Answering => return,
        }
        let (Some(join_token), Some(meeting_id)) =
            (self.state.join_token.clone(), self.state.meeting_id.clone())
        else {
            return self.end(
                EndReason::Failed,
                Some("the call was placed without a meeting id and join token".into()),
            );
        };
        let leg_a = self.leg_call_id(&ParticipantTag::LegA);
        self.actions
            .push(Action::JoinChimeMeeting(JoinChimeMeeting {
                join_token,
                meeting_id,
                participant_tag: leg_a.is_none().then_some(ParticipantTag::LegA),
                call_id: leg_a,
            }));
        self.state.stage = Stage::Joining;
    }

    fn action_succeeded(&mut self) {
        let Some(data) = &self.event.action_data else {
            return;
        };
        match data.action_type {
            ActionType::JoinChimeMeeting if self.state.stage == Stage::Joining => self.bridge(),
            ActionType::JoinChimeMeeting if self.state.inbound => self.joined_in(),
            ActionType::CallAndBridge => self.bridged(),
            ActionType::StartCallRecording => {
                self.progress = Some(match recording_location(data) {
                    Some(location) => CallProgress::RecordingStarted {
                        at: self.now_ms,
                        location,
                    },
                    None => CallProgress::RecordingFailed {
                        at: self.now_ms,
                        cause: Some("the service did not say where the recording goes".into()),
                    },
                });
            }
            _ => {}
        }
    }

    /// Leg A is in the meeting: dial the target, if the policy still allows it.
    fn bridge(&mut self) {
        let Some(target) = self.state.target.clone() else {
            return self.end(EndReason::Failed, Some("the call has no target".into()));
        };
        if let Err(reason) = (self.policy)(&target) {
            return self.end(
                EndReason::Refused,
                Some(format!(
                    "the dialling policy refuses it: {}",
                    reason.as_str()
                )),
            );
        }
        let Some(caller_id) = self.state.caller_id.clone() else {
            return self.end(EndReason::Failed, Some("the call has no caller ID".into()));
        };
        let ringback_tone = self
            .state
            .ringback_tone
            .as_deref()
            .and_then(split_s3_path)
            .map(|(bucket, key)| AudioSource::s3(bucket, key));
        self.actions.push(Action::CallAndBridge(CallAndBridge {
            call_timeout_seconds: Some(call_timeout_seconds()),
            caller_id_number: caller_id,
            ringback_tone,
            endpoints: vec![Endpoint::pstn(&target)],
            sip_headers: None,
        }));
        self.state.stage = Stage::Bridging;
    }

    fn bridged(&mut self) {
        if let Some(leg_b) = self.leg_call_id(&ParticipantTag::LegB) {
            self.state.pstn_call_id = Some(leg_b);
        }
        if self.state.stage == Stage::Ended {
            // The agent hung up while it rang: the target answered a call nobody wants.
            if let Some(leg_b) = self.state.pstn_call_id.clone() {
                self.actions.push(Action::Hangup(Hangup::call(&leg_b)));
            }
            return;
        }
        self.state.stage = Stage::Bridged;
        self.progress = Some(CallProgress::Answered { at: self.now_ms });
    }

    fn action_failed(&mut self) {
        let Some(data) = &self.event.action_data else {
            return;
        };
        let cause = failure_cause(data);
        match data.action_type {
            ActionType::CallAndBridge => self.end(bridge_failure_reason(data), cause),
            ActionType::JoinChimeMeeting => self.end(EndReason::Failed, cause),
            // The call goes on unrecorded; the server says so. The only prompt this flow plays
            // is the consent notice right before `StartCallRecording`, which does not run once
            // the notice has failed: no notice, no recording.
            ActionType::StartCallRecording | ActionType::PlayAudio => {
                self.progress = Some(CallProgress::RecordingFailed {
                    at: self.now_ms,
                    cause,
                });
            }
            // Digits, the other recording actions and hang-ups failing leave the call as it
            // is.
            _ => {}
        }
    }

    fn update_requested(&mut self) {
        let Some(arguments) = self.event.arguments() else {
            return;
        };
        let argument = |key: &str| arguments.get(key).map(|value| value.trim());
        let Some(request) = argument(update::ACTION) else {
            return;
        };
        let unanswered_in =
            self.state.inbound && matches!(self.state.stage, Stage::Offered | Stage::Answering);
        match request {
            update::ANSWER_ACTION => return self.answer_in(),
            update::HANGUP_ACTION if unanswered_in => {
                return self.hang_up_in(argument(update::SIP_CODE))
            }
            update::HANGUP_ACTION => return self.agent_hung_up(),
            _ => {}
        }
        // Everything else acts on the bridged PSTN leg.
        let (Stage::Bridged, Some(leg_b)) = (self.state.stage, self.state.pstn_call_id.clone())
        else {
            return;
        };
        match request {
            update::DIGITS_ACTION => {
                let Some(digits) = argument(update::DIGITS) else {
                    return;
                };
                if SendDigits::digits_are_valid(digits) {
                    self.actions.push(Action::SendDigits(SendDigits {
                        call_id: leg_b,
                        digits: digits.to_string(),
                        tone_duration_in_milliseconds: Some(DIGIT_TONE_MS),
                    }));
                }
            }
            update::RECORD_START_ACTION => {
                let Some(destination) = argument(update::DESTINATION).filter(|d| !d.is_empty())
                else {
                    return;
                };
                if let Some((bucket, key)) = argument(update::CONSENT_TONE).and_then(split_s3_path)
                {
                    self.actions.push(Action::PlayAudio(PlayAudio {
                        call_id: Some(leg_b.clone()),
                        participant_tag: None,
                        playback_terminators: None,
                        repeat: None,
                        audio_source: AudioSource::s3(bucket, key),
                    }));
                }
                // Leg B, both tracks: left = the called party, right = the agent, as today.
                self.actions
                    .push(Action::StartCallRecording(StartCallRecording {
                        call_id: leg_b,
                        track: Track::Both,
                        destination: RecordingDestination::s3(destination),
                    }));
            }
            update::RECORD_PAUSE_ACTION => self
                .actions
                .push(Action::PauseCallRecording(CallLeg::new(&leg_b))),
            update::RECORD_RESUME_ACTION => self
                .actions
                .push(Action::ResumeCallRecording(CallLeg::new(&leg_b))),
            update::RECORD_STOP_ACTION => self
                .actions
                .push(Action::StopCallRecording(CallLeg::new(&leg_b))),
            _ => {}
        }
    }

    fn agent_hung_up(&mut self) {
        match (self.state.stage, self.state.pstn_call_id.clone()) {
            (Stage::Ended, _) => {}
            (Stage::Bridged, Some(leg_b)) => {
                // Leg B first; its HANGUP event brings leg A down.
                self.actions.push(Action::Hangup(Hangup::call(&leg_b)));
                self.mark_ended(EndReason::Completed, Some("the agent hung up".into()));
            }
            _ => self.end(EndReason::Cancelled, Some("the agent hung up".into())),
        }
    }

    fn hung_up(&mut self) {
        if self.state.inbound {
            return self.caller_hung_up();
        }
        let Some(gone) = self.hung_up_leg() else {
            return;
        };
        let other = match gone {
            ParticipantTag::LegA => ParticipantTag::LegB,
            ParticipantTag::LegB => ParticipantTag::LegA,
            ParticipantTag::Other(_) => return,
        };
        if self.state.stage != Stage::Ended {
            let code = self
                .event
                .action_data
                .as_ref()
                .and_then(|data| data.parameters.sip_response_code)
                .unwrap_or(0);
            let (reason, cause) = hangup_reason(self.state.stage, &gone, code);
            self.mark_ended(reason, cause);
        }
        if let Some(call_id) = self.still_connected(&other) {
            self.actions.push(Action::Hangup(Hangup::call(&call_id)));
        }
    }

    /// The leg a `HANGUP` is about: `ActionData`'s tag, else its call id, else the one leg
    /// listed as disconnected.
    fn hung_up_leg(&self) -> Option<ParticipantTag> {
        let parameters = self.event.action_data.as_ref().map(|data| &data.parameters);
        if let Some(tag) = parameters.and_then(|p| p.participant_tag.clone()) {
            return Some(tag);
        }
        let participants = &self.event.call_details.participants;
        if let Some(call_id) = parameters.and_then(|p| p.call_id.as_deref()) {
            if let Some(leg) = participants.iter().find(|leg| leg.call_id == call_id) {
                return Some(leg.participant_tag.clone());
            }
        }
        let mut disconnected = participants
            .iter()
            .filter(|leg| leg.status == Some(ParticipantStatus::Disconnected));
        match (disconnected.next(), disconnected.next()) {
            (Some(leg), None) => Some(leg.participant_tag.clone()),
            _ => None,
        }
    }

    /// The call id of a leg that is still up: listed and not disconnected, or for leg B, known
    /// from the bridge when the event does not list it.
    fn still_connected(&self, tag: &ParticipantTag) -> Option<String> {
        match self.event.participant(tag) {
            Some(leg) if leg.status == Some(ParticipantStatus::Disconnected) => None,
            Some(leg) => Some(leg.call_id.clone()),
            None if *tag == ParticipantTag::LegB => self.state.pstn_call_id.clone(),
            None => None,
        }
    }

    fn leg_call_id(&self, tag: &ParticipantTag) -> Option<String> {
        self.event.participant(tag).map(|leg| leg.call_id.clone())
    }

    /// Ends the call before the target is bridged: leg A is the only leg to hang up.
    fn end(&mut self, reason: EndReason, cause: Option<String>) {
        self.hang_up_leg_a();
        self.mark_ended(reason, cause);
    }

    /// Hangs up leg A unless the event lists it as gone already.
    fn hang_up_leg_a(&mut self) {
        let hangup = match self.event.participant(&ParticipantTag::LegA) {
            Some(leg) if leg.status == Some(ParticipantStatus::Disconnected) => return,
            Some(leg) => Hangup::call(&leg.call_id),
            None => Hangup::leg(ParticipantTag::LegA),
        };
        self.actions.push(Action::Hangup(hangup));
    }

    /// Records the end once; later events only tidy up.
    pub(crate) fn mark_ended(&mut self, reason: EndReason, cause: Option<String>) {
        if self.state.stage == Stage::Ended {
            return;
        }
        self.state.stage = Stage::Ended;
        self.state.end_reason = Some(reason);
        self.progress = Some(CallProgress::Ended {
            at: self.now_ms,
            reason,
            cause,
        });
    }
}

/// The ring time the server's own calls allow, within the 1–120 s `CallAndBridge` accepts.
pub fn call_timeout_seconds() -> u32 {
    let seconds = CallLimits::default().ring_timeout_ms / 1000;
    u32::try_from(seconds.clamp(1, 120)).unwrap_or(120)
}

/// `ErrorType: ErrorMessage`, or whichever of them the event has.
/// Where a started recording will be delivered: `CallRecordingDestination.Location` (the key
/// read loosely: the guide's examples vary in spelling and spacing).
fn recording_location(data: &ActionData) -> Option<String> {
    let destination = data.call_recording_destination.as_ref()?.as_object()?;
    destination
        .iter()
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("location"))
        .and_then(|(_, value)| value.as_str())
        .map(str::trim)
        .filter(|location| !location.is_empty())
        .map(str::to_string)
}

fn failure_cause(data: &ActionData) -> Option<String> {
    match (data.error_kind(), data.error_message.as_deref()) {
        (Some(kind), Some(message)) => Some(format!("{kind}: {message}")),
        (Some(_), None) => data.error.clone().or_else(|| data.error_type.clone()),
        (None, Some(message)) => Some(message.to_string()),
        (None, None) => None,
    }
}

/// The end reason for a failed `CallAndBridge`: from a SIP code when the event carries one,
/// else from the error type (only `CallNotAnswered` is in the guide; the others are guesses,
/// listed in docs/chime.md).
pub fn bridge_failure_reason(data: &ActionData) -> EndReason {
    if let Some(code) = data
        .parameters
        .sip_response_code
        .filter(|code| *code >= 300)
    {
        return end_reason_for_status(code);
    }
    let kind = data.error_kind().unwrap_or_default().to_ascii_lowercase();
    if kind.contains("busy") {
        EndReason::Busy
    } else if kind.contains("notanswered") || kind.contains("noanswer") || kind.contains("timeout")
    {
        EndReason::NoAnswer
    } else if kind.contains("notfound") || kind.contains("invalidphonenumber") {
        EndReason::NotFound
    } else if kind.contains("rejected") || kind.contains("declined") {
        EndReason::Refused
    } else {
        EndReason::Failed
    }
}

/// Why the call ended when a leg hung up on its own (not at our request).
fn hangup_reason(stage: Stage, gone: &ParticipantTag, code: u16) -> (EndReason, Option<String>) {
    let by = match gone {
        ParticipantTag::LegB => "the called party hung up",
        _ => "the agent's side hung up",
    };
    match (stage, gone) {
        (Stage::Bridged, _) => (EndReason::Completed, Some(by.into())),
        // The target's leg ended before the bridge: what its SIP code says.
        (_, ParticipantTag::LegB) if code >= 300 => (
            end_reason_for_status(code),
            Some(format!("the target's leg ended with SIP {code}")),
        ),
        (_, ParticipantTag::LegB) => (EndReason::Failed, Some(by.into())),
        // Leg A going before the bridge: the agent left (normal clearing) or the meeting side
        // failed.
        (_, _) if code == 0 => (EndReason::Cancelled, Some(by.into())),
        (_, _) => (
            EndReason::Failed,
            Some(format!("the meeting leg ended with SIP {code}")),
        ),
    }
}
