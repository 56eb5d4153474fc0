//! The native call rig shared by the hub's end-to-end tests: the PSTN simulator as the far
//! end, the gateway, the call hub with a disk recorder, and a str0m peer for the browser.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::api::live::{ClientMessage, LiveCall, ServerMessage};
use app::api::ports::{CallStore, Telephony};
use app::domain::call::{CallLimits, CallState, HangupBy};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::guards::{CallGuard, GuardLimits};
use server::calls::CallHub;
use server::clock::SystemClock;
use server::recordings::{DiskRecordings, Recorder, RecorderSettings};
use server::store::SqliteStore;
use telephony::gateway::{Gateway, GatewayConfig, MediaConfig, TrunkConfig, TrunkTransport};
use telephony::peer::BrowserPeer;
use telephony::recording::PauseMode;
use telephony::simulator::{PstnSimulator, SimulatorConfig, Timing};
use tokio::sync::broadcast;

pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
pub const ALICE: &str = "alice-sub";

pub struct Rig {
    _simulator: PstnSimulator,
    pub hub: CallHub,
    pub store: Arc<SqliteStore>,
    pub recordings: Arc<DiskRecordings>,
    /// Where the recordings are (a fresh directory per rig).
    pub recordings_dir: std::path::PathBuf,
}

pub async fn rig(ports: (u16, u16), offer_timeout: Duration) -> Rig {
    rig_with(ports, offer_timeout, PauseMode::Silence).await
}

pub async fn rig_with(ports: (u16, u16), offer_timeout: Duration, pause: PauseMode) -> Rig {
    let simulator = PstnSimulator::start(SimulatorConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        media_ip: LOOPBACK,
        realm: "pstn.test".into(),
        username: "softphone".into(),
        password: "pw".into(),
        timing: Timing {
            ring: Duration::from_millis(300),
            no_answer: Duration::from_millis(1500),
            hang_up_after: Duration::from_millis(1500),
            refresh_every: Duration::from_millis(700),
        },
        tls: None,
    })
    .await
    .unwrap();
    let gateway = Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: simulator.sip_addr().to_string(),
            transport: TrunkTransport::Udp,
            username: Some("softphone".into()),
            password: Some("pw".into()),
            caller_id: "+6560000000".into(),
        },
        media: MediaConfig {
            bind_ip: LOOPBACK,
            public_ip: LOOPBACK,
            port_min: ports.0,
            port_max: ports.1,
            loopback_only: true,
        },
    })
    .await
    .unwrap();
    let store = Arc::new(SqliteStore::in_memory().await.unwrap());
    let recordings_dir =
        std::env::temp_dir().join(format!("softphone-rec-{}", uuid::Uuid::new_v4()));
    let recordings = Arc::new(DiskRecordings::open(&recordings_dir).unwrap());
    let recorder = Arc::new(Recorder {
        store: store.clone(),
        recordings: recordings.clone(),
        clock: Arc::new(SystemClock),
        settings: RecorderSettings::new(pause, None, 30),
    });
    let hub = CallHub::with_limits(
        Some(gateway),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(Mutex::new(CallGuard::new(GuardLimits::default()))),
        vec![],
        Some(recorder),
        CallLimits::default(),
        offer_timeout,
    );
    Rig {
        _simulator: simulator,
        hub,
        store,
        recordings,
        recordings_dir,
    }
}

/// What `start_call` does once the policy and guards agree.
pub async fn start(rig: &Rig, id: &str, e164: &str) -> CallRecord {
    let record = CallRecord::outbound(id.into(), e164.into(), 1);
    rig.store.insert_call(ALICE, &record).await.unwrap();
    rig.hub
        .begin(ALICE, record.clone(), app::api::ports::CallOrigin::App)
        .await;
    record
}

pub struct Tab {
    pub connection: u64,
    pub events: broadcast::Receiver<ServerMessage>,
    pub hello_call: Option<LiveCall>,
}

pub fn open_tab(rig: &Rig) -> Tab {
    let (connection, events, hello) = rig.hub.connect(ALICE);
    let ServerMessage::Hello { call, .. } = hello else {
        panic!("first message is Hello")
    };
    Tab {
        connection,
        events,
        hello_call: call,
    }
}

pub async fn offer(rig: &Rig, tab: &Tab, call_id: &str) -> BrowserPeer {
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    let reply = send(
        rig,
        tab,
        ClientMessage::Offer {
            call_id: call_id.into(),
            sdp: peer.offer.clone(),
        },
    )
    .await;
    match reply {
        Some(ServerMessage::Answer { sdp, .. }) => peer.accept_answer(sdp),
        other => panic!("expected an answer, got {other:?}"),
    }
    peer
}

/// Waits until the call reaches a state matching `want`; returns the states seen.
pub async fn wait_state(tab: &mut Tab, want: impl Fn(&CallState) -> bool) -> Vec<CallState> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let m = tokio::time::timeout_at(deadline, tab.events.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out; saw {seen:?}"))
            .unwrap();
        if let ServerMessage::Call { call } = m {
            let done = want(&call.state);
            seen.push(call.state);
            if done {
                return seen;
            }
        }
    }
}

/// A message from `tab`, and the hub's reply to it.
pub async fn send(rig: &Rig, tab: &Tab, message: ClientMessage) -> Option<ServerMessage> {
    rig.hub.handle(ALICE, tab.connection, message).await
}

pub fn hangup(id: &str) -> ClientMessage {
    ClientMessage::Hangup { call_id: id.into() }
}

pub fn ended(reason: EndReason, by: HangupBy) -> impl Fn(&CallState) -> bool {
    move |s| matches!(s, CallState::Ended { reason: r, by: b, .. } if *r == reason && *b == by)
}

pub async fn record_of(rig: &Rig, id: &str) -> CallRecord {
    // The end is published after the record is written.
    rig.store.get_call(ALICE, id).await.unwrap().unwrap()
}
