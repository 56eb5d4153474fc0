//! Keys from the agent reach the PSTN leg as `SendDigits`; anything else is ignored.

mod common;

use common::*;
use serde_json::json;

#[test]
fn digits_go_to_the_pstn_leg() {
    let mut sma = Sma::bridged();
    let outcome = sma.update(&[("Action", "digits"), ("Digits", "5")]);
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "SendDigits", "Parameters": {
            "CallId": "call-id-2", "Digits": "5", "ToneDurationInMilliseconds": 100
        }}])
    );
    assert_eq!(outcome.progress, None);

    let outcome = sma.update(&[("Action", "digits"), ("Digits", "*12#,A")]);
    assert_eq!(actions(&outcome)[0]["Parameters"]["Digits"], "*12#,A");

    // The guide's own example update, with the fixture's arguments.
    let outcome = sma.send(fixture("call_update_requested"));
    assert_eq!(actions(&outcome)[0]["Parameters"]["Digits"], "5");
}

#[test]
fn digits_the_guide_does_not_allow_are_dropped() {
    let mut sma = Sma::bridged();
    for digits in ["", "12x", &"1".repeat(51)] {
        let outcome = sma.update(&[("Action", "digits"), ("Digits", digits)]);
        assert_eq!(actions(&outcome), json!([]), "{digits:?}");
    }
    let outcome = sma.update(&[("Action", "digits")]);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(sma.stage(), "bridged");
}

#[test]
fn digits_before_the_bridge_are_dropped() {
    let mut sma = Sma::place(&[]);
    sma.send(fixture("call_answered"));
    let outcome = sma.update(&[("Action", "digits"), ("Digits", "5")]);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(sma.stage(), "joining");
}
