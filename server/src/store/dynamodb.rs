//! The DynamoDB store: one table, the single-table design of `docs/dynamodb.md`. Every read an
//! answer depends on is a consistent `GetItem`/`Query` on the owner's partition or on a pointer
//! item; the three global secondary indexes only serve ordered lists and start-up sweeps.
//!
//! Searches and call filters run here on the items read (the same [`Search`] and
//! `CallRecord::matches` the domain defines), so both stores answer alike.

use std::collections::HashMap;
use std::time::Duration;

use app::api::ports::{
    AuditEvent, CallQuery, ContactQuery, Page, SessionRecord, Store, StoreError, UserRecord,
};
use app::domain::calls::{CallRecord, Direction, EndReason};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use app::domain::recordings::{
    ConsentNotice, Pause, Preferences, Recording, RecordingMode, RecordingState,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;

use super::cursor;
use super::search::{name_key, Search};

type Item = HashMap<String, AttributeValue>;

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

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

/// Reads typed attributes of one item, naming the entity and attribute when one is missing
/// or malformed (a corrupt item is an error, never a default).
struct Attrs<'a> {
    item: &'a Item,
    entity: &'static str,
}

impl<'a> Attrs<'a> {
    fn of(item: &'a Item, entity: &'static str) -> Self {
        Attrs { item, entity }
    }

    fn corrupt(&self, name: &str) -> StoreError {
        StoreError::Unavailable(format!("{} item: missing or bad {name}", self.entity))
    }

    fn opt_s(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
            Some(_) => Err(self.corrupt(name)),
        }
    }

    fn s(&self, name: &str) -> Result<String, StoreError> {
        self.opt_s(name)?.ok_or_else(|| self.corrupt(name))
    }

    fn opt_n(&self, name: &str) -> Result<Option<u64>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| self.corrupt(name)),
            Some(_) => Err(self.corrupt(name)),
        }
    }

    fn n(&self, name: &str) -> Result<u64, StoreError> {
        self.opt_n(name)?.ok_or_else(|| self.corrupt(name))
    }

    fn bool(&self, name: &str) -> Result<bool, StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::Bool(v)) => Ok(*v),
            _ => Err(self.corrupt(name)),
        }
    }

    fn list(&self, name: &str) -> Result<&'a [AttributeValue], StoreError> {
        match self.item.get(name) {
            None => Ok(&[]),
            Some(AttributeValue::L(v)) => Ok(v),
            Some(_) => Err(self.corrupt(name)),
        }
    }

    fn bytes(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        match self.item.get(name) {
            None => Ok(Vec::new()),
            Some(AttributeValue::B(v)) => Ok(v.as_ref().to_vec()),
            Some(_) => Err(self.corrupt(name)),
        }
    }
}

/// Builds an item: keys first, then attributes; `None` leaves an attribute out.
struct ItemBuilder(Item);

impl ItemBuilder {
    fn new(pk: impl Into<String>, sk: impl Into<String>, entity: &str) -> Self {
        let mut item = key(pk, sk);
        item.insert("type".into(), s(entity));
        ItemBuilder(item)
    }

    fn set(mut self, name: &str, value: AttributeValue) -> Self {
        self.0.insert(name.into(), value);
        self
    }

    fn s(self, name: &str, value: impl Into<String>) -> Self {
        self.set(name, s(value))
    }

    fn n(self, name: &str, value: u64) -> Self {
        self.set(name, n(value))
    }

    fn opt_s(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.s(name, v),
            None => self,
        }
    }

    fn opt_n(self, name: &str, value: Option<u64>) -> Self {
        match value {
            Some(v) => self.n(name, v),
            None => self,
        }
    }

    /// A secondary-index entry (`GSI1` → `GSI1PK`/`GSI1SK`).
    fn index(self, index: &str, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.s(&format!("{index}PK"), pk)
            .s(&format!("{index}SK"), sk)
    }

    fn build(self) -> Item {
        self.0
    }
}

fn sdk_error<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!("DynamoDB {what}: {}", DisplayErrorContext(&e)))
}

fn is_condition_failure<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(format!("DynamoDB request: {e}"))
}

/// Why a transaction was cancelled, per item: `Some("ConditionalCheckFailed")`, `Some("None")`
/// for the items that were fine, …
type Cancelled = Vec<Option<String>>;

fn cancellation(
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

fn condition_failed(reasons: &Cancelled, index: usize) -> bool {
    reasons
        .get(index)
        .is_some_and(|code| code.as_deref() == Some("ConditionalCheckFailed"))
}

fn put(table: &str, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_string))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn delete(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

// ---------------------------------------------------------------------------------------------
// Items ↔ domain records

fn contact_sk(id: &str) -> String {
    format!("CONTACT#{id}")
}

fn number_sk(contact_id: &str, position: usize) -> String {
    format!("NUMBER#{contact_id}#{position:02}")
}

fn contact_item(owner: &str, c: &Contact) -> Item {
    let numbers = c
        .numbers
        .iter()
        .map(|number| {
            AttributeValue::M(HashMap::from([
                ("label".to_string(), s(number.label.as_str())),
                ("e164".to_string(), s(&number.e164)),
            ]))
        })
        .collect();
    ItemBuilder::new(user_pk(owner), contact_sk(&c.id), "contact")
        .s("owner", owner)
        .s("id", &c.id)
        .s("name", &c.name)
        .s("company", &c.company)
        .s("notes", &c.notes)
        .set("favourite", AttributeValue::Bool(c.favourite))
        .set("numbers", AttributeValue::L(numbers))
        .n("created_at", c.created_at)
        .n("updated_at", c.updated_at)
        .n("version", c.version)
        .index(
            "GSI2",
            format!("USER#{owner}#CONTACTS"),
            format!("{}{NAME_ID_SEPARATOR}{}", name_key(&c.name), c.id),
        )
        .build()
}

/// One item per number: the number → contact index (favourites first, then by name, as the
/// SQLite store picks).
fn number_items(owner: &str, c: &Contact) -> Vec<Item> {
    c.numbers
        .iter()
        .enumerate()
        .map(|(position, number)| {
            ItemBuilder::new(user_pk(owner), number_sk(&c.id, position), "contact_number")
                .s("contact_id", &c.id)
                .index(
                    "GSI1",
                    format!("USER#{owner}#NUM#{}", number.e164),
                    format!(
                        "{}{}{NAME_ID_SEPARATOR}{}",
                        if c.favourite { '0' } else { '1' },
                        name_key(&c.name),
                        c.id
                    ),
                )
                .build()
        })
        .collect()
}

fn contact_from(item: &Item) -> Result<Contact, StoreError> {
    let a = Attrs::of(item, "contact");
    let numbers = a
        .list("numbers")?
        .iter()
        .map(|v| match v {
            AttributeValue::M(m) => {
                let m = Attrs::of(m, "contact number");
                Ok(ContactNumber {
                    label: NumberLabel::parse(&m.s("label")?),
                    e164: m.s("e164")?,
                })
            }
            _ => Err(a.corrupt("numbers")),
        })
        .collect::<Result<_, _>>()?;
    Ok(Contact {
        id: a.s("id")?,
        name: a.s("name")?,
        company: a.s("company")?,
        notes: a.s("notes")?,
        favourite: a.bool("favourite")?,
        numbers,
        created_at: a.n("created_at")?,
        updated_at: a.n("updated_at")?,
        version: a.n("version")?,
    })
}

fn call_sk(id: &str) -> String {
    format!("CALL#{id}")
}

fn call_order(started_at: u64, id: &str) -> String {
    format!("{}#{id}", padded(started_at))
}

fn call_item(owner: &str, c: &CallRecord) -> Item {
    let mut item = ItemBuilder::new(user_pk(owner), call_sk(&c.id), "call")
        .s("owner", owner)
        .s("id", &c.id)
        .s(
            "direction",
            match c.direction {
                Direction::Outbound => "outbound",
                Direction::Inbound => "inbound",
            },
        )
        .s("e164", &c.e164)
        .n("started_at", c.started_at)
        .opt_n("ringing_at", c.ringing_at)
        .opt_n("answered_at", c.answered_at)
        .opt_n("ended_at", c.ended_at)
        .opt_s("end_reason", c.end_reason.map(EndReason::as_str))
        .opt_s("hangup_by", c.hangup_by.as_deref())
        .opt_s("sip_cause", c.sip_cause.as_deref())
        .opt_s("recording_id", c.recording_id.as_deref())
        .index(
            "GSI2",
            format!("USER#{owner}#CALLS"),
            call_order(c.started_at, &c.id),
        );
    if c.ended_at.is_none() {
        // Sparse: only calls still open are in it, for the start-up sweep.
        item = item.index("GSI3", "OPENCALL", call_order(c.started_at, &c.id));
    }
    item.build()
}

fn call_from(item: &Item) -> Result<CallRecord, StoreError> {
    let a = Attrs::of(item, "call");
    Ok(CallRecord {
        id: a.s("id")?,
        direction: match a.s("direction")?.as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            _ => return Err(a.corrupt("direction")),
        },
        e164: a.s("e164")?,
        started_at: a.n("started_at")?,
        ringing_at: a.opt_n("ringing_at")?,
        answered_at: a.opt_n("answered_at")?,
        ended_at: a.opt_n("ended_at")?,
        end_reason: match a.opt_s("end_reason")? {
            Some(r) => Some(EndReason::parse(&r).ok_or_else(|| a.corrupt("end_reason"))?),
            None => None,
        },
        hangup_by: a.opt_s("hangup_by")?,
        sip_cause: a.opt_s("sip_cause")?,
        recording_id: a.opt_s("recording_id")?,
    })
}

fn recording_sk(id: &str) -> String {
    format!("REC#{id}")
}

fn recording_item(owner: &str, r: &Recording) -> Item {
    let pauses = r
        .pauses
        .iter()
        .map(|p| {
            AttributeValue::M(HashMap::from([
                ("offset_ms".to_string(), n(p.offset_ms)),
                ("duration_ms".to_string(), n(p.duration_ms)),
            ]))
        })
        .collect();
    let mut item = ItemBuilder::new(user_pk(owner), recording_sk(&r.id), "recording")
        .s("owner", owner)
        .s("id", &r.id)
        .s("call_id", &r.call_id)
        .n("started_at", r.started_at)
        .opt_n("ended_at", r.ended_at)
        .n("duration_ms", r.duration_ms)
        .n("bytes", r.bytes)
        .opt_s("sha256", r.sha256.as_deref())
        .s("format", &r.format)
        .s(
            "consent",
            match r.consent {
                ConsentNotice::Tone => "tone",
                ConsentNotice::ToneAndSpoken => "tone_and_spoken",
            },
        )
        .s("pause_mode", &r.pause_mode)
        .set("pauses", AttributeValue::L(pauses))
        .s("location", &r.location)
        .s("object_key", &r.key)
        .n("retain_until", r.retain_until)
        .s("state", r.state.as_str())
        .opt_s("upload_id", r.upload_id.as_deref())
        .index(
            "GSI2",
            format!("USER#{owner}#RECS"),
            format!("{}#{}", padded(r.started_at), r.id),
        )
        .index(
            "GSI3",
            format!("RECSTATE#{}", r.state.as_str()),
            format!("{}#{}", padded(r.started_at), r.id),
        );
    if !r.waveform.is_empty() {
        item = item.set("waveform", AttributeValue::B(Blob::new(r.waveform.clone())));
    }
    if r.state != RecordingState::Recording {
        // Sparse: the retention job never sees a recording still being made.
        item = item.index(
            "GSI1",
            "RETAIN",
            format!("{}#{}", padded(r.retain_until), r.id),
        );
    }
    item.build()
}

fn recording_from(item: &Item) -> Result<Recording, StoreError> {
    let a = Attrs::of(item, "recording");
    let pauses = a
        .list("pauses")?
        .iter()
        .map(|v| match v {
            AttributeValue::M(m) => {
                let m = Attrs::of(m, "recording pause");
                Ok(Pause {
                    offset_ms: m.n("offset_ms")?,
                    duration_ms: m.n("duration_ms")?,
                })
            }
            _ => Err(a.corrupt("pauses")),
        })
        .collect::<Result<_, _>>()?;
    Ok(Recording {
        id: a.s("id")?,
        call_id: a.s("call_id")?,
        started_at: a.n("started_at")?,
        ended_at: a.opt_n("ended_at")?,
        duration_ms: a.n("duration_ms")?,
        bytes: a.n("bytes")?,
        sha256: a.opt_s("sha256")?,
        format: a.s("format")?,
        consent: match a.s("consent")?.as_str() {
            "tone" => ConsentNotice::Tone,
            "tone_and_spoken" => ConsentNotice::ToneAndSpoken,
            _ => return Err(a.corrupt("consent")),
        },
        pause_mode: a.s("pause_mode")?,
        pauses,
        location: a.s("location")?,
        key: a.s("object_key")?,
        retain_until: a.n("retain_until")?,
        state: RecordingState::parse(&a.s("state")?).ok_or_else(|| a.corrupt("state"))?,
        upload_id: a.opt_s("upload_id")?,
        waveform: a.bytes("waveform")?,
    })
}

fn owned_recording(item: &Item) -> Result<(String, Recording), StoreError> {
    Ok((
        Attrs::of(item, "recording").s("owner")?,
        recording_from(item)?,
    ))
}

fn session_item(s: &SessionRecord) -> Item {
    ItemBuilder::new(user_pk(&s.sub), format!("SESSION#{}", s.id), "session")
        .s("id", &s.id)
        .s("sub", &s.sub)
        .s("token_hash", &s.token_hash)
        .n("created_at", s.created_at)
        .n("expires_at", s.expires_at)
        .set("revoked", AttributeValue::Bool(s.revoked))
        .n(TTL_ATTRIBUTE, s.expires_at / 1000 + PURGE_AFTER_S)
        .build()
}

fn session_from(item: &Item) -> Result<SessionRecord, StoreError> {
    let a = Attrs::of(item, "session");
    Ok(SessionRecord {
        id: a.s("id")?,
        sub: a.s("sub")?,
        token_hash: a.s("token_hash")?,
        created_at: a.n("created_at")?,
        expires_at: a.n("expires_at")?,
        revoked: a.bool("revoked")?,
    })
}

// ---------------------------------------------------------------------------------------------

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

/// What `create-table` did.
#[derive(Debug, PartialEq, Eq)]
pub enum TableSetup {
    Created,
    /// The table was there with the expected keys and indexes.
    AlreadyThere,
}

impl DynamoStore {
    /// A store on `table` with the SDK's standard configuration (credential chain, region,
    /// `AWS_ENDPOINT_URL[_DYNAMODB]`).
    pub async fn connect(table: &str) -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Self::with_client(Client::new(&shared), table)
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

    /// Numbers of the owner's contacts whose name contains `text` (calls are found by the
    /// name of the contact they were with).
    async fn numbers_named(&self, owner: &str, text: &str) -> Result<Vec<String>, StoreError> {
        let q =
            Query::on(Some("GSI2"), "GSI2PK = :pk").value(":pk", format!("USER#{owner}#CONTACTS"));
        let contacts = self
            .collect(&q, usize::MAX, |item| {
                let c = contact_from(item)?;
                Ok(name_key(&c.name).contains(text).then_some(c))
            })
            .await?;
        Ok(contacts
            .into_iter()
            .flat_map(|c| c.numbers.into_iter().map(|n| n.e164))
            .collect())
    }

    /// A contact write lost to another: `Conflict` if the contact is still there (changed),
    /// `NotFound` if it was deleted meanwhile.
    async fn lost_race(&self, owner: &str, id: &str) -> Result<StoreError, StoreError> {
        Ok(match self.get_contact(owner, id).await? {
            Some(_) => StoreError::Conflict,
            None => StoreError::NotFound,
        })
    }

    // -----------------------------------------------------------------------------------------
    // The table

    /// Creates the table, its indexes and time to live, and waits until it is active. An
    /// existing table is accepted if its keys and indexes are the expected ones.
    pub async fn create_table(&self) -> Result<TableSetup, StoreError> {
        let string_key = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)
        };
        let key_element = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(build_error)
        };
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_element("PK", KeyType::Hash)?)
            .key_schema(key_element("SK", KeyType::Range)?)
            .attribute_definitions(string_key("PK")?)
            .attribute_definitions(string_key("SK")?);
        for index in INDEXES {
            let (pk, sk) = (format!("{index}PK"), format!("{index}SK"));
            request = request
                .attribute_definitions(string_key(&pk)?)
                .attribute_definitions(string_key(&sk)?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(index)
                        .key_schema(key_element(&pk, KeyType::Hash)?)
                        .key_schema(key_element(&sk, KeyType::Range)?)
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .map_err(build_error)?,
                );
        }
        let setup = match request.send().await {
            Ok(_) => TableSetup::Created,
            Err(e) if e.code() == Some("ResourceInUseException") => {
                self.check_table().await?;
                TableSetup::AlreadyThere
            }
            Err(e) => return Err(sdk_error("CreateTable", e)),
        };
        self.wait_active().await?;
        self.enable_ttl().await?;
        Ok(setup)
    }

    async fn wait_active(&self) -> Result<(), StoreError> {
        for _ in 0..300 {
            let out = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| sdk_error("DescribeTable", e))?;
            let table = out.table();
            let indexes_ready = table
                .map(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"))
                })
                .unwrap_or(false);
            if table.and_then(|t| t.table_status()) == Some(&TableStatus::Active) && indexes_ready {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(StoreError::Unavailable(format!(
            "table {} did not become active within 5 minutes",
            self.table
        )))
    }

    async fn enable_ttl(&self) -> Result<(), StoreError> {
        let out = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeTimeToLive", e))?;
        let current = out.time_to_live_description();
        let enabled = current.and_then(|d| d.attribute_name()) == Some(TTL_ATTRIBUTE)
            && current
                .and_then(|d| d.time_to_live_status())
                .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING"));
        if enabled {
            return Ok(());
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
        Ok(())
    }

    /// Checks the table exists with this store's keys and indexes (at start-up, so a wrong
    /// table name or a table made for something else shows at once).
    pub async fn check_table(&self) -> Result<(), StoreError> {
        let out = match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                return Err(StoreError::Unavailable(format!(
                    "table {} does not exist: create it with `server dynamodb create-table` (or the CloudFormation template)",
                    self.table
                )))
            }
            Err(e) => return Err(sdk_error("DescribeTable", e)),
        };
        let table = out.table().ok_or_else(|| {
            StoreError::Unavailable(format!("table {}: no description", self.table))
        })?;
        let keys = |schema: &[KeySchemaElement]| {
            schema
                .iter()
                .map(|k| format!("{}:{}", k.attribute_name(), k.key_type().as_str()))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut problems = Vec::new();
        if keys(table.key_schema()) != "PK:HASH,SK:RANGE" {
            problems.push(format!(
                "key schema is {}, expected PK:HASH,SK:RANGE",
                keys(table.key_schema())
            ));
        }
        for index in INDEXES {
            let expected = format!("{index}PK:HASH,{index}SK:RANGE");
            match table
                .global_secondary_indexes()
                .iter()
                .find(|i| i.index_name() == Some(index))
            {
                None => problems.push(format!("index {index} is missing")),
                Some(i) if keys(i.key_schema()) != expected => problems.push(format!(
                    "index {index} keys are {}, expected {expected}",
                    keys(i.key_schema())
                )),
                Some(i)
                    if i.projection().and_then(|p| p.projection_type())
                        != Some(&ProjectionType::All) =>
                {
                    problems.push(format!("index {index} must project ALL attributes"))
                }
                Some(_) => {}
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "table {} is not a softphone table: {}",
                self.table,
                problems.join("; ")
            )))
        }
    }
}

#[async_trait]
impl Store for DynamoStore {
    fn kind(&self) -> &'static str {
        "dynamodb"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.get("PING".into(), "PING").await.map(|_| ())
    }

    // -----------------------------------------------------------------------------------------
    // Users of the local identity: a profile in the user's partition and an email claim that
    // keeps emails unique.

    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let claim = ItemBuilder::new(format!("EMAIL#{}", user.email), "EMAIL", "email_claim")
            .s("sub", &user.sub)
            .build();
        let profile = ItemBuilder::new(user_pk(&user.sub), "PROFILE", "user")
            .s("sub", &user.sub)
            .s("email", &user.email)
            .s("password_hash", &user.password_hash)
            .n("created_at", user.created_at)
            .build();
        let new = Some("attribute_not_exists(PK)");
        match self
            .transact(vec![
                put(&self.table, claim, new)?,
                put(&self.table, profile, new)?,
            ])
            .await?
        {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) || condition_failed(&reasons, 1) => {
                Err(StoreError::AlreadyExists)
            }
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "create user cancelled: {reasons:?}"
            ))),
        }
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        match self.get(format!("EMAIL#{email}"), "EMAIL").await? {
            Some(claim) => {
                self.user_by_sub(&Attrs::of(&claim, "email claim").s("sub")?)
                    .await
            }
            None => Ok(None),
        }
    }

    async fn user_by_sub(&self, sub: &str) -> Result<Option<UserRecord>, StoreError> {
        let Some(item) = self.get(user_pk(sub), "PROFILE").await? else {
            return Ok(None);
        };
        let a = Attrs::of(&item, "user");
        Ok(Some(UserRecord {
            sub: a.s("sub")?,
            email: a.s("email")?,
            password_hash: a.s("password_hash")?,
            created_at: a.n("created_at")?,
        }))
    }

    async fn set_password_hash(&self, sub: &str, hash: &str) -> Result<(), StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(sub), "PROFILE")))
            .update_expression("SET #h = :h")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#h", "password_hash")
            .expression_attribute_values(":h", s(hash))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::NotFound),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    // Sessions live in their user's partition (sign-out everywhere is one consistent query);
    // pointer items find them by id and by refresh-token hash.

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let purge_at = session.expires_at / 1000 + PURGE_AFTER_S;
        let by_id = ItemBuilder::new(format!("SESSION#{}", session.id), "SESSION", "session_id")
            .s("sub", &session.sub)
            .n(TTL_ATTRIBUTE, purge_at)
            .build();
        let by_token = ItemBuilder::new(
            format!("TOKEN#{}", session.token_hash),
            "TOKEN",
            "session_token",
        )
        .s("sub", &session.sub)
        .s("session_id", &session.id)
        .n(TTL_ATTRIBUTE, purge_at)
        .build();
        let new = Some("attribute_not_exists(PK)");
        match self
            .transact(vec![
                put(&self.table, session_item(session), new)?,
                put(&self.table, by_id, new)?,
                put(&self.table, by_token, new)?,
            ])
            .await?
        {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::AlreadyExists),
        }
    }

    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let Some(pointer) = self.get(format!("TOKEN#{hash}"), "TOKEN").await? else {
            return Ok(None);
        };
        let a = Attrs::of(&pointer, "session token");
        let item = self
            .get(
                user_pk(&a.s("sub")?),
                format!("SESSION#{}", a.s("session_id")?),
            )
            .await?;
        item.as_ref().map(session_from).transpose()
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let Some(pointer) = self.get(format!("SESSION#{id}"), "SESSION").await? else {
            return Ok(None);
        };
        let sub = Attrs::of(&pointer, "session id").s("sub")?;
        let item = self.get(user_pk(&sub), format!("SESSION#{id}")).await?;
        item.as_ref().map(session_from).transpose()
    }

    async fn revoke_sessions(&self, sub: &str) -> Result<u64, StoreError> {
        let q = Query::on(None, "PK = :pk AND begins_with(SK, :prefix)")
            .value(":pk", user_pk(sub))
            .value(":prefix", "SESSION#");
        let open = self
            .collect(&q, usize::MAX, |item| {
                let session = session_from(item)?;
                Ok((!session.revoked).then_some(session))
            })
            .await?;
        let mut revoked = 0;
        for session in open {
            match self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(sub), format!("SESSION#{}", session.id))))
                .update_expression("SET #r = :yes")
                .condition_expression("#r = :no")
                .expression_attribute_names("#r", "revoked")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":no", AttributeValue::Bool(false))
                .send()
                .await
            {
                Ok(_) => revoked += 1,
                Err(e) if is_condition_failure(&e) => {} // revoked meanwhile
                Err(e) => return Err(sdk_error("UpdateItem", e)),
            }
        }
        Ok(revoked)
    }

    async fn put_reset_code(
        &self,
        sub: &str,
        code_hash: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        self.put(
            ItemBuilder::new(user_pk(sub), "RESET", "reset_code")
                .s("code_hash", code_hash)
                .n("expires_at", expires_at)
                .n("failures", 0)
                .n(TTL_ATTRIBUTE, expires_at / 1000 + PURGE_AFTER_S)
                .build(),
        )
        .await
    }

    async fn reset_code(&self, sub: &str) -> Result<Option<(String, u64, u32)>, StoreError> {
        let Some(item) = self.get(user_pk(sub), "RESET").await? else {
            return Ok(None);
        };
        let a = Attrs::of(&item, "reset code");
        let failures = u32::try_from(a.n("failures")?).map_err(|_| a.corrupt("failures"))?;
        Ok(Some((a.s("code_hash")?, a.n("expires_at")?, failures)))
    }

    async fn count_reset_failure(&self, sub: &str) -> Result<(), StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(sub), "RESET")))
            .update_expression("ADD #f :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#f", "failures")
            .expression_attribute_values(":one", n(1))
            .send()
            .await
        {
            // No code, nothing to count (as the SQLite store).
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn delete_reset_code(&self, sub: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(sub), "RESET")))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Contacts

    async fn insert_contact(&self, owner: &str, contact: &Contact) -> Result<(), StoreError> {
        let mut items = vec![put(
            &self.table,
            contact_item(owner, contact),
            Some("attribute_not_exists(PK)"),
        )?];
        for item in number_items(owner, contact) {
            items.push(put(&self.table, item, None)?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) => Err(StoreError::AlreadyExists),
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "insert contact cancelled: {reasons:?}"
            ))),
        }
    }

    async fn update_contact(
        &self,
        owner: &str,
        contact: &Contact,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let stored = self
            .get_contact(owner, &contact.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if stored.version != expected_version {
            return Err(StoreError::Conflict);
        }
        // The condition names the version read here, so the numbers removed below are the ones
        // of the contact this update replaces.
        let write = Put::builder()
            .table_name(&self.table)
            .set_item(Some(contact_item(owner, contact)))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().put(write).build()];
        for item in number_items(owner, contact) {
            items.push(put(&self.table, item, None)?);
        }
        for position in contact.numbers.len()..stored.numbers.len() {
            items.push(delete(
                &self.table,
                key(user_pk(owner), number_sk(&contact.id, position)),
            )?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) => {
                Err(self.lost_race(owner, &contact.id).await?)
            }
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "update contact cancelled: {reasons:?}"
            ))),
        }
    }

    async fn get_contact(&self, owner: &str, id: &str) -> Result<Option<Contact>, StoreError> {
        self.read(owner, contact_sk(id), contact_from).await
    }

    async fn delete_contact(&self, owner: &str, id: &str) -> Result<Contact, StoreError> {
        let stored = self
            .get_contact(owner, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let contact = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(owner), contact_sk(id))))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(stored.version))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().delete(contact).build()];
        for position in 0..stored.numbers.len() {
            items.push(delete(
                &self.table,
                key(user_pk(owner), number_sk(id, position)),
            )?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(stored),
            Err(reasons) if condition_failed(&reasons, 0) => Err(self.lost_race(owner, id).await?),
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "delete contact cancelled: {reasons:?}"
            ))),
        }
    }

    async fn list_contacts(
        &self,
        owner: &str,
        query: &ContactQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, StoreError> {
        let after: Option<(String, String)> = cursor.map(cursor::decode).transpose()?;
        let search = Search::new(&query.search);
        let mut q = Query::on(Some("GSI2"), "GSI2PK = :pk AND GSI2SK > :after")
            .value(":pk", format!("USER#{owner}#CONTACTS"));
        q = match &after {
            Some((name, id)) => q.value(":after", format!("{name}{NAME_ID_SEPARATOR}{id}")),
            // Every sort key is greater than the empty string… which DynamoDB refuses as a
            // value, so start below the first character a name can have.
            None => q.value(":after", NAME_ID_SEPARATOR.to_string()),
        };
        let limit = limit.clamp(1, 500);
        let items = self
            .collect(&q, limit + 1, |item| {
                let c = contact_from(item)?;
                Ok(
                    ((!query.favourites_only || c.favourite) && search.matches_contact(&c))
                        .then_some(c),
                )
            })
            .await?;
        Ok(cursor::page(items, limit, |c| {
            (name_key(&c.name), c.id.clone())
        }))
    }

    async fn contact_by_number(
        &self,
        owner: &str,
        e164: &str,
    ) -> Result<Option<Contact>, StoreError> {
        let q = Query::on(Some("GSI1"), "GSI1PK = :pk")
            .value(":pk", format!("USER#{owner}#NUM#{e164}"));
        let ids = self
            .collect(&q, 1, |item| {
                Attrs::of(item, "contact number").s("contact_id").map(Some)
            })
            .await?;
        match ids.first() {
            Some(id) => self.get_contact(owner, id).await,
            None => Ok(None),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Calls

    async fn insert_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        self.create(call_item(owner, call)).await
    }

    async fn update_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        self.replace(call_item(owner, call)).await
    }

    async fn get_call(&self, owner: &str, id: &str) -> Result<Option<CallRecord>, StoreError> {
        self.read(owner, call_sk(id), call_from).await
    }

    async fn close_open_calls(&self, now: u64) -> Result<u64, StoreError> {
        let q = Query::on(Some("GSI3"), "GSI3PK = :pk").value(":pk", "OPENCALL");
        let open = self
            .collect(&q, usize::MAX, |item| {
                let a = Attrs::of(item, "call");
                Ok(Some((a.s("owner")?, a.s("id")?)))
            })
            .await?;
        let mut closed = 0;
        for (owner, id) in open {
            match self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(&owner), call_sk(&id))))
                .update_expression(
                    "SET #ended = :now, #reason = :reason, #by = :by, #cause = if_not_exists(#cause, :cause) REMOVE GSI3PK, GSI3SK",
                )
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(#ended)")
                .expression_attribute_names("#ended", "ended_at")
                .expression_attribute_names("#reason", "end_reason")
                .expression_attribute_names("#by", "hangup_by")
                .expression_attribute_names("#cause", "sip_cause")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":reason", s(EndReason::Interrupted.as_str()))
                .expression_attribute_values(":by", s("system"))
                .expression_attribute_values(":cause", s("server restarted"))
                .send()
                .await
            {
                Ok(_) => closed += 1,
                Err(e) if is_condition_failure(&e) => {} // ended meanwhile
                Err(e) => return Err(sdk_error("UpdateItem", e)),
            }
        }
        Ok(closed)
    }

    async fn list_calls(
        &self,
        owner: &str,
        query: &CallQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CallRecord>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let search = Search::new(&query.search);
        let named = if search.is_empty() {
            Vec::new()
        } else {
            self.numbers_named(owner, &search.text).await?
        };
        let q = Query::on(Some("GSI2"), "GSI2PK = :pk AND GSI2SK < :before")
            .value(":pk", format!("USER#{owner}#CALLS"))
            .value(
                ":before",
                match &before {
                    Some((at, id)) => call_order(*at, id),
                    // Above every padded time.
                    None => "A".into(),
                },
            )
            .backward();
        let limit = limit.clamp(1, 500);
        let items = self
            .collect(&q, limit + 1, |item| {
                let c = call_from(item)?;
                let found = search.is_empty()
                    || named.contains(&c.e164)
                    || search.matches_number(std::iter::once(c.e164.as_str()));
                Ok((found && c.matches(query.filter)).then_some(c))
            })
            .await?;
        Ok(cursor::page(items, limit, |c| (c.started_at, c.id.clone())))
    }

    // -----------------------------------------------------------------------------------------
    // Recordings

    async fn insert_recording(&self, owner: &str, recording: &Recording) -> Result<(), StoreError> {
        self.create(recording_item(owner, recording)).await
    }

    async fn update_recording(&self, owner: &str, recording: &Recording) -> Result<(), StoreError> {
        self.replace(recording_item(owner, recording)).await
    }

    async fn get_recording(&self, owner: &str, id: &str) -> Result<Option<Recording>, StoreError> {
        self.read(owner, recording_sk(id), recording_from).await
    }

    async fn delete_recording(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let recording = self
            .get_recording(owner, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut items = vec![delete(&self.table, key(user_pk(owner), recording_sk(id)))?];
        let linked = self
            .get_call(owner, &recording.call_id)
            .await?
            .is_some_and(|c| c.recording_id.as_deref() == Some(id));
        if linked {
            let unlink = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(owner), call_sk(&recording.call_id))))
                .update_expression("REMOVE #rec")
                .condition_expression("#rec = :id")
                .expression_attribute_names("#rec", "recording_id")
                .expression_attribute_values(":id", s(id))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().update(unlink).build());
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            // The call changed between the read and the write: let the caller try again.
            Err(_) => Err(StoreError::Conflict),
        }
    }

    async fn list_recordings(
        &self,
        owner: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Recording>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let q = Query::on(Some("GSI2"), "GSI2PK = :pk AND GSI2SK < :before")
            .value(":pk", format!("USER#{owner}#RECS"))
            .value(
                ":before",
                match &before {
                    Some((at, id)) => format!("{}#{id}", padded(*at)),
                    None => "A".into(),
                },
            )
            .backward();
        let limit = limit.clamp(1, 500);
        let items = self
            .collect(&q, limit + 1, |item| recording_from(item).map(Some))
            .await?;
        Ok(cursor::page(items, limit, |r| (r.started_at, r.id.clone())))
    }

    async fn recordings_in_state(
        &self,
        state: RecordingState,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        let q = Query::on(Some("GSI3"), "GSI3PK = :pk")
            .value(":pk", format!("RECSTATE#{}", state.as_str()));
        self.collect(&q, limit.clamp(1, 1000), |item| {
            owned_recording(item).map(Some)
        })
        .await
    }

    async fn expired_recordings(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        let q = Query::on(Some("GSI1"), "GSI1PK = :pk AND GSI1SK < :now")
            .value(":pk", "RETAIN")
            .value(":now", padded(now));
        self.collect(&q, limit.clamp(1, 1000), |item| {
            owned_recording(item).map(Some)
        })
        .await
    }

    // -----------------------------------------------------------------------------------------

    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError> {
        let recording = match self.get(user_pk(owner), "PREFS").await? {
            Some(item) => Attrs::of(&item, "preferences")
                .opt_s("recording")?
                .and_then(|m| RecordingMode::parse(&m))
                .unwrap_or_default(),
            None => RecordingMode::default(),
        };
        Ok(Preferences { recording })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        self.put(
            ItemBuilder::new(user_pk(owner), "PREFS", "preferences")
                .s("recording", p.recording.as_str())
                .build(),
        )
        .await
    }

    async fn audit(&self, owner: &str, event: &AuditEvent) -> Result<(), StoreError> {
        // The random suffix keeps two events of the same millisecond apart.
        let sk = format!("AUDIT#{}#{}", padded(event.at), uuid::Uuid::new_v4());
        self.put(
            ItemBuilder::new(user_pk(owner), sk, "audit")
                .n("at", event.at)
                .s("action", &event.action)
                .s("detail", &event.detail)
                .build(),
        )
        .await
    }

    async fn list_audit(&self, owner: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let q = Query::on(None, "PK = :pk AND begins_with(SK, :prefix)")
            .value(":pk", user_pk(owner))
            .value(":prefix", "AUDIT#")
            .backward();
        self.collect(&q, limit.clamp(1, 1000), |item| {
            let a = Attrs::of(item, "audit");
            Ok(Some(AuditEvent {
                at: a.n("at")?,
                action: a.s("action")?,
                detail: a.s("detail")?,
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn items_round_trip() {
        let c = Contact {
            id: "c1".into(),
            name: "Ana".into(),
            company: String::new(),
            notes: "n".into(),
            favourite: true,
            numbers: vec![ContactNumber {
                label: NumberLabel::Work,
                e164: "+6561234567".into(),
            }],
            created_at: 1,
            updated_at: 2,
            version: 3,
        };
        assert_eq!(contact_from(&contact_item("o", &c)).unwrap(), c);
        let mut item = contact_item("o", &c);
        item.insert("version".into(), s("three"));
        assert_eq!(
            contact_from(&item),
            Err(StoreError::Unavailable(
                "contact item: missing or bad version".into()
            ))
        );
    }
}
