//! Several servers on one store: leases renew and expire, a server's start closes only its own
//! calls, and the sweep of ended leases closes each call of a dead server exactly once (and
//! frees its spend slot once) however many servers sweep at the same time.

use app::api::ports::{AdmitError, OpenCalls, Store};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::spend::{SpendPolicy, SpendRefusal};
use futures_util::future::join_all;

const NOW: u64 = 1_800_000_000_000;
const S: u64 = 1000;

pub async fn leases_renew_and_expire(store: &dyn Store) {
    assert!(store.live_servers(NOW).await.unwrap().is_empty());
    store.renew_lease("srv-a", NOW + 10 * S).await.unwrap();
    store.renew_lease("srv-b", NOW + 20 * S).await.unwrap();
    assert_eq!(store.live_servers(NOW).await.unwrap(), ["srv-a", "srv-b"]);
    assert_eq!(store.live_servers(NOW + 10 * S).await.unwrap(), ["srv-b"]);
    // A renewal moves the end of the lease; an ended lease renewed is live again.
    store.renew_lease("srv-a", NOW + 40 * S).await.unwrap();
    assert_eq!(store.live_servers(NOW + 25 * S).await.unwrap(), ["srv-a"]);
    assert!(store.live_servers(NOW + 40 * S).await.unwrap().is_empty());
}

fn on(server: &str, id: &str, e164: &str) -> CallRecord {
    CallRecord {
        server: Some(server.into()),
        ..CallRecord::outbound(id.into(), e164.into(), NOW)
    }
}

/// Admission with the global cap the only limit that can bite.
fn cap(global_concurrent: u32) -> SpendPolicy {
    SpendPolicy {
        global_concurrent,
        user_concurrent: 10,
        calls_per_minute: 1000,
        calls_per_hour: 1000,
        short_calls: 0,
        sequential_calls: 0,
        new_destinations: 0,
        ..SpendPolicy::default()
    }
}

/// Four servers sweep one after another (every back end, moto included).
pub async fn calls_of_ended_leases_are_closed_once(store: &dyn Store) {
    sweeps_close_each_call_once(store, false).await;
}

/// Four servers sweep at the same time: needs conditional writes that hold under concurrent
/// requests (SQLite, DynamoDB Local or AWS; not moto, whose writes race: docs/testing.md).
pub async fn concurrent_sweeps_close_each_call_once(store: &dyn Store) {
    sweeps_close_each_call_once(store, true).await;
}

async fn sweeps_close_each_call_once(store: &dyn Store, concurrent: bool) {
    let policy = cap(100);
    // Three servers: "dead" stops renewing, "live" renews, "me" restarts.
    let calls = [
        ("sub-d1", on("dead", "d1", "+6561000001")),
        ("sub-d2", on("dead", "d2", "+6561000002")),
        ("sub-d3", on("dead", "d3", "+6561000003")),
        ("sub-l1", on("live", "l1", "+6561000004")),
        ("sub-l2", on("live", "l2", "+6561000005")),
        ("sub-m1", on("me", "m1", "+6561000006")),
    ];
    // Admitted one by one (moto's transactions are not atomic under concurrency).
    for (owner, call) in &calls {
        store
            .admit_call(owner, call, &policy, None, NOW)
            .await
            .unwrap();
    }
    store.renew_lease("dead", NOW + 10 * S).await.unwrap();
    store.renew_lease("live", NOW + 10 * S).await.unwrap();
    store.renew_lease("me", NOW + 10 * S).await.unwrap();
    let stored = store.get_call("sub-d1", "d1").await.unwrap().unwrap();
    assert_eq!(
        stored.server.as_deref(),
        Some("dead"),
        "the call names its server"
    );

    // "me" starts again (it kept its id): its own call only.
    let mine = OpenCalls::OfServer("me");
    assert_eq!(store.close_open_calls(mine, NOW + S).await.unwrap(), 1);
    let m1 = store.get_call("sub-m1", "m1").await.unwrap().unwrap();
    assert_eq!(m1.end_reason, Some(EndReason::Interrupted));
    for (owner, id) in [("sub-d1", "d1"), ("sub-l1", "l1")] {
        let c = store.get_call(owner, id).await.unwrap().unwrap();
        assert_eq!(c.ended_at, None, "another server's call is left to it");
    }
    // While every lease runs, the sweep closes nothing.
    let expired = OpenCalls::OfExpiredServers;
    assert_eq!(
        store.close_open_calls(expired, NOW + 5 * S).await.unwrap(),
        0
    );

    // "live" renews; "dead" does not. Four servers sweep: each call closed once.
    store.renew_lease("live", NOW + 60 * S).await.unwrap();
    store.renew_lease("me", NOW + 60 * S).await.unwrap();
    let at = NOW + 20 * S;
    let swept = if concurrent {
        join_all((0..4).map(|_| store.close_open_calls(expired, at))).await
    } else {
        let mut swept = Vec::new();
        for _ in 0..4 {
            swept.push(store.close_open_calls(expired, at).await);
        }
        swept
    };
    let total: u64 = swept.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(total, 3, "three calls of the dead server, each closed once");
    for (owner, call) in &calls[..3] {
        let c = store.get_call(owner, &call.id).await.unwrap().unwrap();
        assert_eq!(c.ended_at, Some(at));
        assert_eq!(c.end_reason, Some(EndReason::Interrupted));
        assert_eq!(c.hangup_by.as_deref(), Some("system"));
        assert_eq!(store.spend_state(owner).await.unwrap().open_calls, 0);
    }
    for (owner, call) in &calls[3..5] {
        let c = store.get_call(owner, &call.id).await.unwrap().unwrap();
        assert_eq!(c.ended_at, None, "the live server's calls go on");
        assert_eq!(store.spend_state(owner).await.unwrap().open_calls, 1);
    }
    assert_eq!(store.close_open_calls(expired, at + S).await.unwrap(), 0);

    // The global count freed exactly the four closed slots: with a cap of 3 and the live
    // server's 2 calls open, one more call is admitted and the next refused.
    let cap3 = cap(3);
    store
        .admit_call(
            "sub-n1",
            &on("live", "n1", "+6561000007"),
            &cap3,
            None,
            at + S,
        )
        .await
        .unwrap();
    match store
        .admit_call(
            "sub-n2",
            &on("live", "n2", "+6561000008"),
            &cap3,
            None,
            at + S,
        )
        .await
    {
        Err(AdmitError::Refused(SpendRefusal::ServiceBusy { .. })) => {}
        other => panic!("a slot freed twice: {other:?}"),
    }
}

pub async fn relay_requests_are_taken_once(store: &dyn Store) {
    use app::api::ports::RelayRequest;
    let request = |at: u64, owner: &str| RelayRequest {
        id: RelayRequest::new_id(at),
        owner: owner.into(),
        request: r#"{"number":"+6560000001"}"#.into(),
        created_at: at,
        taken_by: None,
        outcome: None,
    };
    let old = request(NOW - 10 * S, "sub-a");
    let first = request(NOW, "sub-a");
    // A request for the server holding a call names no user (a Chime progress push).
    let second = request(NOW + 1, "");
    for d in [&second, &old, &first] {
        store.put_relay(d).await.unwrap();
    }
    assert!(
        RelayRequest::new_id(NOW) < RelayRequest::new_id(NOW + 1),
        "ids sort by time"
    );
    let pending = store.pending_relays(NOW - 5 * S).await.unwrap();
    let ids: Vec<&str> = pending.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [first.id.as_str(), second.id.as_str()],
        "oldest first, none older"
    );
    assert_eq!(pending[0], first);
    assert_eq!(pending[1], second, "no owner reads back as none");

    // Four servers race to take it: one does.
    let id = first.id.as_str();
    let takes = join_all((0..4).map(|i| {
        let taker = format!("srv-{i}");
        async move { store.take_relay(id, &taker).await.unwrap() }
    }))
    .await;
    assert_eq!(takes.iter().filter(|t| **t).count(), 1, "{takes:?}");
    let pending = store.pending_relays(NOW - 5 * S).await.unwrap();
    assert_eq!(pending.len(), 1, "a taken request is no longer pending");
    store
        .finish_relay(&first.id, r#"{"Ok":{"call_id":"c1"}}"#)
        .await
        .unwrap();
    let done = store.get_relay(&first.id).await.unwrap().unwrap();
    assert!(done.taken_by.is_some_and(|t| t.starts_with("srv-")));
    assert_eq!(done.outcome.as_deref(), Some(r#"{"Ok":{"call_id":"c1"}}"#));
    assert_eq!(store.get_relay("no-such-dial").await.unwrap(), None);
    assert!(store.finish_relay("no-such-dial", "{}").await.is_err());
}
