//! chime-sdk-meetings: `CreateMeeting`, `CreateAttendee`, `DeleteMeeting`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::AwsError;
use crate::request::Members;
use crate::state::{AttendeeRecord, MeetingRecord};
use crate::StandIn;

/// The media Regions `CreateMeeting` accepts (the SDK's documentation of `MediaRegion`).
const MEDIA_REGIONS: [&str; 20] = [
    "af-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-east-1",
    "us-gov-west-1",
];

/// `POST /meetings`.
pub async fn create_meeting(
    State(stand_in): State<StandIn>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let members = Members::parse(
        "CreateMeeting",
        &body,
        &[
            "ClientRequestToken",
            "MediaRegion",
            "MeetingHostId",
            "ExternalMeetingId",
            "NotificationsConfiguration",
            "MeetingFeatures",
            "PrimaryMeetingId",
            "TenantIds",
            "Tags",
            "MediaPlacementNetworkType",
        ],
    )?;
    let token = members.required("ClientRequestToken", 2, 64)?;
    let region = members.required("MediaRegion", 2, 64)?;
    let external_id = members.required("ExternalMeetingId", 2, 64)?;
    let host_id = members.optional("MeetingHostId", 2, 64)?;
    if !MEDIA_REGIONS.contains(&region.as_str()) {
        return Err(AwsError::bad_request(format!(
            "CreateMeeting: MediaRegion {region} is not a media Region"
        )));
    }
    if external_id.to_ascii_lowercase().starts_with("aws:") {
        return Err(AwsError::bad_request(
            "CreateMeeting: ExternalMeetingId values beginning with aws: are reserved",
        ));
    }
    let mut state = stand_in.state();
    if let Some(existing) = state
        .meeting_tokens
        .get(&token)
        .and_then(|id| state.meetings.get(id))
    {
        return Ok(Json(json!({ "Meeting": existing.meeting })));
    }
    let meeting_id = Uuid::new_v4().to_string();
    let addr = stand_in.addr();
    let config = stand_in.config();
    let mut meeting = json!({
        "MeetingId": meeting_id,
        "ExternalMeetingId": external_id,
        "MediaRegion": region,
        "MediaPlacement": {
            "AudioHostUrl": format!("{addr}"),
            "AudioFallbackUrl": format!("ws://{addr}/calls/{meeting_id}"),
            "SignalingUrl": format!("ws://{addr}/control/{meeting_id}"),
            "TurnControlUrl": format!("http://{addr}/v2/turn_sessions"),
            "ScreenDataUrl": format!("ws://{addr}/v2/screen/{meeting_id}"),
            "ScreenViewingUrl": format!("ws://{addr}/ws/connect?passcode=null&viewer_uuid=null&X-BitHub-Call-Id={meeting_id}"),
            "ScreenSharingUrl": format!("ws://{addr}/v2/screen/{meeting_id}"),
        },
        "MeetingArn": format!("arn:aws:chime:{}:{}:meeting/{meeting_id}", config.region, config.account_id),
    });
    if let Some(host_id) = host_id {
        meeting["MeetingHostId"] = json!(host_id);
    }
    state.meeting_tokens.insert(token, meeting_id.clone());
    state
        .meeting_ends
        .insert(meeting_id.clone(), Default::default());
    state.meetings.insert(
        meeting_id,
        MeetingRecord {
            meeting: meeting.clone(),
            attendees: Vec::new(),
        },
    );
    Ok(Json(json!({ "Meeting": meeting })))
}

/// `POST /meetings/{MeetingId}/attendees`.
pub async fn create_attendee(
    State(stand_in): State<StandIn>,
    Path(meeting_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let members = Members::parse("CreateAttendee", &body, &["ExternalUserId", "Capabilities"])?;
    let external_user_id = members.required("ExternalUserId", 2, 64)?;
    if external_user_id.to_ascii_lowercase().starts_with("aws:") {
        return Err(AwsError::bad_request(
            "CreateAttendee: ExternalUserId values beginning with aws: are reserved",
        ));
    }
    let mut state = stand_in.state();
    let meeting = state
        .meetings
        .get_mut(&meeting_id)
        .ok_or_else(|| meeting_not_found(&meeting_id))?;
    let attendee = AttendeeRecord {
        attendee_id: Uuid::new_v4().to_string(),
        external_user_id,
        // Only [A-Za-z0-9._-]: the browser SDK offers it as a WebSocket subprotocol.
        join_token: format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple()),
    };
    meeting.attendees.push(attendee.clone());
    let mut body = json!({
        "ExternalUserId": attendee.external_user_id,
        "AttendeeId": attendee.attendee_id,
        "JoinToken": attendee.join_token,
    });
    if members.has("Capabilities") {
        body["Capabilities"] = json!({"Audio": "SendReceive", "Video": "None", "Content": "None"});
    }
    Ok(Json(json!({ "Attendee": body })))
}

/// `DELETE /meetings/{MeetingId}`: 204, or 404 once it is gone.
pub async fn delete_meeting(
    State(stand_in): State<StandIn>,
    Path(meeting_id): Path<String>,
) -> Result<StatusCode, AwsError> {
    let mut state = stand_in.state();
    state
        .meetings
        .remove(&meeting_id)
        .ok_or_else(|| meeting_not_found(&meeting_id))?;
    state.meeting_tokens.retain(|_, id| *id != meeting_id);
    // Its signalling sessions close (4410) and close their legs.
    if let Some(ended) = state.meeting_ends.remove(&meeting_id) {
        ended.cancel();
    }
    Ok(StatusCode::NO_CONTENT)
}

fn meeting_not_found(meeting_id: &str) -> AwsError {
    AwsError::not_found(format!("The meeting {meeting_id} is not found"))
}
