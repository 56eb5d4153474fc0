//! A warm (consultative) transfer to a number through the real gateway: a customer (the
//! simulator calling in, speaking a 1 kHz tone) talks with an agent's browser peer (1.8 kHz);
//! the agent holds the call and consults the simulator's tone number (1.4 kHz). While they
//! consult the agent hears the target and the target the agent, and the customer the music and
//! neither. Completed: the customer and the target hear each other and the agent nothing.
//! Returned, or the target hanging up: the target's call ends and the agent has the customer
//! back (held, then resumed). The customer hanging up ends the target's call too.

use std::sync::Arc;
use std::time::Duration;

use telephony::gateway::{CallLeg, Gateway, LegCommand, LegEvent, TransferEvent, TransferParty};
use telephony::simulator::{CallIn, CallInEvent, CalledParty, PstnSimulator, TONE_HZ};
use telephony::tones::{hold_music, hold_music_share, tone_purity};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::*;

const CUSTOMER: &str = "+6591234567";
const BUSINESS: &str = "+6560000000";
/// The simulator's number that answers with a steady tone.
const TONE: &str = "+6560000010";

const CUSTOMER_HZ: f32 = 1000.0;
const AGENT_HZ: f32 = 1800.0;

fn transfer(event: &LegEvent) -> Option<&TransferEvent> {
    match event {
        LegEvent::Transfer(t) => Some(t),
        _ => None,
    }
}

struct Call {
    simulator: PstnSimulator,
    _gateway: Arc<Gateway>,
    customer: CallIn,
    agent: BrowserPeer,
    leg: CallLeg,
}

/// A customer's call in, answered by an agent, each speaking a tone; held; then the tone
/// number consulted and answered. Returns the target as the simulator sees it.
async fn consulting() -> (Call, CalledParty) {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut customer = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let mut ringing = arrives(&mut incoming).await;
    let (agent, mut leg) = answer_in(&gateway, &mut ringing, true).await;
    assert_eq!(next_event(&mut customer).await, CallInEvent::Answered);
    customer.play_tone(CUSTOMER_HZ);
    agent.command(PeerCommand::Source(Source::Tone(AGENT_HZ)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    leg.command(LegCommand::Hold(Arc::from(hold_music())));
    leg.command(LegCommand::TransferToNumber {
        callee: TONE.into(),
        ring_timeout: Duration::from_secs(5),
        consult: true,
    });
    let seen = wait_for(&mut leg, Duration::from_secs(5), |e| {
        transfer(e) == Some(&TransferEvent::Consulting)
    })
    .await;
    assert!(
        seen.contains(&LegEvent::Transfer(TransferEvent::Ringing)),
        "it rang first: {seen:?}"
    );
    assert!(
        !seen.contains(&LegEvent::Transfer(TransferEvent::Answered)),
        "consulting is not the join: {seen:?}"
    );
    let target = simulator.called(TONE).expect("the target's call");
    let call = Call {
        simulator,
        _gateway: gateway,
        customer,
        agent,
        leg,
    };
    (call, target)
}

/// Over 1.5 s (after 300 ms to settle): the agent and the target hear each other, the customer
/// the music and neither of them.
async fn they_consult(call: &Call, target: &CalledParty) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    target.take_heard();
    call.agent.take_audio();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let at_agent = call.agent.take_audio();
    assert!(
        at_agent.len() >= 8000,
        "{} samples at the agent",
        at_agent.len()
    );
    let from_target = tone_purity(last(&at_agent, 8000), TONE_HZ);
    let customer_there = tone_purity(last(&at_agent, 8000), CUSTOMER_HZ);
    assert!(
        from_target > 0.8,
        "the agent hears the target: {from_target:.2}"
    );
    assert!(
        customer_there < 0.02,
        "and not the customer: {customer_there:.3}"
    );

    let at_target = target.take_heard();
    assert!(
        at_target.len() >= 8000,
        "{} samples at the target",
        at_target.len()
    );
    let from_agent = tone_purity(last(&at_target, 8000), AGENT_HZ);
    let customer_there = tone_purity(last(&at_target, 8000), CUSTOMER_HZ);
    assert!(
        from_agent > 0.8,
        "the target hears the agent: {from_agent:.2}"
    );
    assert!(
        customer_there < 0.02,
        "and not the customer: {customer_there:.3}"
    );

    let heard = call.customer.take_heard();
    let music = hold_music_share(last(&heard, 12_000));
    let agent_there = tone_purity(last(&heard, 12_000), AGENT_HZ);
    let target_there = tone_purity(last(&heard, 12_000), TONE_HZ);
    assert!(music > 0.45, "the customer hears the music: {music:.2}");
    assert!(agent_there < 0.02, "not the agent: {agent_there:.3}");
    assert!(target_there < 0.02, "nor the target: {target_there:.3}");
}

/// After a consultation that ended: still held (the music), then resumed, the agent and the
/// customer hear each other again.
async fn back_with_the_customer(call: &mut Call) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let music = hold_music_share(last(&call.customer.take_heard(), 12_000));
    assert!(music > 0.45, "still held: {music:.2}");
    call.leg.command(LegCommand::Resume);
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    call.agent.take_audio();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let heard = call.customer.take_heard();
    let agent = tone_purity(last(&heard, 4000), AGENT_HZ);
    assert!(
        agent > 0.8,
        "the customer hears the agent again: {agent:.2}"
    );
    let back = call.agent.take_audio();
    let customer = tone_purity(last(&back, 4000), CUSTOMER_HZ);
    let target = tone_purity(last(&back, 4000), TONE_HZ);
    assert!(customer > 0.8, "and the agent the customer: {customer:.2}");
    assert!(target < 0.02, "not the target: {target:.3}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consulted_then_completed_the_customer_and_the_target_talk_and_the_agent_is_out() {
    let (mut call, target) = consulting().await;
    they_consult(&call, &target).await;

    call.leg.command(LegCommand::CompleteTransfer);
    wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        transfer(e) == Some(&TransferEvent::Answered)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    target.take_heard();
    call.agent.take_audio();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = call.customer.take_heard();
    let from_target = tone_purity(last(&heard, 8000), TONE_HZ);
    let music = hold_music_share(last(&heard, 8000));
    assert!(
        from_target > 0.8,
        "the customer hears the target: {from_target:.2}"
    );
    assert!(music < 0.1, "not the music: {music:.2}");
    let at_target = target.take_heard();
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
        "the agent hears nothing more ({})",
        at_agent.len()
    );

    call.customer.hang_up();
    tokio::time::timeout(Duration::from_secs(3), target.over())
        .await
        .expect("the target's call ends");
    assert!(target.caller_hung_up(), "the target got a BYE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_the_target_is_hung_up_on_and_the_agent_has_the_customer_back() {
    let (mut call, target) = consulting().await;
    they_consult(&call, &target).await;

    call.leg.command(LegCommand::CancelTransfer);
    let seen = wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        matches!(transfer(e), Some(TransferEvent::ConsultEnded { .. }))
    })
    .await;
    assert_eq!(
        seen.last(),
        Some(&LegEvent::Transfer(TransferEvent::ConsultEnded {
            hung_up: None
        }))
    );
    tokio::time::timeout(Duration::from_secs(3), target.over())
        .await
        .expect("the target's call ends");
    assert!(target.caller_hung_up(), "the target got our BYE");
    back_with_the_customer(&mut call).await;
    call.leg.command(LegCommand::Bye);
    wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_target_hanging_up_while_consulted_leaves_the_agent_with_the_customer() {
    let (mut call, target) = consulting().await;
    target.hang_up();
    let seen = wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        matches!(transfer(e), Some(TransferEvent::ConsultEnded { .. }))
    })
    .await;
    assert_eq!(
        seen.last(),
        Some(&LegEvent::Transfer(TransferEvent::ConsultEnded {
            hung_up: Some(TransferParty::Target)
        }))
    );
    assert!(
        !seen.iter().any(|e| matches!(
            e,
            LegEvent::RemoteBye | LegEvent::Failed { .. } | LegEvent::BrowserLost
        )),
        "the call goes on: {seen:?}"
    );
    back_with_the_customer(&mut call).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_hanging_up_while_the_agent_consults_ends_the_target_s_call_too() {
    let (mut call, target) = consulting().await;
    call.customer.hang_up();
    let seen = wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        *e == LegEvent::RemoteBye
    })
    .await;
    assert!(
        seen.contains(&LegEvent::Transfer(TransferEvent::ConsultEnded {
            hung_up: Some(TransferParty::Customer)
        })),
        "{seen:?}"
    );
    tokio::time::timeout(Duration::from_secs(3), target.over())
        .await
        .expect("the target's call ends");
    assert!(target.caller_hung_up(), "the target got a BYE");
    drop(call.simulator);
}
