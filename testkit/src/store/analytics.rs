//! Call analytics: each call counts once in its day's rollup, however its end and its quality
//! are written, against a count of the calls themselves.

use std::collections::BTreeMap;

use app::api::ports::{OpenCalls, Store};
use app::domain::analytics::{self, Measure, CALLS, MOS_MILLI, RATED};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::quality::{Summary, Warning};

use super::fixtures::{call, ALICE, BOB};

/// 2026-12-06 10:00 UTC.
const MORNING: u64 = 1_796_551_200_000;
const DAY_MS: u64 = 86_400_000;

fn summary(mos: f64) -> Summary {
    Summary {
        rated: 4,
        worst_mos: Some(mos),
        mos_sum: mos * 4.0,
        max_loss_percent: 0.0,
        max_jitter_ms: 2.0,
        max_rtt_ms: Some(30.0),
        warnings: vec![Warning::HighRtt],
    }
}

pub async fn rollups_count_each_call_once(store: &dyn Store) {
    // Answered, ended by an update, then changed again after its end (a recording's id).
    let mut answered = call("a1", "+6581234567", MORNING, true, None);
    store.insert_call(ALICE, &answered).await.unwrap();
    answered.ended_at = Some(MORNING + 65_000);
    answered.end_reason = Some(EndReason::Completed);
    store.update_call(ALICE, &answered).await.unwrap();
    answered.recording_id = Some("r1".into());
    store.update_call(ALICE, &answered).await.unwrap();
    store.update_call(ALICE, &answered).await.unwrap();
    // Its quality: the first summary counts, a second only replaces it.
    store
        .set_call_quality(ALICE, "a1", &summary(4.1))
        .await
        .unwrap();
    store
        .set_call_quality(ALICE, "a1", &summary(2.0))
        .await
        .unwrap();
    // Inserted already ended (a refused or missed call is written once).
    let busy = call(
        "a2",
        "+50761234567",
        MORNING + 3_600_000,
        false,
        Some(EndReason::Busy),
    );
    store.insert_call(ALICE, &busy).await.unwrap();
    // Open when its server stopped: closed by a sweep, as interrupted.
    let mut swept = call("a3", "+6561234567", MORNING + 7_200_000, true, None);
    swept.server = Some("srv-gone".into());
    store.insert_call(ALICE, &swept).await.unwrap();
    // Still open on a live server: not counted.
    let mut open = call("a4", "+6581234500", MORNING + 7_300_000, false, None);
    open.server = Some("srv-live".into());
    store.insert_call(ALICE, &open).await.unwrap();
    let swept_at = MORNING + 8_000_000;
    assert_eq!(
        store
            .close_open_calls(OpenCalls::OfServer("srv-gone"), swept_at)
            .await
            .unwrap(),
        1
    );
    // A second sweep closes nothing and counts nothing.
    assert_eq!(
        store
            .close_open_calls(OpenCalls::OfServer("srv-gone"), swept_at + 1)
            .await
            .unwrap(),
        0
    );
    // Bob's, the next day; and one the day before the period read.
    let next_day = call(
        "b1",
        "+6581234567",
        MORNING + DAY_MS,
        true,
        Some(EndReason::Completed),
    );
    store.insert_call(BOB, &next_day).await.unwrap();
    let before = call(
        "b0",
        "+6581234567",
        MORNING - DAY_MS,
        true,
        Some(EndReason::Completed),
    );
    store.insert_call(BOB, &before).await.unwrap();

    // The count from the calls themselves, as they are now in the store.
    let mut expected = BTreeMap::new();
    let mut ended_calls = 0;
    for (owner, id) in [
        (ALICE, "a1"),
        (ALICE, "a2"),
        (ALICE, "a3"),
        (ALICE, "a4"),
        (BOB, "b1"),
    ] {
        let record: CallRecord = store.get_call(owner, id).await.unwrap().expect("the call");
        if let Some(rollup) = analytics::ended(owner, &record) {
            ended_calls += 1;
            analytics::add(&mut expected, rollup);
        }
        if id == "a1" {
            analytics::add(
                &mut expected,
                analytics::quality(owner, &record, &summary(4.1)),
            );
        }
    }
    assert_eq!(ended_calls, 4, "a4 is still open");
    let rows = store
        .call_rollups("2026-12-06", "2026-12-07")
        .await
        .unwrap();
    assert_eq!(rows, expected.into_iter().collect::<Vec<_>>());

    // Spot checks on what the count means.
    let row = |measure: Measure, agent: &str| {
        rows.iter()
            .find(|(k, _)| k.measure == measure && k.agent == agent)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| panic!("no {measure:?} row of {agent}"))
    };
    assert_eq!(row(Measure::Ended(EndReason::Completed), ALICE)[CALLS], 1);
    assert_eq!(row(Measure::Ended(EndReason::Interrupted), ALICE)[CALLS], 1);
    let quality = row(Measure::Quality, ALICE);
    assert_eq!((quality[RATED], quality[MOS_MILLI]), (1, 4_100));
    assert_eq!(
        store
            .call_rollups("2026-12-07", "2026-12-07")
            .await
            .unwrap()
            .iter()
            .map(|(k, _)| k.agent.as_str())
            .collect::<Vec<_>>(),
        [BOB]
    );
    assert!(store
        .call_rollups("2026-12-08", "2026-12-31")
        .await
        .unwrap()
        .is_empty());
}
