//! A call over a lossy, jittery network: 5 % loss and 0..40 ms jitter on every direction of the
//! browser leg and of the trunk leg, held for 20 s with the browser sending a 1 kHz tone to the
//! simulator's echo number. The call stays up, the echoed tone keeps coming every second, the
//! share that comes back shows the loss was applied, the timestamps toward the browser keep to
//! the wall clock, and keys reach the gateway.
//!
//! This kernel has no `sch_netem`, so the network is `testkit::impair`'s relay: the gateway is
//! bound on 127.0.0.1 and announces 127.0.0.2, the simulator's media announces 127.0.0.3, and
//! the relay forwards between them (a 1:1 NAT), impairing as it goes. Both legs cross it both
//! ways, which its counts confirm.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use telephony::gateway::{
    Gateway, GatewayConfig, LegCommand, LegEvent, MediaConfig, TrunkConfig, TrunkSrtp,
    TrunkTransport,
};
use telephony::simulator::{MediaNat, PstnSimulator};
use telephony::tones::{tone_purity, FRAME_SAMPLES};
use testkit::impair::{ImpairConfig, ImpairingRelay, NatHost, OTHERS};
use testkit::peer::{PeerCommand, ReceivedFrame, Source};
use testkit::rig::*;

const GATEWAY_PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const SIMULATOR_PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
const STAND_INS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4));
const LOSS: f64 = 0.05;
const JITTER: Duration = Duration::from_millis(40);
const WINDOW: Duration = Duration::from_secs(1);
const WINDOWS: u32 = 20;
/// Windows left out of the per-window check while the echo fills the path.
const SETTLING: u32 = 2;
const FRAMES_PER_WINDOW: usize = 50;
/// Keys sent during the hold, at the start of these windows.
const KEYS: [(u32, char); 3] = [(5, '1'), (10, '5'), (15, '#')];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_a_lossy_jittery_network_stays_up_and_its_audio_continues() {
    let gateway_ports = port_range(10);
    let simulator_ports = port_range(4);
    let relay = ImpairingRelay::start(ImpairConfig {
        hosts: vec![
            NatHost {
                name: "gateway".into(),
                public_ip: GATEWAY_PUBLIC,
                real_ip: LOOPBACK,
                ports: gateway_ports,
            },
            NatHost {
                name: "simulator".into(),
                public_ip: SIMULATOR_PUBLIC,
                real_ip: LOOPBACK,
                ports: simulator_ports,
            },
        ],
        others_ip: STAND_INS,
        loss: LOSS,
        jitter: JITTER,
        seed: 15,
    })
    .await
    .expect("the relay binds");
    let _simulator = PstnSimulator::start_with_nat(
        simulator_config(None, None),
        Some(MediaNat {
            public_ip: SIMULATOR_PUBLIC,
            ports: simulator_ports,
        }),
    )
    .await
    .expect("simulator starts");
    let gateway = Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: _simulator.sip_addr().to_string(),
            transport: TrunkTransport::Udp,
            username: Some(TRUNK_USERNAME.into()),
            password: Some(TRUNK_PASSWORD.into()),
            caller_id: "+6560000000".into(),
            // SRTP on the trunk too: its replay window sees the reordering.
            srtp: TrunkSrtp::Required,
        },
        media: MediaConfig {
            bind_ip: LOOPBACK,
            public_ip: GATEWAY_PUBLIC,
            port_min: gateway_ports.0,
            port_max: gateway_ports.1,
            loopback_only: true,
        },
        inbound: None,
    })
    .await
    .expect("gateway starts");

    let (peer, mut leg) = dial_via(&gateway, "+6560000001", true).await;
    wait_for(&mut leg, Duration::from_secs(10), |e| {
        *e == LegEvent::Answered
    })
    .await;
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    let sent_before = peer.with_state(|s| {
        s.audio.clear();
        s.frames.clear();
        s.frames_sent
    });

    let start = tokio::time::Instant::now();
    let mut windows = Vec::new();
    let mut all_frames: Vec<ReceivedFrame> = Vec::new();
    let mut events = Vec::new();
    for w in 0..WINDOWS {
        if let Some((_, key)) = KEYS.iter().find(|(at, _)| *at == w) {
            peer.command(PeerCommand::Dtmf(*key));
        }
        let end = start + WINDOW * (w + 1);
        while let Ok(event) = tokio::time::timeout_at(end, leg.events.recv()).await {
            let Some(event) = event else {
                panic!("the leg closed during the hold; saw {events:?}");
            };
            events.push(event);
        }
        let (frames, audio) =
            peer.with_state(|s| (std::mem::take(&mut s.frames), std::mem::take(&mut s.audio)));
        let tone = audio
            .chunks_exact(FRAME_SAMPLES)
            .filter(|f| tone_purity(f, 1000.0) > 0.8)
            .count();
        windows.push((frames.len(), tone));
        all_frames.extend(frames);
    }
    let sent = peer.with_state(|s| s.frames_sent) - sent_before;

    // Figures first, so a failure shows them.
    let received: usize = windows.iter().map(|(n, _)| n).sum();
    let delivered = received as f64 / sent as f64;
    let gaps: Vec<Duration> = all_frames.windows(2).map(|p| p[1].at - p[0].at).collect();
    let longest_gap = gaps.iter().max().copied().unwrap_or_default();
    let (first, last) = (all_frames.first(), all_frames.last());
    let (media_span, wall_span) = match (first, last) {
        (Some(a), Some(b)) => {
            let lowest = all_frames.iter().map(|f| f.media_time).min().unwrap_or(0);
            let highest = all_frames.iter().map(|f| f.media_time).max().unwrap_or(0);
            (Duration::from_micros((highest - lowest) * 125), b.at - a.at)
        }
        _ => (Duration::ZERO, Duration::ZERO),
    };
    let clock_ratio = media_span.as_secs_f64() / wall_span.as_secs_f64().max(1e-9);
    println!("frames per 1 s window (received, of them 1 kHz tone): {windows:?}");
    println!(
        "sent {sent}, echoed back {received}: {:.1} % (two lossy hops each way: {:.1} % expected)",
        delivered * 100.0,
        (1.0 - LOSS).powi(4) * 100.0
    );
    println!(
        "longest gap between echoed frames {longest_gap:?}; timestamps span {media_span:?} over \
         {wall_span:?} of arrivals (ratio {clock_ratio:.3})"
    );
    for ((from, to), c) in relay.all_counts() {
        println!(
            "relay {from} → {to}: {} forwarded, {} dropped ({:.1} %), {} reordered",
            c.forwarded,
            c.dropped,
            c.dropped as f64 * 100.0 / c.seen().max(1) as f64,
            c.reordered
        );
    }
    println!("events during the hold: {events:?}");

    // The relay really stood between everyone, both ways, and dropped on every direction.
    for (from, to) in [
        (OTHERS, "gateway"),
        ("gateway", OTHERS),
        ("gateway", "simulator"),
        ("simulator", "gateway"),
    ] {
        let c = relay.counts(from, to);
        assert!(
            c.seen() > 700 && c.dropped > 0 && c.reordered > 0,
            "{from} → {to}: {c:?}"
        );
    }
    // The call stayed up: nothing but the keys, the first trunk audio and the gateway's
    // reports of the trunk's reception happened.
    let keys: Vec<char> = events
        .iter()
        .filter_map(|e| match e {
            LegEvent::Dtmf(k) => Some(*k),
            _ => None,
        })
        .collect();
    assert!(
        events.iter().all(|e| matches!(
            e,
            LegEvent::Dtmf(_) | LegEvent::FirstTrunkAudio | LegEvent::TrunkReception(_)
        )),
        "{events:?}"
    );
    assert_eq!(keys, KEYS.map(|(_, k)| k).to_vec());
    // The gateway measured the trunk's side: about the relay's 5 % loss on simulator → gateway,
    // and the jitter of two hops of 0..40 ms.
    let trunk = events
        .iter()
        .rev()
        .find_map(|e| match e {
            LegEvent::TrunkReception(r) => Some(*r),
            _ => None,
        })
        .expect("the trunk's reception reported");
    let loss = trunk.lost as f64 / (trunk.received + trunk.lost) as f64;
    println!("trunk reception: {trunk:?}, loss {:.1} %", loss * 100.0);
    assert!(
        trunk.received >= 500 && (0.02..0.09).contains(&loss),
        "{trunk:?}"
    );
    assert!((5_000..60_000).contains(&trunk.max_jitter_us), "{trunk:?}");
    // Audio continued: every window after the first two has most of its frames, and the tone.
    for (w, &(frames, tone)) in windows.iter().enumerate().skip(SETTLING as usize) {
        assert!(
            frames >= FRAMES_PER_WINDOW / 2,
            "window {w}: only {frames} frames"
        );
        assert!(
            tone * 10 >= frames * 9,
            "window {w}: {tone} of {frames} frames are the tone"
        );
    }
    // Loss was applied, and no more of it than the network's.
    assert!(
        (0.70..0.92).contains(&delivered),
        "{:.1} % came back",
        delivered * 100.0
    );
    // Lost and late packets do not stall the path: no gap a jitter buffer could not bridge.
    assert!(
        longest_gap < Duration::from_millis(300),
        "a gap of {longest_gap:?}"
    );
    // The browser's timestamps keep to the wall clock: reordering does not stretch them.
    assert!(
        (0.97..1.03).contains(&clock_ratio),
        "timestamps run at {clock_ratio:.3} × the wall clock"
    );

    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
    peer.stop().await;
}
