//! A warm transfer to another agent through the real gateway (`Gateway::consult_browser`): a
//! customer (the simulator calling in, a 1 kHz tone) talks with an agent's browser peer
//! (1.8 kHz); the agent holds the call and consults a colleague's browser (600 Hz), whose offer
//! is answered by a leg of its own linked to the call. While they consult the agent and the
//! colleague hear each other and the customer the music and neither. Taken: the colleague's
//! peer connection moves into the call as is — no new offer — and once resumed the customer
//! and the colleague hear each other, the first agent nothing. Returned: the colleague's leg
//! goes and the agent has the customer back.

use std::time::Duration;

use telephony::gateway::{CallLeg, LegCommand, LegEvent};
use telephony::tones::{hold_music_share, tone_purity};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::*;

mod transfer_rig;
use transfer_rig::*;

const COLLEAGUE_HZ: f32 = 600.0;

/// The held call, and the colleague's browser consulted on it (speaking its tone).
async fn consulting() -> (Call, BrowserPeer, CallLeg) {
    let call = held_call().await;
    let mut colleague = BrowserPeer::new(LOOPBACK, true).await.expect("peer");
    let mut consulted = call
        ._gateway
        .consult_browser(&call.leg, &colleague.offer)
        .await
        .expect("the colleague's offer is answered");
    colleague.accept_answer(consulted.answer.clone());
    wait_for(&mut consulted, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    colleague.command(PeerCommand::Source(Source::Tone(COLLEAGUE_HZ)));
    (call, colleague, consulted)
}

/// Over 1.5 s (after 300 ms to settle), `a` hears `hz` and not `not_hz`.
fn hears(audio: &[i16], who: &str, hz: f32, not_hz: f32) {
    assert!(audio.len() >= 8000, "{who}: {} samples", audio.len());
    let wanted = tone_purity(last(audio, 8000), hz);
    let unwanted = tone_purity(last(audio, 8000), not_hz);
    assert!(wanted > 0.8, "{who} hears {hz} Hz: {wanted:.2}");
    assert!(
        unwanted < 0.02,
        "{who} does not hear {not_hz} Hz: {unwanted:.3}"
    );
}

async fn settle(call: &Call, colleague: &BrowserPeer) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.customer.take_heard();
    call.agent.take_audio();
    colleague.take_audio();
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consulted_then_taken_the_customer_and_the_colleague_talk() {
    let (call, colleague, consulted) = consulting().await;
    settle(&call, &colleague).await;
    hears(
        &call.agent.take_audio(),
        "the agent",
        COLLEAGUE_HZ,
        CUSTOMER_HZ,
    );
    hears(
        &colleague.take_audio(),
        "the colleague",
        AGENT_HZ,
        CUSTOMER_HZ,
    );
    let heard = call.customer.take_heard();
    let music = hold_music_share(last(&heard, 12_000));
    assert!(music > 0.45, "the customer hears the music: {music:.2}");
    for (who, hz) in [("agent", AGENT_HZ), ("colleague", COLLEAGUE_HZ)] {
        let there = tone_purity(last(&heard, 12_000), hz);
        assert!(
            there < 0.02,
            "the customer does not hear the {who}: {there:.3}"
        );
    }

    // The colleague takes the call: same peer connection, no new offer.
    call._gateway.take_consulted_browser(&call.leg, consulted);
    call.leg.command(LegCommand::Resume);
    settle(&call, &colleague).await;
    hears(
        &call.customer.take_heard(),
        "the customer",
        COLLEAGUE_HZ,
        AGENT_HZ,
    );
    hears(
        &colleague.take_audio(),
        "the colleague",
        CUSTOMER_HZ,
        AGENT_HZ,
    );
    let at_agent = call.agent.take_audio();
    assert!(
        at_agent.len() < 800,
        "the first agent hears nothing more ({} samples)",
        at_agent.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_the_agent_has_the_customer_back() {
    let (mut call, colleague, consulted) = consulting().await;
    settle(&call, &colleague).await;
    hears(
        &call.agent.take_audio(),
        "the agent",
        COLLEAGUE_HZ,
        CUSTOMER_HZ,
    );

    call.leg.command(LegCommand::CancelTransfer);
    drop(consulted);
    still_held_then_resumed(&mut call).await;
    settle(&call, &colleague).await;
    hears(
        &call.agent.take_audio(),
        "the agent",
        CUSTOMER_HZ,
        COLLEAGUE_HZ,
    );
    let at_colleague = colleague.take_audio();
    let agent_there = tone_purity(last(&at_colleague, 4000), AGENT_HZ);
    assert!(
        agent_there < 0.02,
        "the colleague hears nothing of the call: {agent_there:.3}"
    );
}
