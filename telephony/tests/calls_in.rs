//! Calls in: the simulator, as a customer, calls one of the business's numbers through its
//! origination route; the gateway checks the call and hands it over; a browser peer answers it.
//! Audio both ways (the customer's side echoes: the browser's tone comes back), hang-ups from
//! either side, a caller who gives up while it rings, a call nobody takes, a source not allowed,
//! the simulator's calling-back number, and a message played as early media before a refusal.

use std::time::Duration;

use telephony::gateway::{CallerGone, LegCommand, LegEvent};
use telephony::simulator::{CallInError, CallInEvent};
use telephony::tones::tone_purity;
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::*;

const CUSTOMER: &str = "+6591234567";
const BUSINESS: &str = "+6560000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_answered_in_the_browser_carries_audio_both_ways() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    assert!(gateway.take_incoming().is_none(), "taken once");

    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let mut ringing = arrives(&mut incoming).await;
    assert_eq!(ringing.from.as_deref(), Some(CUSTOMER));
    assert_eq!(ringing.to, BUSINESS);
    ringing.ring();
    assert_eq!(next_event(&mut call).await, CallInEvent::Ringing);

    // The caller hears it ring until the agent's audio is up; then the 200.
    let (peer, mut leg) = answer_in(&gateway, &mut ringing, true).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    assert_eq!(next_event(&mut call).await, CallInEvent::Answered);

    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let audio = peer.take_audio();
    assert!(audio.len() > 8000, "only {} samples came back", audio.len());
    let purity = tone_purity(&audio[audio.len() - 4000..], 1000.0);
    assert!(
        purity > 0.8,
        "the browser's 1 kHz went to the caller and back: {purity:.2} of the power"
    );

    // The agent hangs up.
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(3), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Ended { by_caller: false }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_hangs_up_after_the_answer() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let mut ringing = arrives(&mut incoming).await;
    let mut peer = BrowserPeer::new(LOOPBACK, false).await.expect("peer");
    let mut leg = gateway
        .answer(&mut ringing, &peer.offer)
        .await
        .expect("answer");
    peer.accept_answer(leg.answer.clone());
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    leg.command(LegCommand::Accept);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    assert_eq!(next_event(&mut call).await, CallInEvent::Answered);
    call.hang_up();
    wait_for(&mut leg, Duration::from_secs(3), |e| {
        *e == LegEvent::RemoteBye
    })
    .await;
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Ended { by_caller: true }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_gives_up_while_it_rings_is_gone() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let mut ringing = arrives(&mut incoming).await;
    ringing.ring();
    assert_eq!(next_event(&mut call).await, CallInEvent::Ringing);
    call.hang_up();
    let gone = tokio::time::timeout(Duration::from_secs(5), ringing.gone())
        .await
        .expect("the CANCEL reaches the gateway");
    assert_eq!(gone, CallerGone::HungUp);
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Ended { by_caller: true }
    );
    // An agent answering now is too late: the call is over.
    let peer = BrowserPeer::new(LOOPBACK, false).await.expect("peer");
    assert!(gateway.answer(&mut ringing, &peer.offer).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_nobody_takes_is_refused_and_a_refusal_carries_its_code() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");

    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    drop(arrives(&mut incoming).await);
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );

    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    arrives(&mut incoming).await.refuse(486);
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Rejected { status: 486 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_from_a_source_not_allowed_is_refused_unseen() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "192.0.2.0/24").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Rejected { status: 403 }
    );
    assert!(incoming.try_recv().is_err(), "the owner never sees it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_takes_no_calls_in_refuses_them() {
    let rig = rig().await;
    rig.simulator.set_origination(rig.gateway.sip_addr());
    assert!(rig.gateway.take_incoming().is_some());
    let mut call = rig.simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_needs_a_route_and_numbers_in_its_plan() {
    let simulator = simulator(None).await;
    assert_eq!(
        simulator.call_in(CUSTOMER, BUSINESS).err(),
        Some(CallInError::NoOrigination)
    );
    let _gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    assert_eq!(
        simulator.call_in("+14155550100", BUSINESS).err(),
        Some(CallInError::NotInPlan("+14155550100".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calling_back_number_calls_the_business_number_back() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let (_peer, mut leg) = dial_via(&gateway, "+6560000008", false).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    // It hangs up by itself, then calls the caller ID back.
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::RemoteBye
    })
    .await;
    let back = arrives(&mut incoming).await;
    assert_eq!(back.from.as_deref(), Some("+6560000008"));
    assert_eq!(back.to, BUSINESS);
}

/// One second of 700 Hz: a stand-in for a recorded message.
fn message() -> std::sync::Arc<[i16]> {
    let mut tone = telephony::tones::ToneGenerator::new(&[700.0], 0.3);
    let mut samples = vec![0i16; 8000];
    tone.fill(&mut samples);
    samples.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_plays_as_early_media_and_the_call_is_then_refused() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let ringing = arrives(&mut incoming).await;
    gateway
        .announce(ringing, message(), 480)
        .expect("the message starts");
    // 183 with SDP: the customer hears the message, then gets the refusal; never an answer.
    assert_eq!(next_event(&mut call).await, CallInEvent::Ringing);
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Rejected { status: 480 }
    );
    let heard = call.take_heard();
    assert!(
        heard.len() >= 7000,
        "{} samples of the message",
        heard.len()
    );
    let purity = tone_purity(&heard[1000..7000], 700.0);
    assert!(purity > 0.8, "the message came through: {purity:.2}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_hangs_up_during_the_message_ends_it() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let ringing = arrives(&mut incoming).await;
    let long: std::sync::Arc<[i16]> = vec![1000i16; 8000 * 30].into();
    gateway
        .announce(ringing, long, 480)
        .expect("the message starts");
    assert_eq!(next_event(&mut call).await, CallInEvent::Ringing);
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.hang_up();
    assert_eq!(
        next_event(&mut call).await,
        CallInEvent::Ended { by_caller: true }
    );
    // The gateway's side stopped too: a new call is taken as usual.
    let mut again = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    arrives(&mut incoming).await.refuse(486);
    assert_eq!(
        next_event(&mut again).await,
        CallInEvent::Rejected { status: 486 }
    );
}
