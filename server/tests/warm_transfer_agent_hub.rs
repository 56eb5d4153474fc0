//! A warm transfer to another agent through the call hub (docs/telephony.md, "Warm transfer
//! to an agent"): Alice, on a customer's call, consults Bob. It rings for Bob as a
//! consultation; his answer gives his tabs the call with `consult_with` (Alice), and his offer
//! is answered by a leg linked to the call: Alice and Bob hear each other, the customer the
//! music and neither. Connect hands the call to Bob with his browser as it is (no new offer):
//! the customer hears Bob, Alice's call ends as transferred to him, each has a record of their
//! part. Return to customer, or Bob hanging up, ends the consultation: Bob's side ends, the
//! call stays Alice's.

mod hub_rig;

use std::time::Duration;

use app::api::live::{ClientMessage, LiveCall, TransferState};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::{Direction, EndReason};
use telephony::simulator::{CallIn, CallInEvent};
use telephony::tones::{hold_music_share, tone_purity};
use testkit::peer::{BrowserPeer, PeerCommand, Source};

use hub_rig::*;

const ALICE_HZ: f32 = 1000.0;
const BOB_HZ: f32 = 600.0;

fn consult(call_id: &str) -> ClientMessage {
    ClientMessage::Transfer {
        call_id: call_id.into(),
        to: BOB.into(),
        consult: true,
    }
}

/// Over the last second (after 300 ms to settle), what `hear` gives.
async fn over_a_second(hear: impl Fn() -> Vec<i16>) -> Vec<i16> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    hear();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    hear()
}

fn last(audio: &[i16], n: usize) -> &[i16] {
    &audio[audio.len().saturating_sub(n)..]
}

struct Consulting {
    rig: Rig,
    alice: Tab,
    bob: Tab,
    id: String,
    call: CallIn,
    alice_peer: BrowserPeer,
    bob_peer: BrowserPeer,
}

/// Alice on a call with the customer, consulting Bob, who answered: they hear each other.
async fn consulting() -> Consulting {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let (id, call, alice_peer) = alice_on_a_call(&rig, &mut alice).await;
    assert_eq!(send(&rig, &alice, consult(&id)).await, None);
    let shown = call_update(&mut alice, |c| c.transfer.is_some()).await;
    let t = shown.transfer.expect("the consultation shows");
    assert_eq!(
        (t.to.as_str(), t.state, t.consult, t.number),
        (BOB, TransferState::Ringing, true, false)
    );
    assert!(matches!(
        shown.state,
        CallState::Connected { on_hold: true, .. }
    ));
    let ringing = rings(&mut bob).await;
    assert!(ringing.transferred && ringing.consult, "{ringing:?}");
    assert_eq!(ringing.id, id);

    // Bob answers: the call shows on his tabs as Alice's consultation, connected.
    let bob_peer = answer(&rig, &mut bob, &id).await;
    let his = rig.hub.active_call(BOB).expect("Bob's side");
    assert_eq!(his.consult_with.as_deref(), Some(email(ALICE).as_str()));
    assert_eq!(his.id, id);
    bob_peer.command(PeerCommand::Source(Source::Tone(BOB_HZ)));
    let shown = call_update(&mut alice, |c| {
        c.transfer.as_ref().map(|t| t.state) == Some(TransferState::Consulting)
    })
    .await;
    assert_eq!(shown.transfer.map(|t| t.name), Some(email(BOB)));
    Consulting {
        rig,
        alice,
        bob,
        id,
        call,
        alice_peer,
        bob_peer,
    }
}

/// Alice and Bob hear each other; the customer hears the music and neither of them.
async fn they_consult(c: &Consulting) {
    let at_alice = over_a_second(|| c.alice_peer.take_audio()).await;
    assert!(
        tone_purity(last(&at_alice, 4000), BOB_HZ) > 0.8,
        "Alice hears Bob"
    );
    let at_bob = over_a_second(|| c.bob_peer.take_audio()).await;
    assert!(
        tone_purity(last(&at_bob, 4000), ALICE_HZ) > 0.8,
        "Bob hears Alice"
    );
    let heard = over_a_second(|| c.call.take_heard()).await;
    let music = hold_music_share(last(&heard, 8000));
    assert!(music > 0.45, "the customer hears the music: {music:.2}");
    for hz in [ALICE_HZ, BOB_HZ] {
        let there = tone_purity(last(&heard, 8000), hz);
        assert!(
            there < 0.02,
            "the customer does not hear {hz} Hz: {there:.3}"
        );
    }
}

fn ended(c: &LiveCall) -> bool {
    matches!(c.state, CallState::Ended { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consulted_then_connected_the_customer_talks_with_bob() {
    let mut c = consulting().await;
    they_consult(&c).await;

    assert_eq!(
        send(
            &c.rig,
            &c.alice,
            ClientMessage::CompleteTransfer {
                call_id: c.id.clone()
            }
        )
        .await,
        None
    );
    let mine = call_update(&mut c.alice, ended).await;
    assert_eq!(
        mine.state,
        CallState::Ended {
            reason: EndReason::Transferred,
            by: HangupBy::Agent,
            cause: None
        }
    );
    // Bob's call is his now: no consultation, connected and off hold, his browser as it was.
    let his = call_update(&mut c.bob, |l| {
        l.consult_with.is_none() && matches!(l.state, CallState::Connected { on_hold: false, .. })
    })
    .await;
    assert_eq!(his.id, c.id);
    let heard = over_a_second(|| c.call.take_heard()).await;
    assert!(
        tone_purity(last(&heard, 4000), BOB_HZ) > 0.8,
        "the customer hears Bob"
    );
    assert!(
        tone_purity(last(&heard, 4000), ALICE_HZ) < 0.02,
        "not Alice"
    );
    let at_alice = over_a_second(|| c.alice_peer.take_audio()).await;
    assert!(
        at_alice.len() < 800,
        "Alice hears nothing more ({})",
        at_alice.len()
    );

    let alices = written(&c.rig, ALICE, &c.id).await;
    assert_eq!(alices.end_reason, Some(EndReason::Transferred));
    assert_eq!(alices.transferred_to, Some(email(BOB)));
    send(
        &c.rig,
        &c.bob,
        ClientMessage::Hangup {
            call_id: c.id.clone(),
        },
    )
    .await;
    assert_eq!(
        caller_sees(&mut c.call).await,
        CallInEvent::Ended { by_caller: false }
    );
    let bobs = written(&c.rig, BOB, &c.id).await;
    assert_eq!(bobs.direction, Direction::Inbound);
    assert_eq!(bobs.transferred_from, Some(email(ALICE)));
    assert_eq!(bobs.end_reason, Some(EndReason::Completed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_to_the_customer_bobs_side_ends_and_alice_talks_again() {
    let mut c = consulting().await;
    they_consult(&c).await;
    let resume = ClientMessage::Hold {
        call_id: c.id.clone(),
        on_hold: false,
    };
    assert_eq!(send(&c.rig, &c.alice, resume).await, None);
    let his = call_update(&mut c.bob, ended).await;
    assert!(his.consult_with.is_some());
    assert!(c.rig.hub.active_call(BOB).is_none(), "Bob is free");
    let mine = call_update(&mut c.alice, |l| {
        l.transfer.is_none() && matches!(l.state, CallState::Connected { on_hold: false, .. })
    })
    .await;
    assert_eq!(mine.id, c.id);
    let heard = over_a_second(|| c.call.take_heard()).await;
    assert!(
        tone_purity(last(&heard, 4000), ALICE_HZ) > 0.8,
        "the customer hears Alice"
    );
    assert!(
        c.rig.store.get_call(BOB, &c.id).await.unwrap().is_none(),
        "a consultation is not a call of Bob's"
    );
}

/// Alice is told the consultation ended (Bob's side hung up) and her customer is still held.
async fn consultation_ended_alice_holds(c: &mut Consulting) {
    let mine = call_update(&mut c.alice, |l| {
        l.transfer.as_ref().map(|t| t.state) == Some(TransferState::HungUp)
    })
    .await;
    assert!(matches!(
        mine.state,
        CallState::Connected { on_hold: true, .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bob_hanging_up_leaves_the_call_with_alice_held() {
    let mut c = consulting().await;
    send(
        &c.rig,
        &c.bob,
        ClientMessage::Hangup {
            call_id: c.id.clone(),
        },
    )
    .await;
    call_update(&mut c.bob, ended).await;
    consultation_ended_alice_holds(&mut c).await;
    // Connect is refused now; the call stays Alice's.
    let refused = send(
        &c.rig,
        &c.alice,
        ClientMessage::CompleteTransfer {
            call_id: c.id.clone(),
        },
    )
    .await;
    assert!(refused.is_some(), "{refused:?}");
    assert_eq!(
        c.rig.hub.active_call(ALICE).map(|l| l.id),
        Some(c.id.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bob_placing_a_call_of_his_own_ends_the_consultation() {
    let mut c = consulting().await;
    let record = app::domain::calls::CallRecord::outbound("c-bob".into(), "+6560000001".into(), 1);
    c.rig.store.insert_call(BOB, &record).await.unwrap();
    let origin = app::api::ports::CallOrigin::App {
        connection: c.bob.connection,
    };
    app::api::ports::Telephony::begin(&*c.rig.hub, BOB, record, origin, 3_600_000).await;
    consultation_ended_alice_holds(&mut c).await;
    assert_eq!(
        c.rig.hub.active_call(BOB).map(|l| l.id),
        Some("c-bob".to_string()),
        "Bob's own call is his"
    );
}
