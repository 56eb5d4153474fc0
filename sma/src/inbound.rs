//! The call-in flow (docs/chime.md, "Calls in"): `NEW_INBOUND_CALL` is told to the server and
//! left ringing (no action: the caller hears the network's ringing, and the service gives up
//! after 30 s); the server rings its agents and, when one answers, asks through
//! `UpdateSipMediaApplicationCall` (`Action=answer`) for the caller's leg to join that agent's
//! meeting (`JoinChimeMeeting`, which answers the call), or refuses it (`Action=hangup`, a SIP
//! code, `Hangup` before answering: the caller is not charged). Once joined, the caller's leg A
//! is the call's PSTN leg: keys, recording and hang-up act on it as on a call out's leg B.

use app::domain::calls::EndReason;

use crate::action::{Action, Hangup, JoinChimeMeeting};
use crate::event::ParticipantTag;
use crate::flow::{update, Call, CallProgress};
use crate::state::Stage;

/// The refusal of a call in when the server names no code (480 Temporarily Unavailable).
pub const DEFAULT_REFUSAL_CODE: u16 = 480;

/// How long the server may let a call in ring: the service ends an unanswered one after 30 s,
/// and the answer (the meeting, then `JoinChimeMeeting`) needs a moment.
pub const RING_LIMIT_SECS: u32 = 25;

impl Call<'_> {
    /// A call to one of our numbers: the server is told who calls and which number.
    pub(crate) fn new_inbound(&mut self) {
        let caller = self.event.participant(&ParticipantTag::LegA);
        let to = caller
            .and_then(|leg| leg.to.as_deref())
            .map(str::trim)
            .filter(|to| !to.is_empty());
        let (Some(caller), Some(to)) = (caller, to) else {
            // No leg, or no number called: nothing to ring for. Refused, never answered.
            let leg_a = caller.map(|leg| leg.call_id.clone());
            self.actions
                .push(Action::Hangup(refusal(leg_a, DEFAULT_REFUSAL_CODE)));
            return;
        };
        self.state.inbound = true;
        self.state.stage = Stage::Offered;
        self.state.pstn_call_id = Some(caller.call_id.clone());
        self.progress = Some(CallProgress::Incoming {
            at: self.now_ms,
            from: caller.from.as_deref().and_then(e164),
            to: to.to_string(),
        });
    }

    /// `Action=answer`: the caller joins the answering agent's meeting.
    pub(crate) fn answer_in(&mut self) {
        if !self.state.inbound || self.state.stage != Stage::Offered {
            return;
        }
        let Some(arguments) = self.event.arguments() else {
            return;
        };
        let text = |key: &str| {
            arguments
                .get(key)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let (Some(meeting_id), Some(join_token), Some(call_id)) = (
            text(update::MEETING_ID),
            text(update::JOIN_TOKEN),
            text(update::CALL_ID),
        ) else {
            return self.refuse_in(DEFAULT_REFUSAL_CODE, "the answer named no meeting");
        };
        let leg_a = self.state.pstn_call_id.clone();
        self.actions
            .push(Action::JoinChimeMeeting(JoinChimeMeeting {
                join_token,
                meeting_id: meeting_id.clone(),
                participant_tag: leg_a.is_none().then_some(ParticipantTag::LegA),
                call_id: leg_a,
            }));
        // The join token is a credential: used once here, never kept in the attributes.
        self.state.meeting_id = Some(meeting_id);
        self.state.call_id = Some(call_id);
        self.state.stage = Stage::Answering;
    }

    /// `JoinChimeMeeting` succeeded: the caller and the agent hear each other.
    pub(crate) fn joined_in(&mut self) {
        if self.state.stage != Stage::Answering {
            return;
        }
        self.state.stage = Stage::Bridged;
        self.progress = Some(CallProgress::Answered { at: self.now_ms });
    }

    /// `Action=hangup` before the answer: refused with the server's code (or 480).
    pub(crate) fn hang_up_in(&mut self, code: Option<&str>) {
        let code = code
            .and_then(|code| code.parse::<u16>().ok())
            .filter(|code| (400..=699).contains(code))
            .unwrap_or(DEFAULT_REFUSAL_CODE);
        self.refuse_in(code, "the server refused the call");
    }

    fn refuse_in(&mut self, code: u16, cause: &str) {
        let leg_a = self.state.pstn_call_id.clone();
        self.actions.push(Action::Hangup(refusal(leg_a, code)));
        self.mark_ended(EndReason::Missed, Some(cause.to_string()));
    }

    /// `HANGUP` of the caller's leg (there is no other): before the answer the call was
    /// missed; after it, the caller hung up. Our own hang-ups were reported when asked for.
    pub(crate) fn caller_hung_up(&mut self) {
        match self.state.stage {
            Stage::Ended => {}
            Stage::Bridged => {
                self.mark_ended(EndReason::Completed, Some("the caller hung up".into()))
            }
            _ => self.mark_ended(EndReason::Missed, Some("the caller hung up".into())),
        }
    }
}

/// `Hangup` of an unanswered leg with a refusal code.
fn refusal(call_id: Option<String>, code: u16) -> Hangup {
    Hangup {
        participant_tag: call_id.is_none().then_some(ParticipantTag::LegA),
        call_id,
        sip_response_code: code.to_string(),
    }
}

/// The caller's number when it is one (`+` and 8 to 15 digits); withheld or anything else is
/// `None`.
fn e164(from: &str) -> Option<String> {
    let from = from.trim();
    let digits = from.strip_prefix('+')?;
    ((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| from.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_ins_log_text_has_no_numbers() {
        let progress = CallProgress::Incoming {
            at: 5,
            from: Some("+6591234567".into()),
            to: "+6562220000".into(),
        };
        let text = progress.log_text();
        assert!(!text.contains("+65"), "{text}");
        assert!(text.contains("incoming"), "{text}");
        let ended = CallProgress::Ended {
            at: 6,
            reason: EndReason::Missed,
            cause: None,
        };
        assert!(ended.log_text().contains("missed"));
    }

    #[test]
    fn callers_numbers() {
        assert_eq!(e164(" +6591234567 ").as_deref(), Some("+6591234567"));
        for not in [
            "anonymous",
            "",
            "+",
            "+12",
            "6591234567",
            "+65 9123 4567",
            "+1234567890123456",
        ] {
            assert_eq!(e164(not), None, "{not:?}");
        }
    }
}
