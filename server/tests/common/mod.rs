//! The native call rig shared by the hub's end-to-end tests: the simulator and gateway of
//! `testkit::rig`, with the call hub, a SQLite store and a disk recorder on top (the server's
//! own types, so this part stays here), and `testkit`'s peer for the browser.
#![allow(dead_code)]

pub mod chime;

use std::sync::Arc;
use std::time::Duration;

use app::api::live::{ClientMessage, LiveCall, ServerMessage};
use app::api::ports::{CallStore, Telephony};
use app::domain::call::{CallLimits, CallState, HangupBy};
use app::domain::calls::{CallRecord, EndReason};
use server::calls::CallHub;
use server::clock::SystemClock;
use server::recordings::{DiskRecordings, Recorder, RecorderSettings};
use server::store::SqliteStore;
use telephony::gateway::TrunkTransport;
use telephony::recording::PauseMode;
use telephony::simulator::PstnSimulator;
use testkit::peer::BrowserPeer;
pub use testkit::rig::LOOPBACK;
use testkit::rig::TRUNK_PASSWORD;
use tokio::sync::broadcast;

pub const ALICE: &str = "alice-sub";

pub struct Rig {
    pub simulator: PstnSimulator,
    /// Shared: the Chime rig's progress endpoint holds it too.
    pub hub: Arc<CallHub>,
    pub store: Arc<SqliteStore>,
    pub recordings: Arc<DiskRecordings>,
    /// Where the recordings are (a fresh directory per rig).
    pub recordings_dir: std::path::PathBuf,
}

pub async fn rig(ports: (u16, u16), offer_timeout: Duration) -> Rig {
    rig_with(ports, offer_timeout, PauseMode::Silence).await
}

pub async fn rig_with(ports: (u16, u16), offer_timeout: Duration, pause: PauseMode) -> Rig {
    let simulator = testkit::rig::simulator(None).await;
    let gateway = testkit::rig::gateway_on_ports(
        &simulator.sip_addr().to_string(),
        TrunkTransport::Udp,
        Some(TRUNK_PASSWORD),
        ports,
    )
    .await;
    calls_rig(
        simulator,
        server::calls::Provider::Gateway(gateway),
        Some(pause),
        offer_timeout,
    )
    .await
}

/// The hub over `provider` with a fresh SQLite store; a disk recorder pausing with `pause`
/// when given (none: the record controls say recording is not available).
pub async fn calls_rig(
    simulator: PstnSimulator,
    provider: server::calls::Provider,
    pause: Option<PauseMode>,
    offer_timeout: Duration,
) -> Rig {
    let store = Arc::new(SqliteStore::in_memory().await.unwrap());
    let recordings_dir =
        std::env::temp_dir().join(format!("softphone-rec-{}", uuid::Uuid::new_v4()));
    let recordings = Arc::new(DiskRecordings::open(&recordings_dir).unwrap());
    let recorder = pause.map(|pause| {
        Arc::new(Recorder {
            store: store.clone(),
            recordings: recordings.clone(),
            clock: Arc::new(SystemClock),
            settings: RecorderSettings::new(pause, None, 30),
        })
    });
    let hub = Arc::new(CallHub::with_limits(
        provider,
        store.clone(),
        Arc::new(SystemClock),
        vec![],
        recorder,
        CallLimits::default(),
        offer_timeout,
    ));
    Rig {
        simulator,
        hub,
        store,
        recordings,
        recordings_dir,
    }
}

/// What `start_call` does once the number policy and the spend limits agree: `tab` dialled.
pub async fn start(rig: &Rig, tab: &Tab, id: &str, e164: &str) -> CallRecord {
    start_for(rig, tab, id, e164, CallLimits::default().max_duration_ms).await
}

/// [`start`] with the longest duration the spend limits admitted the call for.
pub async fn start_for(
    rig: &Rig,
    tab: &Tab,
    id: &str,
    e164: &str,
    max_duration_ms: u64,
) -> CallRecord {
    let record = CallRecord::outbound(id.into(), e164.into(), 1);
    rig.store.insert_call(ALICE, &record).await.unwrap();
    let origin = app::api::ports::CallOrigin::App {
        connection: tab.connection,
    };
    rig.hub
        .begin(ALICE, record.clone(), origin, max_duration_ms)
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

pub fn record(call_id: &str, action: app::api::live::RecordAction) -> ClientMessage {
    ClientMessage::Record {
        call_id: call_id.into(),
        action,
    }
}

/// Waits (at most 8 s) for the call's recording to reach `want`.
pub async fn wait_recording(tab: &mut Tab, want: app::api::live::LiveRecordingState) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let m = tokio::time::timeout_at(deadline, tab.events.recv())
            .await
            .unwrap_or_else(|_| panic!("recording never reached {want:?}"))
            .unwrap();
        if let ServerMessage::Call { call } = m {
            if call.recording.as_ref().map(|r| r.state) == Some(want) {
                return;
            }
        }
    }
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
