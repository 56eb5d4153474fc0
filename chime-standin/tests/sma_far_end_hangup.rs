//! The SIP media application runtime, far-end hang-up: the simulator answers and hangs up on
//! its own; `HANGUP` of leg B, then the handler hangs up leg A.

mod common;

use std::time::Duration;

use common::call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_called_party_hangs_up() {
    let scenario = Scenario::start(None).await;
    let tx = scenario.call("+6560000006").await;
    let events = scenario.until_ended(&tx, Duration::from_secs(10)).await;
    assert_eq!(
        events,
        placed_then(&[
            "RINGING LEG-B",
            "ACTION_SUCCESSFUL CallAndBridge",
            "HANGUP LEG-B",
            "HANGUP LEG-A",
        ])
    );
    assert_eq!(
        scenario.pushes.states(),
        ["ringing", "answered", "ended completed"]
    );
}
