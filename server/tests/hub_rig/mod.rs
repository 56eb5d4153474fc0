//! The call hub with the gateway taking calls from the simulator, and agents' tabs as live
//! connections on it: what the calls-in and transfer scenarios share.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use app::api::live::{ClientMessage, IncomingEnd, LiveCall, ServerMessage};
use app::api::ports::{CallQuery, Store};
use app::domain::call::{CallLimits, CallState};
use app::domain::calls::{CallRecord, Direction};
use app::domain::inbound::{Assignment, OwnedNumber, Strategy, UnassignedAction};
use server::calls::CallHub;
use server::clock::SystemClock;
use server::store::SqliteStore;
use telephony::simulator::{CallIn, CallInEvent, PstnSimulator};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::{gateway_taking_calls, simulator, LOOPBACK};
use tokio::sync::broadcast;

pub const ALICE: &str = "alice-sub";
pub const BOB: &str = "bob-sub";
pub const CUSTOMER: &str = "+6591234567";
/// The gateway's caller ID in `testkit::rig`: owned with no assignment.
pub const BUSINESS: &str = "+6560000000";
/// A number in the store, assigned to Alice and Bob.
pub const SUPPORT: &str = "+6562220000";

pub struct Rig {
    pub simulator: PstnSimulator,
    pub hub: Arc<CallHub>,
    pub store: Arc<dyn Store>,
}

pub async fn rig() -> Rig {
    rig_on(SqliteStore::in_memory().await.unwrap()).await
}

pub async fn rig_on(store: impl Store + 'static) -> Rig {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let calls_in = gateway.take_incoming().expect("calls in");
    let store: Arc<dyn Store> = Arc::new(store);
    // Recordings on disk, in a folder of the test's own.
    let recordings_dir =
        std::env::temp_dir().join(format!("softphone-hub-rec-{}", uuid::Uuid::new_v4()));
    let recorder = Arc::new(server::recordings::Recorder {
        store: store.clone(),
        recordings: Arc::new(server::recordings::DiskRecordings::open(&recordings_dir).unwrap()),
        clock: Arc::new(SystemClock),
        settings: server::recordings::RecorderSettings::new(
            telephony::recording::PauseMode::Silence,
            None,
            30,
        ),
    });
    let hub = Arc::new(CallHub::with_limits(
        server::calls::Provider::Gateway(gateway),
        store.clone(),
        Arc::new(SystemClock),
        vec![],
        Some(recorder),
        CallLimits::default(),
        Duration::from_secs(5),
    ));
    hub.set_server_id("srv-test".into());
    // Transfers to a number: the real number policy and the default spend limits.
    hub.set_dialling(
        Arc::new(server::numbers::Libphonenumber),
        app::domain::spend::SpendPolicy::default(),
    );
    hub.take_calls_in(calls_in, vec![BUSINESS.into()]);
    store
        .put_number(&OwnedNumber {
            e164: SUPPORT.into(),
            assignment: Assignment::Agents {
                members: vec![ALICE.into(), BOB.into()],
                strategy: Strategy::RingAll,
                ring_secs: 30,
            },
            hours: None,
            unassigned: UnassignedAction::Refuse,
            updated_at: 1,
        })
        .await
        .unwrap();
    Rig {
        simulator,
        hub,
        store,
    }
}

pub fn email(owner: &str) -> String {
    format!("{owner}@example.com")
}

pub struct Tab {
    pub owner: &'static str,
    pub connection: u64,
    pub events: broadcast::Receiver<ServerMessage>,
    pub hello: ServerMessage,
}

/// A tab of `owner`'s, signed in as `<owner>@example.com` (the e-mail a transfer names).
pub fn tab(rig: &Rig, owner: &'static str) -> Tab {
    let (connection, events, hello) = rig.hub.connect_as(owner, &email(owner));
    Tab {
        owner,
        connection,
        events,
        hello,
    }
}

/// The next message on `tab` that `pick` takes (others are skipped), within 8 s.
pub async fn next<T>(tab: &mut Tab, pick: impl Fn(ServerMessage) -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let m = tokio::time::timeout_at(deadline, tab.events.recv())
            .await
            .unwrap_or_else(|_| panic!("{}: nothing expected came", tab.owner))
            .unwrap();
        if let Some(t) = pick(m) {
            return t;
        }
    }
}

pub async fn rings(tab: &mut Tab) -> app::api::live::IncomingCall {
    next(tab, |m| match m {
        ServerMessage::Incoming { incoming } => Some(incoming),
        _ => None,
    })
    .await
}

pub async fn stops(tab: &mut Tab) -> IncomingEnd {
    next(tab, |m| match m {
        ServerMessage::IncomingEnded { end, .. } => Some(end),
        _ => None,
    })
    .await
}

pub async fn state(tab: &mut Tab, want: impl Fn(&CallState) -> bool) {
    next(tab, |m| match m {
        ServerMessage::Call { call } if want(&call.state) => Some(()),
        _ => None,
    })
    .await
}

pub async fn send(rig: &Rig, tab: &Tab, message: ClientMessage) -> Option<ServerMessage> {
    rig.hub.handle(tab.owner, tab.connection, message).await
}

/// What `look` finds, once it finds something, within `secs`: what the store holds a moment
/// after the event that wrote it (the caller and the tabs may hear of a call's end first).
pub async fn eventually<T>(what: &str, secs: u64, look: impl AsyncFn() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(found) = look().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not there within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `agent`'s record of call `id` once it has its end, within 5 s.
pub async fn written(rig: &Rig, agent: &str, id: &str) -> app::domain::calls::CallRecord {
    let what = format!("{agent}: an ended record of the call");
    eventually(&what, 5, async || {
        let r = rig.store.get_call(agent, id).await.unwrap();
        r.filter(|r| r.end_reason.is_some())
    })
    .await
}

pub async fn caller_sees(call: &mut CallIn) -> CallInEvent {
    tokio::time::timeout(Duration::from_secs(8), call.next())
        .await
        .expect("the caller hears within 8 s")
        .expect("the call in reports its end")
}

/// Answers `call_id` from `tab`, offers its audio and waits until it is connected.
pub async fn answer(rig: &Rig, tab: &mut Tab, call_id: &str) -> BrowserPeer {
    let reply = send(
        rig,
        tab,
        ClientMessage::AnswerIncoming {
            call_id: call_id.into(),
        },
    )
    .await;
    assert_eq!(reply, None, "the answer is taken");
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
    state(tab, |s| matches!(s, CallState::Connected { .. })).await;
    peer
}

/// Alice on a call in from the customer (she was their last agent: only she rings), talking
/// through `peer` (a 1 kHz tone).
pub async fn alice_on_a_call(rig: &Rig, alice: &mut Tab) -> (String, CallIn, BrowserPeer) {
    let now = app::api::ports::Clock::now_ms(&SystemClock);
    rig.store
        .set_last_agent(CUSTOMER, ALICE, now)
        .await
        .unwrap();
    let mut call = rig.simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let ringing = rings(alice).await;
    let peer = answer(rig, alice, &ringing.id).await;
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Answered);
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    (ringing.id, call, peer)
}

/// The next call update on `tab` that `want` takes.
pub async fn call_update(tab: &mut Tab, want: impl Fn(&LiveCall) -> bool) -> LiveCall {
    next(tab, |m| match m {
        ServerMessage::Call { call } if want(&call) => Some(call),
        _ => None,
    })
    .await
}

/// Alice's calls out to `e164` (the second calls of her transfers to a number).
pub async fn calls_out_to(rig: &Rig, e164: &str) -> Vec<CallRecord> {
    let page = rig
        .store
        .list_calls(ALICE, &CallQuery::default(), None, 50)
        .await
        .unwrap();
    page.items
        .into_iter()
        .filter(|r| r.direction == Direction::Outbound && r.e164 == e164)
        .collect()
}

/// The one call out to `e164` once `done` takes it, within 8 s.
pub async fn call_out(rig: &Rig, e164: &str, done: impl Fn(&CallRecord) -> bool) -> CallRecord {
    eventually("the second call's record", 8, async || {
        let calls = calls_out_to(rig, e164).await;
        assert!(calls.len() <= 1, "one call out: {calls:?}");
        calls.into_iter().find(|r| done(r))
    })
    .await
}
