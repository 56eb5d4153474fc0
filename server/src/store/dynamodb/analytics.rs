//! Call analytics: a day's rollup rows are the items of its partition (`ROLLUP#<day>`), one per
//! agent, direction, country, number type and measure, each counter an attribute `c_<name>`
//! added to (`ADD`) in the transaction that ends a call or first keeps its quality (`calls.rs`).
//! A period is read one query per day (at most `analytics::MOST_DAYS`).

use app::api::ports::{AnalyticsStore, StoreError};
use app::domain::analytics::{self, Counters, Measure, Rollup, RollupKey};
use app::domain::calls::Direction;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use super::item::{key, n, s, update, Attrs};
use super::{DynamoStore, Query};

const COUNTER_PREFIX: &str = "c_";

fn rollup_pk(day: &str) -> String {
    format!("ROLLUP#{day}")
}

fn rollup_sk(k: &RollupKey) -> String {
    format!(
        "{}#{}#{}#{}#{}",
        k.agent,
        k.direction.as_str(),
        k.country,
        k.number_type,
        k.measure.as_str()
    )
}

/// The transaction's part that adds a call's counters to its row.
pub(super) fn add_rollup(
    table: &str,
    (k, counters): &Rollup,
) -> Result<TransactWriteItem, StoreError> {
    let mut names: Vec<(String, String)> = Vec::new();
    let mut values: Vec<(String, AttributeValue)> = vec![
        (":type".into(), s("call_rollup")),
        (":day".into(), s(&k.day)),
        (":agent".into(), s(&k.agent)),
        (":direction".into(), s(k.direction.as_str())),
        (":country".into(), s(&k.country)),
        (":number_type".into(), s(&k.number_type)),
        (":measure".into(), s(k.measure.as_str())),
    ];
    let mut adds = Vec::new();
    for (i, (counter, value)) in counters.iter().enumerate() {
        names.push((format!("#c{i}"), format!("{COUNTER_PREFIX}{counter}")));
        values.push((format!(":c{i}"), n(*value)));
        adds.push(format!("#c{i} :c{i}"));
    }
    // Every attribute through a name: `day`, `agent` and others are reserved words.
    let mut expression =
        "SET #type = :type, #day = :day, #agent = :agent, #direction = :direction, \
                          #country = :country, #number_type = :number_type, #measure = :measure"
            .to_string();
    if !adds.is_empty() {
        expression.push_str(" ADD ");
        expression.push_str(&adds.join(", "));
    }
    for name in [
        "type",
        "day",
        "agent",
        "direction",
        "country",
        "number_type",
        "measure",
    ] {
        names.push((format!("#{name}"), name.to_string()));
    }
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let values = values
        .iter()
        .map(|(a, v)| (a.as_str(), v.clone()))
        .collect();
    update(
        table,
        key(rollup_pk(&k.day), rollup_sk(k)),
        &expression,
        None,
        &names,
        values,
    )
}

fn rollup_from(item: &super::item::Item) -> Result<Rollup, StoreError> {
    let a = Attrs::of(item, "call rollup");
    let bad = |what: &str| StoreError::Unavailable(format!("call rollup item: bad {what}"));
    let key = RollupKey {
        day: a.s("day")?,
        agent: a.s("agent")?,
        direction: Direction::parse(&a.s("direction")?).ok_or_else(|| bad("direction"))?,
        country: a.s("country")?,
        number_type: a.s("number_type")?,
        measure: Measure::parse(&a.s("measure")?).ok_or_else(|| bad("measure"))?,
    };
    let mut counters = Counters::new();
    for (name, value) in item {
        if let Some(counter) = name.strip_prefix(COUNTER_PREFIX) {
            let value = value
                .as_n()
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| bad(name))?;
            counters.insert(counter.to_string(), value);
        }
    }
    Ok((key, counters))
}

#[async_trait]
impl AnalyticsStore for DynamoStore {
    async fn call_rollups(&self, from: &str, to: &str) -> Result<Vec<Rollup>, StoreError> {
        let mut rows = Vec::new();
        // A period the API did not check reads nothing.
        for day in analytics::period_days(from, to).unwrap_or_default() {
            let q = Query::on(None, "PK = :pk").value(":pk", rollup_pk(&day));
            rows.extend(
                self.collect(&q, usize::MAX, |item| rollup_from(item).map(Some))
                    .await?,
            );
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows)
    }
}
