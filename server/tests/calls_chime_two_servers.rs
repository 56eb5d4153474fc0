//! Two servers on one store behind one events URL, in the Chime shape: the handler's progress
//! pushes land on the server that does not hold the call, which relays each through the store
//! to the one that does (docs/architecture.md, "Several servers"). The call is rung, answered
//! and ended by the far end as on one server; a push for a call no server holds is answered
//! 404 within the handler's one second, and its relay request is taken back.

mod common;

use app::api::ports::RelayStore;
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::chime::*;
use common::*;
use sma::flow::CallProgress;
use sma::report::{ProgressReport, ReportError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_pushed_to_the_other_server_reaches_the_call() {
    let rig = chime_rig_on(Recording::Off, ProgressAt::AnotherServer).await;
    let mut tab = open_tab(&rig.calls);
    // Answers, echoes, then hangs up after 5 s: every step is a push to the other server.
    start(&rig.calls, &tab, "c-relayed", "+6560000006").await;
    let mut joined = rig.join(&tab, "c-relayed").await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    hears_its_own_echo(&joined).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Remote)).await;
    let record = record_of(&rig.calls, "c-relayed").await;
    assert_eq!(record.end_reason, Some(EndReason::Completed), "{record:?}");
    assert_eq!(record.hangup_by.as_deref(), Some("remote"));
    assert!(record.answered_at.is_some() && record.ended_at.is_some());
    meeting_deleted(&rig, &mut joined).await;

    // The other server never held it: each push was taken by the calls' server.
    let other = rig.other_server.as_ref().expect("two servers");
    assert!(other.active_call(ALICE).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_for_a_call_no_server_holds_is_refused_and_taken_back() {
    let rig = chime_rig_on(Recording::Off, ProgressAt::AnotherServer).await;
    let report = ProgressReport {
        call_id: "c-nowhere".into(),
        transaction_id: "t-nowhere".into(),
        sequence: 3,
        progress: CallProgress::Answered { at: 1 },
    };
    // Within the handler's attempt (1 s; a timeout would be `Timeout`, and retried).
    match rig.reporter().push(&report).await {
        Err(ReportError::Status(404)) => {}
        other => panic!("expected 404 after the relay went untaken, got {other:?}"),
    }
    let pending = rig.calls.store.pending_relays(0).await.expect("read");
    assert!(
        pending.is_empty(),
        "taken back, so no server applies it late: {pending:?}"
    );
}
