//! The invocation event the PSTN Audio service sends the SIP media application's Lambda
//! (docs/chime.md, "What we rely on"). Parsing is tolerant where the developer guide is
//! inconsistent: `InvocationEvent` for `InvocationEventType`, `SipApplicationId` for
//! `SipMediaApplicationId`, `Leg-A` for `LEG-A`, times and SIP codes as strings or numbers, and
//! an `Error: "Type: message"` field for `ErrorType`/`ErrorMessage`. Event and action types this
//! handler does not know parse as `Other`, so a new one never fails an invocation.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an enum read from and written as a JSON string, with an `Other` variant that keeps
/// any text it does not know. `parse` decides which spellings are accepted.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($variant,)+
            /// A value this handler does not know, kept as it came.
            Other(String),
        }

        impl $name {
            /// The spelling this handler writes.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(text) => text,
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_string()
            }
        }
    };
}

string_enum! {
    /// `InvocationEventType`: what happened on the call.
    EventType {
        NewInboundCall => "NEW_INBOUND_CALL",
        NewOutboundCall => "NEW_OUTBOUND_CALL",
        Ringing => "RINGING",
        CallAnswered => "CALL_ANSWERED",
        ActionSuccessful => "ACTION_SUCCESSFUL",
        ActionFailed => "ACTION_FAILED",
        ActionInterrupted => "ACTION_INTERRUPTED",
        DigitsReceived => "DIGITS_RECEIVED",
        CallUpdateRequested => "CALL_UPDATE_REQUESTED",
        Hangup => "HANGUP",
        InvalidLambdaResponse => "INVALID_LAMBDA_RESPONSE",
    }
}

impl From<String> for EventType {
    fn from(text: String) -> EventType {
        match text.as_str() {
            "NEW_INBOUND_CALL" => EventType::NewInboundCall,
            "NEW_OUTBOUND_CALL" => EventType::NewOutboundCall,
            "RINGING" => EventType::Ringing,
            "CALL_ANSWERED" => EventType::CallAnswered,
            "ACTION_SUCCESSFUL" => EventType::ActionSuccessful,
            "ACTION_FAILED" => EventType::ActionFailed,
            "ACTION_INTERRUPTED" => EventType::ActionInterrupted,
            "DIGITS_RECEIVED" => EventType::DigitsReceived,
            "CALL_UPDATE_REQUESTED" => EventType::CallUpdateRequested,
            "HANGUP" => EventType::Hangup,
            "INVALID_LAMBDA_RESPONSE" => EventType::InvalidLambdaResponse,
            _ => EventType::Other(text),
        }
    }
}

string_enum! {
    /// `ParticipantTag`: which leg. The guide writes both `LEG-A` and `Leg-A`.
    ParticipantTag {
        LegA => "LEG-A",
        LegB => "LEG-B",
    }
}

impl From<String> for ParticipantTag {
    fn from(text: String) -> ParticipantTag {
        match text.to_ascii_uppercase().as_str() {
            "LEG-A" => ParticipantTag::LegA,
            "LEG-B" => ParticipantTag::LegB,
            _ => ParticipantTag::Other(text),
        }
    }
}

string_enum! {
    /// `Direction` of a leg: `Inbound` is a call to the PSTN Audio service.
    Direction {
        Inbound => "Inbound",
        Outbound => "Outbound",
    }
}

impl From<String> for Direction {
    fn from(text: String) -> Direction {
        match text.to_ascii_lowercase().as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            _ => Direction::Other(text),
        }
    }
}

string_enum! {
    /// `Status` of a leg.
    ParticipantStatus {
        Connected => "Connected",
        Disconnected => "Disconnected",
    }
}

impl From<String> for ParticipantStatus {
    fn from(text: String) -> ParticipantStatus {
        match text.to_ascii_lowercase().as_str() {
            "connected" => ParticipantStatus::Connected,
            "disconnected" => ParticipantStatus::Disconnected,
            _ => ParticipantStatus::Other(text),
        }
    }
}

string_enum! {
    /// `ActionData.Type`: the action an event reports on, or the request behind it
    /// (`CallCreateRequest` for `NEW_OUTBOUND_CALL`, `CallUpdateRequest` for
    /// `CALL_UPDATE_REQUESTED`).
    ActionType {
        CallCreateRequest => "CallCreateRequest",
        CallUpdateRequest => "CallUpdateRequest",
        CallAndBridge => "CallAndBridge",
        JoinChimeMeeting => "JoinChimeMeeting",
        Hangup => "Hangup",
        SendDigits => "SendDigits",
        PlayAudio => "PlayAudio",
        StartCallRecording => "StartCallRecording",
        StopCallRecording => "StopCallRecording",
        PauseCallRecording => "PauseCallRecording",
        ResumeCallRecording => "ResumeCallRecording",
        ReceiveDigits => "ReceiveDigits",
    }
}

impl From<String> for ActionType {
    fn from(text: String) -> ActionType {
        // The guide's use-case table writes `HangUp`.
        match text.as_str() {
            "CallCreateRequest" => ActionType::CallCreateRequest,
            "CallUpdateRequest" => ActionType::CallUpdateRequest,
            "CallAndBridge" => ActionType::CallAndBridge,
            "JoinChimeMeeting" => ActionType::JoinChimeMeeting,
            "Hangup" | "HangUp" => ActionType::Hangup,
            "SendDigits" => ActionType::SendDigits,
            "PlayAudio" => ActionType::PlayAudio,
            "StartCallRecording" => ActionType::StartCallRecording,
            "StopCallRecording" => ActionType::StopCallRecording,
            "PauseCallRecording" => ActionType::PauseCallRecording,
            "ResumeCallRecording" => ActionType::ResumeCallRecording,
            "ReceiveDigits" => ActionType::ReceiveDigits,
            _ => ActionType::Other(text),
        }
    }
}

/// One invocation of the Lambda.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Event {
    pub schema_version: String,
    /// Incremented on each invocation during a call.
    #[serde(default)]
    pub sequence: u64,
    /// The join-meeting page of the guide spells it `InvocationEvent`.
    #[serde(alias = "InvocationEvent")]
    pub invocation_event_type: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_data: Option<ActionData>,
    #[serde(default)]
    pub call_details: CallDetails,
    /// `INVALID_LAMBDA_RESPONSE` carries its error at the top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl Event {
    /// Parses one event from the Lambda's JSON payload.
    pub fn from_json(payload: serde_json::Value) -> Result<Event, serde_json::Error> {
        serde_json::from_value(payload)
    }

    /// The leg with this tag, if the event lists it.
    pub fn participant(&self, tag: &ParticipantTag) -> Option<&Participant> {
        self.call_details
            .participants
            .iter()
            .find(|p| &p.participant_tag == tag)
    }

    /// `CallUpdateRequest` or `CallCreateRequest` arguments, if any.
    pub fn arguments(&self) -> Option<&BTreeMap<String, String>> {
        self.action_data.as_ref()?.parameters.arguments.as_ref()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallDetails {
    #[serde(default)]
    pub transaction_id: String,
    /// What the handler returned last time (string map; docs/chime.md lists our keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_attributes: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    /// Most of the guide's examples spell it `SipApplicationId`.
    #[serde(
        default,
        alias = "SipApplicationId",
        skip_serializing_if = "Option::is_none"
    )]
    pub sip_media_application_id: Option<String>,
    /// Inbound calls only: the SIP rule that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_rule_id: Option<String>,
    #[serde(default)]
    pub participants: Vec<Participant>,
}

/// One leg of the call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Participant {
    pub call_id: String,
    pub participant_tag: ParticipantTag,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Epoch milliseconds; the guide sends a string.
    #[serde(
        default,
        deserialize_with = "number_or_string",
        serialize_with = "as_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time_in_milliseconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ParticipantStatus>,
    /// Custom `x-` headers, `User-to-User` and `Diversion`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_headers: Option<BTreeMap<String, String>>,
}

/// `ActionData`: the action an event reports on (with its error when it failed), or the request
/// behind `NEW_OUTBOUND_CALL` and `CALL_UPDATE_REQUESTED`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionData {
    #[serde(rename = "Type")]
    pub action_type: ActionType,
    #[serde(default)]
    pub parameters: ActionParameters,
    /// `ACTION_FAILED`: for example `CallNotAnswered`, `InvalidActionParameter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Some pages of the guide give the failure as one `Error: "Type: message"` string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `StartCallRecording` success: where the recording will be delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_recording_destination: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_digits: Option<String>,
}

impl ActionData {
    /// The error type, from `ErrorType` or the part of `Error` before its colon.
    pub fn error_kind(&self) -> Option<&str> {
        if let Some(kind) = self.error_type.as_deref() {
            return Some(kind);
        }
        let error = self.error.as_deref()?;
        Some(error.split_once(':').map_or(error, |(kind, _)| kind).trim())
    }
}

/// The parameters this handler reads by name; the rest of the action's parameters are kept in
/// `other` as they came (they echo the action we returned).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionParameters {
    /// `CallCreateRequest`: the `ArgumentsMap`; `CallUpdateRequest`: the update's `Arguments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_tag: Option<ParticipantTag>,
    /// `HANGUP`: 0 normal clearing, 480 no answer, 486 busy; a string in some examples.
    #[serde(
        default,
        deserialize_with = "number_or_string",
        serialize_with = "as_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sip_response_code: Option<u16>,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// Reads an unsigned number given as a JSON number or a string of digits.
fn number_or_string<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + std::str::FromStr,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrString {
        Number(u64),
        Text(String),
    }
    let invalid = || serde::de::Error::custom("expected an unsigned number or a string of digits");
    match Option::<NumberOrString>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrString::Number(n)) => T::try_from(n).map(Some).map_err(|_| invalid()),
        Some(NumberOrString::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(NumberOrString::Text(text)) => text.trim().parse().map(Some).map_err(|_| invalid()),
    }
}

fn as_string<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(n) => serializer.serialize_str(&n.to_string()),
        None => serializer.serialize_none(),
    }
}

fn as_number<S: Serializer>(value: &Option<u16>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(n) => serializer.serialize_u16(*n),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: serde_json::Value) -> Event {
        let event = Event::from_json(value).expect("parses");
        let again = serde_json::to_value(&event).expect("serialises");
        assert_eq!(Event::from_json(again).expect("parses again"), event);
        event
    }

    #[test]
    fn spelling_variants_are_tolerated() {
        let event = round_trip(json!({
            "SchemaVersion": "1.0",
            "Sequence": 4,
            "InvocationEvent": "ACTION_FAILED",
            "ActionData": {
                "Type": "JoinChimeMeeting",
                "Parameters": {"JoinToken": "t", "CallId": "call-id-1", "ParticipantTag": "Leg-A"},
                "Error": "ErrorJoiningMeeting: Error while joining meeting."
            },
            "CallDetails": {
                "TransactionId": "tx",
                "SipApplicationId": "sma",
                "Participants": [{
                    "CallId": "call-id-1", "ParticipantTag": "Leg-A",
                    "StartTimeInMilliseconds": "1597009588", "Status": "Connected"
                }]
            }
        }));
        assert_eq!(event.invocation_event_type, EventType::ActionFailed);
        assert_eq!(
            event.call_details.sip_media_application_id.as_deref(),
            Some("sma")
        );
        let leg = event.participant(&ParticipantTag::LegA).expect("leg A");
        assert_eq!(leg.start_time_in_milliseconds, Some(1_597_009_588));
        let data = event.action_data.expect("action data");
        assert_eq!(data.parameters.participant_tag, Some(ParticipantTag::LegA));
        assert_eq!(data.error_kind(), Some("ErrorJoiningMeeting"));
        assert_eq!(data.parameters.other.get("JoinToken"), Some(&json!("t")));
    }

    #[test]
    fn unknown_types_are_kept_not_refused() {
        let event = round_trip(json!({
            "SchemaVersion": "1.0",
            "Sequence": 9,
            "InvocationEventType": "SOMETHING_NEW",
            "ActionData": {"Type": "FutureAction", "Parameters": {}},
            "CallDetails": {"TransactionId": "tx", "Participants": [
                {"CallId": "c", "ParticipantTag": "LEG-C", "Direction": "Sideways", "Status": "Held"}
            ]}
        }));
        assert_eq!(
            event.invocation_event_type,
            EventType::Other("SOMETHING_NEW".into())
        );
        let leg = &event.call_details.participants[0];
        assert_eq!(leg.participant_tag, ParticipantTag::Other("LEG-C".into()));
        assert_eq!(leg.direction, Some(Direction::Other("Sideways".into())));
        assert_eq!(leg.status, Some(ParticipantStatus::Other("Held".into())));
        let serialised = serde_json::to_value(&event).expect("serialises");
        assert_eq!(serialised["InvocationEventType"], "SOMETHING_NEW");
    }

    #[test]
    fn sip_response_codes_may_be_numbers_or_strings() {
        for code in [json!(486), json!("486")] {
            let event = round_trip(json!({
                "SchemaVersion": "1.0", "Sequence": 6, "InvocationEventType": "HANGUP",
                "ActionData": {"Type": "Hangup", "Parameters": {
                    "SipResponseCode": code, "CallId": "c", "ParticipantTag": "LEG-B"}},
                "CallDetails": {"TransactionId": "tx", "Participants": []}
            }));
            let data = event.action_data.expect("action data");
            assert_eq!(data.parameters.sip_response_code, Some(486));
            assert_eq!(data.action_type, ActionType::Hangup);
        }
    }

    #[test]
    fn a_bad_number_is_an_error_not_a_panic() {
        let result = Event::from_json(json!({
            "SchemaVersion": "1.0", "InvocationEventType": "HANGUP",
            "CallDetails": {"Participants": [
                {"CallId": "c", "ParticipantTag": "LEG-A", "StartTimeInMilliseconds": "soon"}
            ]}
        }));
        assert!(result.is_err());
    }
}
