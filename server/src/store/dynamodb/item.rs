//! Items: attribute values, typed reads that name what is missing, an item builder, and the
//! errors and transaction parts every aggregate uses.

use std::collections::HashMap;

use app::api::ports::StoreError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

/// Reads typed attributes of one item, naming the entity and attribute when one is missing
/// or malformed (a corrupt item is an error, never a default).
pub(super) struct Attrs<'a> {
    item: &'a Item,
    entity: &'static str,
}

impl<'a> Attrs<'a> {
    pub(super) fn of(item: &'a Item, entity: &'static str) -> Self {
        Attrs { item, entity }
    }

    pub(super) fn corrupt(&self, name: &str) -> StoreError {
        StoreError::Unavailable(format!("{} item: missing or bad {name}", self.entity))
    }

    pub(super) fn opt_s(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
            Some(_) => Err(self.corrupt(name)),
        }
    }

    pub(super) fn s(&self, name: &str) -> Result<String, StoreError> {
        self.opt_s(name)?.ok_or_else(|| self.corrupt(name))
    }

    pub(super) fn opt_n(&self, name: &str) -> Result<Option<u64>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| self.corrupt(name)),
            Some(_) => Err(self.corrupt(name)),
        }
    }

    pub(super) fn n(&self, name: &str) -> Result<u64, StoreError> {
        self.opt_n(name)?.ok_or_else(|| self.corrupt(name))
    }

    pub(super) fn bool(&self, name: &str) -> Result<bool, StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::Bool(v)) => Ok(*v),
            _ => Err(self.corrupt(name)),
        }
    }

    pub(super) fn list(&self, name: &str) -> Result<&'a [AttributeValue], StoreError> {
        match self.item.get(name) {
            None => Ok(&[]),
            Some(AttributeValue::L(v)) => Ok(v),
            Some(_) => Err(self.corrupt(name)),
        }
    }

    pub(super) fn bytes(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        match self.item.get(name) {
            None => Ok(Vec::new()),
            Some(AttributeValue::B(v)) => Ok(v.as_ref().to_vec()),
            Some(_) => Err(self.corrupt(name)),
        }
    }
}

/// Builds an item: keys first, then attributes; `None` leaves an attribute out.
pub(super) struct ItemBuilder(Item);

impl ItemBuilder {
    pub(super) fn new(pk: impl Into<String>, sk: impl Into<String>, entity: &str) -> Self {
        let mut item = key(pk, sk);
        item.insert("type".into(), s(entity));
        ItemBuilder(item)
    }

    pub(super) fn set(mut self, name: &str, value: AttributeValue) -> Self {
        self.0.insert(name.into(), value);
        self
    }

    pub(super) fn s(self, name: &str, value: impl Into<String>) -> Self {
        self.set(name, s(value))
    }

    pub(super) fn n(self, name: &str, value: u64) -> Self {
        self.set(name, n(value))
    }

    pub(super) fn bool(self, name: &str, value: bool) -> Self {
        self.set(name, AttributeValue::Bool(value))
    }

    pub(super) fn opt_s(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.s(name, v),
            None => self,
        }
    }

    pub(super) fn opt_n(self, name: &str, value: Option<u64>) -> Self {
        match value {
            Some(v) => self.n(name, v),
            None => self,
        }
    }

    /// A secondary-index entry (`GSI1` → `GSI1PK`/`GSI1SK`).
    pub(super) fn index(self, index: &str, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.s(&format!("{index}PK"), pk)
            .s(&format!("{index}SK"), sk)
    }

    /// Adds a plain record's serde fields as attributes (serde_dynamo). `None` fields are left
    /// out, as every item leaves absent values out.
    pub(super) fn record<T: serde::Serialize>(mut self, record: &T) -> Result<Self, StoreError> {
        let fields: Item = serde_dynamo::to_item(record).map_err(|e| {
            let entity = match self.0.get("type") {
                Some(AttributeValue::S(entity)) => entity.as_str(),
                _ => "an",
            };
            StoreError::Unavailable(format!("{entity} item: {e}"))
        })?;
        self.0.extend(
            fields
                .into_iter()
                .filter(|(_, value)| !matches!(value, AttributeValue::Null(_))),
        );
        Ok(self)
    }

    pub(super) fn build(self) -> Item {
        self.0
    }
}

pub(super) fn sdk_error<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!("DynamoDB {what}: {}", DisplayErrorContext(&e)))
}

pub(super) fn is_condition_failure<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

pub(super) fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(format!("DynamoDB request: {e}"))
}

/// Why a transaction was cancelled, per item: `Some("ConditionalCheckFailed")`, `Some("None")`
/// for the items that were fine, …
pub(super) type Cancelled = Vec<Option<String>>;

pub(super) fn cancellation(
    e: &SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Option<Cancelled> {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => Some(
            c.cancellation_reasons()
                .iter()
                .map(|r| r.code().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

pub(super) fn condition_failed(reasons: &Cancelled, index: usize) -> bool {
    reasons
        .get(index)
        .is_some_and(|code| code.as_deref() == Some("ConditionalCheckFailed"))
}

pub(super) fn put(
    table: &str,
    item: Item,
    condition: Option<&str>,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_string))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A transaction's update of the item at `key`.
pub(super) fn update(
    table: &str,
    key: Item,
    expression: &str,
    condition: Option<String>,
    names: &[(&str, &str)],
    values: Vec<(&str, AttributeValue)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut u = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(expression)
        .set_condition_expression(condition);
    for (name, attr) in names {
        u = u.expression_attribute_names(*name, *attr);
    }
    for (name, value) in values {
        u = u.expression_attribute_values(name, value);
    }
    Ok(TransactWriteItem::builder()
        .update(u.build().map_err(build_error)?)
        .build())
}

pub(super) fn delete(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// A plain record as an item: its serde fields (see [`ItemBuilder::record`]) under the item's
/// keys and entity type.
pub(super) fn record_item<T: serde::Serialize>(
    pk: impl Into<String>,
    sk: impl Into<String>,
    entity: &str,
    record: &T,
) -> Result<Item, StoreError> {
    Ok(ItemBuilder::new(pk, sk, entity).record(record)?.build())
}

/// A plain record from its item (keys and other attributes are ignored). A corrupt item is an
/// error naming the entity, never a default.
pub(super) fn record_from<T: serde::de::DeserializeOwned>(
    item: &Item,
    entity: &str,
) -> Result<T, StoreError> {
    serde_dynamo::from_item(item.clone())
        .map_err(|e| StoreError::Unavailable(format!("{entity} item: {e}")))
}
