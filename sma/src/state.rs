//! The call's state between invocations, carried in `TransactionAttributes` (a string map the
//! PSTN Audio service stores and sends back on every later event). A response's attributes
//! replace the stored ones, so every response carries the whole set; the guide's error for too
//! many says the limit is 10 keys, and we write at most 9.

use std::collections::BTreeMap;

use app::domain::calls::EndReason;

/// The attribute (and `ArgumentsMap`) keys. The server's `CreateSipMediaApplicationCall` passes
/// the first six as `ArgumentsMap` (docs/chime.md).
pub mod keys {
    pub const MEETING_ID: &str = "MeetingId";
    pub const JOIN_TOKEN: &str = "JoinToken";
    /// The E.164 number to bridge to.
    pub const TARGET: &str = "Target";
    /// Our call id (the call record's), so events can be matched to the record.
    pub const CALL_ID: &str = "CallId";
    /// The E.164 caller ID for the PSTN leg.
    pub const CALLER_ID: &str = "CallerId";
    /// Optional `bucket/key` of a WAV played to the agent while the PSTN leg rings.
    pub const RINGBACK_TONE: &str = "RingbackTone";
    /// Written by the handler: the PSTN leg's `CallId` once bridged.
    pub const PSTN_CALL_ID: &str = "PstnCallId";
    pub const STAGE: &str = "Stage";
    pub const END_REASON: &str = "EndReason";
    /// `inbound` for a call in (`NEW_INBOUND_CALL`); absent for our own calls out.
    pub const DIRECTION: &str = "Direction";
}

/// The [`keys::DIRECTION`] value of a call in.
pub const INBOUND: &str = "inbound";

/// Where the call is in our flows: `Placed` to `Bridged` for a call out, `Offered`,
/// `Answering` and `Bridged` for a call in (`crate::inbound`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stage {
    /// `CreateSipMediaApplicationCall` placed leg A toward the meeting bridge.
    #[default]
    Placed,
    /// Leg A answered; `JoinChimeMeeting` returned.
    Joining,
    /// Leg A is in the meeting; `CallAndBridge` to the target returned.
    Bridging,
    /// The target answered and the legs are bridged; for a call in, the caller is in the
    /// answering agent's meeting.
    Bridged,
    /// A call in rings (the caller hears the network's ringing) until the server answers it
    /// or refuses it.
    Offered,
    /// A call in: `JoinChimeMeeting` of the caller's leg returned.
    Answering,
    /// The end is decided and reported; what remains is hanging up what is left.
    Ended,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Placed => "placed",
            Stage::Joining => "joining",
            Stage::Bridging => "bridging",
            Stage::Bridged => "bridged",
            Stage::Offered => "offered",
            Stage::Answering => "answering",
            Stage::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        [
            Stage::Placed,
            Stage::Joining,
            Stage::Bridging,
            Stage::Bridged,
            Stage::Offered,
            Stage::Answering,
            Stage::Ended,
        ]
        .into_iter()
        .find(|stage| stage.as_str() == text)
    }
}

/// The typed view of our `TransactionAttributes`. Missing or unreadable values are `None`;
/// keys we do not know are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallState {
    pub meeting_id: Option<String>,
    pub join_token: Option<String>,
    pub target: Option<String>,
    pub call_id: Option<String>,
    pub caller_id: Option<String>,
    pub ringback_tone: Option<String>,
    pub pstn_call_id: Option<String>,
    pub stage: Stage,
    pub end_reason: Option<EndReason>,
    /// A call in: the PSTN leg is leg A, the caller.
    pub inbound: bool,
}

impl CallState {
    /// Reads the stored attributes, or the `ArgumentsMap` of `NEW_OUTBOUND_CALL` (same keys).
    pub fn from_attributes(attributes: &BTreeMap<String, String>) -> CallState {
        let text = |key: &str| {
            attributes
                .get(key)
                .map(|value| value.trim())
                .filter(|value| !value.is_empty())
                .map(str::to_string)
        };
        CallState {
            meeting_id: text(keys::MEETING_ID),
            join_token: text(keys::JOIN_TOKEN),
            target: text(keys::TARGET),
            call_id: text(keys::CALL_ID),
            caller_id: text(keys::CALLER_ID),
            ringback_tone: text(keys::RINGBACK_TONE),
            pstn_call_id: text(keys::PSTN_CALL_ID),
            stage: text(keys::STAGE)
                .and_then(|stage| Stage::parse(&stage))
                .unwrap_or_default(),
            end_reason: text(keys::END_REASON).and_then(|reason| EndReason::parse(&reason)),
            inbound: text(keys::DIRECTION).is_some_and(|d| d == INBOUND),
        }
    }

    /// The whole attribute set to return (absent values are left out).
    pub fn to_attributes(&self) -> BTreeMap<String, String> {
        let mut attributes = BTreeMap::new();
        let mut put = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                attributes.insert(key.to_string(), value.to_string());
            }
        };
        put(keys::MEETING_ID, self.meeting_id.as_deref());
        put(keys::JOIN_TOKEN, self.join_token.as_deref());
        put(keys::TARGET, self.target.as_deref());
        put(keys::CALL_ID, self.call_id.as_deref());
        put(keys::CALLER_ID, self.caller_id.as_deref());
        put(keys::RINGBACK_TONE, self.ringback_tone.as_deref());
        put(keys::PSTN_CALL_ID, self.pstn_call_id.as_deref());
        put(keys::STAGE, Some(self.stage.as_str()));
        put(keys::END_REASON, self.end_reason.map(EndReason::as_str));
        put(keys::DIRECTION, self.inbound.then_some(INBOUND));
        attributes
    }
}

/// Splits `bucket/key` (the key may contain `/`); `None` when either part is empty.
pub fn split_s3_path(path: &str) -> Option<(&str, &str)> {
    let (bucket, key) = path.trim().split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip() {
        let state = CallState {
            meeting_id: Some("m".into()),
            join_token: Some("t".into()),
            target: Some("+6581234567".into()),
            call_id: Some("call-1".into()),
            caller_id: Some("+15555550100".into()),
            ringback_tone: Some("tones/ringback.wav".into()),
            pstn_call_id: Some("leg-b".into()),
            stage: Stage::Ended,
            end_reason: Some(EndReason::NoAnswer),
            inbound: false,
        };
        let attributes = state.to_attributes();
        assert!(attributes.len() <= 10, "the service takes at most 10 keys");
        assert_eq!(CallState::from_attributes(&attributes), state);
        // A call in: the keys it uses round-trip too, and every stage does.
        for stage in [Stage::Offered, Stage::Answering, Stage::Bridged] {
            let call_in = CallState {
                meeting_id: Some("m".into()),
                call_id: Some("call-2".into()),
                pstn_call_id: Some("leg-a".into()),
                stage,
                inbound: true,
                ..CallState::default()
            };
            assert_eq!(
                CallState::from_attributes(&call_in.to_attributes()),
                call_in
            );
        }
    }

    #[test]
    fn unknown_and_blank_values_read_as_absent() {
        let attributes = BTreeMap::from([
            ("Stage".to_string(), "sideways".to_string()),
            ("EndReason".to_string(), "exploded".to_string()),
            ("Target".to_string(), "  ".to_string()),
            ("Other".to_string(), "x".to_string()),
        ]);
        let state = CallState::from_attributes(&attributes);
        assert_eq!(state, CallState::default());
        assert!(!state.to_attributes().contains_key("Other"));
    }

    #[test]
    fn s3_paths() {
        assert_eq!(split_s3_path("b/dir/k.wav"), Some(("b", "dir/k.wav")));
        assert_eq!(split_s3_path("b"), None);
        assert_eq!(split_s3_path("/k.wav"), None);
        assert_eq!(split_s3_path("b/"), None);
    }
}
