//! The gateway probes its trunk with OPTIONS and knows whether it answers.

mod common;

use std::net::SocketAddr;

use common::*;
use telephony::gateway::{Gateway, GatewayConfig, MediaConfig, TrunkConfig, TrunkTransport};

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
    let (port_min, port_max) = port_range(4);
    let gateway = Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: dead.to_string(),
            transport: TrunkTransport::Udp,
            username: None,
            password: None,
            caller_id: "+6560000000".into(),
        },
        media: MediaConfig {
            bind_ip: LOOPBACK,
            public_ip: LOOPBACK,
            port_min,
            port_max,
            loopback_only: true,
        },
    })
    .await
    .unwrap();
    assert!(
        !gateway.probe_trunk().await,
        "a trunk that never answers is unreachable"
    );
    assert_eq!(gateway.trunk_reachable(), Some(false));
}
