//! A call's audio through an Amazon Chime SDK meeting (`docs/chime.md`): the meeting and its two
//! attendees (the agent's browser, the SIP media application's leg), the SIP media application
//! call that joins the meeting and dials the target, its updates (keys, hang-up) and the
//! meeting's deletion at the end. The handler's progress comes back through the hub
//! ([`super::CallHub::progress`]) as the domain's trunk events.

use std::sync::Arc;

use app::domain::call::TrunkEvent;
use sma::flow::CallProgress;

use super::incoming::AnsweredCallIn;
use crate::chime::{Attendee, CallUpdate, ChimeControl, ChimeError, Meeting, SmaCallArguments};

/// The JSON texts amazon-chime-sdk-js joins with, shaped as `CreateMeeting` and
/// `CreateAttendee` return them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JoinInfo {
    pub meeting: String,
    pub attendee: String,
}

pub(crate) struct ChimeLeg {
    control: Arc<ChimeControl>,
    meeting: Meeting,
    /// The SIP media application leg's seat: its join token goes in the call's arguments.
    phone: Attendee,
    call_id: String,
    target: String,
    /// The SIP media application call, once placed.
    transaction_id: Option<String>,
    /// The last progress applied: a push that arrives late (a retry) is not applied twice.
    last_sequence: Option<u64>,
    /// A call in: told when the caller hangs up before the handler knows our call id (its
    /// pushes then name the transaction only).
    call_in_gone: Option<tokio::sync::watch::Receiver<bool>>,
}

impl ChimeLeg {
    /// Creates the call's meeting and both attendees; the agent's seat is what the browser
    /// joins with. Ids carry no personal data: they are derived from the call id.
    pub async fn open(
        control: Arc<ChimeControl>,
        call_id: &str,
        target: &str,
    ) -> Result<(ChimeLeg, JoinInfo), ChimeError> {
        let meeting = control.create_meeting(call_id).await?;
        let created = async {
            let agent = control
                .create_attendee(&meeting.meeting_id, &format!("agent-{call_id}"))
                .await?;
            let phone = control
                .create_attendee(&meeting.meeting_id, &format!("phone-{call_id}"))
                .await?;
            Ok::<_, ChimeError>((agent, phone))
        }
        .await;
        let (agent, phone) = match created {
            Ok(seats) => seats,
            Err(e) => {
                // Nobody will join: the meeting is removed now rather than left to expire.
                if let Err(e) = control.delete_meeting(&meeting.meeting_id).await {
                    tracing::warn!(call = %call_id, error = %e, "meeting not deleted");
                }
                return Err(e);
            }
        };
        let join = JoinInfo {
            meeting: meeting_json(&meeting),
            attendee: attendee_json(&agent),
        };
        let leg = ChimeLeg {
            control,
            meeting,
            phone,
            call_id: call_id.to_string(),
            target: target.to_string(),
            transaction_id: None,
            last_sequence: None,
            call_in_gone: None,
        };
        Ok((leg, join))
    }

    /// Makes this leg the answer to a call in (its SIP media application call is the caller's).
    pub fn answers(&mut self, call: AnsweredCallIn) {
        self.transaction_id = Some(call.transaction_id);
        self.call_in_gone = Some(call.gone);
    }

    /// Asks the handler to join the caller to this call's meeting, which answers the call.
    pub async fn accept(&self) -> Result<(), ChimeError> {
        self.update(&CallUpdate::Answer {
            meeting_id: self.meeting.meeting_id.clone(),
            join_token: self.phone.join_token.clone(),
            call_id: self.call_id.clone(),
        })
        .await
    }

    /// Resolves once when the caller of a call in hangs up before the handler knew our call
    /// id; never otherwise.
    pub async fn caller_gone(&mut self) {
        let Some(gone) = self.call_in_gone.as_mut() else {
            return std::future::pending().await;
        };
        super::incoming::until_gone(gone).await;
        self.call_in_gone = None;
    }

    /// The SIP media application call's transaction, once placed.
    pub fn transaction_id(&self) -> Option<&str> {
        self.transaction_id.as_deref()
    }

    /// Places the SIP media application call: it joins the meeting, then dials the target.
    pub async fn invite(&mut self) -> Result<(), ChimeError> {
        let settings = self.control.settings();
        let arguments = SmaCallArguments {
            meeting_id: self.meeting.meeting_id.clone(),
            join_token: self.phone.join_token.clone(),
            target: self.target.clone(),
            call_id: self.call_id.clone(),
            caller_id: settings.caller_id.clone(),
            ringback_tone: None,
        };
        let call = self.control.create_sma_call(&arguments).await?;
        self.transaction_id = Some(call.transaction_id);
        Ok(())
    }

    /// Asks the handler to hang up (both legs: it hangs up the other when one ends). Before the
    /// call is placed there is nothing to hang up.
    pub async fn hang_up(&self) -> Result<(), ChimeError> {
        self.update(&CallUpdate::Hangup).await
    }

    /// Keys for the called party (`SendDigits` on the PSTN leg).
    pub async fn digits(&self, digits: &str) -> Result<(), ChimeError> {
        self.update(&CallUpdate::Digits(digits.to_string())).await
    }

    async fn update(&self, update: &CallUpdate) -> Result<(), ChimeError> {
        match &self.transaction_id {
            Some(transaction) => self.control.update_sma_call(transaction, update).await,
            None => Ok(()),
        }
    }

    /// Recording steps (`StartCallRecording` and the others on the PSTN leg).
    pub async fn record(&self, update: &CallUpdate) -> Result<(), ChimeError> {
        self.update(update).await
    }

    /// What the handler's progress means for the session; `None` for a push already applied
    /// (same or older sequence), or one that is not the session's.
    pub fn progress(&mut self, sequence: u64, progress: CallProgress) -> Option<LegProgress> {
        if self.last_sequence.is_some_and(|last| sequence <= last) {
            tracing::debug!(call = %self.call_id, sequence, "progress already applied");
            return None;
        }
        self.last_sequence = Some(sequence);
        leg_progress(progress)
    }

    /// Deletes the meeting (which ends the browser's session and any leg still in it).
    pub async fn close(self) {
        if let Err(e) = self.control.delete_meeting(&self.meeting.meeting_id).await {
            tracing::warn!(call = %self.call_id, error = %e, "meeting not deleted");
        }
    }
}

/// The handler's progress, in the session's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LegProgress {
    /// For the call's state machine.
    Trunk(TrunkEvent),
    /// The recording runs and will be delivered to this path (`bucket/key`).
    RecordingStarted { location: String },
    /// The recording did not start.
    RecordingFailed { cause: Option<String> },
}

pub(crate) fn leg_progress(progress: CallProgress) -> Option<LegProgress> {
    Some(match progress {
        // A new call in is the hub's (`CallHub::progress`), never a session's.
        CallProgress::Incoming { .. } => return None,
        CallProgress::Ringing { .. } => LegProgress::Trunk(TrunkEvent::Ringing),
        CallProgress::Answered { .. } => LegProgress::Trunk(TrunkEvent::Answered),
        CallProgress::Ended { reason, cause, .. } => {
            LegProgress::Trunk(TrunkEvent::Ended { reason, cause })
        }
        CallProgress::RecordingStarted { location, .. } => {
            LegProgress::RecordingStarted { location }
        }
        CallProgress::RecordingFailed { cause, .. } => LegProgress::RecordingFailed { cause },
    })
}

fn meeting_json(m: &Meeting) -> String {
    let p = &m.media_placement;
    serde_json::json!({
        "Meeting": {
            "MeetingId": m.meeting_id,
            "ExternalMeetingId": m.external_meeting_id,
            "MediaRegion": m.media_region,
            "MediaPlacement": {
                "AudioHostUrl": p.audio_host_url,
                "AudioFallbackUrl": p.audio_fallback_url,
                "SignalingUrl": p.signaling_url,
                "TurnControlUrl": p.turn_control_url,
                "EventIngestionUrl": p.event_ingestion_url,
            },
        }
    })
    .to_string()
}

fn attendee_json(a: &Attendee) -> String {
    serde_json::json!({
        "Attendee": {
            "AttendeeId": a.attendee_id,
            "ExternalUserId": a.external_user_id,
            "JoinToken": a.join_token.expose(),
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::calls::EndReason;

    #[test]
    fn progress_maps_to_the_sessions_words() {
        assert_eq!(
            leg_progress(CallProgress::Ringing { at: 1 }),
            Some(LegProgress::Trunk(TrunkEvent::Ringing))
        );
        assert_eq!(
            leg_progress(CallProgress::Incoming {
                at: 1,
                from: None,
                to: "+6560000000".into()
            }),
            None
        );
        assert_eq!(
            leg_progress(CallProgress::Answered { at: 2 }),
            Some(LegProgress::Trunk(TrunkEvent::Answered))
        );
        assert_eq!(
            leg_progress(CallProgress::Ended {
                at: 3,
                reason: EndReason::Busy,
                cause: Some("486".into())
            }),
            Some(LegProgress::Trunk(TrunkEvent::Ended {
                reason: EndReason::Busy,
                cause: Some("486".into())
            }))
        );
        assert_eq!(
            leg_progress(CallProgress::RecordingStarted {
                at: 4,
                location: "b/k.wav".into()
            }),
            Some(LegProgress::RecordingStarted {
                location: "b/k.wav".into()
            })
        );
        assert_eq!(
            leg_progress(CallProgress::RecordingFailed { at: 5, cause: None }),
            Some(LegProgress::RecordingFailed { cause: None })
        );
    }

    #[test]
    fn the_sdk_reads_the_meeting_and_attendee_shapes() {
        let meeting = Meeting {
            meeting_id: "m-1".into(),
            external_meeting_id: "call-1".into(),
            media_region: "us-east-1".into(),
            media_placement: crate::chime::MediaPlacement {
                audio_host_url: "audio.example:3478".into(),
                signaling_url: "ws://127.0.0.1:9/control/m-1".into(),
                ..Default::default()
            },
        };
        let json: serde_json::Value = serde_json::from_str(&meeting_json(&meeting)).unwrap();
        assert_eq!(json["Meeting"]["MeetingId"], "m-1");
        assert_eq!(
            json["Meeting"]["MediaPlacement"]["SignalingUrl"],
            "ws://127.0.0.1:9/control/m-1"
        );
        assert_eq!(
            json["Meeting"]["MediaPlacement"]["AudioHostUrl"],
            "audio.example:3478"
        );
        let attendee = Attendee {
            attendee_id: "a-1".into(),
            external_user_id: "agent-call-1".into(),
            join_token: crate::config::Secret::new("token".into()),
        };
        let json: serde_json::Value = serde_json::from_str(&attendee_json(&attendee)).unwrap();
        assert_eq!(json["Attendee"]["AttendeeId"], "a-1");
        assert_eq!(json["Attendee"]["JoinToken"], "token");
    }
}
