//! Garbage, truncated and hostile input to the simulator and the gateway is refused or ignored
//! without a crash, and calls keep working afterwards. A non-G.711 offer is refused with 488.

use std::net::SocketAddr;
use std::time::Duration;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::invitation::InviteOption;
use telephony::gateway::LegEvent;
use telephony::sip::SipEndpoint;
use testkit::rig::*;
use tokio::net::UdpSocket;

const INVITE_HEAD: &str = "INVITE sip:+6560000001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:+6560000001@127.0.0.1>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n";

fn hostile_datagrams() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"garbage".to_vec(),
        vec![0xff; 1400],
        b"INVITE".to_vec(),
        b"INVITE sip: SIP/2.0\r\n\r\n".to_vec(),
        INVITE_HEAD.as_bytes()[..60].to_vec(),
        format!("{INVITE_HEAD}Content-Length: 99999\r\n\r\nv=0").into_bytes(),
        format!("{INVITE_HEAD}Content-Length: -1\r\n\r\n").into_bytes(),
        [
            format!("{INVITE_HEAD}Content-Type: application/sdp\r\nContent-Length: 7\r\n\r\n").as_bytes(),
            &[0xff, 0xfe, 0x00, b'g', b'a', b'r', b'b'],
        ]
        .concat(),
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKnope\r\nCSeq: 1 INVITE\r\n\r\n".to_vec(),
        b"BYE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK2\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: nope\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ];
    // Every prefix of a well-formed INVITE with an SDP body.
    let sdp = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 9 RTP/AVP 0\r\n";
    let full = format!(
        "{INVITE_HEAD}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    for cut in (0..full.len()).step_by(17) {
        v.push(full.as_bytes()[..cut].to_vec());
    }
    v
}

async fn spray(to: SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for d in hostile_datagrams() {
        let _ = socket.send_to(&d, to).await;
    }
    // RTP/STUN/DTLS-shaped junk for media ports.
    for first in [0x00u8, 0x01, 0x16, 0x80, 0x90, 0xbf] {
        for len in [1usize, 4, 12, 13, 20, 100] {
            let mut d = vec![0xa5u8; len];
            d[0] = first;
            let _ = socket.send_to(&d, to).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_survived_and_calls_still_work() {
    let rig = rig().await;
    spray(rig.simulator.sip_addr()).await;
    spray(rig.gateway.sip_addr()).await;
    // And the media ports of a live call.
    let (peer, mut leg) = dial(&rig, "+6560000001", true).await;
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::Answered
    })
    .await;
    // The gateway's ICE candidate names its browser-leg port; the SIP-leg port comes next.
    let candidate = leg
        .answer
        .lines()
        .find(|l| l.starts_with("a=candidate"))
        .unwrap();
    let port: u16 = candidate.split(' ').nth(5).unwrap().parse().unwrap();
    spray(SocketAddr::new(LOOPBACK, port)).await;
    spray(SocketAddr::new(LOOPBACK, port + 1)).await;
    peer.command(testkit::peer::PeerCommand::Source(
        testkit::peer::Source::Tone(1000.0),
    ));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut events = Vec::new();
    while let Ok(e) = leg.events.try_recv() {
        events.push(e);
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, LegEvent::Failed { .. } | LegEvent::BrowserLost)),
        "{events:?}"
    );
    let audio = peer.take_audio();
    eprintln!("{} samples, events {events:?}", audio.len());
    let tail = &audio[audio.len().saturating_sub(2000)..];
    assert!(telephony::tones::tone_purity(tail, 1000.0) > 0.8);
    // A bad browser offer is an error, not a crash.
    for offer in [
        "",
        "v=0",
        "garbage\r\n",
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
    ] {
        assert!(
            rig.gateway.open("+6560000001", offer).await.is_err(),
            "{offer:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_g711_offer_is_refused_with_488() {
    let rig = rig().await;
    let (sip, _requests) = SipEndpoint::bind("127.0.0.1:0".parse().unwrap(), false, "test")
        .await
        .unwrap();
    let target = rig.simulator.sip_addr();
    let uri = |user: &str| {
        rsipstack::sip::Uri::try_from(format!("sip:{user}@{target}").as_str()).unwrap()
    };
    let opus = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
    let opt = InviteOption {
        caller: uri("+6560000000"),
        callee: uri("+6560000001"),
        contact: sip.contact(Some("+6560000000")),
        content_type: Some("application/sdp".into()),
        offer: Some(opus.as_bytes().to_vec()),
        credential: Some(Credential {
            username: "softphone".into(),
            password: "trunk-secret".into(),
            realm: None,
            auth_username: None,
        }),
        ..Default::default()
    };
    let (state_tx, _state_rx) = sip.dialogs.new_dialog_state_channel();
    let (_dialog, response) = sip.dialogs.do_invite(opt, state_tx).await.unwrap();
    assert_eq!(response.map(|r| r.status_code.code()), Some(488));
}
