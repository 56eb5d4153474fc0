//! What the handler answers: `{"SchemaVersion":"1.0","Actions":[…],"TransactionAttributes":{…}}`,
//! each action as `{"Type": …, "Parameters": {…}}` with the field names of the developer guide
//! (docs/chime.md). Optional parameters we do not set are left out, not sent as null.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::ParticipantTag;

/// The only schema version the guide documents.
pub const SCHEMA_VERSION: &str = "1.0";

/// The PSTN Audio service runs at most this many actions from one response.
pub const MAX_ACTIONS: usize = 10;

/// The Lambda's answer to one invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub schema_version: String,
    pub actions: Vec<Action>,
    /// Replaces the stored attributes when present, so it is always the whole set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_attributes: Option<BTreeMap<String, String>>,
}

impl Response {
    pub fn new(actions: Vec<Action>, attributes: Option<BTreeMap<String, String>>) -> Response {
        Response {
            schema_version: SCHEMA_VERSION.to_string(),
            actions,
            transaction_attributes: attributes,
        }
    }
}

/// One action, serialised as `{"Type": "<variant>", "Parameters": {…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Type", content = "Parameters")]
pub enum Action {
    JoinChimeMeeting(JoinChimeMeeting),
    CallAndBridge(CallAndBridge),
    SendDigits(SendDigits),
    Hangup(Hangup),
    PlayAudio(PlayAudio),
    StartCallRecording(StartCallRecording),
    StopCallRecording(CallLeg),
    PauseCallRecording(CallLeg),
    ResumeCallRecording(CallLeg),
}

/// Joins a leg to a Chime SDK meeting as the attendee the join token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JoinChimeMeeting {
    pub join_token: String,
    /// Required for meetings made with the chime-sdk-meetings API, which ours are.
    pub meeting_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_tag: Option<ParticipantTag>,
}

/// Dials a new leg and bridges it with the current one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallAndBridge {
    /// 1 to 120; the guide's default is 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_timeout_seconds: Option<u32>,
    /// E.164; a number of ours or the From of leg A.
    pub caller_id_number: String,
    /// Played to leg A while leg B rings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ringback_tone: Option<AudioSource>,
    pub endpoints: Vec<Endpoint>,
    /// `x-` headers; only for `AWS` (Voice Connector) endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_headers: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    pub bridge_endpoint_type: BridgeEndpointType,
    /// E.164 for `PSTN`; the Request-URI's user part for `AWS`.
    pub uri: String,
    /// The Voice Connector (group) ARN; `AWS` endpoints only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl Endpoint {
    pub fn pstn(e164: &str) -> Endpoint {
        Endpoint {
            bridge_endpoint_type: BridgeEndpointType::Pstn,
            uri: e164.to_string(),
            arn: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BridgeEndpointType {
    #[serde(rename = "PSTN")]
    Pstn,
    /// A Voice Connector or Voice Connector group.
    #[serde(rename = "AWS")]
    Aws,
}

/// An audio file in S3 (`Type` is always `S3`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AudioSource {
    #[serde(rename = "Type")]
    pub source_type: S3,
    pub bucket_name: String,
    pub key: String,
}

impl AudioSource {
    pub fn s3(bucket_name: &str, key: &str) -> AudioSource {
        AudioSource {
            source_type: S3::S3,
            bucket_name: bucket_name.to_string(),
            key: key.to_string(),
        }
    }
}

/// The only source and destination type the guide allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum S3 {
    S3,
}

/// Sends DTMF on a leg: `0-9 * # A-D`, `,` for half a second's pause, up to 50.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendDigits {
    pub call_id: String,
    pub digits: String,
    /// 50 to 24000; the guide's default is 250.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone_duration_in_milliseconds: Option<u32>,
}

impl SendDigits {
    pub const MAX_DIGITS: usize = 50;

    /// Whether the guide allows these digits in one `SendDigits`.
    pub fn digits_are_valid(digits: &str) -> bool {
        !digits.is_empty()
            && digits.chars().count() <= Self::MAX_DIGITS
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D' | ','))
    }
}

/// Hangs up a leg, by call id or by tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Hangup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_tag: Option<ParticipantTag>,
    /// `"0"` normal, `"480"` unavailable, `"486"` busy: a string in the guide's example.
    pub sip_response_code: String,
}

impl Hangup {
    /// Normal clearing of the leg with this call id.
    pub fn call(call_id: &str) -> Hangup {
        Hangup {
            call_id: Some(call_id.to_string()),
            participant_tag: None,
            sip_response_code: "0".to_string(),
        }
    }

    /// Normal clearing of the leg with this tag.
    pub fn leg(tag: ParticipantTag) -> Hangup {
        Hangup {
            call_id: None,
            participant_tag: Some(tag),
            sip_response_code: "0".to_string(),
        }
    }
}

/// Plays a WAV from S3 on a leg.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayAudio {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_tag: Option<ParticipantTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback_terminators: Option<Vec<String>>,
    /// A string in the guide's example.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<String>,
    pub audio_source: AudioSource,
}

/// Starts recording a leg into S3 (stereo WAV: incoming left, outgoing right).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartCallRecording {
    pub call_id: String,
    pub track: Track,
    pub destination: RecordingDestination,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Track {
    Both,
    Incoming,
    Outgoing,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordingDestination {
    #[serde(rename = "Type")]
    pub destination_type: S3,
    /// `bucket` or `bucket/prefix`.
    pub location: String,
}

impl RecordingDestination {
    pub fn s3(location: &str) -> RecordingDestination {
        RecordingDestination {
            destination_type: S3::S3,
            location: location.to_string(),
        }
    }
}

/// The leg a stop, pause or resume applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallLeg {
    pub call_id: String,
}

impl CallLeg {
    pub fn new(call_id: &str) -> CallLeg {
        CallLeg {
            call_id: call_id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn serialises_to(action: Action, expected: serde_json::Value) {
        let value = serde_json::to_value(&action).expect("serialises");
        assert_eq!(value, expected);
        let back: Action = serde_json::from_value(value).expect("parses");
        assert_eq!(back, action);
    }

    #[test]
    fn call_and_bridge_to_the_pstn_as_documented() {
        serialises_to(
            Action::CallAndBridge(CallAndBridge {
                call_timeout_seconds: Some(30),
                caller_id_number: "+15555550100".into(),
                ringback_tone: Some(AudioSource::s3("tones", "ringback.wav")),
                endpoints: vec![Endpoint::pstn("+50761234567")],
                sip_headers: None,
            }),
            json!({"Type": "CallAndBridge", "Parameters": {
                "CallTimeoutSeconds": 30,
                "CallerIdNumber": "+15555550100",
                "RingbackTone": {"Type": "S3", "BucketName": "tones", "Key": "ringback.wav"},
                "Endpoints": [{"BridgeEndpointType": "PSTN", "Uri": "+50761234567"}]
            }}),
        );
    }

    #[test]
    fn join_hangup_and_digits_as_documented() {
        serialises_to(
            Action::JoinChimeMeeting(JoinChimeMeeting {
                join_token: "token".into(),
                meeting_id: "meeting".into(),
                call_id: Some("call-id-1".into()),
                participant_tag: None,
            }),
            json!({"Type": "JoinChimeMeeting", "Parameters": {
                "JoinToken": "token", "MeetingId": "meeting", "CallId": "call-id-1"}}),
        );
        serialises_to(
            Action::Hangup(Hangup::leg(ParticipantTag::LegA)),
            json!({"Type": "Hangup", "Parameters": {"ParticipantTag": "LEG-A", "SipResponseCode": "0"}}),
        );
        serialises_to(
            Action::SendDigits(SendDigits {
                call_id: "call-id-2".into(),
                digits: "1,2A#".into(),
                tone_duration_in_milliseconds: Some(100),
            }),
            json!({"Type": "SendDigits", "Parameters": {
                "CallId": "call-id-2", "Digits": "1,2A#", "ToneDurationInMilliseconds": 100}}),
        );
    }

    #[test]
    fn recording_and_audio_as_documented() {
        serialises_to(
            Action::StartCallRecording(StartCallRecording {
                call_id: "call-id-2".into(),
                track: Track::Both,
                destination: RecordingDestination::s3("bucket/prefix"),
            }),
            json!({"Type": "StartCallRecording", "Parameters": {
                "CallId": "call-id-2", "Track": "BOTH",
                "Destination": {"Type": "S3", "Location": "bucket/prefix"}}}),
        );
        for (action, name) in [
            (
                Action::StopCallRecording(CallLeg::new("c")),
                "StopCallRecording",
            ),
            (
                Action::PauseCallRecording(CallLeg::new("c")),
                "PauseCallRecording",
            ),
            (
                Action::ResumeCallRecording(CallLeg::new("c")),
                "ResumeCallRecording",
            ),
        ] {
            serialises_to(action, json!({"Type": name, "Parameters": {"CallId": "c"}}));
        }
        serialises_to(
            Action::PlayAudio(PlayAudio {
                call_id: Some("c".into()),
                participant_tag: None,
                playback_terminators: None,
                repeat: None,
                audio_source: AudioSource::s3("b", "consent.wav"),
            }),
            json!({"Type": "PlayAudio", "Parameters": {"CallId": "c",
                "AudioSource": {"Type": "S3", "BucketName": "b", "Key": "consent.wav"}}}),
        );
    }

    #[test]
    fn the_response_envelope() {
        let response = Response::new(vec![], Some(BTreeMap::from([("k".into(), "v".into())])));
        assert_eq!(
            serde_json::to_value(&response).expect("serialises"),
            json!({"SchemaVersion": "1.0", "Actions": [], "TransactionAttributes": {"k": "v"}})
        );
    }

    #[test]
    fn digits_the_guide_allows() {
        assert!(SendDigits::digits_are_valid("0123456789*#ABCD,"));
        assert!(!SendDigits::digits_are_valid(""));
        assert!(!SendDigits::digits_are_valid("12e"));
        assert!(!SendDigits::digits_are_valid(&"1".repeat(51)));
    }
}
