//! Users of the local identity: a profile in the user's partition and an email claim that
//! keeps emails unique. Sessions live in their user's partition (sign-out everywhere is one
//! consistent query); pointer items find them by id and by refresh-token hash. A rotated
//! refresh token keeps its pointer (until the session's purge time), so reuse is recognised.

use app::api::ports::{AccountStore, SessionRecord, SessionStanding, StoreError, UserRecord};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::item::{
    build_error, condition_failed, is_condition_failure, key, n, put, record_from, record_item, s,
    sdk_error, Attrs, Item, ItemBuilder,
};
use super::{user_pk, DynamoStore, Query, PURGE_AFTER_S, TTL_ATTRIBUTE};

/// When DynamoDB may purge an item that stops being of use at `expires_at` (milliseconds).
fn purge_at(expires_at: u64) -> AttributeValue {
    n(expires_at / 1000 + PURGE_AFTER_S)
}

fn session_sk(id: &str) -> String {
    format!("SESSION#{id}")
}

fn session_item(session: &SessionRecord) -> Result<Item, StoreError> {
    let mut item = record_item(
        user_pk(&session.sub),
        session_sk(&session.id),
        "session",
        session,
    )?;
    item.insert(TTL_ATTRIBUTE.into(), purge_at(session.expires_at));
    Ok(item)
}

fn session_from(item: &Item) -> Result<SessionRecord, StoreError> {
    record_from(item, "session")
}

/// The pointer from a refresh token's hash to its session.
fn token_pointer(session: &SessionRecord, hash: &str) -> Item {
    ItemBuilder::new(format!("TOKEN#{hash}"), "TOKEN", "session_token")
        .s("sub", &session.sub)
        .s("session_id", &session.id)
        .set(TTL_ATTRIBUTE, purge_at(session.expires_at))
        .build()
}

/// The sort key of the item that says the account in its partition is disabled (either identity
/// provider: it is keyed by the sub, with or without a `PROFILE`).
const DISABLED_SK: &str = "DISABLED";

/// The reset code item's attributes.
#[derive(serde::Serialize, serde::Deserialize)]
struct ResetCode {
    code_hash: String,
    expires_at: u64,
    failures: u32,
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        // The claim is a pointer (its key is the email), so it is written by hand.
        let claim = ItemBuilder::new(format!("EMAIL#{}", user.email), "EMAIL", "email_claim")
            .s("sub", &user.sub)
            .build();
        let profile = record_item(user_pk(&user.sub), "PROFILE", "user", user)?;
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
        record_from(&item, "user").map(Some)
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

    async fn set_admin(&self, sub: &str, admin: bool) -> Result<(), StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(sub), "PROFILE")))
            .update_expression("SET #a = :a")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#a", "admin")
            .expression_attribute_values(":a", AttributeValue::Bool(admin))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::NotFound),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        // The pointers hold another item's key, not a record: written by hand.
        let by_id = ItemBuilder::new(format!("SESSION#{}", session.id), "SESSION", "session_id")
            .s("sub", &session.sub)
            .set(TTL_ATTRIBUTE, purge_at(session.expires_at))
            .build();
        let by_token = token_pointer(session, &session.token_hash);
        let new = Some("attribute_not_exists(PK)");
        match self
            .transact(vec![
                put(&self.table, session_item(session)?, new)?,
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
            .get(user_pk(&a.s("sub")?), session_sk(&a.s("session_id")?))
            .await?;
        item.as_ref().map(session_from).transpose()
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let Some(pointer) = self.get(format!("SESSION#{id}"), "SESSION").await? else {
            return Ok(None);
        };
        let sub = Attrs::of(&pointer, "session id").s("sub")?;
        let item = self.get(user_pk(&sub), session_sk(id)).await?;
        item.as_ref().map(session_from).transpose()
    }

    async fn rotate_session_token(
        &self,
        session: &SessionRecord,
        new_hash: &str,
        at: u64,
    ) -> Result<bool, StoreError> {
        let swap = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&session.sub), session_sk(&session.id))))
            .update_expression("SET #t = :new, #p = :old, #at = :at")
            .condition_expression("#t = :old AND #r = :no")
            .expression_attribute_names("#t", "token_hash")
            .expression_attribute_names("#p", "previous_hash")
            .expression_attribute_names("#at", "rotated_at")
            .expression_attribute_names("#r", "revoked")
            .expression_attribute_values(":new", s(new_hash))
            .expression_attribute_values(":old", s(&session.token_hash))
            .expression_attribute_values(":at", n(at))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(swap).build(),
            put(
                &self.table,
                token_pointer(session, new_hash),
                Some("attribute_not_exists(PK)"),
            )?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(true),
            Err(reasons) if condition_failed(&reasons, 0) => Ok(false),
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "rotate refresh token cancelled: {reasons:?}"
            ))),
        }
    }

    async fn revoke_session(&self, sub: &str, id: &str) -> Result<bool, StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(sub), session_sk(id))))
            .update_expression("SET #r = :yes")
            .condition_expression("#r = :no")
            .expression_attribute_names("#r", "revoked")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            // Revoked already, or no such session (the condition fails on a missing item).
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
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
                .set_key(Some(key(user_pk(sub), session_sk(&session.id))))
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
        let code = ResetCode {
            code_hash: code_hash.into(),
            expires_at,
            failures: 0,
        };
        let mut item = record_item(user_pk(sub), "RESET", "reset_code", &code)?;
        item.insert(TTL_ATTRIBUTE.into(), purge_at(expires_at));
        self.put(item).await
    }

    async fn reset_code(&self, sub: &str) -> Result<Option<(String, u64, u32)>, StoreError> {
        let Some(item) = self.get(user_pk(sub), "RESET").await? else {
            return Ok(None);
        };
        let code: ResetCode = record_from(&item, "reset code")?;
        Ok(Some((code.code_hash, code.expires_at, code.failures)))
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

    async fn put_invite(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        let item = ItemBuilder::new(format!("INVITE#{email}"), "INVITE", "invite")
            .s("code_hash", code_hash)
            .n("expires_at", expires_at)
            .set(TTL_ATTRIBUTE, purge_at(expires_at))
            .build();
        self.put(item).await
    }

    async fn take_invite(
        &self,
        email: &str,
        code_hash: &str,
        now: u64,
    ) -> Result<bool, StoreError> {
        match self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("INVITE#{email}"), "INVITE")))
            .condition_expression("#h = :h AND #e > :now")
            .expression_attribute_names("#h", "code_hash")
            .expression_attribute_names("#e", "expires_at")
            .expression_attribute_values(":h", s(code_hash))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("DeleteItem", e)),
        }
    }

    async fn session_standing(
        &self,
        sub: &str,
        session_id: &str,
    ) -> Result<SessionStanding, StoreError> {
        // The three items are in the user's partition: one BatchGetItem instead of four
        // GetItems (the session's id pointer is not needed when the sub is known).
        let (disabled, session, profile) =
            (DISABLED_SK.to_string(), session_sk(session_id), "PROFILE");
        let items = self
            .get_many(vec![
                key(user_pk(sub), disabled.clone()),
                key(user_pk(sub), session.clone()),
                key(user_pk(sub), profile),
            ])
            .await?;
        let mut standing = SessionStanding::default();
        for item in &items {
            let sk = Attrs::of(item, "session standing").s("SK")?;
            if sk == disabled {
                standing.disabled_at = Some(Attrs::of(item, "disabled account").n("disabled_at")?);
            } else if sk == session {
                standing.session = Some(session_from(item)?);
            } else if sk == profile {
                standing.user = Some(record_from(item, "user")?);
            }
        }
        Ok(standing)
    }

    async fn account_disabled(&self, sub: &str) -> Result<Option<u64>, StoreError> {
        let Some(item) = self.get(user_pk(sub), DISABLED_SK).await? else {
            return Ok(None);
        };
        Attrs::of(&item, "disabled account")
            .n("disabled_at")
            .map(Some)
    }

    async fn set_account_disabled(&self, sub: &str, at: Option<u64>) -> Result<bool, StoreError> {
        match at {
            Some(at) => {
                let item = ItemBuilder::new(user_pk(sub), DISABLED_SK, "disabled_account")
                    .s("owner", sub)
                    .n("disabled_at", at)
                    .build();
                // A disabled account keeps the time it was first disabled.
                self.put_if(item, "attribute_not_exists(PK)").await
            }
            None => {
                let out = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key(user_pk(sub), DISABLED_SK)))
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DeleteItem", e))?;
                Ok(out.attributes().is_some_and(|a| !a.is_empty()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_item_holds_the_record_and_its_purge_time() {
        let session = SessionRecord {
            id: "s1".into(),
            sub: "u1".into(),
            token_hash: "th".into(),
            created_at: 1_000,
            expires_at: 5_000,
            revoked: false,
            previous_hash: None,
            rotated_at: None,
        };
        let item = session_item(&session).unwrap();
        assert_eq!(item["PK"], s("USER#u1"));
        assert_eq!(item["SK"], s("SESSION#s1"));
        assert_eq!(item["revoked"], AttributeValue::Bool(false));
        assert_eq!(item["expires_at"], n(5_000));
        assert_eq!(item[TTL_ATTRIBUTE], n(5 + PURGE_AFTER_S));
        assert_eq!(session_from(&item).unwrap(), session);
    }
}
