//! Blind transfer to another agent through the call hub (docs/telephony.md, "Transfer"): Alice
//! answers a customer's call and hands it to Bob. While it rings for Bob the customer hears
//! music and Alice's tabs say so; Bob's answer makes it his call — the customer hears Bob's
//! browser, Alice's call ends as transferred, each has a record of their part — and a decline,
//! Alice taking the call back, or an agent who cannot take it leave it with Alice.

mod hub_rig;

use std::time::Duration;

use app::api::live::{ClientMessage, IncomingEnd, RecordAction, ServerMessage, TransferState};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::{Direction, EndReason};
use app::domain::recordings::{RecordingMode, RecordingState};
use telephony::simulator::{CallIn, CallInEvent};
use telephony::tones::tone_purity;
use testkit::peer::{PeerCommand, Source};

use hub_rig::*;

fn transfer(call_id: &str, to: &str) -> ClientMessage {
    ClientMessage::Transfer {
        call_id: call_id.into(),
        to: to.into(),
        consult: false,
    }
}

/// What the customer heard over the last `ms`.
async fn customer_hears(call: &mut CallIn, ms: u64) -> Vec<i16> {
    call.take_heard();
    tokio::time::sleep(Duration::from_millis(ms)).await;
    call.take_heard()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bob_answers_the_transfer_and_the_customer_talks_with_him() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let (id, mut call, alice_peer) = alice_on_a_call(&rig, &mut alice).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let heard = customer_hears(&mut call, 1000).await;
    assert!(
        tone_purity(&heard, 1000.0) > 0.8,
        "the customer hears Alice"
    );

    assert_eq!(send(&rig, &alice, transfer(&id, BOB)).await, None);
    let shown = call_update(&mut alice, |c| c.transfer.is_some()).await;
    let t = shown.transfer.expect("the transfer shows");
    assert_eq!((t.to.as_str(), t.state), (BOB, TransferState::Ringing));
    assert!(matches!(
        shown.state,
        CallState::Connected { on_hold: true, .. }
    ));
    let ringing = rings(&mut bob).await;
    assert!(ringing.transferred, "Bob sees a colleague's hand-over");
    assert_eq!(ringing.id, id);
    assert_eq!(ringing.from.as_deref(), Some(CUSTOMER));
    // Held: the customer hears music, not Alice.
    let heard = customer_hears(&mut call, 1000).await;
    assert!(tone_purity(&heard, 1000.0) < 0.05, "Alice is cut off");

    let bob_peer = answer(&rig, &mut bob, &id).await;
    // It rings no more: a tab Bob opens now does not show it.
    let ServerMessage::Hello { ringing, .. } = tab(&rig, BOB).hello else {
        panic!("hello first")
    };
    assert!(ringing.is_empty(), "{ringing:?}");
    let ended = call_update(&mut alice, |c| matches!(c.state, CallState::Ended { .. })).await;
    assert_eq!(
        ended.state,
        CallState::Ended {
            reason: EndReason::Transferred,
            by: HangupBy::Agent,
            cause: None
        }
    );
    // Bob's call is connected and off hold; the customer hears his 600 Hz, not Alice.
    let bobs = rig.hub.active_call(BOB).expect("Bob's call");
    assert_eq!(bobs.id, id);
    assert!(bobs.inbound);
    assert!(
        matches!(bobs.state, CallState::Connected { on_hold: false, .. }),
        "{:?}",
        bobs.state
    );
    bob_peer.command(PeerCommand::Source(Source::Tone(600.0)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = customer_hears(&mut call, 1500).await;
    let bob_heard = tone_purity(&heard, 600.0);
    assert!(bob_heard > 0.8, "the customer hears Bob: {bob_heard:.2}");
    assert!(tone_purity(&heard, 1000.0) < 0.05, "and not Alice");
    let back = bob_peer.take_audio();
    assert!(
        tone_purity(&back[back.len().saturating_sub(4000)..], 600.0) > 0.8,
        "Bob hears the customer (their echo of his tone)"
    );
    alice_peer.take_audio();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        alice_peer.take_audio().len() < 800,
        "Alice hears nothing more"
    );

    // Each has a record of their part; the call goes on with Bob until he hangs up.
    let alice_record = written(&rig, ALICE, &id).await;
    assert_eq!(alice_record.end_reason, Some(EndReason::Transferred));
    assert_eq!(alice_record.transferred_to, Some(email(BOB)));
    assert_eq!(alice_record.transferred_from, None);
    send(
        &rig,
        &bob,
        ClientMessage::Hangup {
            call_id: id.clone(),
        },
    )
    .await;
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Ended { by_caller: false }
    );
    let bob_record = written(&rig, BOB, &id).await;
    assert_eq!(bob_record.end_reason, Some(EndReason::Completed));
    assert_eq!(bob_record.direction, Direction::Inbound);
    assert_eq!(bob_record.e164, CUSTOMER);
    assert_eq!(bob_record.server.as_deref(), Some("srv-test"));
    // One call, two records under its id: each names the other agent of the transfer.
    assert_eq!(bob_record.transferred_from, Some(email(ALICE)));
    assert_eq!(bob_record.transferred_to, None);
    assert!(bob_record.answered_at >= alice_record.ended_at);
}

/// The recording follows the agent who holds the call: Alice's, started by her, ends at the
/// hand-over with her part; Bob records "always", so his part is a recording of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recording_follows_the_agent_who_holds_the_call() {
    let rig = rig().await;
    let mut preferences = rig.store.preferences(BOB).await.unwrap();
    preferences.recording = RecordingMode::Always;
    rig.store.set_preferences(BOB, &preferences).await.unwrap();
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let (id, call, _alice_peer) = alice_on_a_call(&rig, &mut alice).await;
    let record = ClientMessage::Record {
        call_id: id.clone(),
        action: RecordAction::Start,
    };
    assert_eq!(send(&rig, &alice, record).await, None);
    call_update(&mut alice, |c| c.recording.is_some()).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    assert_eq!(send(&rig, &alice, transfer(&id, BOB)).await, None);
    rings(&mut bob).await;
    let _bob_peer = answer(&rig, &mut bob, &id).await;
    let shown = call_update(&mut bob, |c| c.recording.is_some()).await;
    let bobs_recording = shown.recording.expect("Bob's part is recorded").id;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    call.hang_up();

    let alice_record = written(&rig, ALICE, &id).await;
    let bob_record = written(&rig, BOB, &id).await;
    let alices_recording = alice_record
        .recording_id
        .expect("Alice's part was recorded");
    assert_eq!(
        bob_record.recording_id.as_deref(),
        Some(bobs_recording.as_str())
    );
    assert_ne!(
        alices_recording, bobs_recording,
        "one recording per agent's part"
    );
    // Each stored whole, with the audio of its own part.
    for (owner, recording) in [(ALICE, &alices_recording), (BOB, &bobs_recording)] {
        let what = format!("{owner}'s recording, complete");
        let stored = eventually(&what, 10, async || {
            let r = rig.store.get_recording(owner, recording).await.unwrap();
            r.filter(|r| r.state == RecordingState::Complete)
        })
        .await;
        assert_eq!(stored.call_id, id);
        assert!(
            stored.duration_ms >= 500,
            "{owner}: {} ms",
            stored.duration_ms
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_transfer_stays_with_alice_held_and_she_takes_it_back() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let (id, mut call, _alice_peer) = alice_on_a_call(&rig, &mut alice).await;
    assert_eq!(send(&rig, &alice, transfer(&id, BOB)).await, None);
    rings(&mut bob).await;
    // A second transfer while it rings is refused.
    assert!(matches!(
        send(&rig, &alice, transfer(&id, BOB)).await,
        Some(ServerMessage::Error { .. })
    ));
    let decline = ClientMessage::DeclineIncoming {
        call_id: id.clone(),
    };
    assert_eq!(send(&rig, &bob, decline).await, None);
    assert_eq!(stops(&mut bob).await, IncomingEnd::Declined);
    let shown = call_update(&mut alice, |c| {
        c.transfer
            .as_ref()
            .is_some_and(|t| t.state == TransferState::Declined)
    })
    .await;
    assert!(matches!(
        shown.state,
        CallState::Connected { on_hold: true, .. }
    ));
    // Alice takes the customer back: the transfer is no longer shown, she is heard again.
    let resume = ClientMessage::Hold {
        call_id: id.clone(),
        on_hold: false,
    };
    assert_eq!(send(&rig, &alice, resume).await, None);
    let back = call_update(&mut alice, |c| {
        matches!(c.state, CallState::Connected { on_hold: false, .. })
    })
    .await;
    assert_eq!(back.transfer, None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = customer_hears(&mut call, 1000).await;
    assert!(
        tone_purity(&heard, 1000.0) > 0.8,
        "the customer hears Alice again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_taking_the_call_back_stops_the_ringing_and_bob_s_late_answer_is_refused() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let (id, _call, _alice_peer) = alice_on_a_call(&rig, &mut alice).await;
    assert_eq!(send(&rig, &alice, transfer(&id, BOB)).await, None);
    call_update(&mut alice, |c| c.transfer.is_some()).await;
    rings(&mut bob).await;
    let resume = ClientMessage::Hold {
        call_id: id.clone(),
        on_hold: false,
    };
    assert_eq!(send(&rig, &alice, resume).await, None);
    assert_eq!(stops(&mut bob).await, IncomingEnd::CallerHungUp);
    let late = ClientMessage::AnswerIncoming {
        call_id: id.clone(),
    };
    assert!(matches!(
        send(&rig, &bob, late).await,
        Some(ServerMessage::Error { .. })
    ));
    let still = call_update(&mut alice, |c| {
        matches!(c.state, CallState::Connected { on_hold: false, .. })
    })
    .await;
    assert_eq!(still.transfer, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_to_an_agent_who_cannot_take_it_is_refused_and_the_call_goes_on() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let (id, mut call, _alice_peer) = alice_on_a_call(&rig, &mut alice).await;
    let refused = |reply: Option<ServerMessage>| match reply {
        Some(ServerMessage::Error { message, .. }) => message,
        other => panic!("expected a refusal, got {other:?}"),
    };
    // Bob has no tab open; then he is in do not disturb; Alice cannot take her own call.
    let offline = refused(send(&rig, &alice, transfer(&id, BOB)).await);
    assert_eq!(offline, "that agent's app is not open");
    let _bob = tab(&rig, BOB);
    let mut preferences = rig.store.preferences(BOB).await.unwrap();
    preferences.do_not_disturb = true;
    rig.store.set_preferences(BOB, &preferences).await.unwrap();
    let dnd = refused(send(&rig, &alice, transfer(&id, BOB)).await);
    assert!(dnd.contains("do not disturb"), "{dnd}");
    let own = refused(send(&rig, &alice, transfer(&id, ALICE)).await);
    assert_eq!(own, "the call is already yours");
    // None of it held the customer.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = customer_hears(&mut call, 1000).await;
    assert!(
        tone_purity(&heard, 1000.0) > 0.8,
        "the customer still hears Alice"
    );
}
