//! A warm (consultative) transfer to a number through the real gateway: a customer (the
//! simulator calling in, speaking a 1 kHz tone) talks with an agent's browser peer (1.8 kHz);
//! the agent holds the call and consults the simulator's tone number (1.4 kHz). While they
//! consult the agent hears the target and the target the agent, and the customer the music and
//! neither. Completed: the customer and the target hear each other and the agent nothing.
//! Returned, or the target hanging up: the target's call ends and the agent has the customer
//! back (held, then resumed). The customer hanging up ends the target's call too.

use std::time::Duration;

use telephony::gateway::{LegCommand, LegEvent, TransferEvent, TransferParty};
use telephony::simulator::{CalledParty, TONE_HZ};
use telephony::tones::{hold_music_share, tone_purity};
use testkit::rig::*;

mod transfer_rig;
use transfer_rig::*;

/// A customer's call in, answered by an agent, each speaking a tone; held; then the tone
/// number consulted and answered. Returns the target as the simulator sees it.
async fn consulting() -> (Call, CalledParty) {
    let mut call = held_call().await;
    call.leg.command(LegCommand::TransferToNumber {
        callee: TONE.into(),
        ring_timeout: Duration::from_secs(5),
        consult: true,
    });
    let seen = wait_for(&mut call.leg, Duration::from_secs(5), |e| {
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
    let target = call.simulator.called(TONE).expect("the target's call");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consulted_then_completed_the_customer_and_the_target_talk_and_the_agent_is_out() {
    let (mut call, target) = consulting().await;
    they_consult(&call, &target).await;

    call.leg.command(LegCommand::CompleteTransfer);
    wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        transfer(e) == Some(&TransferEvent::Answered)
    })
    .await;
    they_talk(&call, &target).await;

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
    still_held_then_resumed(&mut call).await;
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
    still_held_then_resumed(&mut call).await;
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
