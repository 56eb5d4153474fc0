//! A trunk that is not there: a call toward a SIP trunk that never answers (a black hole on
//! UDP) or refuses the connection (TCP) fails within seconds with a cause the operator can act
//! on, the agent sees it fail rather than "calling…" for the SIP transaction's 32 s (and an
//! "ending…" as long after it), and the line is free for the next call.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::call::{CallState, HangupBy, NO_RESPONSE};
use app::domain::calls::EndReason;
use common::*;
use telephony::gateway::TrunkTransport;

/// A UDP socket that takes every datagram and answers none; counts the INVITEs it saw.
async fn black_hole() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let socket = tokio::net::UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
    let addr = socket.local_addr().unwrap();
    let invites = Arc::new(AtomicUsize::new(0));
    let seen = invites.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while let Ok((n, _)) = socket.recv_from(&mut buf).await {
            if buf[..n].starts_with(b"INVITE ") {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (addr, invites)
}

async fn rig_toward(target: &str, transport: TrunkTransport, ports: (u16, u16)) -> Rig {
    let simulator = testkit::rig::simulator(None).await;
    let gateway = testkit::rig::gateway_on_ports(
        target,
        transport,
        Some(testkit::rig::TRUNK_PASSWORD),
        ports,
    )
    .await;
    calls_rig(
        simulator,
        server::calls::Provider::Gateway(gateway),
        None,
        Duration::from_secs(5),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_that_never_responds_fails_the_call_within_seconds() {
    let (addr, invites) = black_hole().await;
    let rig = rig_toward(&addr.to_string(), TrunkTransport::Udp, (32700, 32709)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-hole", "+6560000001").await;
    let _peer = offer(&rig, &tab, "c-hole").await;
    let dialing = wait_state(&mut tab, |s| *s == CallState::Dialing).await;
    let since = Instant::now();
    let states = wait_state(&mut tab, ended(EndReason::Failed, HangupBy::System)).await;
    let took = since.elapsed();
    assert!(
        took < Duration::from_secs(7),
        "failed after {took:?} ({dialing:?} then {states:?})"
    );
    assert!(
        !states.contains(&CallState::Ending),
        "nothing to wait for once the trunk is known absent: {states:?}"
    );
    assert!(invites.load(Ordering::SeqCst) >= 1, "the INVITE went out");
    let r = record_of(&rig, "c-hole").await;
    assert_eq!(r.end_reason, Some(EndReason::Failed));
    assert_eq!(r.sip_cause.as_deref(), Some(NO_RESPONSE));
    assert!(r.ringing_at.is_none() && r.answered_at.is_none());
    assert!(rig.hub.active_call(ALICE).is_none(), "the line is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_that_refuses_the_connection_fails_the_call_at_once() {
    // A port nobody listens on (bound, then closed).
    let closed = std::net::TcpListener::bind((LOOPBACK, 0))
        .unwrap()
        .local_addr()
        .unwrap();
    let rig = rig_toward(&closed.to_string(), TrunkTransport::Tcp, (32750, 32759)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-refused", "+6560000001").await;
    let _peer = offer(&rig, &tab, "c-refused").await;
    let since = Instant::now();
    let states = wait_state(&mut tab, |s| matches!(s, CallState::Ended { .. })).await;
    let took = since.elapsed();
    assert!(took < Duration::from_secs(7), "failed after {took:?}");
    let Some(CallState::Ended { reason, by, cause }) = states.last() else {
        panic!("{states:?}")
    };
    assert_eq!(
        (*reason, *by),
        (EndReason::Failed, HangupBy::System),
        "{states:?}"
    );
    assert!(cause.is_some(), "a cause for the operator: {states:?}");
    let r = record_of(&rig, "c-refused").await;
    assert_eq!(r.end_reason, Some(EndReason::Failed));
    assert!(rig.hub.active_call(ALICE).is_none(), "the line is free");
}
