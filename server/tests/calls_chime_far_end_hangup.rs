//! A Chime call to the simulator's number that answers and then hangs up on its own: the
//! handler's progress ends the call completed by the far end.

mod common;

use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::chime::*;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_far_end_hangs_up() {
    let rig = chime_rig().await;
    let mut tab = open_tab(&rig.calls);
    start(&rig.calls, &tab, "c-bye", "+6560000006").await;
    let mut joined = rig.join(&tab, "c-bye").await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Remote)).await;
    let record = record_of(&rig.calls, "c-bye").await;
    assert_eq!(record.end_reason, Some(EndReason::Completed), "{record:?}");
    assert_eq!(record.hangup_by.as_deref(), Some("remote"));
    assert!(record.answered_at.is_some() && record.ended_at.is_some());
    rig.sma_call("c-bye").await;
    meeting_deleted(&rig, &mut joined).await;
}
