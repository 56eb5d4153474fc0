//! Events this flow has nothing to do for, including types it does not know, are answered with
//! no actions and the state unchanged.

mod common;

use common::*;
use serde_json::json;
use sma::event::{Event, EventType};

#[test]
fn an_unknown_event_is_tolerated() {
    let event = Event::from_json(fixture("unknown_event")).expect("parses");
    assert_eq!(
        event.invocation_event_type,
        EventType::Other("CALL_TRANSFERRED".into())
    );

    let mut sma = Sma::bridged();
    let before = sma.attributes.clone();
    let outcome = sma.send(fixture("unknown_event"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);
    assert_eq!(sma.attributes, before);
}

#[test]
fn notifications_change_nothing() {
    for name in [
        "action_interrupted",
        "digits_received",
        "invalid_lambda_response",
        "action_successful_send_digits",
    ] {
        let mut sma = Sma::bridged();
        let before = sma.attributes.clone();
        let outcome = sma.send(fixture(name));
        assert_eq!(actions(&outcome), json!([]), "{name}");
        assert_eq!(outcome.progress, None, "{name}");
        assert_eq!(sma.attributes, before, "{name}");
    }
}

#[test]
fn an_event_with_no_stored_state_is_still_answered() {
    let mut event = fixture("call_update_requested");
    event["CallDetails"]
        .as_object_mut()
        .expect("object")
        .remove("TransactionAttributes");
    let outcome = run(event);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(attributes(&outcome)["Stage"], "placed");
}
