//! Calls that do not connect, or end from the far side, report what a carrier would say; the
//! simulator refuses what a Voice Connector refuses.

use std::time::Duration;

use telephony::gateway::{LegCommand, LegEvent, TrunkTransport};
use testkit::rig::*;

fn rejected(status: u16) -> impl Fn(&LegEvent) -> bool {
    move |e| matches!(e, LegEvent::Rejected { status: s, .. } if *s == status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_number_is_486() {
    let rig = rig().await;
    let (_peer, mut leg) = dial(&rig, "+6560000003", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(486)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassigned_number_is_404() {
    let rig = rig().await;
    let (_peer, mut leg) = dial(&rig, "+5072000005", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(404)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_number_rings_then_480() {
    let rig = rig().await;
    let (_peer, mut leg) = dial(&rig, "+6560000004", false).await;
    let seen = wait_for(&mut leg, Duration::from_secs(5), rejected(480)).await;
    assert!(seen.contains(&LegEvent::Ringing), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_end_hangs_up_with_bye() {
    let rig = rig().await;
    let (_peer, mut leg) = dial(&rig, "+5072000006", false).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::RemoteBye
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_ringing_is_confirmed() {
    let rig = rig().await;
    let (_peer, mut leg) = dial(&rig, "+6560000004", false).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Ringing
    })
    .await;
    leg.command(LegCommand::Cancel);
    // rsipstack reports our CANCEL as the INVITE's 487.
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        matches!(
            e,
            LegEvent::EndConfirmed | LegEvent::Rejected { status: 487, .. }
        )
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_trunk_password_is_403() {
    let rig = rig_with("not-the-password", TrunkTransport::Udp).await;
    let (_peer, mut leg) = dial(&rig, "+6560000001", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(403)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destinations_outside_the_calling_plan_are_refused() {
    let rig = rig().await;
    for (number, status) in [
        ("+14155550100", 403),   // United States: not in the plan
        ("+6519001234567", 403), // Singapore premium
        ("+5079001234", 403),    // Panama premium
        ("6560000001", 484),     // not E.164
    ] {
        let (_peer, mut leg) = dial(&rig, number, false).await;
        wait_for(&mut leg, Duration::from_secs(5), rejected(status)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_tcp_connect_too() {
    let rig = rig_with("trunk-secret", TrunkTransport::Tcp).await;
    let (_peer, mut leg) = dial(&rig, "+6560000001", false).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_refreshes_from_the_trunk_are_answered_and_the_call_stays_up() {
    let rig = rig().await;
    let (peer, mut leg) = dial(&rig, "+6560000007", true).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    peer.command(testkit::peer::PeerCommand::Source(
        testkit::peer::Source::Tone(1000.0),
    ));
    // Three refreshes (every 700 ms): an unanswered one would end the call with a BYE.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    while let Ok(e) = leg.events.try_recv() {
        assert!(
            !matches!(
                e,
                LegEvent::RemoteBye | LegEvent::Failed { .. } | LegEvent::Rejected { .. }
            ),
            "the call ended: {e:?}"
        );
    }
    let audio = peer.take_audio();
    let tail = &audio[audio.len().saturating_sub(4000)..];
    assert!(
        telephony::tones::tone_purity(tail, 1000.0) > 0.8,
        "audio flows after the refreshes"
    );
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
}
