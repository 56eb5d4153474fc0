//! The simulator in `voice-connector` mode refuses what a Voice Connector's termination
//! settings refuse, before looking at the number: a source outside the allow-list (403), a
//! call over the calls-per-second limit (503), plain RTP when encryption is on (488). Here over
//! UDP with plain RTP; the same rules over TLS with SDES-SRTP, and an encrypted call they
//! admit, are in `server/tests/voice_connector_srtp.rs`.

use std::sync::Arc;
use std::time::Duration;

use telephony::gateway::{Gateway, LegEvent, TrunkTransport};
use telephony::simulator::{ConnectorRules, PstnSimulator};
use testkit::rig::*;

fn rejected(status: u16) -> impl Fn(&LegEvent) -> bool {
    move |e| matches!(e, LegEvent::Rejected { status: s, .. } if *s == status)
}

async fn connector(
    allowed: &[&str],
    cps_limit: u32,
    require_srtp: bool,
) -> (PstnSimulator, Arc<Gateway>) {
    let rules = ConnectorRules {
        allowed: allowed
            .iter()
            .map(|n| n.parse().expect("a network"))
            .collect(),
        cps_limit,
        require_srtp,
    };
    let simulator = simulator_with(None, Some(rules)).await;
    let gateway = gateway_to(
        &simulator.sip_addr().to_string(),
        TrunkTransport::Udp,
        Some(TRUNK_PASSWORD),
        40,
    )
    .await;
    (simulator, gateway)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_outside_the_allow_list_is_forbidden() {
    let (_simulator, gateway) = connector(&["10.0.0.0/8"], 5, false).await;
    let (_peer, mut leg) = dial_via(&gateway, "+6560000001", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(403)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_rtp_is_not_acceptable_with_encryption_on() {
    let (_simulator, gateway) = connector(&["127.0.0.0/8"], 5, true).await;
    let (_peer, mut leg) = dial_via(&gateway, "+6560000001", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(488)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_the_limit_are_refused_and_allowed_ones_connect() {
    let (_simulator, gateway) = connector(&["127.0.0.0/8"], 1, false).await;
    let (_first_peer, mut first) = dial_via(&gateway, "+6560000001", false).await;
    let (_second_peer, mut second) = dial_via(&gateway, "+6560000001", false).await;
    // Of two calls within the same second, the one whose INVITE reaches the connector first is
    // taken (and answered: the rules pass it on to the number's behaviour), the other refused.
    // Which one that is is up to the scheduler: each call's own task sends its INVITE.
    let outcome = |e: &LegEvent| matches!(e, LegEvent::Answered | LegEvent::Rejected { .. });
    let (first_seen, second_seen) = tokio::join!(
        wait_for(&mut first, Duration::from_secs(5), outcome),
        wait_for(&mut second, Duration::from_secs(5), outcome),
    );
    let mut outcomes = [first_seen.last().cloned(), second_seen.last().cloned()];
    outcomes.sort_by_key(|e| matches!(e, Some(LegEvent::Rejected { .. })));
    assert!(
        matches!(outcomes[0], Some(LegEvent::Answered))
            && matches!(outcomes[1], Some(LegEvent::Rejected { status: 503, .. })),
        "one answered, one refused with 503; saw {first_seen:?} and {second_seen:?}"
    );
}
