//! The whole happy path: placed, leg A answered and joined to the meeting, the target dialled,
//! ringing, answered; the agent hangs up, and each leg is hung up in turn.

mod common;

use common::*;
use serde_json::json;

#[test]
fn answer_then_agent_hangs_up() {
    let mut sma = Sma::place(&[]);
    assert_eq!(
        json!(sma.attributes),
        json!({
            "CallId": "c0ffee00-0000-4000-8000-000000000001",
            "CallerId": "+15555550100",
            "JoinToken": "join-token-1",
            "MeetingId": "fedc8fa0-364b-4fbf-b6b7-3be410492713",
            "Stage": "placed",
            "Target": "+50761234567"
        })
    );

    // Leg A ringing is the meeting bridge, not the target: nothing to record.
    let outcome = sma.send(fixture("ringing"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);

    let outcome = sma.send(fixture("call_answered"));
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "JoinChimeMeeting", "Parameters": {
            "JoinToken": "join-token-1",
            "MeetingId": "fedc8fa0-364b-4fbf-b6b7-3be410492713",
            "CallId": "call-id-1"
        }}])
    );
    assert_eq!(outcome.progress, None);
    assert_eq!(sma.stage(), "joining");

    let outcome = sma.send(fixture("action_successful_join_chime_meeting"));
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "CallAndBridge", "Parameters": {
            "CallTimeoutSeconds": 60,
            "CallerIdNumber": "+15555550100",
            "Endpoints": [{"BridgeEndpointType": "PSTN", "Uri": "+50761234567"}]
        }}])
    );
    assert_eq!(sma.stage(), "bridging");

    let outcome = sma.send(fixture("ringing"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(progress(&outcome), json!({"state": "ringing", "at": NOW}));

    let outcome = sma.send(fixture("action_successful_call_and_bridge"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(progress(&outcome), json!({"state": "answered", "at": NOW}));
    assert_eq!(sma.attributes["PstnCallId"], "call-id-2");
    assert_eq!(
        outcome.call_id.as_deref(),
        Some("c0ffee00-0000-4000-8000-000000000001")
    );

    // The agent hangs up: leg B first, and the end is recorded now.
    let outcome = sma.update(&[("Action", "hangup")]);
    assert_eq!(actions(&outcome), json!([hangup("call-id-2")]));
    assert_eq!(progress(&outcome), ended("completed", "the agent hung up"));
    assert_eq!(sma.attributes["EndReason"], "completed");

    // Leg B's HANGUP brings leg A down, without a second end.
    let outcome = sma.send(fixture("hangup_leg_b"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(outcome.progress, None);

    // Leg A's HANGUP lists leg B as gone already: nothing left to do.
    let mut last = fixture("hangup_leg_a");
    last["CallDetails"]["Participants"][1]["Status"] = json!("Disconnected");
    let outcome = sma.send(last);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);
    assert_eq!(sma.stage(), "ended");
}

#[test]
fn a_ringback_tone_in_the_arguments_is_played_while_the_target_rings() {
    let mut sma = Sma::place(&[("RingbackTone", "softphone-tones/ringback.wav")]);
    sma.send(fixture("call_answered"));
    let outcome = sma.send(fixture("action_successful_join_chime_meeting"));
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "CallAndBridge", "Parameters": {
            "CallTimeoutSeconds": 60,
            "CallerIdNumber": "+15555550100",
            "RingbackTone": {"Type": "S3", "BucketName": "softphone-tones", "Key": "ringback.wav"},
            "Endpoints": [{"BridgeEndpointType": "PSTN", "Uri": "+50761234567"}]
        }}])
    );
}

#[test]
fn the_whole_response_is_the_documented_envelope() {
    let mut sma = Sma::place(&[]);
    let outcome = sma.send(fixture("call_answered"));
    let response = serde_json::to_value(&outcome.response).expect("serialises");
    assert_eq!(response["SchemaVersion"], "1.0");
    assert_eq!(response["TransactionAttributes"]["Stage"], "joining");
    assert_eq!(
        response.as_object().map(|o| o.len()),
        Some(3),
        "SchemaVersion, Actions, TransactionAttributes and nothing else"
    );
}
