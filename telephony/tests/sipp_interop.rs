//! An independent SIP far end: sipp (Debian `sip-tester`) as a digest-challenging UAS receives
//! a call from the gateway, checks the credentials, answers and echoes RTP; the call completes
//! with audio both ways and a BYE. Proves the SIP leg is not only compatible with our simulator.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

use telephony::gateway::{LegCommand, LegEvent, TrunkTransport};
use telephony::tones::tone_purity;
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::*;

fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

async fn call_sipp(password: &str) -> (Vec<LegEvent>, Option<f32>, std::process::ExitStatus) {
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp/uas_digest.xml");
    let (sip_port, media_port) = (free_udp_port(), free_udp_port());
    let mut sipp = Command::new("sipp")
        .args(["-sf", scenario, "-i", "127.0.0.1", "-p"])
        .arg(sip_port.to_string())
        .args(["-mi", "127.0.0.1", "-mp"])
        .arg(media_port.to_string())
        // Two "calls": the gateway's OPTIONS keepalive at start, then the call itself.
        .args(["-rtp_echo", "-m", "2", "-nostdin", "-timeout", "20s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp runs (Debian package sip-tester; scripts/setup.sh installs it)");
    // Until sipp holds its port.
    for _ in 0..50 {
        if UdpSocket::bind(("127.0.0.1", sip_port)).is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let target = format!("127.0.0.1:{sip_port}");
    let gateway = gateway_to(&target, TrunkTransport::Udp, Some(password), 10).await;
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    let mut leg = gateway.open("+6591234567", &peer.offer).await.unwrap();
    peer.accept_answer(leg.answer.clone());
    leg.command(LegCommand::Invite);
    let seen = wait_for(&mut leg, Duration::from_secs(10), |e| {
        matches!(
            e,
            LegEvent::Answered | LegEvent::Rejected { .. } | LegEvent::Failed { .. }
        )
    })
    .await;
    let mut purity = None;
    if seen.last() == Some(&LegEvent::Answered) {
        peer.command(PeerCommand::Source(Source::Tone(1000.0)));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let audio = peer.take_audio();
        purity = Some(tone_purity(
            &audio[audio.len().saturating_sub(4000)..],
            1000.0,
        ));
        leg.command(LegCommand::Bye);
        wait_for(&mut leg, Duration::from_secs(5), |e| {
            *e == LegEvent::EndConfirmed
        })
        .await;
    }
    // sipp exits after both: 0 when each ran the scenario to its end.
    for _ in 0..100 {
        if let Some(status) = sipp.try_wait().unwrap() {
            return (seen, purity, status);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = sipp.kill();
    panic!("sipp did not finish its call; saw {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_far_end_with_digest_completes_a_call_with_audio() {
    let (seen, purity, status) = call_sipp("sipp-secret").await;
    assert!(status.success(), "sipp's scenario failed: {status}");
    assert!(seen.contains(&LegEvent::Ringing), "{seen:?}");
    assert_eq!(seen.last(), Some(&LegEvent::Answered), "{seen:?}");
    let purity = purity.unwrap();
    assert!(
        purity > 0.8,
        "sipp's echo carries our 1 kHz tone ({purity:.2})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_refuses_a_wrong_password_with_403() {
    let (seen, _, status) = call_sipp("wrong").await;
    assert!(status.success(), "sipp's scenario failed: {status}");
    assert!(
        matches!(seen.last(), Some(LegEvent::Rejected { status: 403, .. })),
        "{seen:?}"
    );
}
