//! The SIP media application runtime, answered: the handler joins the meeting and bridges the
//! PSTN simulator's echo number, the browser's tone comes back, and the agent's hang-up
//! (`UpdateSipMediaApplicationCall`) ends both legs. Pushes: ringing, answered, completed.

mod common;

use std::time::Duration;

use common::call::*;
use telephony::tones::tone_purity;
use testkit::peer::{until, PeerCommand, Source};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_echo_call_then_the_agents_hang_up() {
    let scenario = Scenario::start(None).await;
    let tx = scenario.call("+6560000001").await;
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

    // The meeting's audio reaches the PSTN and comes back.
    scenario
        .peer
        .command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let audio = scenario.peer.take_audio();
    assert!(audio.len() > 8000, "only {} samples", audio.len());
    let purity = tone_purity(&audio[audio.len() - 4000..], 1000.0);
    assert!(
        purity > 0.8,
        "1 kHz carries {purity:.2} of the echoed power"
    );

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
            "HANGUP LEG-B",
            "HANGUP LEG-A",
        ])
    );
    assert_eq!(
        scenario.pushes.states(),
        ["ringing", "answered", "ended completed"]
    );
}
