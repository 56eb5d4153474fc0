//! The call log: filters, search, pages, and updates as a call goes on.

use app::api::ports::{CallQuery, OpenCalls, Store, StoreError};
use app::domain::calls::{CallFilter, CallRecord, EndReason};

use super::fixtures::{call, contact, ALICE, BOB};

pub async fn calls_log(store: &dyn Store) {
    let calls = [
        call("c1", "+6591234501", 1_000, true, Some(EndReason::Completed)),
        call("c2", "+6591234502", 2_000, false, Some(EndReason::Busy)),
        call("c3", "+6591234503", 3_000, false, Some(EndReason::Failed)),
        call("c4", "+6591234504", 4_000, false, Some(EndReason::NoAnswer)),
        call("c5", "+6591234505", 5_000, false, None),
    ];
    for c in &calls {
        store.insert_call(ALICE, c).await.unwrap();
    }
    assert_eq!(
        store.insert_call(ALICE, &calls[0]).await,
        Err(StoreError::AlreadyExists)
    );
    store
        .insert_call(
            BOB,
            &call("b1", "+6591234501", 9_000, true, Some(EndReason::Completed)),
        )
        .await
        .unwrap();

    let list = |filter: CallFilter, search: &str| CallQuery {
        filter,
        search: search.into(),
    };
    let ids = |page: app::api::ports::Page<CallRecord>| {
        page.items.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::All, ""), None, 50)
            .await
            .unwrap()),
        ["c5", "c4", "c3", "c2", "c1"]
    );
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::Answered, ""), None, 50)
            .await
            .unwrap()),
        ["c1"]
    );
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::NotAnswered, ""), None, 50)
            .await
            .unwrap()),
        ["c5", "c4", "c2"]
    );
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::Failed, ""), None, 50)
            .await
            .unwrap()),
        ["c3"]
    );
    // Every filter agrees with the domain's definition.
    for filter in CallFilter::ALL {
        let got = ids(store
            .list_calls(ALICE, &list(filter, ""), None, 50)
            .await
            .unwrap());
        let want: Vec<String> = calls
            .iter()
            .rev()
            .filter(|c| c.matches(filter))
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(got, want, "{filter:?}");
    }
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::All, "4503"), None, 50)
            .await
            .unwrap()),
        ["c3"]
    );

    // Contact names find calls too.
    store
        .insert_contact(
            ALICE,
            &contact(
                "00000000-0000-0000-0002-000000000001",
                "Zed Tan",
                "",
                &["+6591234502"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::All, "zed"), None, 50)
            .await
            .unwrap()),
        ["c2"]
    );
    assert_eq!(
        store
            .contact_by_number(ALICE, "+6591234502")
            .await
            .unwrap()
            .map(|c| c.name),
        Some("Zed Tan".into())
    );

    let first = store
        .list_calls(ALICE, &list(CallFilter::All, ""), None, 2)
        .await
        .unwrap();
    assert_eq!(ids(first.clone()), ["c5", "c4"]);
    let second = store
        .list_calls(ALICE, &list(CallFilter::All, ""), first.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(ids(second.clone()), ["c3", "c2"]);
    let third = store
        .list_calls(ALICE, &list(CallFilter::All, ""), second.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(ids(third.clone()), ["c1"]);
    assert_eq!(third.next, None);

    let mut ended = calls[4].clone();
    ended.answered_at = Some(6_000);
    ended.ended_at = Some(70_000);
    ended.end_reason = Some(EndReason::Completed);
    ended.sip_cause = Some("BYE".into());
    ended.provider_call_id = Some("transaction-5".into());
    store.update_call(ALICE, &ended).await.unwrap();
    assert_eq!(
        store.get_call(ALICE, "c5").await.unwrap(),
        Some(ended.clone())
    );
    assert_eq!(
        store.update_call(BOB, &ended).await,
        Err(StoreError::NotFound),
        "Bob cannot touch Alice's call"
    );
    assert_eq!(store.get_call(BOB, "c5").await.unwrap(), None);
    assert_eq!(
        ids(store
            .list_calls(BOB, &list(CallFilter::All, ""), None, 50)
            .await
            .unwrap()),
        ["b1"]
    );

    // A transfer: the giver's record, once ended, names the taker; the taker's record of the
    // same call (inserted under its id, for Bob) names the giver. Each keeps its own.
    let mut given = ended;
    given.end_reason = Some(EndReason::Transferred);
    given.transferred_to = Some("bob@example.com".into());
    store.update_call(ALICE, &given).await.unwrap();
    let mut taken = CallRecord::inbound("c5".into(), given.e164.clone(), 70_000);
    taken.transferred_from = Some("alice@example.com".into());
    store.insert_call(BOB, &taken).await.unwrap();
    assert_eq!(
        store.get_call(ALICE, "c5").await.unwrap(),
        Some(given.clone())
    );
    assert_eq!(
        store.get_call(BOB, "c5").await.unwrap(),
        Some(taken.clone())
    );
    taken.ended_at = Some(90_000);
    taken.end_reason = Some(EndReason::Completed);
    store.update_call(BOB, &taken).await.unwrap();
    assert_eq!(store.get_call(BOB, "c5").await.unwrap(), Some(taken));

    // At a server's start the calls of no server (written before servers had ids) are closed
    // as interrupted, for every owner, and closed calls are left alone.
    let mut open_a = call("o1", "+6591234506", 80_000, true, None);
    open_a.ended_at = None;
    let open_b = call("o2", "+6591234507", 81_000, false, None);
    store.insert_call(ALICE, &open_a).await.unwrap();
    store.insert_call(BOB, &open_b).await.unwrap();
    assert_eq!(
        store
            .close_open_calls(OpenCalls::OfServer("server-1"), 90_000)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .close_open_calls(OpenCalls::OfServer("server-1"), 91_000)
            .await
            .unwrap(),
        0
    );
    let closed = store.get_call(ALICE, "o1").await.unwrap().unwrap();
    assert_eq!(closed.ended_at, Some(90_000));
    assert_eq!(closed.end_reason, Some(EndReason::Interrupted));
    assert_eq!(closed.hangup_by.as_deref(), Some("system"));
    assert_eq!(closed.answered_at, open_a.answered_at);
    let closed = store.get_call(BOB, "o2").await.unwrap().unwrap();
    assert_eq!(closed.end_reason, Some(EndReason::Interrupted));
    assert_eq!(
        store.get_call(ALICE, "c5").await.unwrap(),
        Some(given),
        "a finished call keeps its end"
    );
}

/// A call's quality, its two parts written apart (the agent's summary, the trunk's reception):
/// kept for the owner's own calls only, each replaced by a later one of its kind and leaving the
/// other alone, untouched by the call's record being rewritten, never another owner's.
pub async fn call_quality_is_kept_beside_the_call(store: &dyn Store) {
    use app::domain::quality::{CallQuality, Summary, TrunkReception, Warning};
    let summary = Summary {
        rated: 42,
        worst_mos: Some(3.1),
        mos_sum: 42.0 * 4.0,
        max_loss_percent: 6.5,
        max_jitter_ms: 12.25,
        max_rtt_ms: Some(81.0),
        warnings: vec![Warning::HighPacketLoss, Warning::LowMos],
    };
    let trunk = TrunkReception {
        received: 2_990,
        lost: 10,
        max_jitter_ms: 3.5,
    };
    assert_eq!(
        store.set_call_quality(ALICE, "q1", &summary).await,
        Err(StoreError::NotFound),
        "no such call"
    );
    assert_eq!(
        store.set_trunk_reception(ALICE, "q1", &trunk).await,
        Err(StoreError::NotFound),
        "no such call"
    );
    let mut record = call("q1", "+6560000001", 1_000, true, None);
    store.insert_call(ALICE, &record).await.unwrap();
    assert_eq!(store.call_quality(ALICE, "q1").await.unwrap(), None);
    // The trunk's part comes first (the call's end), the agent's after.
    store
        .set_trunk_reception(ALICE, "q1", &trunk)
        .await
        .unwrap();
    assert_eq!(
        store.call_quality(ALICE, "q1").await.unwrap(),
        Some(CallQuality {
            agent: None,
            trunk: Some(trunk.clone()),
        })
    );
    store.set_call_quality(ALICE, "q1", &summary).await.unwrap();
    let both = CallQuality {
        agent: Some(summary.clone()),
        trunk: Some(trunk.clone()),
    };
    assert_eq!(
        store.call_quality(ALICE, "q1").await.unwrap(),
        Some(both.clone())
    );
    // The session writes the call's end afterwards: the quality stays.
    record.ended_at = Some(70_000);
    record.end_reason = Some(EndReason::Completed);
    store.update_call(ALICE, &record).await.unwrap();
    assert_eq!(store.call_quality(ALICE, "q1").await.unwrap(), Some(both));
    // A later one of each kind replaces its own part only.
    let later = Summary {
        warnings: vec![],
        ..summary.clone()
    };
    store.set_call_quality(ALICE, "q1", &later).await.unwrap();
    let later_trunk = TrunkReception {
        received: 3_000,
        ..trunk.clone()
    };
    store
        .set_trunk_reception(ALICE, "q1", &later_trunk)
        .await
        .unwrap();
    assert_eq!(
        store.call_quality(ALICE, "q1").await.unwrap(),
        Some(CallQuality {
            agent: Some(later),
            trunk: Some(later_trunk),
        })
    );
    // Bob has no call q1 and sees nothing of Alice's.
    assert_eq!(store.call_quality(BOB, "q1").await.unwrap(), None);
    assert_eq!(
        store.set_call_quality(BOB, "q1", &summary).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.set_trunk_reception(BOB, "q1", &trunk).await,
        Err(StoreError::NotFound)
    );
    // The call log is unchanged by it.
    let listed = store
        .list_calls(ALICE, &CallQuery::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed.items, vec![record]);
}
