//! A Chime call the agent hangs up while the target still rings: the hang-up update reaches the
//! handler, the call ends cancelled by the agent with no answer time, and the meeting is deleted.

mod common;

use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::chime::*;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_up_while_the_target_rings_cancels() {
    let rig = chime_rig().await;
    let mut tab = open_tab(&rig.calls);
    start(&rig.calls, &tab, "c-cancel", "+6560000004").await;
    let mut joined = rig.join(&tab, "c-cancel").await;
    wait_state(&mut tab, |s| *s == CallState::Ringing).await;
    send(&rig.calls, &tab, hangup("c-cancel")).await;
    wait_state(&mut tab, ended(EndReason::Cancelled, HangupBy::Agent)).await;
    let record = record_of(&rig.calls, "c-cancel").await;
    assert_eq!(record.end_reason, Some(EndReason::Cancelled), "{record:?}");
    assert_eq!(record.answered_at, None);
    let (_, call) = rig.sma_call("c-cancel").await;
    assert!(
        call.events.iter().any(|e| e == "CALL_UPDATE_REQUESTED"),
        "{:?}",
        call.events
    );
    meeting_deleted(&rig, &mut joined).await;
}
