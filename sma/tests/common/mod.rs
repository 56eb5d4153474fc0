//! The scenarios' harness: the guide's example events from `tests/fixtures/`, fed to the flow the
//! way the PSTN Audio service would (each response's attributes go back in the next event).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};
use sma::event::Event;
use sma::flow::{handle, CallProgress, Outcome};
use sma::policy::dial_policy;

/// The time every scenario runs at.
pub const NOW: u64 = 1_764_842_400_000;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One fixture as JSON.
pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Runs one event with the real dialling policy.
pub fn run(event: Value) -> Outcome {
    let event = Event::from_json(event).expect("the event parses");
    handle(&event, &dial_policy, NOW)
}

/// The `Actions` of an outcome, as the JSON the Lambda returns.
pub fn actions(outcome: &Outcome) -> Value {
    serde_json::to_value(&outcome.response).expect("serialises")["Actions"].clone()
}

pub fn attributes(outcome: &Outcome) -> BTreeMap<String, String> {
    outcome
        .response
        .transaction_attributes
        .clone()
        .expect("the flow always returns its attributes")
}

pub fn ended(reason: &str, cause: &str) -> Value {
    json!({"state": "ended", "at": NOW, "reason": reason, "cause": cause})
}

pub fn progress(outcome: &Outcome) -> Value {
    serde_json::to_value(&outcome.progress).expect("serialises")
}

pub fn hangup(call_id: &str) -> Value {
    json!({"Type": "Hangup", "Parameters": {"CallId": call_id, "SipResponseCode": "0"}})
}

/// A call in progress: the attributes the service stores between invocations.
pub struct Sma {
    pub attributes: BTreeMap<String, String>,
}

impl Sma {
    /// Places the call: `NEW_OUTBOUND_CALL` with these `ArgumentsMap` changes.
    pub fn place(argument_changes: &[(&str, &str)]) -> Sma {
        let mut event = fixture("new_outbound_call");
        let arguments = &mut event["ActionData"]["Parameters"]["Arguments"];
        for (key, value) in argument_changes {
            arguments[*key] = json!(value);
        }
        let outcome = run(event);
        assert_eq!(actions(&outcome), json!([]));
        assert_eq!(outcome.progress, None);
        Sma {
            attributes: attributes(&outcome),
        }
    }

    /// Placed, answered, joined and bridged to the target.
    pub fn bridged() -> Sma {
        let mut sma = Sma::place(&[]);
        sma.send(fixture("call_answered"));
        sma.send(fixture("action_successful_join_chime_meeting"));
        let outcome = sma.send(fixture("action_successful_call_and_bridge"));
        assert_eq!(outcome.progress, Some(CallProgress::Answered { at: NOW }));
        sma
    }

    /// Sends one event with the stored attributes; keeps the ones it returns.
    pub fn send(&mut self, mut event: Value) -> Outcome {
        event["CallDetails"]["TransactionAttributes"] = json!(self.attributes);
        let outcome = run(event);
        self.attributes = attributes(&outcome);
        outcome
    }

    /// `CALL_UPDATE_REQUESTED` with these `Arguments`.
    pub fn update(&mut self, arguments: &[(&str, &str)]) -> Outcome {
        let mut event = fixture("call_update_requested");
        let map: BTreeMap<&str, &str> = arguments.iter().copied().collect();
        event["ActionData"]["Parameters"]["Arguments"] = json!(map);
        self.send(event)
    }

    pub fn stage(&self) -> &str {
        self.attributes.get("Stage").map_or("", String::as_str)
    }
}
