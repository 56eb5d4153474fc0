//! The native call rig shared by telephony's and the server's tests: the PSTN simulator on
//! loopback as the far end, a gateway toward it, and calls from a [`BrowserPeer`]. What needs the
//! server's own types (the call hub, its stores) is built on top of this in `server/tests/common`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use telephony::gateway::{
    CallLeg, Gateway, GatewayConfig, InboundConfig, LegCommand, LegEvent, MediaConfig, TrunkConfig,
    TrunkSrtp, TrunkTransport,
};
use telephony::simulator::{PstnSimulator, SimulatorConfig, Timing};

use crate::peer::BrowserPeer;

pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// The trunk credentials the simulator asks for.
pub const TRUNK_USERNAME: &str = "softphone";
pub const TRUNK_PASSWORD: &str = "trunk-secret";

/// Each test gets its own slice of media ports (tests in one binary run in parallel).
pub fn port_range(size: u16) -> (u16, u16) {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 30_000 + (std::process::id() % 50) as u16 * 400;
    let start = base + NEXT.fetch_add(size, Ordering::Relaxed);
    (start, start + size - 1)
}

/// Ringing, answering and hanging up in well under two seconds, so flows finish quickly.
pub fn fast_timing() -> Timing {
    Timing {
        ring: Duration::from_millis(300),
        no_answer: Duration::from_millis(1500),
        hang_up_after: Duration::from_millis(1500),
        refresh_every: Duration::from_millis(700),
        call_back_hang_up: Duration::from_millis(500),
        call_back_after: Duration::from_millis(500),
        call_in_ring_limit: Duration::from_secs(10),
    }
}

pub struct Rig {
    pub simulator: PstnSimulator,
    pub gateway: Arc<Gateway>,
}

/// The simulator on loopback with fast timing, the trunk credentials above, and SIP over TLS
/// too when `tls` is given (address, certificate PEM, key PEM).
pub async fn simulator(tls: Option<(SocketAddr, Vec<u8>, Vec<u8>)>) -> PstnSimulator {
    simulator_with(tls, None).await
}

/// [`simulator`] in `voice-connector` mode when `connector` is given.
pub async fn simulator_with(
    tls: Option<(SocketAddr, Vec<u8>, Vec<u8>)>,
    connector: Option<telephony::simulator::ConnectorRules>,
) -> PstnSimulator {
    PstnSimulator::start(simulator_config(tls, connector))
        .await
        .expect("simulator starts")
}

/// The simulator's settings on loopback with fast timing and the trunk credentials above.
pub fn simulator_config(
    tls: Option<(SocketAddr, Vec<u8>, Vec<u8>)>,
    connector: Option<telephony::simulator::ConnectorRules>,
) -> SimulatorConfig {
    SimulatorConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        media_ip: LOOPBACK,
        realm: "pstn.test".into(),
        username: TRUNK_USERNAME.into(),
        password: TRUNK_PASSWORD.into(),
        timing: fast_timing(),
        tls,
        origination_ca: None,
        connector,
    }
}

/// The simulator, and a gateway toward it that signs in with `password` over `transport`.
pub async fn rig_with(password: &str, transport: TrunkTransport) -> Rig {
    let simulator = simulator(None).await;
    let gateway = gateway_to(
        &simulator.sip_addr().to_string(),
        transport,
        Some(password),
        40,
    )
    .await;
    Rig { simulator, gateway }
}

pub async fn rig() -> Rig {
    rig_with(TRUNK_PASSWORD, TrunkTransport::Udp).await
}

/// A gateway on loopback toward `target`, with `ports` media ports of its own.
pub async fn gateway_to(
    target: &str,
    transport: TrunkTransport,
    password: Option<&str>,
    ports: u16,
) -> Arc<Gateway> {
    gateway_on_ports(target, transport, password, port_range(ports)).await
}

/// A gateway on loopback toward `target`, with the media ports `ports` (first, last). SRTP as
/// the server's default: required over TLS, off otherwise.
pub async fn gateway_on_ports(
    target: &str,
    transport: TrunkTransport,
    password: Option<&str>,
    ports: (u16, u16),
) -> Arc<Gateway> {
    let srtp = match transport {
        TrunkTransport::Tls { .. } => TrunkSrtp::Required,
        _ => TrunkSrtp::Off,
    };
    gateway_srtp(target, transport, password, ports, srtp).await
}

/// [`gateway_on_ports`] with SRTP as `srtp` says.
pub async fn gateway_srtp(
    target: &str,
    transport: TrunkTransport,
    password: Option<&str>,
    (port_min, port_max): (u16, u16),
    srtp: TrunkSrtp,
) -> Arc<Gateway> {
    Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: target.to_string(),
            transport,
            username: password.map(|_| TRUNK_USERNAME.to_string()),
            password: password.map(str::to_string),
            caller_id: "+6560000000".into(),
            srtp,
        },
        media: MediaConfig {
            bind_ip: LOOPBACK,
            public_ip: LOOPBACK,
            port_min,
            port_max,
            loopback_only: true,
        },
        inbound: None,
    })
    .await
    .expect("gateway starts")
}

/// A gateway toward the simulator that also takes calls in from `allowed` (a network such as
/// `127.0.0.0/8`), and the simulator's origination route pointed at it.
pub async fn gateway_taking_calls(simulator: &PstnSimulator, allowed: &str) -> Arc<Gateway> {
    let (port_min, port_max) = port_range(20);
    let allowed = allowed.parse().expect("a network such as 127.0.0.0/8");
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
            bind_ip: LOOPBACK,
            public_ip: LOOPBACK,
            port_min,
            port_max,
            loopback_only: true,
        },
        inbound: Some(InboundConfig {
            allowed_sources: vec![allowed],
            tls: None,
        }),
    })
    .await
    .expect("gateway starts");
    simulator.set_origination(gateway.sip_addr());
    gateway
}

/// Opens a call to `number` from a fresh peer and sends the INVITE.
pub async fn dial(rig: &Rig, number: &str, record: bool) -> (BrowserPeer, CallLeg) {
    dial_via(&rig.gateway, number, record).await
}

/// Opens a call to `number` through `gateway` from a fresh peer and sends the INVITE.
pub async fn dial_via(gateway: &Gateway, number: &str, record: bool) -> (BrowserPeer, CallLeg) {
    let mut peer = BrowserPeer::new(LOOPBACK, record).await.expect("peer");
    let leg = gateway
        .open(number, &peer.offer)
        .await
        .expect("gateway answers");
    peer.accept_answer(leg.answer.clone());
    leg.command(LegCommand::Invite);
    (peer, leg)
}

/// Waits for an event matching `want`, returning every event seen up to it.
pub async fn wait_for(
    leg: &mut CallLeg,
    within: Duration,
    want: impl Fn(&LegEvent) -> bool,
) -> Vec<LegEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, leg.events.recv()).await {
            Ok(Some(e)) => {
                let done = want(&e);
                seen.push(e);
                if done {
                    return seen;
                }
            }
            Ok(None) => panic!("leg closed; saw {seen:?}"),
            Err(_) => panic!("timed out; saw {seen:?}"),
        }
    }
}

/// The next event of a call the simulator placed in, within 5 s.
pub async fn next_event(
    call: &mut telephony::simulator::CallIn,
) -> telephony::simulator::CallInEvent {
    tokio::time::timeout(Duration::from_secs(5), call.next())
        .await
        .expect("the call in moves on within 5 s")
        .expect("the call in reports how it ended")
}

/// The next call in the gateway hands over, within 5 s.
pub async fn arrives(
    incoming: &mut tokio::sync::mpsc::Receiver<telephony::gateway::IncomingCall>,
) -> telephony::gateway::IncomingCall {
    tokio::time::timeout(Duration::from_secs(5), incoming.recv())
        .await
        .expect("a call in within 5 s")
        .expect("the gateway runs")
}

/// Answers a call in from a fresh browser peer (recording what it hears when `record`): its
/// offer answered, its audio up, then the `200` to the caller.
pub async fn answer_in(
    gateway: &Gateway,
    ringing: &mut telephony::gateway::IncomingCall,
    record: bool,
) -> (BrowserPeer, CallLeg) {
    let mut peer = BrowserPeer::new(LOOPBACK, record).await.expect("peer");
    let mut leg = gateway
        .answer(ringing, &peer.offer)
        .await
        .expect("the gateway answers the agent's offer");
    peer.accept_answer(leg.answer.clone());
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    leg.command(LegCommand::Accept);
    (peer, leg)
}

/// The newest `n` samples of what a peer or caller heard.
pub fn last(audio: &[i16], n: usize) -> &[i16] {
    &audio[audio.len().saturating_sub(n)..]
}

/// Has `peer` send a 1 kHz tone for 1.5 s and checks that what came back is that tone (an
/// echo: the simulator's echo number, or the gateway's network test).
pub async fn tone_comes_back(peer: &BrowserPeer) {
    use crate::peer::{PeerCommand, Source};
    use telephony::tones::tone_purity;
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let audio = peer.take_audio();
    assert!(audio.len() > 8000, "only {} samples came back", audio.len());
    let tail = &audio[audio.len() - 4000..];
    let purity = tone_purity(tail, 1000.0);
    assert!(
        purity > 0.8,
        "1 kHz carries {purity:.2} of the echoed power"
    );
    assert!(tone_purity(tail, 440.0) < 0.05);
}
