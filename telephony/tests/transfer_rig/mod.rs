//! What the transfer-to-number tests through the real gateway share (`transfer_number.rs`,
//! `warm_transfer_number.rs`): a customer's call in (the simulator, speaking a 1 kHz tone)
//! answered by an agent's browser peer (1.8 kHz) and held, and the checks of who hears whom.
#![allow(dead_code)] // each test file uses its part

use std::sync::Arc;
use std::time::Duration;

use telephony::gateway::{CallLeg, Gateway, LegCommand, LegEvent, TransferEvent};
use telephony::simulator::{CallIn, CallInEvent, CalledParty, PstnSimulator, TONE_HZ};
use telephony::tones::{hold_music, hold_music_share, tone_purity};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::*;

pub const CUSTOMER: &str = "+6591234567";
pub const BUSINESS: &str = "+6560000000";
/// The simulator's number that answers with a steady tone (`TONE_HZ`).
pub const TONE: &str = "+6560000010";

pub const CUSTOMER_HZ: f32 = 1000.0;
pub const AGENT_HZ: f32 = 1800.0;

pub fn transfer(event: &LegEvent) -> Option<&TransferEvent> {
    match event {
        LegEvent::Transfer(t) => Some(t),
        _ => None,
    }
}

pub struct Call {
    pub simulator: PstnSimulator,
    pub _gateway: Arc<Gateway>,
    pub customer: CallIn,
    pub agent: BrowserPeer,
    pub leg: CallLeg,
}

/// A customer's call in, answered by an agent; each speaks a tone; then held.
pub async fn held_call() -> Call {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut customer = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let mut ringing = arrives(&mut incoming).await;
    let (agent, leg) = answer_in(&gateway, &mut ringing, true).await;
    assert_eq!(next_event(&mut customer).await, CallInEvent::Answered);
    customer.play_tone(CUSTOMER_HZ);
    agent.command(PeerCommand::Source(Source::Tone(AGENT_HZ)));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let heard = customer.take_heard();
    let from_agent = tone_purity(last(&heard, 4000), AGENT_HZ);
    assert!(
        from_agent > 0.8,
        "the customer hears the agent: {from_agent:.2}"
    );
    leg.command(LegCommand::Hold(Arc::from(hold_music())));
    Call {
        simulator,
        _gateway: gateway,
        customer,
        agent,
        leg,
    }
}

/// Customer and target hear each other, the agent nothing (over 1.5 s, after 300 ms to settle).
pub async fn they_talk(call: &Call, target: &CalledParty) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    target.take_heard();
    call.agent.take_audio();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = call.customer.take_heard();
    assert!(
        heard.len() >= 8000,
        "{} samples at the customer",
        heard.len()
    );
    let from_target = tone_purity(last(&heard, 8000), TONE_HZ);
    let from_agent = tone_purity(last(&heard, 8000), AGENT_HZ);
    let music = hold_music_share(last(&heard, 8000));
    assert!(
        from_target > 0.8,
        "the customer hears the target: {from_target:.2}"
    );
    assert!(from_agent < 0.02, "and not the agent: {from_agent:.3}");
    assert!(music < 0.1, "nor the music: {music:.2}");
    let at_target = target.take_heard();
    assert!(
        at_target.len() >= 8000,
        "{} samples at the target",
        at_target.len()
    );
    let from_customer = tone_purity(last(&at_target, 8000), CUSTOMER_HZ);
    let agent_there = tone_purity(last(&at_target, 8000), AGENT_HZ);
    assert!(
        from_customer > 0.8,
        "the target hears the customer: {from_customer:.2}"
    );
    assert!(agent_there < 0.02, "and not the agent: {agent_there:.3}");
    let at_agent = call.agent.take_audio();
    assert!(
        at_agent.len() < 800,
        "the agent hears nothing more ({} samples)",
        at_agent.len()
    );
}

/// The leg's events until they end (its task is over), within `within`.
pub async fn leg_ends(leg: &mut CallLeg, within: Duration) -> Vec<LegEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, leg.events.recv()).await {
            Ok(Some(e)) => seen.push(e),
            Ok(None) => return seen,
            Err(_) => panic!("the leg did not end; saw {seen:?}"),
        }
    }
}

/// The customer hears the music while held, and the agent again once resumed.
pub async fn still_held_then_resumed(call: &mut Call) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = call.customer.take_heard();
    let music = hold_music_share(last(&heard, 12_000));
    assert!(
        music > 0.45,
        "the customer still hears the music: {music:.2}"
    );
    call.leg.command(LegCommand::Resume);
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let heard = call.customer.take_heard();
    let agent = tone_purity(last(&heard, 4000), AGENT_HZ);
    assert!(
        agent > 0.8,
        "resumed, the customer hears the agent: {agent:.2}"
    );
    call.agent.take_audio();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let back = call.agent.take_audio();
    let customer = tone_purity(last(&back, 2000), CUSTOMER_HZ);
    let target = tone_purity(last(&back, 2000), TONE_HZ);
    assert!(customer > 0.8, "and the agent the customer: {customer:.2}");
    assert!(target < 0.02, "not a transfer's target: {target:.3}");
}
