//! The Chime call rig, with no mocks between the pieces: the PSTN simulator and a gateway
//! toward it (`testkit::rig`), the Chime stand-in answering the meetings' audio with that
//! gateway and running our SIP media application handler, whose progress pushes reach the
//! server's own `/api/chime/progress` router (served on 127.0.0.1, the same secret on both
//! sides), and the call hub with `Provider::Chime` pointed at the stand-in. The browser is
//! `testkit::chime`'s str0m peer joining through the stand-in's signalling.

use std::sync::Arc;
use std::time::Duration;

use app::api::live::{ClientMessage, ServerMessage};
use app::api::ports::{CallStore, Clock};
use chime_standin::signal::CLOSE_MEETING_ENDED;
use chime_standin::{Running, RuntimeConfig, SmaCallRecord, StandInConfig};
use server::calls::{CallHub, Provider};
use server::chime::{ChimeControl, ChimeSettings};
use server::clock::SystemClock;
use server::cluster::RelayTaker;
use server::config::Secret;
use server::web::{
    chime_progress_router, ChimeProgressRelay, ChimeProgressState, CHIME_PROGRESS_PATH,
};
use sma::report::Reporter;
use telephony::recording::PauseMode;
use testkit::chime::{join_meeting, MeetingPeer};
use testkit::peer::{until, PeerCommand, Source};

use super::{calls_rig, record_of, send, Rig, Tab};

pub const SMA_ID: &str = "0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11";
pub const CALLER_ID: &str = "+6531590000";
pub const BRIDGE_NUMBER: &str = "+17035550122";
const EVENTS_SECRET: &str = "the-server-chime-tests-events-secret-0123456789";

pub struct ChimeRig {
    /// The hub, its store and the simulator.
    pub calls: Rig,
    pub stand_in: Running,
    /// With [`ProgressAt::AnotherServer`]: that server's hub (on the same store, no tabs).
    pub other_server: Option<Arc<CallHub>>,
    /// Where the handler pushes its progress.
    pub events_url: String,
}

/// Which server the handler's progress pushes reach.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ProgressAt {
    /// The one holding the calls (one server).
    TheCallsServer,
    /// Another server on the same store (two servers behind one events URL): it relays each
    /// push through the store to the server holding the call ([`SERVER`]), which takes it.
    AnotherServer,
}

/// The ids of the rig's servers in the store, with [`ProgressAt::AnotherServer`].
pub const SERVER: &str = "srv-calls";
pub const OTHER_SERVER: &str = "srv-other";

/// Starts it all; the browser has 5 s to ask for the meeting after the call starts. No
/// recorder: the record controls say recording is not available.
pub async fn chime_rig() -> ChimeRig {
    chime_rig_with(Recording::Off).await
}

/// Whether the rig's server records, and whether the stand-in can write the files.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    Off,
    /// The server records into its disk store, which the stand-in writes into as a bucket.
    Delivered,
    /// The server records, but the stand-in has no S3 directory: its `StartCallRecording`
    /// fails.
    StandInCannotWrite,
}

pub async fn chime_rig_with(recording: Recording) -> ChimeRig {
    chime_rig_on(recording, ProgressAt::TheCallsServer).await
}

pub async fn chime_rig_on(recording: Recording, progress_at: ProgressAt) -> ChimeRig {
    let simulator = testkit::rig::simulator(None).await;
    // The carrier's side: it dials the PSTN for `CallAndBridge`, and the simulator's callers
    // reach the stand-in's SIP media application through it (calls in).
    let gateway = testkit::rig::gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    // The progress endpoint's address first: the stand-in's handler pushes to it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let events_url = format!(
        "http://{}{CHIME_PROGRESS_PATH}",
        listener.local_addr().expect("an address")
    );
    let reporter = Reporter::new(&events_url, EVENTS_SECRET.as_bytes()).expect("a reporter");
    let stand_in = chime_standin::start_with_media(
        StandInConfig {
            sip_media_applications: vec![SMA_ID.into()],
            phone_numbers: vec![CALLER_ID.into()],
            runtime: RuntimeConfig {
                reporter: Some(Arc::new(reporter)),
                join_wait: Duration::from_secs(5),
                // `calls_rig` makes the recordings directory in the temporary directory: the
                // stand-in sees it as a bucket there.
                s3_dir: (recording == Recording::Delivered).then(std::env::temp_dir),
                ..RuntimeConfig::default()
            },
            ..StandInConfig::default()
        },
        "127.0.0.1:0".parse().expect("an address"),
        Some(gateway),
    )
    .await
    .expect("the stand-in starts");
    let control = ChimeControl::at_endpoint(
        &stand_in.stand_in.endpoint_url(),
        ChimeSettings {
            media_region: "us-east-1".into(),
            sip_media_application_id: SMA_ID.into(),
            caller_id: CALLER_ID.into(),
            bridge_number: BRIDGE_NUMBER.into(),
        },
    );
    let control = Arc::new(control);
    let calls = calls_rig(
        simulator,
        Provider::Chime(control.clone()),
        (recording != Recording::Off).then_some(PauseMode::Silence),
        Duration::from_secs(5),
    )
    .await;
    // The caller ID is one of the business's numbers (calls to it ring its last agent).
    calls.hub.set_caller_ids(vec![CALLER_ID.into()]);
    let (progress_hub, relay, other_server) = match progress_at {
        ProgressAt::TheCallsServer => (calls.hub.clone(), None, None),
        ProgressAt::AnotherServer => {
            let other = Arc::new(CallHub::new(
                Provider::Chime(control),
                calls.store.clone(),
                Arc::new(SystemClock),
                vec![],
                None,
            ));
            // Both servers live, as their leases say; the calls' server takes what is
            // relayed to it.
            let until = SystemClock.now_ms() + 600_000;
            for server in [SERVER, OTHER_SERVER] {
                calls
                    .store
                    .renew_lease(server, until)
                    .await
                    .expect("a lease");
            }
            RelayTaker {
                server_id: SERVER.into(),
                store: calls.store.clone(),
                clock: Arc::new(SystemClock),
                dials: None,
                calls: Some(calls.hub.clone()),
            }
            .spawn();
            let relay = ChimeProgressRelay {
                store: calls.store.clone(),
                server_id: OTHER_SERVER.into(),
            };
            (other.clone(), Some(relay), Some(other))
        }
    };
    let progress = chime_progress_router(ChimeProgressState {
        calls: progress_hub,
        secret: Secret::new(EVENTS_SECRET.into()),
        clock: Arc::new(SystemClock),
        relay,
    });
    tokio::spawn(async move { axum::serve(listener, progress).await });
    ChimeRig {
        calls,
        stand_in,
        other_server,
        events_url,
    }
}

impl ChimeRig {
    /// Pushes as the handler does: to the rig's events URL, signed with its secret.
    pub fn reporter(&self) -> Reporter {
        Reporter::new(&self.events_url, EVENTS_SECRET.as_bytes()).expect("a reporter")
    }

    /// The tab asks for the call's meeting (`Join`) and the browser joins it with the answer.
    pub async fn join(&self, tab: &Tab, call_id: &str) -> MeetingPeer {
        let reply = send(
            &self.calls,
            tab,
            ClientMessage::Join {
                call_id: call_id.into(),
            },
        )
        .await;
        let Some(ServerMessage::Join {
            meeting, attendee, ..
        }) = reply
        else {
            panic!("expected the meeting to join, got {reply:?}");
        };
        join_meeting(&meeting, &attendee)
            .await
            .expect("the browser joins the meeting")
    }

    /// The SIP media application call the server placed for `call_id`: its transaction id
    /// (from the call record) and the stand-in's record of it.
    pub async fn sma_call(&self, call_id: &str) -> (String, SmaCallRecord) {
        let record = record_of(&self.calls, call_id).await;
        let transaction = record
            .provider_call_id
            .clone()
            .unwrap_or_else(|| panic!("no transaction id on the record: {record:?}"));
        let call = self
            .stand_in
            .stand_in
            .sma_call(&transaction)
            .unwrap_or_else(|| panic!("the stand-in has no call {transaction}"));
        (transaction, call)
    }

    /// Waits (at most `within`) until the handler has been invoked with `event` (the stand-in
    /// keeps a record, not a stream: it is polled); every event it saw.
    pub async fn until_handler_saw(
        &self,
        transaction: &str,
        event: &str,
        within: Duration,
    ) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let events = self
                .stand_in
                .stand_in
                .sma_call(transaction)
                .map(|c| c.events)
                .unwrap_or_default();
            if events.iter().any(|e| e == event) {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {event}; saw {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The browser's marked frames come back through the meeting, the gateway and the echo
/// number, its own and nobody else's.
pub async fn hears_its_own_echo(joined: &MeetingPeer) {
    until(&joined.peer, Duration::from_secs(5), |s| {
        s.connected_at.is_some()
    })
    .await;
    joined.peer.command(PeerCommand::Source(Source::Marked(7)));
    until(&joined.peer, Duration::from_secs(5), |s| {
        s.round_trips_us.len() >= 10
    })
    .await;
    assert_eq!(joined.peer.with_state(|s| s.crosstalk), 0, "only its own");
}

/// The call's meeting was deleted: the browser's session is closed as Chime closes one for a
/// meeting that ended (4410), and the stand-in no longer has the meeting.
pub async fn meeting_deleted(rig: &ChimeRig, joined: &mut MeetingPeer) {
    let code = joined
        .closed(Duration::from_secs(5))
        .await
        .expect("the session closes");
    assert_eq!(code, Some(CLOSE_MEETING_ENDED));
    assert!(rig.stand_in.stand_in.meeting(&joined.meeting_id).is_none());
}
