//! Calls in through the call hub: the simulator calls one of the business's numbers, the hub
//! rings the agents the routing names (each agent's tabs are live connections on the hub), the
//! first answer becomes that agent's call with audio both ways (a str0m peer plays the
//! browser), the others see it taken; declines, a caller who hangs up, do not disturb, the
//! caller's last agent, a number nobody is assigned to, a waiting call, and a new tab's hello;
//! hold from either side of an answered call, shown on every tab; the message a caller nobody
//! will answer hears.

mod common;
mod hub_rig;

use std::time::Duration;

use app::api::live::{ClientMessage, IncomingEnd, ServerMessage};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::{Direction, EndReason};
use app::domain::inbound::{Assignment, OwnedNumber, UnassignedAction};
use server::clock::SystemClock;
use server::store::SqliteStore;
use telephony::simulator::CallInEvent;
use telephony::tones::{power, tone_purity};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::LOOPBACK;

use hub_rig::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_rings_the_first_answer_wins_with_audio_and_the_other_sees_it_taken() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let mut call = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    let ringing = rings(&mut alice).await;
    assert_eq!(rings(&mut bob).await, ringing, "both see the same call");
    assert_eq!(ringing.from.as_deref(), Some(CUSTOMER));
    assert_eq!(ringing.to, SUPPORT);
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    // A tab opened now shows it too.
    let late = tab(&rig, ALICE);
    let ServerMessage::Hello { ringing: shown, .. } = late.hello else {
        panic!("hello first")
    };
    assert_eq!(shown, vec![ringing.clone()]);

    let peer = answer(&rig, &mut bob, &ringing.id).await;
    assert_eq!(stops(&mut alice).await, IncomingEnd::AnsweredElsewhere);
    // Alice's late answer is refused; the call stays Bob's.
    let late = send(
        &rig,
        &alice,
        ClientMessage::AnswerIncoming {
            call_id: ringing.id.clone(),
        },
    )
    .await;
    assert!(
        matches!(late, Some(ServerMessage::Error { .. })),
        "{late:?}"
    );
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Answered);

    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let audio = peer.take_audio();
    let tail = &audio[audio.len().saturating_sub(4000)..];
    assert!(
        tone_purity(tail, 1000.0) > 0.8,
        "Bob's tone reached the caller and came back"
    );
    send(
        &rig,
        &bob,
        ClientMessage::Hangup {
            call_id: ringing.id.clone(),
        },
    )
    .await;
    state(&mut bob, |s| {
        matches!(
            s,
            CallState::Ended {
                reason: EndReason::Completed,
                by: HangupBy::Agent,
                ..
            }
        )
    })
    .await;
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Ended { by_caller: false }
    );
    let record = written(&rig, BOB, &ringing.id).await;
    assert_eq!(record.direction, Direction::Inbound);
    // Carried by this server: no sweep takes it for an orphan while it is up.
    assert_eq!(record.server.as_deref(), Some("srv-test"));
    assert_eq!(record.e164, CUSTOMER);
    assert!(record.answered_at.is_some());
    assert!(rig
        .store
        .get_call(ALICE, &ringing.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_by_everyone_is_missed_for_each_and_refused() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let mut call = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    let ringing = rings(&mut alice).await;
    rings(&mut bob).await;
    let decline = ClientMessage::DeclineIncoming {
        call_id: ringing.id.clone(),
    };
    assert_eq!(send(&rig, &alice, decline.clone()).await, None);
    assert_eq!(stops(&mut alice).await, IncomingEnd::Declined);
    // Declining again changes nothing: it no longer rings for Alice.
    assert!(matches!(
        send(&rig, &alice, decline.clone()).await,
        Some(ServerMessage::Error { .. })
    ));
    assert_eq!(send(&rig, &bob, decline).await, None);
    assert_eq!(stops(&mut bob).await, IncomingEnd::Declined);
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    // The no-answer message as early media (183: the caller's "ringing" event), then 480.
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );
    for agent in [ALICE, BOB] {
        let r = written(&rig, agent, &ringing.id).await;
        assert_eq!(r.end_reason, Some(EndReason::Missed), "{agent}");
        assert_eq!(r.direction, Direction::Inbound);
        // Who called is kept, though the call itself was refused before it was written.
        assert_eq!(r.e164, CUSTOMER, "{agent}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_hangs_up_while_it_rings_leaves_a_missed_call() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let call = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    let ringing = rings(&mut alice).await;
    call.hang_up();
    assert_eq!(stops(&mut alice).await, IncomingEnd::CallerHungUp);
    let r = written(&rig, ALICE, &ringing.id).await;
    assert_eq!(r.end_reason, Some(EndReason::Missed));
    assert_eq!(r.e164, CUSTOMER);
    // Too late to answer.
    let late = send(
        &rig,
        &alice,
        ClientMessage::AnswerIncoming {
            call_id: ringing.id,
        },
    )
    .await;
    assert!(
        matches!(late, Some(ServerMessage::Error { .. })),
        "{late:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_last_agent_rings_alone_and_do_not_disturb_is_respected() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut bob = tab(&rig, BOB);
    let now = app::api::ports::Clock::now_ms(&SystemClock);
    rig.store.set_last_agent(CUSTOMER, BOB, now).await.unwrap();
    // The caller ID is owned with no assignment: only the last agent rings.
    let _call = rig.simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let ringing = rings(&mut bob).await;
    assert_eq!(ringing.to, BUSINESS);
    let nothing = tokio::time::timeout(Duration::from_millis(500), rings(&mut alice)).await;
    assert!(nothing.is_err(), "Alice is not the caller's agent");

    // Bob on do not disturb: the group rings Alice alone.
    let mut prefs = rig.store.preferences(BOB).await.unwrap();
    prefs.do_not_disturb = true;
    rig.store.set_preferences(BOB, &prefs).await.unwrap();
    let _second = rig
        .simulator
        .call_in("+6591110000", SUPPORT)
        .expect("placed");
    let for_alice = rings(&mut alice).await;
    assert_eq!(for_alice.from.as_deref(), Some("+6591110000"));
    let bob_rang = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            let r = rings(&mut bob).await;
            if r.id == for_alice.id {
                return;
            }
        }
    })
    .await;
    assert!(bob_rang.is_err(), "Bob is on do not disturb");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_nobody_rings_for_is_refused_without_ringing() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    // The caller ID, no assignment, no last agent: the message (early media), then refused.
    let mut call = rig.simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );
    assert!(
        tone_purity(&call.take_heard()[200..2000], 913.8) > 0.8,
        "the special information tone"
    );
    // A number we do not own at all.
    let mut call = rig
        .simulator
        .call_in(CUSTOMER, "+6569990000")
        .expect("placed");
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Rejected { status: 404 }
    );
    let nothing = tokio::time::timeout(Duration::from_millis(300), rings(&mut alice)).await;
    assert!(nothing.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_call_answered_ends_the_current_call() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    // Alice is on a call out to the echo number.
    let record = app::domain::calls::CallRecord::outbound("c-out".into(), "+6560000001".into(), 1);
    rig.store.insert_call(ALICE, &record).await.unwrap();
    let origin = app::api::ports::CallOrigin::App {
        connection: alice.connection,
    };
    app::api::ports::Telephony::begin(&*rig.hub, ALICE, record, origin, 3_600_000).await;
    let mut first = BrowserPeer::new(LOOPBACK, false).await.unwrap();
    match send(
        &rig,
        &alice,
        ClientMessage::Offer {
            call_id: "c-out".into(),
            sdp: first.offer.clone(),
        },
    )
    .await
    {
        Some(ServerMessage::Answer { sdp, .. }) => first.accept_answer(sdp),
        other => panic!("expected an answer, got {other:?}"),
    }
    state(&mut alice, |s| matches!(s, CallState::Connected { .. })).await;

    let mut call = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    let ringing = rings(&mut alice).await;
    let _peer = answer(&rig, &mut alice, &ringing.id).await;
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Answered);
    let out = written(&rig, ALICE, "c-out").await;
    assert_eq!(out.end_reason, Some(EndReason::Completed), "{out:?}");
    assert_eq!(
        rig.hub.active_call(ALICE).map(|c| c.id),
        Some(ringing.id.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_from_either_side_shows_on_every_tab_and_the_caller_hears_the_music() {
    let rig = rig().await;
    let mut alice = tab(&rig, ALICE);
    let mut other_tab = tab(&rig, ALICE);
    let mut call = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    let ringing = rings(&mut alice).await;
    let hold = |on_hold| ClientMessage::Hold {
        call_id: ringing.id.clone(),
        on_hold,
    };
    // Not before the answer.
    let early = send(&rig, &alice, hold(true)).await;
    assert!(
        matches!(&early, Some(ServerMessage::Error { message, .. }) if message == "that call is not active"),
        "{early:?}"
    );
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    let peer = answer(&rig, &mut alice, &ringing.id).await;
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Answered);
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let heard = call.take_heard();
    assert!(tone_purity(&heard[heard.len() - 4000..], 1000.0) > 0.8);

    // The agent holds: every tab shows it, the caller hears music and not the agent.
    assert_eq!(send(&rig, &alice, hold(true)).await, None);
    let held = |s: &CallState| matches!(s, CallState::Connected { on_hold: true, .. });
    state(&mut alice, held).await;
    state(&mut other_tab, held).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.take_heard();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = call.take_heard();
    assert!(heard.len() > 8000, "{} samples", heard.len());
    let agent = tone_purity(&heard, 1000.0);
    let level = power(&heard);
    assert!(agent < 0.02, "the agent is cut off: {agent:.3}");
    assert!(level > 1e-3, "the caller hears music: power {level:.5}");

    // Resumed from the other tab: the agent again.
    assert_eq!(send(&rig, &other_tab, hold(false)).await, None);
    let resumed = |s: &CallState| matches!(s, CallState::Connected { on_hold: false, .. });
    state(&mut alice, resumed).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.take_heard();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let heard = call.take_heard();
    assert!(tone_purity(&heard[heard.len() - 4000..], 1000.0) > 0.8);

    // The caller holds us, then takes us back: every tab shows it.
    call.hold(true);
    let by_caller = |s: &CallState| {
        matches!(
            s,
            CallState::Connected {
                held_by_far_end: true,
                on_hold: false,
                ..
            }
        )
    };
    state(&mut alice, by_caller).await;
    state(&mut other_tab, by_caller).await;
    call.hold(false);
    state(&mut other_tab, |s| {
        matches!(
            s,
            CallState::Connected {
                held_by_far_end: false,
                ..
            }
        )
    })
    .await;
    send(
        &rig,
        &alice,
        ClientMessage::Hangup {
            call_id: ringing.id.clone(),
        },
    )
    .await;
    state(&mut alice, |s| matches!(s, CallState::Ended { .. })).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_nobody_is_assigned_to_plays_the_message_then_refuses() {
    let rig = rig().await;
    const SALES: &str = "+6562221111";
    rig.store
        .put_number(&OwnedNumber {
            e164: SALES.into(),
            assignment: Assignment::None,
            hours: None,
            unassigned: UnassignedAction::Message,
            updated_at: 1,
        })
        .await
        .unwrap();
    let mut alice = tab(&rig, ALICE);
    let mut call = rig.simulator.call_in(CUSTOMER, SALES).expect("placed");
    // Early media, never an answer: the special information tone, then 480.
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );
    let heard = call.take_heard();
    assert!(heard.len() > 6000, "{} samples heard", heard.len());
    let first = tone_purity(&heard[200..2000], 913.8);
    assert!(first > 0.8, "the tone's first step: {first:.2}");
    // Nobody rang.
    let nothing = tokio::time::timeout(Duration::from_millis(300), alice.events.recv()).await;
    assert!(nothing.is_err(), "{nothing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_be_read_gets_the_caller_503_not_not_in_service() {
    let dir = std::env::temp_dir().join(format!("softphone-hub-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("softphone.db");
    let rig = rig_on(SqliteStore::open(&file).await.unwrap()).await;
    let mut alice = tab(&rig, ALICE);
    // The numbers' table goes away under the server (a broken or unreachable store).
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("DROP TABLE owned_numbers")
        .unwrap();
    let mut call = rig.simulator.call_in(CUSTOMER, SUPPORT).expect("placed");
    assert_eq!(
        caller_sees(&mut call).await,
        CallInEvent::Rejected { status: 503 }
    );
    let nothing = tokio::time::timeout(Duration::from_millis(300), rings(&mut alice)).await;
    assert!(nothing.is_err(), "nobody rang");
    let _ = std::fs::remove_dir_all(dir);
}
