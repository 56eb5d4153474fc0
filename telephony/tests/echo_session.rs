//! The pre-call check's network test (docs/quality.md, "Pre-call check"): a browser peer's
//! audio comes straight back from the gateway, no INVITE goes to the trunk, and dropping the
//! session's leg ends it (the peer hears nothing more).

use std::time::Duration;

use telephony::gateway::LegEvent;
use testkit::peer::BrowserPeer;
use testkit::rig::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_test_echoes_the_browser_and_calls_no_one() {
    let rig = rig().await;
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.expect("peer");
    let mut leg = rig.gateway.echo_test(&peer.offer).await.expect("answered");
    peer.accept_answer(leg.answer.clone());
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    tone_comes_back(&peer).await;
    // Nothing reached the phone network: no number was called.
    assert!(rig.simulator.called("").is_none());
    for e in std::iter::from_fn(|| leg.events.try_recv().ok()) {
        assert!(
            !matches!(e, LegEvent::Trying | LegEvent::Ringing | LegEvent::Answered),
            "{e:?}"
        );
    }

    // The owner drops the leg: the session ends and the echo stops.
    drop(leg);
    tokio::time::sleep(Duration::from_millis(500)).await;
    peer.take_audio();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after = peer.take_audio();
    assert!(after.len() < 800, "{} samples after the end", after.len());
}
