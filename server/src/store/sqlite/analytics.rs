//! Call analytics: the daily rollup rows (migration 0020), added to in the calls' own write
//! transactions (`calls.rs`) and read by day. The migration also counts the calls that ended
//! before it ([`backfill`]).

use std::collections::BTreeMap;

use app::api::ports::{AnalyticsStore, StoreError};
use app::domain::analytics::{self, Counters, Measure, Rollup, RollupKey};
use app::domain::calls::Direction;
use app::domain::quality::Summary;
use async_trait::async_trait;
use rusqlite::Connection;

use super::calls::{call_from_row, CALL_COLUMNS};
use super::{all_rows, execute, SqliteStore};

/// Adds a call's counters to its row (in the caller's transaction).
pub(super) fn add_rollup(
    tx: &rusqlite::Transaction<'_>,
    (key, counters): &Rollup,
) -> Result<(), StoreError> {
    for (counter, n) in counters {
        execute(
            tx,
            "INSERT INTO call_rollups (day, agent, direction, country, number_type, measure, counter, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (day, agent, direction, country, number_type, measure, counter)
             DO UPDATE SET value = value + excluded.value",
            rusqlite::params![
                key.day,
                key.agent,
                key.direction.as_str(),
                key.country,
                key.number_type,
                key.measure.as_str(),
                counter,
                i64::try_from(*n).unwrap_or(i64::MAX),
            ],
        )?;
    }
    Ok(())
}

/// Counts every call already ended, and every quality summary already kept, into the rollups:
/// run once, by migration 0020 in its transaction, for the calls of earlier versions. Returns
/// how many calls it counted. A summary that does not read is left out, not fatal.
pub(super) fn backfill(tx: &rusqlite::Transaction<'_>) -> Result<u64, StoreError> {
    let calls = all_rows(
        tx,
        &format!(
            "SELECT {CALL_COLUMNS}, k.owner, q.summary FROM calls k
             LEFT JOIN call_quality q ON q.owner = k.owner AND q.call_id = k.id"
        ),
        [],
        |r| {
            Ok((
                call_from_row(r)?,
                r.get::<_, String>(15)?,
                r.get::<_, Option<String>>(16)?,
            ))
        },
    )?;
    let (mut rows, mut counted) = (BTreeMap::new(), 0);
    for (call, owner, summary) in calls {
        if let Some(rollup) = analytics::ended(&owner, &call) {
            analytics::add(&mut rows, rollup);
            counted += 1;
        }
        match summary.map(|json| serde_json::from_str::<Summary>(&json)) {
            Some(Ok(summary)) => {
                analytics::add(&mut rows, analytics::quality(&owner, &call, &summary))
            }
            Some(Err(e)) => {
                tracing::warn!(call = %call.id, error = %e, "call quality summary unreadable: left out of the analytics")
            }
            None => {}
        }
    }
    for row in rows {
        add_rollup(tx, &row)?;
    }
    Ok(counted)
}

/// The rows of the days `from` to `to`, in key order.
fn read_rollups(c: &Connection, from: &str, to: &str) -> Result<Vec<Rollup>, StoreError> {
    let cells = all_rows(
        c,
        "SELECT day, agent, direction, country, number_type, measure, counter, value
         FROM call_rollups WHERE day BETWEEN ?1 AND ?2
         ORDER BY day, agent, direction, country, number_type, measure",
        [from, to],
        |r| {
            Ok((
                [
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ],
                r.get::<_, i64>(7)?,
            ))
        },
    )?;
    let mut rows: Vec<Rollup> = Vec::new();
    for ([day, agent, direction, country, number_type, measure, counter], value) in cells {
        let bad = |what: &str| StoreError::Unavailable(format!("call_rollups: bad {what}"));
        let key = RollupKey {
            day,
            agent,
            direction: Direction::parse(&direction).ok_or_else(|| bad("direction"))?,
            country,
            number_type,
            measure: Measure::parse(&measure).ok_or_else(|| bad("measure"))?,
        };
        let value = u64::try_from(value).map_err(|_| bad("value"))?;
        match rows.last_mut() {
            Some((last, counters)) if *last == key => {
                counters.insert(counter, value);
            }
            _ => rows.push((key, Counters::from([(counter, value)]))),
        }
    }
    Ok(rows)
}

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn call_rollups(&self, from: &str, to: &str) -> Result<Vec<Rollup>, StoreError> {
        // A period the API did not check reads nothing, as in DynamoDB.
        if analytics::period_days(from, to).is_none() {
            return Ok(Vec::new());
        }
        let (from, to) = (from.to_owned(), to.to_owned());
        self.read(move |c| read_rollups(c, &from, &to)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::calls::{CallRecord, EndReason};

    /// 2026-12-06 10:00 UTC.
    const MORNING: u64 = 1_796_551_200_000;

    #[test]
    fn the_migration_counts_the_calls_ended_before_it() {
        let mut c = Connection::open_in_memory().unwrap();
        let tx = c.transaction().unwrap();
        // A database of the version before: every migration but the rollups'.
        tx.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )
        .unwrap();
        for (version, sql) in super::super::MIGRATIONS.iter().filter(|(v, _)| *v < 20) {
            tx.execute_batch(sql).unwrap();
            tx.execute("INSERT INTO schema_migrations VALUES (?1, 0)", [version])
                .unwrap();
        }
        let mut answered = CallRecord::outbound("c1".into(), "+6581234567".into(), MORNING);
        (answered.ringing_at, answered.answered_at) = (Some(MORNING + 800), Some(MORNING + 4_000));
        (answered.ended_at, answered.end_reason) =
            (Some(MORNING + 64_000), Some(EndReason::Completed));
        let mut busy = CallRecord::outbound("c2".into(), "+50761234567".into(), MORNING + 60_000);
        (busy.ended_at, busy.end_reason) = (Some(MORNING + 65_000), Some(EndReason::Busy));
        let open = CallRecord::outbound("c3".into(), "+6561234567".into(), MORNING + 70_000);
        for (owner, call) in [("ana", &answered), ("ben", &busy), ("ana", &open)] {
            tx.execute(
                "INSERT INTO calls (owner, id, direction, e164, started_at, ringing_at, answered_at, ended_at, end_reason)
                 VALUES (?1, ?2, 'outbound', ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    owner,
                    call.id,
                    call.e164,
                    call.started_at,
                    call.ringing_at,
                    call.answered_at,
                    call.ended_at,
                    call.end_reason.map(EndReason::as_str),
                ],
            )
            .unwrap();
        }
        let summary = Summary {
            rated: 2,
            worst_mos: Some(4.2),
            mos_sum: 8.6,
            max_loss_percent: 0.0,
            max_jitter_ms: 1.0,
            max_rtt_ms: Some(30.0),
            warnings: Vec::new(),
        };
        tx.execute(
            "INSERT INTO call_quality (owner, call_id, summary) VALUES ('ana', 'c1', ?1)",
            [serde_json::to_string(&summary).unwrap()],
        )
        .unwrap();
        // A summary that does not read is left out.
        tx.execute(
            "INSERT INTO call_quality (owner, call_id, summary) VALUES ('ben', 'c2', 'not json')",
            [],
        )
        .unwrap();

        super::super::migrate(&tx).unwrap();

        let mut expected = BTreeMap::new();
        analytics::add(&mut expected, analytics::ended("ana", &answered).unwrap());
        analytics::add(&mut expected, analytics::ended("ben", &busy).unwrap());
        analytics::add(
            &mut expected,
            analytics::quality("ana", &answered, &summary),
        );
        let rows = read_rollups(&tx, "2026-12-06", "2026-12-06").unwrap();
        assert_eq!(rows, expected.into_iter().collect::<Vec<_>>());
        // Once: a later start applies nothing again.
        super::super::migrate(&tx).unwrap();
        assert_eq!(read_rollups(&tx, "2026-12-06", "2026-12-06").unwrap(), rows);
    }
}
