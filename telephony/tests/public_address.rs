//! A gateway whose public address is not the one its sockets are bound to, as on EC2 behind an
//! Elastic IP (a 1:1 NAT): media bound to 0.0.0.0, announced to the browser (its one ICE
//! candidate) and to the trunk (SDP) as 127.0.0.2. The browser's ICE checks arrive addressed
//! to the announced address and must be matched to the candidate (str0m drops checks for an
//! address it has no candidate for): the browser leg connects and the gateway's ringback
//! reaches the browser. The trunk leg's audio is not checked here: on loopback the kernel sends
//! from 127.0.0.1, which a NAT would have rewritten to the public address, and the simulator
//! takes media only from the address the SDP names. Our Contact names the public address too.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use telephony::gateway::{
    Gateway, GatewayConfig, LegCommand, LegEvent, MediaConfig, TrunkConfig, TrunkSrtp,
    TrunkTransport,
};
use telephony::sip::SipEndpoint;
use testkit::rig::*;

const PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_connects_when_the_announced_address_is_not_the_bound_one() {
    let simulator = simulator(None).await;
    let (port_min, port_max) = port_range(10);
    let gateway = Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: simulator.sip_addr().to_string(),
            transport: TrunkTransport::Udp,
            username: Some(TRUNK_USERNAME.into()),
            password: Some(TRUNK_PASSWORD.into()),
            caller_id: "+6560000000".into(),
            srtp: TrunkSrtp::Off,
        },
        media: MediaConfig {
            bind_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            public_ip: PUBLIC,
            port_min,
            port_max,
            // Only loopback sources are taken, though the sockets listen on every interface.
            loopback_only: true,
        },
        inbound: None,
    })
    .await
    .expect("gateway starts");
    // The number that rings and never answers: the gateway plays ringback to the browser.
    let (peer, mut leg) = dial_via(&gateway, "+6560000004", true).await;
    assert!(
        leg.answer.contains("127.0.0.2"),
        "the browser is told the public address: {}",
        leg.answer
    );
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    leg.command(LegCommand::Ringback(true));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let audio = peer.take_audio();
    assert!(
        audio.len() > 4000,
        "only {} samples of ringback",
        audio.len()
    );
    leg.command(LegCommand::Cancel);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        matches!(e, LegEvent::Rejected { status: 487, .. })
    })
    .await;
}

#[tokio::test]
async fn our_contact_names_the_public_address() {
    let (sip, _requests) = SipEndpoint::bind_with_tls(
        SocketAddr::new(LOOPBACK, 0),
        false,
        Vec::new(),
        Some(PUBLIC),
        "test",
    )
    .await
    .expect("binds");
    let contact = sip.contact(Some("+6560000000")).to_string();
    assert!(contact.contains("@127.0.0.2:"), "{contact}");
    sip.stop();
}
