//! Calls in on the Chime PSTN Audio path, end to end with no mocks (docs/chime.md, "Calls
//! in"): the simulator calls one of the business's numbers through the stand-in's gateway (the
//! carrier's side), the stand-in invokes our handler with `NEW_INBOUND_CALL`, whose progress
//! push reaches the server; the hub rings the assigned agent's tab. The agent's answer makes the
//! call's meeting, the browser (a str0m peer) joins it, the server's `answer` update has the
//! handler join the caller to it (`JoinChimeMeeting`, which answers the call), and the caller
//! and the agent hear each other. Also: the caller hanging up while it rings, everyone
//! declining (refused with 480: no message on this path), a number nobody rings for and one
//! that is not ours.

mod common;

use std::time::Duration;

use app::api::live::{ClientMessage, IncomingCall, IncomingEnd, ServerMessage};
use app::api::ports::{CallStore, NumberStore};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::{Direction, EndReason};
use app::domain::inbound::{Assignment, OwnedNumber, Strategy, UnassignedAction};
use common::chime::*;
use common::*;
use telephony::simulator::{CallIn, CallInEvent};

const CUSTOMER: &str = "+6591234567";
const SUPPORT: &str = "+6562220000";

async fn assign_support(rig: &ChimeRig) {
    rig.calls
        .store
        .put_number(&OwnedNumber {
            e164: SUPPORT.into(),
            assignment: Assignment::Agents {
                members: vec![ALICE.into()],
                strategy: Strategy::RingAll,
                ring_secs: 30,
            },
            hours: None,
            unassigned: UnassignedAction::Refuse,
            updated_at: 1,
        })
        .await
        .unwrap();
}

async fn rings(tab: &mut Tab) -> IncomingCall {
    next_message(tab, |m| match m {
        ServerMessage::Incoming { incoming } => Some(incoming),
        _ => None,
    })
    .await
}

async fn stops(tab: &mut Tab) -> IncomingEnd {
    next_message(tab, |m| match m {
        ServerMessage::IncomingEnded { end, .. } => Some(end),
        _ => None,
    })
    .await
}

async fn next_message<T>(tab: &mut Tab, pick: impl Fn(ServerMessage) -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let m = tokio::time::timeout_at(deadline, tab.events.recv())
            .await
            .expect("the expected message came within 10 s")
            .expect("the channel is open");
        if let Some(t) = pick(m) {
            return t;
        }
    }
}

async fn caller_sees(call: &mut CallIn) -> CallInEvent {
    tokio::time::timeout(Duration::from_secs(10), call.next())
        .await
        .expect("the caller hears within 10 s")
        .expect("the call in reports its end")
}

/// What the caller hears next that is not ringing.
async fn past_ringing(call: &mut CallIn) -> CallInEvent {
    loop {
        let event = caller_sees(call).await;
        if event != CallInEvent::Ringing {
            return event;
        }
    }
}

/// The record of `id` once it has ended.
async fn ended_record(rig: &ChimeRig, id: &str) -> app::domain::calls::CallRecord {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let record = rig.calls.store.get_call(ALICE, id).await.unwrap();
        if let Some(record) = record.filter(|r| r.end_reason.is_some()) {
            return record;
        }
        assert!(tokio::time::Instant::now() < deadline, "{id} has not ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The support number assigned to Alice, her tab open, and the customer's call ringing there.
async fn ringing_for_alice(rig: &ChimeRig) -> (Tab, CallIn, IncomingCall) {
    assign_support(rig).await;
    let mut tab = open_tab(&rig.calls);
    let call = rig
        .calls
        .simulator
        .call_in(CUSTOMER, SUPPORT)
        .expect("placed");
    let ringing = rings(&mut tab).await;
    (tab, call, ringing)
}

/// Alice answers in her tab, which then joins the call's meeting.
async fn answered(rig: &ChimeRig, tab: &Tab, call_id: &str) -> testkit::chime::MeetingPeer {
    let reply = send(
        &rig.calls,
        tab,
        ClientMessage::AnswerIncoming {
            call_id: call_id.into(),
        },
    )
    .await;
    assert_eq!(reply, None, "the answer is taken");
    rig.join(tab, call_id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_through_the_meeting_with_audio_then_the_caller_hangs_up() {
    let rig = chime_rig().await;
    let (mut tab, mut call, ringing) = ringing_for_alice(&rig).await;
    assert_eq!(ringing.from.as_deref(), Some(CUSTOMER));
    assert_eq!(ringing.to, SUPPORT);
    let mut joined = answered(&rig, &tab, &ringing.id).await;
    // The caller is answered once the agent's audio is up, and hears the agent (the
    // simulator's caller echoes): the browser hears itself through the caller.
    let mut events = Vec::new();
    loop {
        let event = caller_sees(&mut call).await;
        events.push(event.clone());
        if event == CallInEvent::Answered {
            break;
        }
        assert!(events.len() < 4, "{events:?}");
    }
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    hears_its_own_echo(&joined).await;

    let record = record_of(&rig.calls, &ringing.id).await;
    assert_eq!(record.direction, Direction::Inbound);
    assert_eq!(record.e164, CUSTOMER);
    assert!(record.answered_at.is_some(), "{record:?}");
    let transaction = record
        .provider_call_id
        .clone()
        .expect("the record names the SIP media application call");
    let events = rig
        .until_handler_saw(
            &transaction,
            "ACTION_SUCCESSFUL JoinChimeMeeting",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(events[0], "NEW_INBOUND_CALL", "{events:?}");
    assert!(
        events.iter().any(|e| e == "CALL_UPDATE_REQUESTED"),
        "{events:?}"
    );

    // The caller hangs up: the call ends, the meeting is deleted.
    call.hang_up();
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Remote)).await;
    let record = ended_record(&rig, &ringing.id).await;
    assert_eq!(record.end_reason, Some(EndReason::Completed));
    rig.until_handler_saw(&transaction, "HANGUP LEG-A", Duration::from_secs(5))
        .await;
    meeting_deleted(&rig, &mut joined).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_then_the_agent_hangs_up() {
    let rig = chime_rig().await;
    let (mut tab, mut call, ringing) = ringing_for_alice(&rig).await;
    let _joined = answered(&rig, &tab, &ringing.id).await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    send(&rig.calls, &tab, hangup(&ringing.id)).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    // The caller is hung up on (BYE).
    let mut last = caller_sees(&mut call).await;
    while last != (CallInEvent::Ended { by_caller: false }) {
        assert!(
            matches!(last, CallInEvent::Ringing | CallInEvent::Answered),
            "{last:?}"
        );
        last = caller_sees(&mut call).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_hangs_up_while_it_rings_leaves_a_missed_call() {
    let rig = chime_rig().await;
    let (mut tab, call, ringing) = ringing_for_alice(&rig).await;
    call.hang_up();
    assert_eq!(stops(&mut tab).await, IncomingEnd::CallerHungUp);
    let record = ended_record(&rig, &ringing.id).await;
    assert_eq!(record.end_reason, Some(EndReason::Missed));
    assert_eq!(record.e164, CUSTOMER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_is_refused_with_480_and_missed() {
    let rig = chime_rig().await;
    let (tab, mut call, ringing) = ringing_for_alice(&rig).await;
    let reply = send(
        &rig.calls,
        &tab,
        ClientMessage::DeclineIncoming {
            call_id: ringing.id.clone(),
        },
    )
    .await;
    assert_eq!(reply, None);
    assert_eq!(
        past_ringing(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );
    let record = ended_record(&rig, &ringing.id).await;
    assert_eq!(record.end_reason, Some(EndReason::Missed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_nobody_rings_for_are_refused_without_ringing() {
    let rig = chime_rig().await;
    let mut tab = open_tab(&rig.calls);
    // The caller ID: ours, no assignment, no last agent, a message by default: on this path
    // refused at once with 480 (playing it would answer the call).
    let mut call = rig
        .calls
        .simulator
        .call_in(CUSTOMER, CALLER_ID)
        .expect("placed");
    assert_eq!(
        past_ringing(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );
    // Not ours at all: 404.
    let mut call = rig
        .calls
        .simulator
        .call_in(CUSTOMER, "+6569990000")
        .expect("placed");
    assert_eq!(
        past_ringing(&mut call).await,
        CallInEvent::Rejected { status: 404 }
    );
    let nothing = tokio::time::timeout(Duration::from_millis(300), rings(&mut tab)).await;
    assert!(nothing.is_err(), "nobody rang");
}
