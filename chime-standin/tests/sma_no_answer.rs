//! The SIP media application runtime, no answer: the target rings past `CallTimeoutSeconds`
//! (capped to 0.7 s here; the simulator would give up after 1.5 s), the runtime cancels it and
//! reports `CallNotAnswered`.

mod common;

use std::time::Duration;

use common::call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_rings_out_ends_the_call_no_answer() {
    let scenario = Scenario::start(Some(Duration::from_millis(700))).await;
    let tx = scenario.call("+6560000004").await;
    let events = scenario.until_ended(&tx, Duration::from_secs(10)).await;
    assert_eq!(
        events,
        placed_then(&[
            "RINGING LEG-B",
            "ACTION_FAILED CallAndBridge",
            "HANGUP LEG-A"
        ])
    );
    assert_eq!(scenario.pushes.states(), ["ringing", "ended no_answer"]);
}
