//! The called party hangs up a bridged call: leg A is hung up too (the service would leave it).

mod common;

use common::*;
use serde_json::json;

#[test]
fn the_called_party_hangs_up() {
    let mut sma = Sma::bridged();
    let outcome = sma.send(fixture("hangup_leg_b"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(
        progress(&outcome),
        ended("completed", "the called party hung up")
    );
    assert_eq!(sma.attributes["EndReason"], "completed");
}

#[test]
fn the_meeting_side_goes_first() {
    // The server deleted the meeting (or the agent's browser left): leg A goes, leg B follows.
    let mut sma = Sma::bridged();
    let outcome = sma.send(fixture("hangup_leg_a"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-2")]));
    assert_eq!(
        progress(&outcome),
        ended("completed", "the agent's side hung up")
    );
}

#[test]
fn a_hangup_without_a_tag_is_read_from_the_disconnected_leg() {
    let mut sma = Sma::bridged();
    let mut event = fixture("hangup_leg_b");
    event["ActionData"] = json!({"Type": "Hangup", "Parameters": {}});
    let outcome = sma.send(event);
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
}
