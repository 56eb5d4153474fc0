//! Requests between servers (click-to-dials, Chime progress pushes): items of one partition,
//! sorted by their id (which starts with the time), read from the time a waiter still waits;
//! taken with a conditional update (`attribute_not_exists(taken_by)`), so one server takes
//! each. DynamoDB's time to live removes them an hour later. The partition and sort keys keep
//! the names they had when they carried only click-to-dials (`DIALS`, `DIAL#<id>`).

use app::api::ports::{RelayRequest, RelayStore, StoreError};
use async_trait::async_trait;

use super::item::{is_condition_failure, key, s, sdk_error, Attrs, Item, ItemBuilder};
use super::{padded, DynamoStore, Query};

const DIALS_PK: &str = "DIALS";
const PURGE_AFTER_S: u64 = 3600;

fn relay_sk(id: &str) -> String {
    format!("DIAL#{id}")
}

fn relay_from(item: &Item) -> Result<RelayRequest, StoreError> {
    let a = Attrs::of(item, "dial");
    Ok(RelayRequest {
        id: a.s("id")?,
        owner: a.s("owner")?,
        request: a.s("request")?,
        created_at: a.n("created_at")?,
        taken_by: a.opt_s("taken_by")?,
        outcome: a.opt_s("outcome")?,
    })
}

#[async_trait]
impl RelayStore for DynamoStore {
    async fn put_relay(&self, d: &RelayRequest) -> Result<(), StoreError> {
        let item = ItemBuilder::new(DIALS_PK, relay_sk(&d.id), "dial")
            .s("id", &d.id)
            .s("owner", &d.owner)
            .s("request", &d.request)
            .n("created_at", d.created_at)
            .opt_s("taken_by", d.taken_by.as_deref())
            .opt_s("outcome", d.outcome.as_deref())
            .n(super::TTL_ATTRIBUTE, d.created_at / 1000 + PURGE_AFTER_S)
            .build();
        self.create(item).await
    }

    async fn pending_relays(&self, since: u64) -> Result<Vec<RelayRequest>, StoreError> {
        let q = Query::on(None, "PK = :pk AND SK > :since")
            .value(":pk", DIALS_PK)
            .value(":since", relay_sk(&padded(since)));
        self.collect(&q, usize::MAX, |item| {
            let d = relay_from(item)?;
            Ok((d.taken_by.is_none() && d.created_at > since).then_some(d))
        })
        .await
    }

    async fn take_relay(&self, id: &str, taker: &str) -> Result<bool, StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(DIALS_PK, relay_sk(id))))
            .update_expression("SET #t = :t")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(#t)")
            .expression_attribute_names("#t", "taken_by")
            .expression_attribute_values(":t", s(taker))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn finish_relay(&self, id: &str, outcome: &str) -> Result<(), StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(DIALS_PK, relay_sk(id))))
            .update_expression("SET #o = :o")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#o", "outcome")
            .expression_attribute_values(":o", s(outcome))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::NotFound),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn get_relay(&self, id: &str) -> Result<Option<RelayRequest>, StoreError> {
        self.get(DIALS_PK.into(), relay_sk(id))
            .await?
            .as_ref()
            .map(relay_from)
            .transpose()
    }
}
