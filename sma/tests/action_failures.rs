//! Failed actions: a failed join or bridge ends the call with the mapped reason; failed digits,
//! prompts and recordings leave it up.

mod common;

use common::*;
use serde_json::json;
use sma::event::Event;
use sma::flow::bridge_failure_reason;

#[test]
fn a_failed_join_ends_the_call() {
    let mut sma = Sma::place(&[]);
    sma.send(fixture("call_answered"));
    let outcome = sma.send(fixture("action_failed_join_chime_meeting"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(
        progress(&outcome),
        ended(
            "failed",
            "ErrorJoiningMeeting: Error while joining meeting."
        )
    );
}

#[test]
fn failed_digits_and_recordings_leave_the_call_up() {
    let mut sma = Sma::bridged();
    let outcome = sma.send(fixture("action_failed_send_digits"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);
    assert_eq!(sma.stage(), "bridged");

    // A recording that cannot start is reported: the server tells the agent.
    let mut sma = Sma::bridged();
    let outcome = sma.send(fixture("action_failed_start_call_recording"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(
        progress(&outcome),
        json!({"state": "recording_failed", "at": NOW,
            "cause": "NoAccessToDestination: Error while accessing destination"})
    );
    assert_eq!(sma.stage(), "bridged");

    // The consent notice failing stops the recording's start too: reported the same way.
    let mut sma = Sma::bridged();
    let outcome = sma.send(fixture("action_failed_play_audio"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(
        progress(&outcome),
        json!({"state": "recording_failed", "at": NOW,
            "cause": "InvalidAudioSource: Audio Source parameter value is invalid."})
    );
    assert_eq!(sma.stage(), "bridged");
}

fn bridge_failure(code: Option<u16>, error_type: &str) -> &'static str {
    let mut event = fixture("action_failed_call_and_bridge");
    event["ActionData"]["ErrorType"] = json!(error_type);
    if let Some(code) = code {
        event["ActionData"]["Parameters"]["SipResponseCode"] = json!(code);
    }
    let event = Event::from_json(event).expect("parses");
    bridge_failure_reason(event.action_data.as_ref().expect("action data")).as_str()
}

#[test]
fn bridge_failures_map_to_end_reasons() {
    for (code, reason) in [
        (486, "busy"),
        (408, "no_answer"),
        (480, "no_answer"),
        (404, "not_found"),
        (484, "not_found"),
        (403, "refused"),
        (603, "refused"),
        (500, "failed"),
    ] {
        assert_eq!(
            bridge_failure(Some(code), "SystemException"),
            reason,
            "{code}"
        );
    }
    for (error_type, reason) in [
        ("CallNotAnswered", "no_answer"),
        ("CallTimeout", "no_answer"),
        ("CallBusy", "busy"),
        ("NumberNotFound", "not_found"),
        ("InvalidPhoneNumber", "not_found"),
        ("CallRejected", "refused"),
        ("SystemException", "failed"),
        ("InvalidActionParameter", "failed"),
        ("", "failed"),
    ] {
        assert_eq!(bridge_failure(None, error_type), reason, "{error_type}");
    }
}
