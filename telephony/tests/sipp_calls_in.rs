//! An independent caller: sipp (Debian `sip-tester`) as a customer calls the gateway's inbound
//! leg as a carrier would deliver the call: rung, answered by a browser peer, audio both ways
//! (sipp echoes the agent's tone), and the customer's BYE; then a customer who gives up while
//! it rings (CANCEL: 200, 487, ACK). Proves the inbound leg is not only compatible with our
//! simulator.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use telephony::gateway::{CallerGone, LegCommand, LegEvent};
use telephony::tones::tone_purity;
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::*;

const BUSINESS: &str = "+6560000000";

fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// sipp running `scenario` once toward `gateway` (a SIP address), dialling [`BUSINESS`].
fn customer(scenario: &str, gateway: std::net::SocketAddr) -> Child {
    let scenario = format!("{}/tests/sipp/{scenario}", env!("CARGO_MANIFEST_DIR"));
    Command::new("sipp")
        .arg(gateway.to_string())
        .args(["-sf", &scenario, "-s", BUSINESS, "-i", "127.0.0.1", "-p"])
        .arg(free_udp_port().to_string())
        .args(["-mi", "127.0.0.1", "-mp"])
        .arg(free_udp_port().to_string())
        .args(["-rtp_echo", "-m", "1", "-nostdin", "-timeout", "20s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp runs (Debian package sip-tester; scripts/setup.sh installs it)")
}

/// sipp's exit within 20 s: success means every message of its scenario came as written.
async fn finished(mut sipp: Child) -> std::process::ExitStatus {
    for _ in 0..200 {
        if let Some(status) = sipp.try_wait().unwrap() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = sipp.kill();
    panic!("sipp did not finish its scenario within 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_call_in_is_answered_with_audio_both_ways_and_its_bye_ends_it() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let sipp = customer("uac_call_in.xml", gateway.sip_addr());

    let mut ringing = tokio::time::timeout(Duration::from_secs(10), incoming.recv())
        .await
        .expect("the call in arrives")
        .expect("the gateway runs");
    assert_eq!(ringing.to, BUSINESS);
    assert_eq!(ringing.from.as_deref(), Some("+6591234567"));
    ringing.ring();
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    let mut leg = gateway.answer(&mut ringing, &peer.offer).await.unwrap();
    peer.accept_answer(leg.answer.clone());
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    leg.command(LegCommand::Accept);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;

    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let audio = peer.take_audio();
    assert!(audio.len() > 4000, "only {} samples came back", audio.len());
    let purity = tone_purity(&audio[audio.len() - 4000..], 1000.0);
    assert!(
        purity > 0.8,
        "the agent's tone went to sipp and came back: {purity:.2}"
    );

    // sipp hangs up after 3 s of talk.
    wait_for(&mut leg, Duration::from_secs(6), |e| {
        *e == LegEvent::RemoteBye
    })
    .await;
    let status = finished(sipp).await;
    assert!(status.success(), "sipp's scenario: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_call_in_cancelled_while_ringing_is_gone_and_answered_487() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let sipp = customer("uac_cancel.xml", gateway.sip_addr());

    let mut ringing = tokio::time::timeout(Duration::from_secs(10), incoming.recv())
        .await
        .expect("the call in arrives")
        .expect("the gateway runs");
    ringing.ring();
    let gone = tokio::time::timeout(Duration::from_secs(5), ringing.gone())
        .await
        .expect("the CANCEL reaches the owner");
    assert_eq!(gone, CallerGone::HungUp);
    let status = finished(sipp).await;
    assert!(
        status.success(),
        "sipp got 200 to its CANCEL and 487 to its INVITE: {status}"
    );
    // Answering now is too late.
    let peer = BrowserPeer::new(LOOPBACK, false).await.unwrap();
    assert!(gateway.answer(&mut ringing, &peer.offer).await.is_err());
}
