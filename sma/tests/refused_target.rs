//! The policy is checked again before `CallAndBridge`: a number the server would refuse is
//! never dialled, and the call ends as refused with the policy's reason.

mod common;

use common::*;
use serde_json::json;

fn refused(target: &str, reason: &str) {
    let mut sma = Sma::place(&[("Target", target)]);
    sma.send(fixture("call_answered"));
    let outcome = sma.send(fixture("action_successful_join_chime_meeting"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]), "{target}");
    assert_eq!(
        progress(&outcome),
        ended(
            "refused",
            &format!("the dialling policy refuses it: {reason}")
        ),
        "{target}"
    );
    assert_eq!(sma.attributes["EndReason"], "refused");
}

#[test]
fn premium_foreign_and_malformed_targets_are_not_dialled() {
    refused("+5079001234", "premium_rate");
    refused("+6518001234567", "toll_free");
    refused("+442071234567", "other_country");
    refused("+65 8123 4567", "invalid");
    refused("+507112", "short_code");
}

#[test]
fn a_singapore_mobile_is_dialled() {
    let mut sma = Sma::place(&[("Target", "+6581234567")]);
    sma.send(fixture("call_answered"));
    let outcome = sma.send(fixture("action_successful_join_chime_meeting"));
    assert_eq!(
        actions(&outcome)[0]["Parameters"]["Endpoints"],
        json!([{"BridgeEndpointType": "PSTN", "Uri": "+6581234567"}])
    );
}

#[test]
fn a_call_without_a_target_or_caller_id_fails_cleanly() {
    for (missing, cause) in [
        ("Target", "the call has no target"),
        ("CallerId", "the call has no caller ID"),
    ] {
        let mut sma = Sma::place(&[(missing, "")]);
        sma.send(fixture("call_answered"));
        let outcome = sma.send(fixture("action_successful_join_chime_meeting"));
        assert_eq!(actions(&outcome), json!([hangup("call-id-1")]), "{missing}");
        assert_eq!(progress(&outcome), ended("failed", cause), "{missing}");
    }
    let mut sma = Sma::place(&[("JoinToken", "")]);
    let outcome = sma.send(fixture("call_answered"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(
        progress(&outcome),
        ended(
            "failed",
            "the call was placed without a meeting id and join token"
        )
    );
}
