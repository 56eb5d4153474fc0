//! Warm (consultative) transfer to a phone number through the call hub (docs/telephony.md,
//! "Transfer"): Alice answers a customer's call and consults a number first. The number is
//! checked and admitted as for a blind transfer; its answer shows `consulting` with the
//! customer held. Completed, Alice's call ends as transferred and the customer and the number
//! go on, exactly as a blind transfer; returned (Resume), the number is hung up on, the second
//! call's record ends `completed` and the customer is Alice's again; the number hanging up
//! leaves the customer held with `hung_up`. (The audio is checked in
//! `telephony/tests/warm_transfer_number.rs`.)

mod hub_rig;

use std::time::Duration;

use app::api::live::{ClientMessage, LiveCall, ServerMessage, TransferState};
use app::api::ports::Telephony;
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;

use hub_rig::*;

/// The simulator's tone number: answers and plays a steady tone.
const TONE: &str = "+6560000010";

fn consult(call_id: &str) -> ClientMessage {
    ClientMessage::TransferToNumber {
        call_id: call_id.into(),
        number: TONE.into(),
        consult: true,
    }
}

fn complete(call_id: &str) -> ClientMessage {
    ClientMessage::CompleteTransfer {
        call_id: call_id.into(),
    }
}

fn resume(call_id: &str) -> ClientMessage {
    ClientMessage::Hold {
        call_id: call_id.into(),
        on_hold: false,
    }
}

/// Alice on a call, consulting the tone number (answered): what her tabs show.
async fn consulting(rig: &Rig, alice: &mut Tab, id: &str) -> LiveCall {
    assert_eq!(send(rig, alice, consult(id)).await, None);
    let ringing = call_update(alice, |c| c.transfer.is_some()).await;
    let t = ringing.transfer.expect("the transfer shows");
    assert_eq!(
        (t.to.as_str(), t.state, t.number, t.consult),
        (TONE, TransferState::Ringing, true, true)
    );
    let shown = call_update(alice, |c| {
        c.transfer
            .as_ref()
            .is_some_and(|t| t.state == TransferState::Consulting)
    })
    .await;
    assert!(matches!(
        shown.state,
        CallState::Connected { on_hold: true, .. }
    ));
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consulted_then_completed_the_call_is_transferred_as_a_blind_one_is() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    // Nothing to complete before a number is consulted.
    match send(&rig, &alice, complete(&id)).await {
        Some(ServerMessage::Error { message, .. }) => {
            assert!(
                message.contains("no number is being consulted"),
                "{message}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    consulting(&rig, &mut alice, &id).await;
    // Answered and billed from the answer, not over, and Alice's call still hers.
    let second = call_out(&rig, TONE, |r| r.answered_at.is_some()).await;
    assert_eq!(second.ended_at, None);
    assert!(rig.hub.active_call(ALICE).is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(send(&rig, &alice, complete(&id)).await, None);
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
    let joined = call_out(&rig, TONE, |r| r.answered_at.is_some()).await;
    assert_eq!(joined.answered_at, second.answered_at, "answered once");
    assert_eq!(joined.ended_at, None);
    eventually("the transferred call counted", 5, async || {
        (rig.hub.transferred_calls(ALICE) == 1).then_some(())
    })
    .await;
    assert!(rig.hub.active_call(ALICE).is_none(), "Alice is free");
    let transfers: Vec<_> = rig
        .store
        .list_audit(ALICE, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "transfer")
        .collect();
    assert_eq!(transfers.len(), 1);

    // The customer hangs up: the number gets a BYE and the second call its end.
    let target = rig.simulator.called(TONE).expect("the number's call");
    call.hang_up();
    tokio::time::timeout(Duration::from_secs(8), target.over())
        .await
        .expect("the number's call ends");
    let second = call_out(&rig, TONE, |r| r.end_reason.is_some()).await;
    assert_eq!(second.end_reason, Some(EndReason::Completed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consulted_then_returned_the_number_is_hung_up_on_and_the_call_goes_on() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    consulting(&rig, &mut alice, &id).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Taken while the simulator carries it: once our BYE has come, it carries it no more.
    let target = rig.simulator.called(TONE).expect("the number's call");

    // Return to the customer: Resume.
    assert_eq!(send(&rig, &alice, resume(&id)).await, None);
    let back = call_update(&mut alice, |c| {
        matches!(c.state, CallState::Connected { on_hold: false, .. })
    })
    .await;
    assert_eq!(back.transfer, None);
    tokio::time::timeout(Duration::from_secs(8), target.over())
        .await
        .expect("the number's call ends");
    assert!(target.caller_hung_up(), "our BYE");
    // The second call was answered, so it ends as a normal call out (billed).
    let second = call_out(&rig, TONE, |r| r.end_reason.is_some()).await;
    assert_eq!(second.end_reason, Some(EndReason::Completed));
    assert_eq!(second.hangup_by.as_deref(), Some("agent"));
    assert!(second.duration_ms().unwrap_or(0) > 0);
    // Nothing to complete any more.
    assert!(matches!(
        send(&rig, &alice, complete(&id)).await,
        Some(ServerMessage::Error { .. })
    ));

    // The call goes on with Alice, and ends as usual.
    let live = rig.hub.active_call(ALICE).expect("Alice's call");
    assert!(matches!(
        live.state,
        CallState::Connected { on_hold: false, .. }
    ));
    call.hang_up();
    let mine = written(&rig, ALICE, &id).await;
    assert_eq!(mine.end_reason, Some(EndReason::Completed));
    assert_eq!(mine.transferred_to, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_number_hanging_up_while_consulted_leaves_the_customer_held() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, _call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    consulting(&rig, &mut alice, &id).await;
    rig.simulator
        .called(TONE)
        .expect("the number's call")
        .hang_up();
    let shown = call_update(&mut alice, |c| {
        c.transfer
            .as_ref()
            .is_some_and(|t| t.state == TransferState::HungUp)
    })
    .await;
    assert!(matches!(
        shown.state,
        CallState::Connected { on_hold: true, .. }
    ));
    let second = call_out(&rig, TONE, |r| r.end_reason.is_some()).await;
    assert_eq!(second.end_reason, Some(EndReason::Completed));
    assert_eq!(second.hangup_by.as_deref(), Some("remote"));
    // Resume: Alice has the customer back and the reason goes.
    assert_eq!(send(&rig, &alice, resume(&id)).await, None);
    let back = call_update(&mut alice, |c| {
        matches!(c.state, CallState::Connected { on_hold: false, .. })
    })
    .await;
    assert_eq!(back.transfer, None);
}
