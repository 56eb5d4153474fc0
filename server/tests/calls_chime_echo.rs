//! A Chime call through the server's hub, end to end with no mocks: the tab asks for the
//! meeting, a str0m browser joins it through the stand-in's signalling, the server places the
//! SIP media application call, our handler bridges the simulator's echo number and pushes its
//! progress to the server's endpoint. The browser hears itself; the agent hangs up; the record
//! and the stand-in agree.

mod common;

use std::time::Duration;

use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::chime::*;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_echo_call_then_the_agents_hang_up() {
    let rig = chime_rig().await;
    let mut tab = open_tab(&rig.calls);
    start(&rig.calls, &tab, "c-echo", "+6560000001").await;
    let mut joined = rig.join(&tab, "c-echo").await;
    let states = wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    assert!(states.contains(&CallState::Dialing), "{states:?}");
    assert!(states.contains(&CallState::Ringing), "{states:?}");

    hears_its_own_echo(&joined).await;

    send(&rig.calls, &tab, hangup("c-echo")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    let record = record_of(&rig.calls, "c-echo").await;
    assert!(record.ringing_at.is_some(), "{record:?}");
    assert!(record.answered_at.is_some(), "{record:?}");
    assert!(record.ended_at.is_some(), "{record:?}");
    assert_eq!(record.end_reason, Some(EndReason::Completed));
    assert_eq!(record.hangup_by.as_deref(), Some("agent"));
    assert!(rig.calls.hub.active_call(ALICE).is_none());

    // The record names the stand-in's call, placed for this call through the bridge number.
    let (transaction, call) = rig.sma_call("c-echo").await;
    assert_eq!(call.sip_media_application_id, SMA_ID);
    assert_eq!(call.to_phone_number, BRIDGE_NUMBER);
    assert!(
        call.arguments_map
            .contains(&("CallId".to_string(), "c-echo".to_string())),
        "{:?}",
        call.arguments_map
    );
    rig.until_handler_saw(&transaction, "HANGUP LEG-A", Duration::from_secs(5))
        .await;

    // The meeting is deleted at the end.
    meeting_deleted(&rig, &mut joined).await;
}
