//! The gateway probes its trunk with OPTIONS and knows whether it answers.

use telephony::gateway::TrunkTransport;
use testkit::rig::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_answers_options_and_a_dead_trunk_does_not() {
    let rig = rig().await;
    assert!(
        rig.gateway.probe_trunk().await,
        "the simulator answers OPTIONS"
    );
    assert_eq!(rig.gateway.trunk_reachable(), Some(true));

    // Nothing listens on this port.
    let dead = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gateway = gateway_to(&dead.to_string(), TrunkTransport::Udp, None, 4).await;
    assert!(
        !gateway.probe_trunk().await,
        "a trunk that never answers is unreachable"
    );
    assert_eq!(gateway.trunk_reachable(), Some(false));
}
