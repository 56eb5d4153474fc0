//! Inbound calls are not supported yet: hung up before answering, with 480, and no state.

mod common;

use common::*;
use serde_json::json;

#[test]
fn an_inbound_call_is_refused_cleanly() {
    let outcome = run(fixture("new_inbound_call"));
    assert_eq!(
        serde_json::to_value(&outcome.response).expect("serialises"),
        json!({"SchemaVersion": "1.0", "Actions": [
            {"Type": "Hangup", "Parameters": {"CallId": "call-id-1", "SipResponseCode": "480"}}
        ]})
    );
    assert_eq!(outcome.progress, None);
    assert_eq!(outcome.call_id, None);
}
