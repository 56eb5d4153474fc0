//! The target is busy: leg B's HANGUP carries 486 while bridging, leg A is hung up.

mod common;

use common::*;
use serde_json::json;

#[test]
fn busy_from_the_hangup_of_the_target_leg() {
    let mut sma = Sma::place(&[]);
    sma.send(fixture("call_answered"));
    sma.send(fixture("action_successful_join_chime_meeting"));

    let outcome = sma.send(fixture("hangup_busy"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(
        progress(&outcome),
        ended("busy", "the target's leg ended with SIP 486")
    );

    // The bridge's own failure follows: already ended, leg A already going.
    let mut failed = fixture("action_failed_call_and_bridge");
    failed["CallDetails"]["Participants"][0]["Status"] = json!("Disconnected");
    let outcome = sma.send(failed);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);
    assert_eq!(sma.attributes["EndReason"], "busy");
}

#[test]
fn busy_from_the_failed_bridge() {
    // Only `CallNotAnswered` is in the guide; a busy-looking error type is read as busy.
    let mut sma = Sma::place(&[]);
    sma.send(fixture("call_answered"));
    sma.send(fixture("action_successful_join_chime_meeting"));
    let mut failed = fixture("action_failed_call_and_bridge");
    failed["ActionData"]["ErrorType"] = json!("CallBusy");
    failed["ActionData"]["ErrorMessage"] = json!("Busy here");
    let outcome = sma.send(failed);
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(progress(&outcome), ended("busy", "CallBusy: Busy here"));
}
