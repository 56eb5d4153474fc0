//! Every fixture (the developer guide's examples) parses, survives a round trip, and has the
//! event type its name says.

mod common;

use common::*;
use sma::event::{Event, EventType};

#[test]
fn every_fixture_parses() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures folder")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");

    for name in &names {
        let event = Event::from_json(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = serde_json::to_value(&event).expect("serialises");
        assert_eq!(
            Event::from_json(again).expect("parses again"),
            event,
            "{name}"
        );

        let expected = if name.starts_with("action_successful") {
            EventType::ActionSuccessful
        } else if name.starts_with("action_failed") {
            EventType::ActionFailed
        } else if name.starts_with("hangup") {
            EventType::Hangup
        } else if name == "unknown_event" {
            EventType::Other("CALL_TRANSFERRED".into())
        } else {
            EventType::from(name.to_ascii_uppercase())
        };
        assert_eq!(event.invocation_event_type, expected, "{name}");
        assert!(!event.call_details.participants.is_empty(), "{name}");
    }
}

#[test]
fn every_event_type_has_a_fixture() {
    for kind in [
        "NEW_OUTBOUND_CALL",
        "RINGING",
        "CALL_ANSWERED",
        "ACTION_SUCCESSFUL",
        "ACTION_FAILED",
        "CALL_UPDATE_REQUESTED",
        "HANGUP",
        "NEW_INBOUND_CALL",
        "ACTION_INTERRUPTED",
        "DIGITS_RECEIVED",
        "INVALID_LAMBDA_RESPONSE",
    ] {
        let found = std::fs::read_dir(fixtures_dir())
            .expect("fixtures folder")
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .filter_map(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .any(|event| event["InvocationEventType"] == kind || event["InvocationEvent"] == kind);
        assert!(found, "no fixture for {kind}");
    }
}
