//! Call analytics: the daily rollup rows (migration 0020), added to in the calls' own write
//! transactions (`calls.rs`) and read by day.

use app::api::ports::{AnalyticsStore, StoreError};
use app::domain::analytics::{Counters, Measure, Rollup, RollupKey};
use app::domain::calls::Direction;
use async_trait::async_trait;

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

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn call_rollups(&self, from: &str, to: &str) -> Result<Vec<Rollup>, StoreError> {
        // A period the API did not check reads nothing, as in DynamoDB.
        if app::domain::analytics::period_days(from, to).is_none() {
            return Ok(Vec::new());
        }
        let (from, to) = (from.to_owned(), to.to_owned());
        let cells = self
            .read(move |c| {
                all_rows(
                    c,
                    "SELECT day, agent, direction, country, number_type, measure, counter, value
                     FROM call_rollups WHERE day BETWEEN ?1 AND ?2
                     ORDER BY day, agent, direction, country, number_type, measure",
                    [&from, &to],
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
                )
            })
            .await?;
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
}
