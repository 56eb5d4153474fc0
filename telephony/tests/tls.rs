//! SIP over TLS toward the trunk (a Voice Connector with encryption on uses 5061): the gateway
//! verifies the trunk's certificate against the configured trust anchors, and refuses a trunk
//! whose certificate it cannot verify. And calls in over TLS with SRTP, as an encrypted
//! connector's origination sends them, to the gateway's own TLS listener.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use telephony::gateway::{
    Gateway, GatewayConfig, InboundConfig, InboundTls, LegCommand, LegEvent, MediaConfig,
    TrunkConfig, TrunkSrtp, TrunkTransport,
};
use telephony::simulator::CallInEvent;
use telephony::simulator::PstnSimulator;
use testkit::certs::{certificate_text, certificates, presented};
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

/// An encrypted connector's origination (the simulator, trusting our CA) and a gateway taking
/// calls in over TLS with SRTP, with the certificate `certificates` made in `dir`.
struct InboundTlsRig {
    simulator: PstnSimulator,
    gateway: std::sync::Arc<Gateway>,
    incoming: tokio::sync::mpsc::Receiver<telephony::gateway::IncomingCall>,
    /// The gateway's TLS listener.
    gateway_tls: SocketAddr,
}

async fn inbound_tls_rig(dir: &std::path::Path) -> (InboundTlsRig, Vec<u8>) {
    let (ca, cert, key) = certificates(dir);
    let free = || {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    };
    // The connector: calls the gateway over TLS, trusting our CA; takes its calls out over TLS.
    let trunk_tls = free();
    let mut config = simulator_config(Some((trunk_tls, cert.clone(), key.clone())), None);
    config.origination_ca = Some(ca.clone());
    let simulator = PstnSimulator::start(config).await.expect("simulator");
    let gateway_tls = free();
    let (port_min, port_max) = port_range(10);
    let gateway = Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: trunk_tls.to_string(),
            transport: TrunkTransport::Tls { ca_pem: ca },
            username: Some(TRUNK_USERNAME.into()),
            password: Some(TRUNK_PASSWORD.into()),
            caller_id: "+6560000000".into(),
            srtp: TrunkSrtp::Required,
        },
        media: MediaConfig {
            bind_ip: LOOPBACK,
            public_ip: LOOPBACK,
            port_min,
            port_max,
            loopback_only: true,
        },
        inbound: Some(InboundConfig {
            allowed_sources: vec!["127.0.0.0/8".parse().unwrap()],
            tls: Some(InboundTls {
                addr: gateway_tls,
                cert_pem: cert.clone(),
                key_pem: key,
            }),
        }),
    })
    .await
    .expect("the gateway starts with its TLS listener");
    let incoming = gateway.take_incoming().expect("calls in");
    simulator.set_origination_tls(gateway_tls);
    let rig = InboundTlsRig {
        simulator,
        gateway,
        incoming,
        gateway_tls,
    };
    (rig, cert)
}

/// A call from the connector, answered by a browser: (the caller, the gateway's leg, the
/// browser).
async fn answered_call_in(
    rig: &mut InboundTlsRig,
) -> (
    telephony::simulator::CallIn,
    telephony::gateway::CallLeg,
    testkit::peer::BrowserPeer,
) {
    let mut call = rig
        .simulator
        .call_in("+6591234567", "+6560000000")
        .expect("placed");
    let mut ringing = tokio::time::timeout(Duration::from_secs(10), rig.incoming.recv())
        .await
        .expect("the call in arrives over TLS")
        .expect("the gateway runs");
    ringing.ring();
    let mut peer = testkit::peer::BrowserPeer::new(LOOPBACK, true)
        .await
        .unwrap();
    let mut leg = rig
        .gateway
        .answer(&mut ringing, &peer.offer)
        .await
        .expect("the SRTP offer is answered");
    peer.accept_answer(leg.answer.clone());
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    leg.command(LegCommand::Accept);
    let answered = loop {
        match tokio::time::timeout(Duration::from_secs(5), call.next()).await {
            Ok(Some(CallInEvent::Ringing)) => continue,
            other => break other,
        }
    };
    assert_eq!(answered, Ok(Some(CallInEvent::Answered)));
    (call, leg, peer)
}

/// Both ways, in SRTP: the customer's side only echoes what it could decrypt, and the browser
/// only hears what the gateway could. A new tone each time, so old audio cannot pass.
async fn audio_both_ways(
    call: &telephony::simulator::CallIn,
    peer: &testkit::peer::BrowserPeer,
    hz: f32,
) {
    peer.command(testkit::peer::PeerCommand::Source(
        testkit::peer::Source::Tone(hz),
    ));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = call.take_heard();
    assert!(
        heard.len() > 4000,
        "the customer heard {} samples",
        heard.len()
    );
    assert!(telephony::tones::tone_purity(&heard[heard.len() - 4000..], hz) > 0.8);
    let audio = peer.take_audio();
    assert!(audio.len() > 4000);
    assert!(telephony::tones::tone_purity(&audio[audio.len() - 4000..], hz) > 0.8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_over_tls_with_srtp_is_answered_with_audio_both_ways() {
    let dir = std::env::temp_dir().join(format!("softphone-tls-in-{}", std::process::id()));
    let (mut rig, _) = inbound_tls_rig(&dir).await;
    let (call, mut leg, peer) = answered_call_in(&mut rig).await;
    audio_both_ways(&call, &peer, 1000.0).await;
    call.hang_up();
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::RemoteBye
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A renewed certificate (Let's Encrypt's every two or three months) is taken while calls go on:
/// new handshakes present it, the call on a connection made before keeps its audio and its
/// BYE, and a certificate that does not parse is refused with the renewed one kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_taken_without_dropping_the_call_in_progress() {
    let dir = std::env::temp_dir().join(format!("softphone-tls-renew-{}", std::process::id()));
    let (mut rig, first) = inbound_tls_rig(&dir).await;
    let (call, mut leg, peer) = answered_call_in(&mut rig).await;
    assert_eq!(presented(rig.gateway_tls), certificate_text(&first));

    let (renewed, renewed_key) = testkit::certs::renewed(&dir);
    assert_ne!(certificate_text(&renewed), certificate_text(&first));
    rig.gateway
        .reload_inbound_tls(&renewed, &renewed_key)
        .expect("the renewed certificate is taken");
    assert_eq!(presented(rig.gateway_tls), certificate_text(&renewed));

    // A half-written file (the key missing) changes nothing.
    let refused = rig.gateway.reload_inbound_tls(&renewed, b"");
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(presented(rig.gateway_tls), certificate_text(&renewed));

    audio_both_ways(&call, &peer, 700.0).await;
    call.hang_up();
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::RemoteBye
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}
