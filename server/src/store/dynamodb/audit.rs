//! The audit trail: items in the owner's partition whose sort key starts with the time.

use app::api::ports::{AuditEvent, AuditStore, StoreError};
use async_trait::async_trait;

use super::item::{record_from, record_item};
use super::{padded, user_pk, DynamoStore, Query};

#[async_trait]
impl AuditStore for DynamoStore {
    async fn audit(&self, owner: &str, event: &AuditEvent) -> Result<(), StoreError> {
        // The random suffix keeps two events of the same millisecond apart.
        let sk = format!("AUDIT#{}#{}", padded(event.at), uuid::Uuid::new_v4());
        self.put(record_item(user_pk(owner), sk, "audit", event)?)
            .await
    }

    async fn list_audit(&self, owner: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let q = Query::on(None, "PK = :pk AND begins_with(SK, :prefix)")
            .value(":pk", user_pk(owner))
            .value(":prefix", "AUDIT#")
            .backward();
        self.collect(&q, limit.clamp(1, 1000), |item| {
            record_from(item, "audit").map(Some)
        })
        .await
    }
}
