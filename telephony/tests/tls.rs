//! SIP over TLS toward the trunk (a Voice Connector with encryption on uses 5061): the gateway
//! verifies the trunk's certificate against the configured trust anchors, and refuses a trunk
//! whose certificate it cannot verify.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use telephony::gateway::{LegCommand, LegEvent, TrunkTransport};
use telephony::simulator::PstnSimulator;
use testkit::certs::certificates;
use testkit::rig::*;

async fn tls_simulator(cert: Vec<u8>, key: Vec<u8>) -> (PstnSimulator, SocketAddr) {
    let tls_addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    (simulator(Some((tls_addr, cert, key))).await, tls_addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_tls_connects_with_audio() {
    let dir = std::env::temp_dir().join(format!("softphone-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, cert, key) = certificates(&dir);
    let (_simulator, tls_addr) = tls_simulator(cert, key).await;
    let gateway = gateway_to(
        &tls_addr.to_string(),
        TrunkTransport::Tls { ca_pem: ca },
        Some("trunk-secret"),
        10,
    )
    .await;
    let (peer, mut leg) = dial_via(&gateway, "+6560000001", true).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    peer.command(testkit::peer::PeerCommand::Source(
        testkit::peer::Source::Tone(1000.0),
    ));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let audio = peer.take_audio();
    let tail = &audio[audio.len().saturating_sub(4000)..];
    assert!(telephony::tones::tone_purity(tail, 1000.0) > 0.8);
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_whose_certificate_is_not_trusted_gets_no_call() {
    let dir = std::env::temp_dir().join(format!("softphone-tls-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, cert, key) = certificates(&dir);
    let (other_ca, _, _) = certificates(&dir.join("other"));
    let (_simulator, tls_addr) = tls_simulator(cert, key).await;
    // The gateway trusts a different certificate.
    let gateway = gateway_to(
        &tls_addr.to_string(),
        TrunkTransport::Tls { ca_pem: other_ca },
        Some("trunk-secret"),
        10,
    )
    .await;
    assert!(
        !gateway.probe_trunk().await,
        "an untrusted trunk is not reachable"
    );
    let (_peer, mut leg) = dial_via(&gateway, "+6560000001", false).await;
    // The INVITE never leaves over an unverified connection: no ringing, no answer (the call
    // state machine's setup timeout then ends such a call as failed).
    tokio::time::sleep(Duration::from_secs(2)).await;
    while let Ok(e) = leg.events.try_recv() {
        assert!(
            !matches!(e, LegEvent::Ringing | LegEvent::Answered),
            "{e:?}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
