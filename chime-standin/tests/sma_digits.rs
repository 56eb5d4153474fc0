//! The SIP media application runtime, keys: an update with `Action=digits` becomes
//! `SendDigits` on leg B, the gateway sends the keys to the simulator's read-back number, and
//! the browser hears them played back.

mod common;

use std::time::Duration;

use common::call::*;
use telephony::tones::{DtmfDetector, FRAME_SAMPLES};
use testkit::peer::{until, PeerCommand, Source};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digits_reach_the_read_back_number() {
    let scenario = Scenario::start(None).await;
    let tx = scenario.call("+6560000002").await;
    scenario
        .until_event(
            &tx,
            "ACTION_SUCCESSFUL CallAndBridge",
            Duration::from_secs(10),
        )
        .await;
    until(&scenario.peer, Duration::from_secs(5), |s| {
        s.connected_at.is_some()
    })
    .await;
    scenario.peer.command(PeerCommand::Source(Source::Silence));
    // Let the greeting finish.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    scenario.peer.take_audio();

    scenario
        .update(
            &tx,
            serde_json::json!({"Action": "digits", "Digits": "15#"}),
        )
        .await;
    scenario
        .until_event(&tx, "ACTION_SUCCESSFUL SendDigits", Duration::from_secs(5))
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let audio = scenario.peer.take_audio();
    let mut detector = DtmfDetector::new();
    let keys: Vec<char> = audio
        .chunks(FRAME_SAMPLES)
        .filter_map(|frame| detector.push(frame))
        .collect();
    assert_eq!(keys, ['1', '5', '#']);

    scenario
        .update(&tx, serde_json::json!({"Action": "hangup"}))
        .await;
    let events = scenario.until_ended(&tx, Duration::from_secs(5)).await;
    assert_eq!(
        events,
        placed_then(&[
            "RINGING LEG-B",
            "ACTION_SUCCESSFUL CallAndBridge",
            "CALL_UPDATE_REQUESTED",
            "ACTION_SUCCESSFUL SendDigits",
            "CALL_UPDATE_REQUESTED",
            "HANGUP LEG-B",
            "HANGUP LEG-A",
        ])
    );
    assert_eq!(
        scenario.pushes.states(),
        ["ringing", "answered", "ended completed"]
    );
}
