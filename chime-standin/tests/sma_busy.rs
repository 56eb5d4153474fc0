//! The SIP media application runtime, busy: the simulator answers 486 at once, the runtime
//! reports `ACTION_FAILED` of `CallAndBridge` with the SIP code, and the handler hangs up leg A.

mod common;

use std::time::Duration;

use common::call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_target_ends_the_call_busy() {
    let scenario = Scenario::start(None).await;
    let tx = scenario.call("+6560000003").await;
    let events = scenario.until_ended(&tx, Duration::from_secs(10)).await;
    assert_eq!(
        events,
        placed_then(&["ACTION_FAILED CallAndBridge", "HANGUP LEG-A"])
    );
    assert_eq!(scenario.pushes.states(), ["ended busy"]);
}
