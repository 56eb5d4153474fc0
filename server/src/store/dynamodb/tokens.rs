//! Integration tokens: the record in its owner's partition (`PAT#<id>`), a pointer item keyed
//! by the token's hash (`PATHASH#<hash>` / `PAT`) for the REST API's look-up, and a per-owner
//! counter (`PATCOUNT`) that the create transaction raises only below the cap. Revoking
//! deletes the record and the pointer and lowers the counter, in one transaction.

use app::api::ports::{StoreError, TokenRecord, TokenStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::item::{
    build_error, condition_failed, delete, is_condition_failure, key, n, put, record_from,
    record_item, sdk_error, Attrs, Item, ItemBuilder,
};
use super::{user_pk, DynamoStore, Query};

const COUNT_SK: &str = "PATCOUNT";
const ENTITY: &str = "integration_token";

fn token_sk(id: &str) -> String {
    format!("PAT#{id}")
}

fn hash_pk(hash: &str) -> String {
    format!("PATHASH#{hash}")
}

fn count_change(
    table: &str,
    owner: &str,
    by: i64,
    below: Option<usize>,
) -> Result<TransactWriteItem, StoreError> {
    let mut u = Update::builder()
        .table_name(table)
        .set_key(Some(key(user_pk(owner), COUNT_SK)))
        .update_expression("ADD #held :by")
        .expression_attribute_names("#held", "held")
        .expression_attribute_values(":by", AttributeValue::N(by.to_string()));
    if let Some(max) = below {
        u = u
            .condition_expression("attribute_not_exists(#held) OR #held < :max")
            .expression_attribute_values(":max", n(max as u64));
    }
    Ok(TransactWriteItem::builder()
        .update(u.build().map_err(build_error)?)
        .build())
}

impl DynamoStore {
    async fn token(&self, owner: &str, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.read(owner, token_sk(id), |item: &Item| record_from(item, ENTITY))
            .await
    }
}

#[async_trait]
impl TokenStore for DynamoStore {
    async fn create_token(
        &self,
        token: &TokenRecord,
        max_per_owner: usize,
    ) -> Result<bool, StoreError> {
        let record = record_item(user_pk(&token.owner), token_sk(&token.id), ENTITY, token)?;
        let pointer = ItemBuilder::new(hash_pk(&token.token_hash), "PAT", "integration_token_hash")
            .s("owner", &token.owner)
            .s("id", &token.id)
            .build();
        let new = Some("attribute_not_exists(PK)");
        match self
            .transact(vec![
                count_change(&self.table, &token.owner, 1, Some(max_per_owner))?,
                put(&self.table, record, new)?,
                put(&self.table, pointer, new)?,
            ])
            .await?
        {
            Ok(()) => Ok(true),
            Err(reasons) if condition_failed(&reasons, 0) => Ok(false),
            Err(reasons) if condition_failed(&reasons, 1) || condition_failed(&reasons, 2) => {
                Err(StoreError::AlreadyExists)
            }
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "create token cancelled: {reasons:?}"
            ))),
        }
    }

    async fn list_tokens(&self, owner: &str) -> Result<Vec<TokenRecord>, StoreError> {
        let q = Query::on(None, "PK = :pk AND begins_with(SK, :prefix)")
            .value(":pk", user_pk(owner))
            .value(":prefix", "PAT#");
        let mut tokens: Vec<TokenRecord> = self
            .collect(&q, usize::MAX, |item| record_from(item, ENTITY).map(Some))
            .await?;
        tokens.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(tokens)
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let Some(pointer) = self.get(hash_pk(hash), "PAT").await? else {
            return Ok(None);
        };
        let a = Attrs::of(&pointer, "integration token hash");
        let token = self.token(&a.s("owner")?, &a.s("id")?).await?;
        // A pointer whose record is gone (revoked between the two reads) finds nothing.
        Ok(token.filter(|t| t.token_hash == hash))
    }

    async fn revoke_token(&self, owner: &str, id: &str) -> Result<TokenRecord, StoreError> {
        let token = self.token(owner, id).await?.ok_or(StoreError::NotFound)?;
        let record = {
            let d = aws_sdk_dynamodb::types::Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(owner), token_sk(id))))
                .condition_expression("attribute_exists(PK)")
                .build()
                .map_err(build_error)?;
            TransactWriteItem::builder().delete(d).build()
        };
        match self
            .transact(vec![
                record,
                delete(&self.table, key(hash_pk(&token.token_hash), "PAT"))?,
                count_change(&self.table, owner, -1, None)?,
            ])
            .await?
        {
            Ok(()) => Ok(token),
            Err(reasons) if condition_failed(&reasons, 0) => Err(StoreError::NotFound),
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "revoke token cancelled: {reasons:?}"
            ))),
        }
    }

    async fn touch_token(&self, owner: &str, id: &str, at: u64) -> Result<(), StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(owner), token_sk(id))))
            .update_expression("SET #u = :at")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#u", "last_used_at")
            .expression_attribute_values(":at", n(at))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::NotFound),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }
}
