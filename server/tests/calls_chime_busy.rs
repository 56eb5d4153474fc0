//! A Chime call to the simulator's busy number through the server's hub: the handler's `HANGUP`
//! with the busy cause, pushed to the server, ends the call busy by the far end.

mod common;

use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::chime::*;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_number_ends_the_call_busy() {
    let rig = chime_rig().await;
    let mut tab = open_tab(&rig.calls);
    start(&rig.calls, &tab, "c-busy", "+6560000003").await;
    let mut joined = rig.join(&tab, "c-busy").await;
    let states = wait_state(&mut tab, ended(EndReason::Busy, HangupBy::Remote)).await;
    assert!(states.contains(&CallState::Dialing), "{states:?}");
    assert!(
        !states
            .iter()
            .any(|s| matches!(s, CallState::Connected { .. })),
        "{states:?}"
    );
    let record = record_of(&rig.calls, "c-busy").await;
    assert_eq!(record.end_reason, Some(EndReason::Busy), "{record:?}");
    assert_eq!(record.hangup_by.as_deref(), Some("remote"));
    assert_eq!(record.answered_at, None);
    assert!(record.ended_at.is_some());
    let cause = record.sip_cause.unwrap_or_default();
    assert!(cause.contains("486"), "{cause:?}");
    rig.sma_call("c-busy").await;
    meeting_deleted(&rig, &mut joined).await;
}
