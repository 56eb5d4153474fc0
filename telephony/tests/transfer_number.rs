//! A blind transfer to a number through the real gateway: a customer (the simulator calling
//! in, speaking a 1 kHz tone) talks with an agent's browser peer (1.8 kHz); the agent holds
//! the call and transfers it to a simulator number. Answered (the tone number, 1.4 kHz): the
//! customer and the target hear each other, the agent nothing, and either hanging up sends the
//! other a BYE. Busy, refused or unanswered: the call goes on held, and comes back on resume.
//! The agent's browser going away after the join ends nothing.

use std::time::Duration;

use telephony::gateway::bridge::BROWSER_SILENT_LIMIT;
use telephony::gateway::{LegCommand, LegEvent, TransferEvent, TransferFailure, TransferParty};
use telephony::simulator::{CallInEvent, CalledParty, TONE_HZ};
use telephony::tones::tone_purity;
use testkit::rig::*;

mod transfer_rig;
use transfer_rig::*;

/// The simulator's numbers: busy, no answer, not found.
const BUSY: &str = "+6560000003";
const NO_ANSWER: &str = "+5072000004";
const NOT_FOUND: &str = "+6560000005";

/// Transfers to the tone number and waits for it to answer; returns the target as the
/// simulator sees it.
async fn transferred_to_tone(call: &mut Call) -> CalledParty {
    call.leg.command(LegCommand::TransferToNumber {
        callee: TONE.into(),
        ring_timeout: Duration::from_secs(5),
        consult: false,
    });
    let seen = wait_for(&mut call.leg, Duration::from_secs(5), |e| {
        transfer(e) == Some(&TransferEvent::Answered)
    })
    .await;
    assert!(
        seen.contains(&LegEvent::Transfer(TransferEvent::Ringing)),
        "it rang first: {seen:?}"
    );
    call.simulator.called(TONE).expect("the target's call")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_the_two_talk_and_the_target_hanging_up_ends_the_customer_s_call() {
    let mut call = held_call().await;
    let target = transferred_to_tone(&mut call).await;
    they_talk(&call, &target).await;

    target.hang_up();
    let seen = leg_ends(&mut call.leg, Duration::from_secs(5)).await;
    assert_eq!(
        seen.iter().filter_map(transfer).collect::<Vec<_>>(),
        vec![&TransferEvent::Ended {
            hung_up: TransferParty::Target
        }],
        "{seen:?}"
    );
    assert_eq!(
        next_event(&mut call.customer).await,
        CallInEvent::Ended { by_caller: false },
        "the customer got a BYE"
    );
    assert!(!target.caller_hung_up());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_the_customer_hanging_up_ends_the_target_s_call() {
    let mut call = held_call().await;
    let target = transferred_to_tone(&mut call).await;
    they_talk(&call, &target).await;

    call.customer.hang_up();
    let seen = leg_ends(&mut call.leg, Duration::from_secs(5)).await;
    assert_eq!(
        seen.iter().filter_map(transfer).collect::<Vec<_>>(),
        vec![&TransferEvent::Ended {
            hung_up: TransferParty::Customer
        }],
        "{seen:?}"
    );
    assert_eq!(
        next_event(&mut call.customer).await,
        CallInEvent::Ended { by_caller: true }
    );
    tokio::time::timeout(Duration::from_secs(3), target.over())
        .await
        .expect("the target's call ends");
    assert!(target.caller_hung_up(), "the target got a BYE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_or_refused_the_call_goes_on_held_and_comes_back_on_resume() {
    let mut call = held_call().await;
    for (number, reason, status) in [
        (BUSY, TransferFailure::Busy, 486),
        (NOT_FOUND, TransferFailure::Refused, 404),
    ] {
        call.leg.command(LegCommand::TransferToNumber {
            callee: number.into(),
            ring_timeout: Duration::from_secs(5),
            consult: false,
        });
        let seen = wait_for(&mut call.leg, Duration::from_secs(5), |e| {
            matches!(transfer(e), Some(TransferEvent::Failed { .. }))
        })
        .await;
        assert_eq!(
            seen.last(),
            Some(&LegEvent::Transfer(TransferEvent::Failed {
                reason,
                status: Some(status)
            }))
        );
        assert!(
            !seen.iter().any(|e| matches!(
                e,
                LegEvent::RemoteBye | LegEvent::Failed { .. } | LegEvent::BrowserLost
            )),
            "the call goes on: {seen:?}"
        );
    }
    still_held_then_resumed(&mut call).await;
    call.leg.command(LegCommand::Bye);
    wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_within_the_ring_time_it_is_cancelled_and_the_call_goes_on() {
    let mut call = held_call().await;
    // The simulator's no-answer number rings 1.5 s before the network gives up (480): the
    // gateway's own 700 ms come first.
    call.leg.command(LegCommand::TransferToNumber {
        callee: NO_ANSWER.into(),
        ring_timeout: Duration::from_millis(700),
        consult: false,
    });
    wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        transfer(e) == Some(&TransferEvent::Ringing)
    })
    .await;
    let target = call.simulator.called(NO_ANSWER).expect("ringing");
    // One transfer at a time.
    call.leg.command(LegCommand::TransferToNumber {
        callee: TONE.into(),
        ring_timeout: Duration::from_secs(5),
        consult: false,
    });
    let seen = wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        matches!(
            transfer(e),
            Some(TransferEvent::Failed {
                reason: TransferFailure::NoAnswer,
                ..
            })
        )
    })
    .await;
    assert!(
        seen.contains(&LegEvent::Transfer(TransferEvent::Failed {
            reason: TransferFailure::NotNow,
            status: None
        })),
        "{seen:?}"
    );
    assert_eq!(
        seen.last(),
        Some(&LegEvent::Transfer(TransferEvent::Failed {
            reason: TransferFailure::NoAnswer,
            status: None
        }))
    );
    tokio::time::timeout(Duration::from_secs(2), target.over())
        .await
        .expect("the target's call ends");
    assert!(
        target.caller_hung_up(),
        "CANCEL, before the network gave up"
    );
    still_held_then_resumed(&mut call).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_hanging_up_while_it_rings_cancels_it_and_ends_the_call() {
    let mut call = held_call().await;
    call.leg.command(LegCommand::TransferToNumber {
        callee: NO_ANSWER.into(),
        ring_timeout: Duration::from_secs(10),
        consult: false,
    });
    wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        transfer(e) == Some(&TransferEvent::Ringing)
    })
    .await;
    let target = call.simulator.called(NO_ANSWER).expect("ringing");
    call.leg.command(LegCommand::Bye);
    let seen = wait_for(&mut call.leg, Duration::from_secs(3), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
    assert!(
        seen.contains(&LegEvent::Transfer(TransferEvent::Failed {
            reason: TransferFailure::Cancelled,
            status: None
        })),
        "{seen:?}"
    );
    assert_eq!(
        next_event(&mut call.customer).await,
        CallInEvent::Ended { by_caller: false }
    );
    tokio::time::timeout(Duration::from_secs(2), target.over())
        .await
        .expect("the target's call ends");
    assert!(target.caller_hung_up(), "CANCEL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_s_browser_and_the_owner_going_away_after_the_join_end_nothing() {
    let mut call = held_call().await;
    let target = transferred_to_tone(&mut call).await;
    let Call {
        simulator: _simulator,
        _gateway,
        customer,
        agent,
        mut leg,
    } = call;
    // The browser goes: no more audio, no ICE checks.
    drop(agent);
    tokio::time::sleep(BROWSER_SILENT_LIMIT + Duration::from_secs(2)).await;
    let mut seen = Vec::new();
    while let Ok(e) = leg.events.try_recv() {
        // The customer's audio still arrives, so the gateway still reports its reception.
        if !matches!(e, LegEvent::TrunkReception(_)) {
            seen.push(e);
        }
    }
    assert!(seen.is_empty(), "nothing happened to the call: {seen:?}");
    customer.take_heard();
    target.take_heard();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let at_customer = tone_purity(last(&customer.take_heard(), 4000), TONE_HZ);
    let at_target = tone_purity(last(&target.take_heard(), 4000), CUSTOMER_HZ);
    assert!(
        at_customer > 0.8,
        "the customer still hears the target: {at_customer:.2}"
    );
    assert!(
        at_target > 0.8,
        "and the target the customer: {at_target:.2}"
    );

    // The owner lets go of the leg too: the joined call runs on until a side hangs up.
    drop(leg);
    tokio::time::sleep(Duration::from_millis(500)).await;
    customer.take_heard();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let still = tone_purity(last(&customer.take_heard(), 4000), TONE_HZ);
    assert!(still > 0.8, "the call outlives its owner: {still:.2}");
    let mut customer = customer;
    target.hang_up();
    assert_eq!(
        next_event(&mut customer).await,
        CallInEvent::Ended { by_caller: false }
    );
}
