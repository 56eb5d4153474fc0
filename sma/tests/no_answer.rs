//! Nobody answers: `CallAndBridge` fails with the guide's `CallNotAnswered`.

mod common;

use common::*;
use serde_json::json;

#[test]
fn no_answer_ends_the_call_and_hangs_up_the_meeting_leg() {
    let mut sma = Sma::place(&[]);
    sma.send(fixture("call_answered"));
    sma.send(fixture("action_successful_join_chime_meeting"));

    let outcome = sma.send(fixture("action_failed_call_and_bridge"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(
        progress(&outcome),
        ended("no_answer", "CallNotAnswered: Call not answered")
    );
    assert_eq!(sma.stage(), "ended");
    assert_eq!(sma.attributes["EndReason"], "no_answer");

    // Leg A's own HANGUP then: nothing more.
    let mut event = fixture("hangup_leg_a");
    event["CallDetails"]["Participants"] = json!([event["CallDetails"]["Participants"][0]]);
    let outcome = sma.send(event);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);
}
