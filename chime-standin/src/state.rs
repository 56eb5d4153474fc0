//! What the stand-in keeps: meetings with their attendees, and SIP media application calls with
//! the updates they were sent.

use std::collections::HashMap;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::media::AttachedLeg;

#[derive(Default)]
pub(crate) struct State {
    pub meetings: HashMap<String, MeetingRecord>,
    /// Cancelled when the meeting is deleted: its signalling sessions close.
    pub meeting_ends: HashMap<String, CancellationToken>,
    /// Each meeting's media leg, and the last leg id given out.
    pub legs: HashMap<String, AttachedLeg>,
    pub next_leg_id: u64,
    /// `ClientRequestToken` → meeting id: a repeated request returns the same meeting.
    pub meeting_tokens: HashMap<String, String>,
    pub calls: HashMap<String, SmaCallRecord>,
    /// Each running call's runtime, which takes its updates.
    pub runtimes: HashMap<String, crate::sma_runtime::UpdateSender>,
    /// Calls in that `JoinChimeMeeting` sent to a meeting, until its browser subscribes: its
    /// leg answers the caller (`signal`).
    pub answering: HashMap<String, telephony::gateway::IncomingCall>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MeetingRecord {
    /// The `Meeting` object as returned.
    pub meeting: Value,
    pub attendees: Vec<AttendeeRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendeeRecord {
    pub attendee_id: String,
    pub external_user_id: String,
    pub join_token: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmaCallRecord {
    pub sip_media_application_id: String,
    pub from_phone_number: String,
    pub to_phone_number: String,
    pub sip_headers: Vec<(String, String)>,
    pub arguments_map: Vec<(String, String)>,
    /// Each `UpdateSipMediaApplicationCall`'s `Arguments`, in order.
    pub updates: Vec<Vec<(String, String)>>,
    /// The events the runtime invoked the handler with, in order: the event type, and the
    /// action (`ACTION_SUCCESSFUL CallAndBridge`) or leg (`HANGUP LEG-B`) it is about.
    pub events: Vec<String>,
    /// Both legs are gone and the runtime has stopped.
    pub ended: bool,
}
