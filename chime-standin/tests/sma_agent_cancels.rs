//! The SIP media application runtime, the agent gives up while the target rings: the hang-up
//! update makes the handler hang up leg A, which cancels the ringing leg B; the call ends as
//! cancelled and nothing is reported of the bridge afterwards.

mod common;

use std::time::Duration;

use common::call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_hangs_up_while_the_target_rings() {
    let scenario = Scenario::start(None).await;
    let tx = scenario.call("+6560000004").await;
    scenario
        .until_event(&tx, "RINGING LEG-B", Duration::from_secs(10))
        .await;
    scenario
        .update(&tx, serde_json::json!({"Action": "hangup"}))
        .await;
    let events = scenario.until_ended(&tx, Duration::from_secs(5)).await;
    // The simulator's own no-answer (1.5 s) would come after the CANCEL: nothing more is seen.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(scenario.events(&tx), events);
    assert_eq!(
        events,
        placed_then(&["RINGING LEG-B", "CALL_UPDATE_REQUESTED", "HANGUP LEG-A"])
    );
    assert_eq!(scenario.pushes.states(), ["ringing", "ended cancelled"]);
}
