//! `CreateMeeting`, `CreateAttendee` and `DeleteMeeting` (chime-sdk-meetings).

use aws_sdk_chimesdkmeetings::types;

use super::error::sdk_error;
use super::{ChimeControl, ChimeError};
use crate::config::Secret;

/// A meeting that carries one call's audio; the browser joins it with these values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meeting {
    pub meeting_id: String,
    /// Our call id.
    pub external_meeting_id: String,
    pub media_region: String,
    pub media_placement: MediaPlacement,
}

/// Where the meeting's media and signalling are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaPlacement {
    pub audio_host_url: String,
    pub audio_fallback_url: Option<String>,
    pub signaling_url: String,
    pub turn_control_url: Option<String>,
    pub event_ingestion_url: Option<String>,
}

/// One participant's seat in a meeting: the agent's browser, or the SIP media application's
/// leg (whose join token goes into `JoinChimeMeeting`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attendee {
    pub attendee_id: String,
    pub external_user_id: String,
    /// Lets whoever holds it join the meeting: never logged.
    pub join_token: Secret<String>,
}

impl ChimeControl {
    /// A meeting for our call `call_id` (its external meeting id) in the configured media
    /// Region. The SDK supplies the idempotency token, the same on its own retries.
    pub async fn create_meeting(&self, call_id: &str) -> Result<Meeting, ChimeError> {
        const OPERATION: &str = "CreateMeeting";
        let out = self
            .meetings
            .create_meeting()
            .external_meeting_id(call_id)
            .media_region(&self.settings.media_region)
            .send()
            .await
            .map_err(|e| sdk_error(OPERATION, e))?;
        let meeting = out
            .meeting
            .ok_or_else(|| incomplete(OPERATION, "no Meeting"))?;
        meeting_from(OPERATION, meeting)
    }

    /// An attendee of `meeting_id`; `external_user_id` says who it is (2-64 characters).
    pub async fn create_attendee(
        &self,
        meeting_id: &str,
        external_user_id: &str,
    ) -> Result<Attendee, ChimeError> {
        const OPERATION: &str = "CreateAttendee";
        let out = self
            .meetings
            .create_attendee()
            .meeting_id(meeting_id)
            .external_user_id(external_user_id)
            .send()
            .await
            .map_err(|e| sdk_error(OPERATION, e))?;
        let attendee = out
            .attendee
            .ok_or_else(|| incomplete(OPERATION, "no Attendee"))?;
        Ok(Attendee {
            attendee_id: attendee
                .attendee_id
                .ok_or_else(|| incomplete(OPERATION, "no AttendeeId"))?,
            external_user_id: attendee
                .external_user_id
                .unwrap_or_else(|| external_user_id.to_string()),
            join_token: Secret::new(
                attendee
                    .join_token
                    .ok_or_else(|| incomplete(OPERATION, "no JoinToken"))?,
            ),
        })
    }

    /// Ends the meeting: every attendee, the SIP media application's leg included, is dropped.
    pub async fn delete_meeting(&self, meeting_id: &str) -> Result<(), ChimeError> {
        self.meetings
            .delete_meeting()
            .meeting_id(meeting_id)
            .send()
            .await
            .map_err(|e| sdk_error("DeleteMeeting", e))?;
        Ok(())
    }
}

fn meeting_from(operation: &'static str, meeting: types::Meeting) -> Result<Meeting, ChimeError> {
    let placement = meeting
        .media_placement
        .ok_or_else(|| incomplete(operation, "no MediaPlacement"))?;
    Ok(Meeting {
        meeting_id: meeting
            .meeting_id
            .ok_or_else(|| incomplete(operation, "no MeetingId"))?,
        external_meeting_id: meeting.external_meeting_id.unwrap_or_default(),
        media_region: meeting.media_region.unwrap_or_default(),
        media_placement: MediaPlacement {
            audio_host_url: placement
                .audio_host_url
                .ok_or_else(|| incomplete(operation, "no AudioHostUrl"))?,
            audio_fallback_url: placement.audio_fallback_url,
            signaling_url: placement
                .signaling_url
                .ok_or_else(|| incomplete(operation, "no SignalingUrl"))?,
            turn_control_url: placement.turn_control_url,
            event_ingestion_url: placement.event_ingestion_url,
        },
    })
}

/// A success response without what the call needs: the service (or a stand-in) broke its
/// contract, so nothing the caller sent is at fault.
fn incomplete(operation: &'static str, what: &str) -> ChimeError {
    ChimeError::Unavailable {
        operation,
        message: format!("the response has {what}"),
    }
}
