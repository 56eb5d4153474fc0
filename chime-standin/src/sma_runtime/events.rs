//! The invocation events the runtime sends our handler, shaped as the developer guide's examples
//! (and `sma/tests/fixtures/`): `CallDetails` with the transaction, the attributes the last
//! response returned, and the legs as `Participants` (`LEG-A` the call to the meeting bridge,
//! `LEG-B` the PSTN call `CallAndBridge` placed).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// One leg as the events list it.
#[derive(Clone, Debug)]
pub(super) struct Leg {
    pub call_id: String,
    pub tag: &'static str,
    pub to: String,
    pub from: String,
    pub start_ms: u64,
    /// `None` until it connects (the guide's `NEW_OUTBOUND_CALL` and `RINGING` list no status).
    pub status: Option<&'static str>,
}

pub(super) const LEG_A: &str = "LEG-A";
pub(super) const LEG_B: &str = "LEG-B";
pub(super) const CONNECTED: &str = "Connected";
pub(super) const DISCONNECTED: &str = "Disconnected";

impl Leg {
    pub fn new(tag: &'static str, to: &str, from: &str, start_ms: u64) -> Leg {
        Leg {
            call_id: uuid::Uuid::new_v4().to_string(),
            tag,
            to: to.to_string(),
            from: from.to_string(),
            start_ms,
            status: None,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.status == Some(CONNECTED)
    }

    fn participant(&self) -> Value {
        let mut leg = json!({
            "CallId": self.call_id,
            "ParticipantTag": self.tag,
            "To": self.to,
            "From": self.from,
            "Direction": "Outbound",
            "StartTimeInMilliseconds": self.start_ms.to_string(),
        });
        if let (Some(status), Some(object)) = (self.status, leg.as_object_mut()) {
            object.insert("Status".into(), json!(status));
        }
        leg
    }
}

/// What the call is, for every event.
pub(super) struct CallContext<'a> {
    pub transaction_id: &'a str,
    pub sma_id: &'a str,
    pub account_id: &'a str,
    pub region: &'a str,
    pub attributes: Option<&'a BTreeMap<String, String>>,
    pub legs: Vec<&'a Leg>,
}

/// An event of `kind` with `action_data` (if any), numbered `sequence`.
pub(super) fn event(
    context: &CallContext<'_>,
    sequence: u64,
    kind: &str,
    action_data: Option<Value>,
) -> Value {
    let mut details = json!({
        "TransactionId": context.transaction_id,
        "AwsAccountId": context.account_id,
        "AwsRegion": context.region,
        "SipMediaApplicationId": context.sma_id,
        "Participants": context.legs.iter().map(|leg| leg.participant()).collect::<Vec<_>>(),
    });
    if let (Some(attributes), Some(object)) = (context.attributes, details.as_object_mut()) {
        object.insert("TransactionAttributes".into(), json!(attributes));
    }
    let mut event = json!({
        "SchemaVersion": "1.0",
        "Sequence": sequence,
        "InvocationEventType": kind,
        "CallDetails": details,
    });
    if let (Some(data), Some(object)) = (action_data, event.as_object_mut()) {
        object.insert("ActionData".into(), data);
    }
    event
}

/// `ActionData` echoing an action we carried out (its `Type` and `Parameters`), with `extra`
/// parameters and, for a failure, `ErrorType` and `ErrorMessage`.
pub(super) fn action_data(
    action: &Value,
    extra: &[(&str, Value)],
    error: Option<(&str, &str)>,
) -> Value {
    let mut parameters = action
        .get("Parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (name, value) in extra {
        parameters.insert((*name).to_string(), value.clone());
    }
    let mut data = Map::new();
    data.insert(
        "Type".into(),
        action.get("Type").cloned().unwrap_or(Value::Null),
    );
    data.insert("Parameters".into(), Value::Object(parameters));
    if let Some((kind, message)) = error {
        data.insert("ErrorType".into(), json!(kind));
        data.insert("ErrorMessage".into(), json!(message));
    }
    Value::Object(data)
}

/// `ErrorType` for a final SIP response to `CallAndBridge`'s INVITE. Only `CallNotAnswered` is
/// in the guide; the others are the stand-in's guesses (docs/chime.md), worded so the handler's
/// matching reads them as the SIP code does.
pub(super) fn bridge_error_type(status: u16) -> &'static str {
    match status {
        408 | 480 | 487 => "CallNotAnswered",
        486 | 600 => "CallBusy",
        404 | 484 | 604 => "InvalidPhoneNumber",
        403 | 603 => "CallRejected",
        _ => "SystemException",
    }
}
