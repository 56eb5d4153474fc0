//! The SIP media application runtime, not found: the simulator answers 404.

mod common;

use std::time::Duration;

use common::call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unassigned_number_ends_the_call_not_found() {
    let scenario = Scenario::start(None).await;
    let tx = scenario.call("+6560000005").await;
    let events = scenario.until_ended(&tx, Duration::from_secs(10)).await;
    assert_eq!(
        events,
        placed_then(&["ACTION_FAILED CallAndBridge", "HANGUP LEG-A"])
    );
    assert_eq!(scenario.pushes.states(), ["ended not_found"]);
}
