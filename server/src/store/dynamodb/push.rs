//! Web Push: each subscription in its owner's partition (`PUSHSUB#<id>`, the
//! `PushSubscription` record), a pointer item keyed by the endpoint's hash (`PUSHEP#<hash>` /
//! `PUSHEP`, holding `owner` and `id`) so a subscription is found by endpoint (an upsert from
//! another user, a 404/410 from the push service), and the user's settings (`PUSHPREFS`).
//! Endpoints are hashed for keys: they are long and a capability.

use app::api::ports::{PushStore, StoreError};
use app::domain::push::{PushSettings, PushSubscription};
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::item::{delete, key, put, record_from, record_item, Attrs, Item, ItemBuilder};
use super::{user_pk, DynamoStore, Query};

const ENTITY: &str = "push_subscription";
const POINTER_SK: &str = "PUSHEP";
const SETTINGS_SK: &str = "PUSHPREFS";

fn subscription_sk(id: &str) -> String {
    format!("PUSHSUB#{id}")
}

fn pointer_pk(endpoint: &str) -> String {
    format!(
        "PUSHEP#{}",
        URL_SAFE_NO_PAD.encode(Sha256::digest(endpoint.as_bytes()))
    )
}

impl DynamoStore {
    /// Who holds the subscription with this endpoint: (owner, id).
    async fn push_pointer(&self, endpoint: &str) -> Result<Option<(String, String)>, StoreError> {
        let Some(item) = self.get(pointer_pk(endpoint), POINTER_SK).await? else {
            return Ok(None);
        };
        let a = Attrs::of(&item, "push endpoint pointer");
        Ok(Some((a.s("owner")?, a.s("id")?)))
    }
}

#[async_trait]
impl PushStore for DynamoStore {
    async fn put_push_subscription(
        &self,
        s: &PushSubscription,
        max_per_owner: usize,
    ) -> Result<(), StoreError> {
        let mut writes = Vec::new();
        if let Some((owner, id)) = self.push_pointer(&s.endpoint).await? {
            if owner != s.owner || id != s.id {
                writes.push(delete(
                    &self.table,
                    key(user_pk(&owner), subscription_sk(&id)),
                )?);
            }
        }
        writes.push(put(
            &self.table,
            record_item(user_pk(&s.owner), subscription_sk(&s.id), ENTITY, s)?,
            None,
        )?);
        let pointer: Item = ItemBuilder::new(pointer_pk(&s.endpoint), POINTER_SK, "push_endpoint")
            .s("owner", &s.owner)
            .s("id", &s.id)
            .build();
        writes.push(put(&self.table, pointer, None)?);
        self.transact(writes).await?.map_err(|reasons| {
            StoreError::Unavailable(format!("push subscribe cancelled: {reasons:?}"))
        })?;
        // The cap: the oldest beyond it go. Not in the transaction (DynamoDB cannot count in
        // one); two devices subscribing at once may leave one extra until the next subscribe.
        let held = self.push_subscriptions(&s.owner).await?;
        for old in held.iter().take(held.len().saturating_sub(max_per_owner)) {
            self.delete_push_endpoint(&old.endpoint).await?;
        }
        Ok(())
    }

    async fn push_subscriptions(&self, owner: &str) -> Result<Vec<PushSubscription>, StoreError> {
        let q = Query::on(None, "PK = :pk AND begins_with(SK, :prefix)")
            .value(":pk", user_pk(owner))
            .value(":prefix", "PUSHSUB#");
        let mut held: Vec<PushSubscription> = self
            .collect(&q, usize::MAX, |item| record_from(item, ENTITY).map(Some))
            .await?;
        held.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(held)
    }

    async fn delete_push_subscription(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        let Some(item) = self.get(user_pk(owner), subscription_sk(id)).await? else {
            return Ok(false);
        };
        let s: PushSubscription = record_from(&item, ENTITY)?;
        self.delete_push_endpoint(&s.endpoint).await
    }

    async fn delete_push_endpoint(&self, endpoint: &str) -> Result<bool, StoreError> {
        let Some((owner, id)) = self.push_pointer(endpoint).await? else {
            return Ok(false);
        };
        self.transact(vec![
            delete(&self.table, key(user_pk(&owner), subscription_sk(&id)))?,
            delete(&self.table, key(pointer_pk(endpoint), POINTER_SK))?,
        ])
        .await?
        .map_err(|reasons| {
            StoreError::Unavailable(format!("push unsubscribe cancelled: {reasons:?}"))
        })?;
        Ok(true)
    }

    async fn push_settings(&self, owner: &str) -> Result<PushSettings, StoreError> {
        match self.get(user_pk(owner), SETTINGS_SK).await? {
            Some(item) => record_from(&item, "push_settings"),
            None => Ok(PushSettings::default()),
        }
    }

    async fn set_push_settings(
        &self,
        owner: &str,
        settings: &PushSettings,
    ) -> Result<(), StoreError> {
        self.put(record_item(
            user_pk(owner),
            SETTINGS_SK,
            "push_settings",
            settings,
        )?)
        .await
    }
}
