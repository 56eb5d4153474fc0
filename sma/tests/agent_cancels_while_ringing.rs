//! The agent hangs up before the target answers: leg A goes, the call is cancelled, and a late
//! answer is hung up rather than left billing.

mod common;

use common::*;
use serde_json::json;

#[test]
fn agent_cancels_while_the_target_rings() {
    let mut sma = Sma::place(&[]);
    sma.send(fixture("call_answered"));
    sma.send(fixture("action_successful_join_chime_meeting"));
    assert_eq!(sma.stage(), "bridging");

    let outcome = sma.update(&[("Action", "hangup")]);
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(progress(&outcome), ended("cancelled", "the agent hung up"));

    // The target answers anyway: hang it up, and say nothing new.
    let outcome = sma.send(fixture("action_successful_call_and_bridge"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-2")]));
    assert_eq!(outcome.progress, None);
}

#[test]
fn agent_cancels_before_the_meeting_leg_answers() {
    let mut sma = Sma::place(&[]);
    let outcome = sma.update(&[("Action", "hangup")]);
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(progress(&outcome), ended("cancelled", "the agent hung up"));

    // Leg A answers after all: it is hung up, never joined or bridged.
    let outcome = sma.send(fixture("call_answered"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(outcome.progress, None);
}

#[test]
fn the_meeting_leg_dropping_before_the_bridge_cancels_the_call() {
    let mut sma = Sma::place(&[]);
    sma.send(fixture("call_answered"));
    let mut event = fixture("hangup_leg_a");
    event["CallDetails"]["Participants"] = json!([event["CallDetails"]["Participants"][0]]);
    let outcome = sma.send(event);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(
        progress(&outcome),
        ended("cancelled", "the agent's side hung up")
    );
}
