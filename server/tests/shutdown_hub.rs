//! A server shutting down (docs/operating.md, "Stopping a server"): no new call is taken
//! (calls in get 503, so a carrier tries its next route; calls dialled are refused), the calls
//! up may end by themselves during the drain, then the rest are hung up cleanly — the caller
//! gets a BYE, a ringing call in a 503, a call sent on to a number a BYE on both sides — and
//! their records end `interrupted` by the system: "the server shut down". Then the live
//! channels are told to close.

mod hub_rig;

use std::time::{Duration, Instant};

use app::api::live::{ClientMessage, IncomingEnd};
use app::api::ports::Telephony;
use app::domain::call::SHUTDOWN_CAUSE;
use app::domain::calls::EndReason;
use telephony::simulator::CallInEvent;

use hub_rig::*;

fn interrupted(record: &app::domain::calls::CallRecord) {
    assert_eq!(
        record.end_reason,
        Some(EndReason::Interrupted),
        "{record:?}"
    );
    assert_eq!(record.hangup_by.as_deref(), Some("system"), "{record:?}");
    assert_eq!(
        record.sip_cause.as_deref(),
        Some(SHUTDOWN_CAUSE),
        "{record:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_left_after_the_drain_is_hung_up_and_nothing_new_is_taken() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, mut call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    let closing = rig.hub.closing();

    let started = Instant::now();
    rig.hub.shut_down(Duration::from_millis(500)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the drain is waited for"
    );
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Ended { by_caller: false },
        "the caller got a BYE"
    );
    interrupted(&written(&rig, ALICE, &id).await);
    assert!(rig.hub.active_call(ALICE).is_none());
    assert!(
        closing.is_cancelled(),
        "the live channels are told to close"
    );

    // Nothing new: a call in is refused with 503, a call dialled finds calling unavailable.
    assert!(!rig.hub.available());
    let mut late = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    let mut last = caller_sees(&mut late).await;
    while last == CallInEvent::Ringing {
        last = caller_sees(&mut late).await;
    }
    assert_eq!(last, CallInEvent::Rejected { status: 503 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_ends_during_the_drain_ends_as_it_would_have() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    let hub = rig.hub.clone();
    let started = Instant::now();
    let shutting = tokio::spawn(async move { hub.shut_down(Duration::from_secs(20)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!shutting.is_finished(), "it drains while the call is up");
    call.hang_up();
    tokio::time::timeout(Duration::from_secs(5), shutting)
        .await
        .expect("the drain ends with the last call")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let record = written(&rig, ALICE, &id).await;
    assert_eq!(record.end_reason, Some(EndReason::Completed), "{record:?}");
    assert_eq!(record.hangup_by.as_deref(), Some("remote"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ringing_call_in_is_refused_with_503_and_missed() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut call = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    let ringing = rings(&mut alice).await;
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    rig.hub.shut_down(Duration::ZERO).await;
    assert_eq!(stops(&mut alice).await, IncomingEnd::Missed);
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Rejected { status: 503 }
    );
    let record = written(&rig, ALICE, &ringing.id).await;
    assert_eq!(record.end_reason, Some(EndReason::Missed));
    // Too late to answer.
    let late = send(
        &rig,
        &alice,
        ClientMessage::AnswerIncoming {
            call_id: ringing.id,
        },
    )
    .await;
    assert!(late.is_some(), "refused: {late:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_sent_on_to_a_number_is_hung_up_on_both_sides() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, mut call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    let reply = send(
        &rig,
        &alice,
        ClientMessage::TransferToNumber {
            call_id: id.clone(),
            number: "+65 6000 0010".into(),
            consult: false,
        },
    )
    .await;
    assert_eq!(reply, None);
    // Joined: Alice's call is over, the second call (hers, to the number) answered and up.
    let mine = written(&rig, ALICE, &id).await;
    assert_eq!(mine.end_reason, Some(EndReason::Transferred));
    call_out(&rig, "+6560000010", |r| r.answered_at.is_some()).await;
    assert_eq!(rig.hub.transferred_calls(ALICE), 1);

    rig.hub.shut_down(Duration::ZERO).await;
    let mut last = caller_sees(&mut call).await;
    while last != (CallInEvent::Ended { by_caller: false }) {
        assert!(
            matches!(last, CallInEvent::Ringing | CallInEvent::Answered),
            "{last:?}"
        );
        last = caller_sees(&mut call).await;
    }
    let second = call_out(&rig, "+6560000010", |r| r.end_reason.is_some()).await;
    interrupted(&second);
    assert_eq!(rig.hub.transferred_calls(ALICE), 0);
}
