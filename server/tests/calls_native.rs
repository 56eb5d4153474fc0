//! Native end-to-end calls without a browser: a str0m peer plays the browser, the call hub
//! runs the domain state machine over the gateway, the PSTN simulator is the far end. Each
//! call ends with the right reason, and its record in the store says so.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::api::live::{ClientMessage, LiveCall, ServerMessage};
use app::api::ports::{Store, Telephony};
use app::domain::call::{CallLimits, CallState, HangupBy};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::guards::{CallGuard, GuardLimits};
use server::calls::CallHub;
use server::clock::SystemClock;
use server::store::SqliteStore;
use telephony::gateway::{Gateway, GatewayConfig, MediaConfig, TrunkConfig, TrunkTransport};
use telephony::peer::{BrowserPeer, PeerCommand, Source};
use telephony::simulator::{PstnSimulator, SimulatorConfig, Timing};
use telephony::tones::tone_purity;
use tokio::sync::broadcast;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const ALICE: &str = "alice-sub";

struct Rig {
    _simulator: PstnSimulator,
    hub: CallHub,
    store: Arc<SqliteStore>,
}

async fn rig(ports: (u16, u16), offer_timeout: Duration) -> Rig {
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
    let hub = CallHub::with_limits(
        Some(gateway),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(Mutex::new(CallGuard::new(GuardLimits::default()))),
        vec![],
        CallLimits::default(),
        offer_timeout,
    );
    Rig {
        _simulator: simulator,
        hub,
        store,
    }
}

/// What `start_call` does once the policy and guards agree.
async fn start(rig: &Rig, id: &str, e164: &str) -> CallRecord {
    let record = CallRecord::outbound(id.into(), e164.into(), 1);
    rig.store.insert_call(ALICE, &record).await.unwrap();
    rig.hub.begin(ALICE, record.clone()).await;
    record
}

struct Tab {
    connection: u64,
    events: broadcast::Receiver<ServerMessage>,
    hello_call: Option<LiveCall>,
}

fn open_tab(rig: &Rig) -> Tab {
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

async fn offer(rig: &Rig, tab: &Tab, call_id: &str) -> BrowserPeer {
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
async fn wait_state(tab: &mut Tab, want: impl Fn(&CallState) -> bool) -> Vec<CallState> {
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
async fn send(rig: &Rig, tab: &Tab, message: ClientMessage) -> Option<ServerMessage> {
    rig.hub.handle(ALICE, tab.connection, message).await
}

fn hangup(id: &str) -> ClientMessage {
    ClientMessage::Hangup { call_id: id.into() }
}

fn ended(reason: EndReason, by: HangupBy) -> impl Fn(&CallState) -> bool {
    move |s| matches!(s, CallState::Ended { reason: r, by: b, .. } if *r == reason && *b == by)
}

async fn record(rig: &Rig, id: &str) -> CallRecord {
    // The end is published after the record is written.
    rig.store.get_call(ALICE, id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_call_connects_echoes_and_is_logged_with_its_duration() {
    let rig = rig((31000, 31019), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start(&rig, "c-echo", "+6560000001").await;
    let peer = offer(&rig, &tab, "c-echo").await;
    let states = wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    assert!(states.contains(&CallState::Dialing), "{states:?}");
    assert!(states.contains(&CallState::Ringing), "{states:?}");

    // A second tab sees the live call.
    let second = open_tab(&rig);
    assert_eq!(second.hello_call.map(|c| c.id), Some("c-echo".to_string()));

    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let audio = peer.take_audio();
    let tail = &audio[audio.len().saturating_sub(4000)..];
    assert!(tone_purity(tail, 1000.0) > 0.8, "the echo carries our tone");

    // Mute is reflected in the call state every tab sees.
    send(
        &rig,
        &tab,
        ClientMessage::Mute {
            call_id: "c-echo".into(),
            muted: true,
        },
    )
    .await;
    wait_state(&mut tab, |s| {
        matches!(s, CallState::Connected { muted: true, .. })
    })
    .await;

    send(&rig, &tab, hangup("c-echo")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    let r = record(&rig, "c-echo").await;
    assert_eq!(r.end_reason, Some(EndReason::Completed));
    assert_eq!(r.hangup_by.as_deref(), Some("agent"));
    assert!(r.ringing_at.is_some() && r.answered_at.is_some());
    assert!(r.duration_ms().unwrap() >= 1000, "{r:?}");
    assert!(rig.hub.active_call(ALICE).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_end_outcomes_end_with_their_reasons() {
    let rig = rig((31100, 31139), Duration::from_secs(5)).await;
    let cases = [
        (
            "+6560000003",
            EndReason::Busy,
            HangupBy::Remote,
            Some("486"),
        ),
        (
            "+5072000004",
            EndReason::NoAnswer,
            HangupBy::Remote,
            Some("480"),
        ),
        (
            "+6560000005",
            EndReason::NotFound,
            HangupBy::Remote,
            Some("404"),
        ),
        (
            "+5072000006",
            EndReason::Completed,
            HangupBy::Remote,
            Some("BYE"),
        ),
        (
            "+14155550100",
            EndReason::Refused,
            HangupBy::Remote,
            Some("403"),
        ),
    ];
    for (i, (number, reason, by, cause)) in cases.into_iter().enumerate() {
        let id = format!("c-{i}");
        let mut tab = open_tab(&rig);
        start(&rig, &id, number).await;
        let _peer = offer(&rig, &tab, &id).await;
        wait_state(&mut tab, ended(reason, by)).await;
        let r = record(&rig, &id).await;
        assert_eq!(r.end_reason, Some(reason), "{number}: {r:?}");
        assert_eq!(r.hangup_by.as_deref(), Some(by.as_str()), "{number}");
        let text = r.sip_cause.clone().unwrap_or_default();
        assert!(text.contains(cause.unwrap()), "{number}: cause {text:?}");
        rig.hub.disconnect(ALICE, tab.connection);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_up_while_ringing_cancels() {
    let rig = rig((31200, 31219), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start(&rig, "c-cancel", "+6560000004").await;
    let _peer = offer(&rig, &tab, "c-cancel").await;
    wait_state(&mut tab, |s| *s == CallState::Ringing).await;
    send(&rig, &tab, hangup("c-cancel")).await;
    wait_state(&mut tab, ended(EndReason::Cancelled, HangupBy::Agent)).await;
    let r = record(&rig, "c-cancel").await;
    assert_eq!(r.answered_at, None);
    assert_eq!(r.end_reason, Some(EndReason::Cancelled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_tab_that_holds_the_audio_ends_the_call() {
    let rig = rig((31300, 31319), Duration::from_secs(5)).await;
    let mut watcher = open_tab(&rig);
    let media_tab = open_tab(&rig);
    start(&rig, "c-tab", "+6560000001").await;
    let _peer = offer(&rig, &media_tab, "c-tab").await;
    wait_state(&mut watcher, |s| matches!(s, CallState::Connected { .. })).await;
    // Another tab closing changes nothing; the media tab closing ends the call.
    let other = open_tab(&rig);
    rig.hub.disconnect(ALICE, other.connection);
    rig.hub.disconnect(ALICE, media_tab.connection);
    wait_state(&mut watcher, ended(EndReason::Completed, HangupBy::Agent)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_browser_never_offers_fails_and_frees_the_line() {
    let rig = rig((31400, 31409), Duration::from_millis(300)).await;
    let mut tab = open_tab(&rig);
    start(&rig, "c-silent", "+6560000001").await;
    wait_state(&mut tab, ended(EndReason::Failed, HangupBy::System)).await;
    assert_eq!(
        record(&rig, "c-silent").await.end_reason,
        Some(EndReason::Failed)
    );
    // Messages about a call that is over are refused with a reason.
    let reply = send(&rig, &tab, hangup("c-silent")).await;
    assert!(
        matches!(reply, Some(ServerMessage::Error { .. })),
        "{reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_offer_is_an_error_and_the_call_fails() {
    let rig = rig((31500, 31509), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start(&rig, "c-bad", "+6560000001").await;
    let reply = send(
        &rig,
        &tab,
        ClientMessage::Offer {
            call_id: "c-bad".into(),
            sdp: "v=0\r\ngarbage".into(),
        },
    )
    .await;
    assert!(
        matches!(reply, Some(ServerMessage::Error { .. })),
        "{reply:?}"
    );
    wait_state(&mut tab, ended(EndReason::Failed, HangupBy::System)).await;
}

#[test]
fn every_simulator_test_number_passes_the_real_number_policy() {
    for (number, _) in telephony::simulator::TEST_NUMBERS {
        let n = app::domain::numbers::dialable(number, None, &server::numbers::Libphonenumber)
            .unwrap_or_else(|r| panic!("{number} refused: {r:?}"));
        assert_eq!(n.e164(), *number);
    }
}
