//! The business's numbers: items of one partition (`NUMBERS`, sorted by E.164: a business has
//! tens of numbers, not millions), each the `OwnedNumber` mapped with serde_dynamo. A customer
//! number's last agent: one item per customer number, written only by a later call (a
//! conditional put), purged by DynamoDB's time to live once it no longer counts.

use app::api::ports::{NumberStore, StoreError};
use app::domain::inbound::{LastAgent, OwnedNumber, LAST_AGENT_WINDOW_MS};
use async_trait::async_trait;

use super::item::{
    is_condition_failure, key, n, record_from, record_item, sdk_error, Attrs, ItemBuilder,
};
use super::{DynamoStore, Query, PURGE_AFTER_S, TTL_ATTRIBUTE};

const NUMBERS_PK: &str = "NUMBERS";
const ENTITY: &str = "owned_number";

fn number_sk(e164: &str) -> String {
    format!("NUMBER#{e164}")
}

fn customer_pk(e164: &str) -> String {
    format!("CUSTOMER#{e164}")
}

#[async_trait]
impl NumberStore for DynamoStore {
    async fn put_number(&self, number: &OwnedNumber) -> Result<(), StoreError> {
        self.put(record_item(
            NUMBERS_PK,
            number_sk(&number.e164),
            ENTITY,
            number,
        )?)
        .await
    }

    async fn get_number(&self, e164: &str) -> Result<Option<OwnedNumber>, StoreError> {
        self.get(NUMBERS_PK.into(), number_sk(e164))
            .await?
            .map(|item| record_from(&item, ENTITY))
            .transpose()
    }

    async fn list_numbers(&self) -> Result<Vec<OwnedNumber>, StoreError> {
        let q = Query::on(None, "PK = :pk AND begins_with(SK, :prefix)")
            .value(":pk", NUMBERS_PK)
            .value(":prefix", "NUMBER#");
        self.collect(&q, usize::MAX, |item| record_from(item, ENTITY).map(Some))
            .await
    }

    async fn delete_number(&self, e164: &str) -> Result<(), StoreError> {
        match self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(NUMBERS_PK, number_sk(e164))))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::NotFound),
            Err(e) => Err(sdk_error("DeleteItem", e)),
        }
    }

    async fn set_last_agent(
        &self,
        customer_e164: &str,
        owner: &str,
        at: u64,
    ) -> Result<(), StoreError> {
        let purge_at = (at + LAST_AGENT_WINDOW_MS) / 1000 + PURGE_AFTER_S;
        let item = ItemBuilder::new(customer_pk(customer_e164), "LAST_AGENT", "last_agent")
            .s("owner", owner)
            .n("at", at)
            .n(TTL_ATTRIBUTE, purge_at)
            .build();
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR #at <= :at")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":at", n(at))
            .send()
            .await
        {
            // An earlier call than the one kept loses: nothing to do.
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    async fn last_agent(&self, customer_e164: &str) -> Result<Option<LastAgent>, StoreError> {
        let Some(item) = self.get(customer_pk(customer_e164), "LAST_AGENT").await? else {
            return Ok(None);
        };
        let a = Attrs::of(&item, "last agent");
        Ok(Some(LastAgent {
            owner: a.s("owner")?,
            at: a.n("at")?,
        }))
    }
}
