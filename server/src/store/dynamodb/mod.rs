//! The DynamoDB store: one table, the single-table design of `docs/dynamodb.md`. Every read an
//! answer depends on is a consistent `GetItem`/`Query` on the owner's partition or on a pointer
//! item; the three global secondary indexes only serve ordered lists and start-up sweeps.
//!
//! Searches and call filters run here on the items read (the same `Search` and
//! `CallRecord::matches` the domain defines), so both stores answer alike.
//!
//! One module per aggregate of the store port; `item` maps items, `table` makes and checks the
//! table, and the reads and writes every aggregate shares (conditional create/replace, reads,
//! transactions, paged queries) are here.

mod accounts;
mod analytics;
mod audit;
mod calls;
mod contacts;
mod item;
mod numbers;
mod preferences;
mod push;
mod recordings;
mod relays;
mod spend;
mod table;
mod tokens;

use app::api::ports::{StoreBackend, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use item::{cancellation, is_condition_failure, key, s, sdk_error, Cancelled, Item};
pub use table::TableSetup;

/// The attribute DynamoDB's time to live reads (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "purge_at";
/// The global secondary indexes, each keyed `<name>PK` / `<name>SK`.
pub const INDEXES: [&str; 3] = ["GSI1", "GSI2", "GSI3"];
/// Expired sessions and reset codes stay this long before DynamoDB purges them (an access
/// token minted just before its session expired still finds the session).
const PURGE_AFTER_S: u64 = 24 * 3600;
/// Items read per request when a query filters what it reads.
const SCAN_PAGE: i32 = 100;

/// Sort keys that sort as numbers: zero-padded to the width of `u64::MAX`.
fn padded(n: u64) -> String {
    format!("{n:020}")
}

/// Below every character a name can hold, so `("ana", …)` sorts before `("ana b", …)` as it
/// does in SQLite.
const NAME_ID_SEPARATOR: char = '\u{1}';

fn user_pk(owner: &str) -> String {
    format!("USER#{owner}")
}

/// A query: the key condition and its values, on the table or an index.
struct Query {
    index: Option<&'static str>,
    condition: String,
    values: Vec<(&'static str, AttributeValue)>,
    forward: bool,
}

impl Query {
    fn on(index: Option<&'static str>, condition: impl Into<String>) -> Self {
        Query {
            index,
            condition: condition.into(),
            values: Vec::new(),
            forward: true,
        }
    }

    fn value(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.values.push((name, s(value)));
        self
    }

    fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
}

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store on `table` with the SDK's standard configuration (credential chain, region,
    /// `AWS_ENDPOINT_URL[_DYNAMODB]`).
    pub async fn connect(table: &str) -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let config = aws_sdk_dynamodb::config::Builder::from(&shared)
            .interceptor(crate::metrics::aws::DependencyMetrics("dynamodb"))
            .build();
        Self::with_client(Client::from_conf(config), table)
    }

    pub fn with_client(client: Client, table: &str) -> Self {
        DynamoStore {
            client,
            table: table.to_string(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    async fn get(&self, pk: String, sk: impl Into<String>) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out.item().cloned())
    }

    /// A conditional put: `Ok(false)` when the condition failed.
    async fn put_if(&self, item: Item, condition: &str) -> Result<bool, StoreError> {
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    /// Creates an item: `AlreadyExists` if one has its key.
    async fn create(&self, item: Item) -> Result<(), StoreError> {
        if self.put_if(item, "attribute_not_exists(PK)").await? {
            Ok(())
        } else {
            Err(StoreError::AlreadyExists)
        }
    }

    /// Replaces an item: `NotFound` if none has its key.
    async fn replace(&self, item: Item) -> Result<(), StoreError> {
        if self.put_if(item, "attribute_exists(PK)").await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Reads one item of `owner`'s as a record.
    async fn read<T>(
        &self,
        owner: &str,
        sk: String,
        parse: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.get(user_pk(owner), sk)
            .await?
            .as_ref()
            .map(parse)
            .transpose()
    }

    /// Reads items by key, consistently: `BatchGetItem`, 100 keys a request (its limit),
    /// asking again, after a pause that doubles, for keys DynamoDB left unprocessed.
    async fn get_many(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        const KEYS_PER_REQUEST: usize = 100;
        const ATTEMPTS: u32 = 6;
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(KEYS_PER_REQUEST) {
            let mut pending = chunk.to_vec();
            for attempt in 0.. {
                if pending.is_empty() {
                    break;
                }
                if attempt == ATTEMPTS {
                    return Err(StoreError::Unavailable(format!(
                        "BatchGetItem: {} keys still unprocessed after {ATTEMPTS} attempts",
                        pending.len()
                    )));
                }
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt)).await;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending))
                    .consistent_read(true)
                    .build()
                    .map_err(item::build_error)?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchGetItem", e))?;
                if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                    found.extend(items.iter().cloned());
                }
                pending = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.table))
                    .map(|k| k.keys().to_vec())
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Cancelled>, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(e) => match cancellation(&e) {
                Some(reasons) => Ok(Err(reasons)),
                None => Err(sdk_error("TransactWriteItems", e)),
            },
        }
    }

    /// One page of `q` from `start`, at most `limit` items.
    async fn query_page(
        &self,
        q: &Query,
        start: Option<Item>,
        limit: i32,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(q.index.map(str::to_string))
            .key_condition_expression(&q.condition)
            .scan_index_forward(q.forward)
            .limit(limit)
            // Indexes cannot be read consistently; the table always is.
            .consistent_read(q.index.is_none())
            .set_exclusive_start_key(start);
        for (name, value) in &q.values {
            request = request.expression_attribute_values(*name, value.clone());
        }
        let out = request.send().await.map_err(|e| sdk_error("Query", e))?;
        Ok((out.items().to_vec(), out.last_evaluated_key().cloned()))
    }

    /// Reads `q` page by page and keeps what `keep` turns into a value, until `want` are kept
    /// or the query ends.
    async fn collect<T>(
        &self,
        q: &Query,
        want: usize,
        mut keep: impl FnMut(&Item) -> Result<Option<T>, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut kept = Vec::new();
        let mut start = None;
        loop {
            let page_size = (want.saturating_sub(kept.len()) as i32).clamp(1, SCAN_PAGE);
            let (items, next) = self.query_page(q, start, page_size).await?;
            for item in &items {
                if kept.len() == want {
                    return Ok(kept);
                }
                if let Some(v) = keep(item)? {
                    kept.push(v);
                }
            }
            match next {
                Some(next) if kept.len() < want => start = Some(next),
                _ => return Ok(kept),
            }
        }
    }
}

#[async_trait]
impl StoreBackend for DynamoStore {
    fn kind(&self) -> &'static str {
        "dynamodb"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.get("PING".into(), "PING").await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::search::name_key;

    #[test]
    fn name_order_matches_the_sqlite_order() {
        let key = |name: &str, id: &str| format!("{}{NAME_ID_SEPARATOR}{id}", name_key(name));
        assert!(key("Ana", "z") < key("Ana B", "a"));
        assert!(key("ana", "a") < key("Ana", "b"));
        assert!(NAME_ID_SEPARATOR.to_string() < key("!", "a"));
    }

    #[test]
    fn padded_times_sort_as_numbers() {
        assert!(padded(999) < padded(1_000));
        assert!(padded(u64::MAX).as_str() < "A");
        assert_eq!(padded(0).len(), 20);
    }
}
