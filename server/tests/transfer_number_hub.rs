//! Blind transfer to a phone number through the call hub (docs/telephony.md, "Transfer"):
//! Alice answers a customer's call and sends it on to a number. The number is checked and the
//! second call admitted as a call dialled is; while it rings the customer is held and Alice's
//! tabs say so; its answer ends Alice's call as transferred (her record names the number) while
//! the customer and the number go on talking, the second call's record (Alice's, outbound)
//! getting its end when either hangs up; a busy number leaves the call held with the reason;
//! a number the policy refuses is refused, audited, and nothing is dialled. (The audio of the
//! join is checked in `telephony/tests/transfer_number.rs`.)

mod hub_rig;

use std::time::Duration;

use app::api::calls::ops::{admit, Dialling};
use app::api::live::{ClientMessage, ServerMessage, TransferState};
use app::api::ports::{CallQuery, Telephony};
use app::api::ApiError;
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::spend::SpendPolicy;
use telephony::simulator::CallInEvent;

use hub_rig::*;

/// The simulator's tone number: answers and plays a steady tone.
const TONE: &str = "+6560000010";
/// The simulator's echo number.
const ECHO: &str = "+6560000001";
/// The simulator's busy number (486).
const BUSY: &str = "+6560000003";

fn to_number(call_id: &str, number: &str) -> ClientMessage {
    ClientMessage::TransferToNumber {
        call_id: call_id.into(),
        number: number.into(),
        consult: false,
    }
}

async fn audited(rig: &Rig, action: &str) -> Vec<String> {
    rig.store
        .list_audit(ALICE, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.detail)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_number_answers_and_the_call_goes_on_without_alice() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, call, _peer) = alice_on_a_call(&rig, &mut alice).await;

    assert_eq!(
        send(&rig, &alice, to_number(&id, "+65 6000 0010")).await,
        None
    );
    let shown = call_update(&mut alice, |c| c.transfer.is_some()).await;
    let t = shown.transfer.expect("the transfer shows");
    assert_eq!(
        (t.to.as_str(), t.state, t.number),
        (TONE, TransferState::Ringing, true)
    );
    assert_eq!(t.name, "+65 6000 0010");
    assert!(matches!(
        shown.state,
        CallState::Connected { on_hold: true, .. }
    ));

    // The answer ends Alice's call as transferred; her tabs say to whom.
    let ended = call_update(&mut alice, |c| matches!(c.state, CallState::Ended { .. })).await;
    assert_eq!(
        ended.state,
        CallState::Ended {
            reason: EndReason::Transferred,
            by: HangupBy::Agent,
            cause: None
        }
    );
    let t = ended.transfer.expect("still shown at the end");
    assert_eq!((t.to.as_str(), t.state), (TONE, TransferState::Answered));
    let mine = written(&rig, ALICE, &id).await;
    assert_eq!(mine.end_reason, Some(EndReason::Transferred));
    assert_eq!(mine.transferred_to.as_deref(), Some(TONE));

    // The second call: Alice's, outbound, answered and still up.
    let second = call_out(&rig, TONE, |r| r.answered_at.is_some()).await;
    assert_ne!(second.id, id);
    assert_eq!(second.ended_at, None);
    assert!(second.ringing_at.is_some());
    // Counted once the joined call's task has it (just after Alice's call ends).
    eventually("the transferred call counted", 5, async || {
        (rig.hub.transferred_calls(ALICE) == 1).then_some(())
    })
    .await;
    assert!(audited(&rig, "call_started").await.contains(&second.id));
    assert_eq!(audited(&rig, "transfer").await.len(), 1);

    // Alice is free: no call of hers, and a call she dials is admitted (the transferred call
    // is hers but not on her headset: `ops::start` allows for it, as here); without that
    // allowance the concurrent-calls limit would refuse it.
    assert!(rig.hub.active_call(ALICE).is_none());
    let dialling = Dialling {
        store: rig.store.as_ref(),
        numbers: &server::numbers::Libphonenumber,
        clock: &server::clock::SystemClock,
        spend_policy: SpendPolicy::default(),
    };
    let now = app::api::ports::Clock::now_ms(&server::clock::SystemClock);
    let new_call = |id: &str| CallRecord::outbound(id.into(), ECHO.into(), now);
    assert_eq!(
        admit(&dialling, ALICE, &new_call("next-0"), 0).await,
        Err(ApiError::CallInProgress)
    );
    let transferred = rig.hub.transferred_calls(ALICE);
    assert!(admit(&dialling, ALICE, &new_call("next-1"), transferred)
        .await
        .is_ok());
    let target = rig.simulator.called(TONE).expect("the number's call");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !target.take_heard().is_empty(),
        "the number hears the customer"
    );

    // The customer hangs up: the number gets a BYE and the second call its end.
    call.hang_up();
    tokio::time::timeout(Duration::from_secs(8), target.over())
        .await
        .expect("the number's call ends");
    assert!(target.caller_hung_up());
    let second = call_out(&rig, TONE, |r| r.end_reason.is_some()).await;
    assert_eq!(second.end_reason, Some(EndReason::Completed));
    assert!(second.duration_ms().unwrap_or(0) > 0);
    eventually("the transferred call no longer counted", 5, async || {
        (rig.hub.transferred_calls(ALICE) == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_number_hangs_up_and_the_customer_gets_a_bye() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, mut call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    assert_eq!(send(&rig, &alice, to_number(&id, TONE)).await, None);
    state(&mut alice, |s| matches!(s, CallState::Ended { .. })).await;
    let second = call_out(&rig, TONE, |r| r.answered_at.is_some()).await;
    assert_eq!(second.ended_at, None);

    // Alice can be rung for another call while the transferred one goes on.
    let other = rig.simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let ringing = rings(&mut alice).await;
    assert_ne!(ringing.id, id);
    other.hang_up();

    rig.simulator
        .called(TONE)
        .expect("the number's call")
        .hang_up();
    let mut events = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_secs(8), call.next()).await {
        events.push(e);
        if events
            .iter()
            .any(|e| matches!(e, CallInEvent::Ended { .. }))
        {
            break;
        }
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, CallInEvent::Ended { .. })),
        "the customer is hung up on: {events:?}"
    );
    let second = call_out(&rig, TONE, |r| r.end_reason.is_some()).await;
    assert_eq!(second.end_reason, Some(EndReason::Completed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_number_leaves_the_call_held_with_the_reason() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    assert_eq!(send(&rig, &alice, to_number(&id, BUSY)).await, None);
    let busy = call_update(&mut alice, |c| {
        c.transfer
            .as_ref()
            .is_some_and(|t| t.state == TransferState::Busy)
    })
    .await;
    assert!(matches!(
        busy.state,
        CallState::Connected { on_hold: true, .. }
    ));
    let second = call_out(&rig, BUSY, |r| r.end_reason.is_some()).await;
    assert_eq!(second.end_reason, Some(EndReason::Busy));
    assert_eq!(second.answered_at, None);

    // Resume: Alice has the customer back and the reason goes.
    assert_eq!(
        send(
            &rig,
            &alice,
            ClientMessage::Hold {
                call_id: id.clone(),
                on_hold: false
            }
        )
        .await,
        None
    );
    let back = call_update(&mut alice, |c| {
        matches!(c.state, CallState::Connected { on_hold: false, .. })
    })
    .await;
    assert_eq!(back.transfer, None);

    // The customer hangs up: the call ends as usual, not transferred.
    call.hang_up();
    let mine = written(&rig, ALICE, &id).await;
    assert_eq!(mine.end_reason, Some(EndReason::Completed));
    assert_eq!(mine.transferred_to, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_the_policy_refuses_are_refused_audited_and_not_dialled() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, _call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    for (number, reason) in [
        ("+14155550100", "other_country"),
        ("+507 900-1234", "premium_rate"),
        ("6000 0010", "needs_country"),
    ] {
        let reply = send(&rig, &alice, to_number(&id, number)).await;
        match reply {
            Some(ServerMessage::Error { message, .. }) => {
                assert!(message.contains(reason), "{number}: {message}")
            }
            other => panic!("{number}: expected a refusal, got {other:?}"),
        }
    }
    let refused = audited(&rig, "call_refused").await;
    for reason in ["other_country", "premium_rate", "needs_country"] {
        assert!(refused.iter().any(|d| d == reason), "{reason}: {refused:?}");
    }
    assert!(audited(&rig, "transfer").await.is_empty());
    // Nothing dialled: no call out, and the call is Alice's as it was.
    let page = rig
        .store
        .list_calls(ALICE, &CallQuery::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "{:?}", page.items);
    let live = rig.hub.active_call(ALICE).expect("Alice's call");
    assert!(matches!(
        live.state,
        CallState::Connected { on_hold: false, .. }
    ));
    assert_eq!(live.transfer, None);
}
