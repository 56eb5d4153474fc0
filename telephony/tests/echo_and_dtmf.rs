//! Browser peer → gateway → SIP → simulator: the echo number returns our tone, the read-back
//! number plays our DTMF keys back as tones (both checked on decoded audio).

use std::time::Duration;

use telephony::gateway::{LegCommand, LegEvent};
use telephony::tones::{DtmfDetector, FRAME_SAMPLES};
use testkit::peer::{PeerCommand, Source};
use testkit::rig::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_returns_a_1khz_tone() {
    let rig = rig().await;
    let (peer, mut leg) = dial(&rig, "+6560000001", true).await;
    let seen = wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    assert!(seen.contains(&LegEvent::Ringing), "{seen:?}");
    tone_comes_back(&peer).await;
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(3), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_back_plays_our_dtmf_keys() {
    let rig = rig().await;
    let (peer, mut leg) = dial(&rig, "+6560000002", true).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    peer.command(PeerCommand::Source(Source::Silence));
    // Let the greeting finish.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for key in ['1', '5', '#'] {
        peer.command(PeerCommand::Dtmf(key));
        wait_for(&mut leg, Duration::from_secs(2), |e| {
            *e == LegEvent::Dtmf(key)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let audio = peer.take_audio();
    let mut detector = DtmfDetector::new();
    let keys: Vec<char> = audio
        .chunks(FRAME_SAMPLES)
        .filter_map(|b| detector.push(b))
        .collect();
    assert_eq!(keys, vec!['1', '5', '#']);
    leg.command(LegCommand::Bye);
}
