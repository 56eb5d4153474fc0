//! The audit trail, newest first by insertion order.

use app::api::ports::{AuditEvent, AuditStore, StoreError};
use async_trait::async_trait;
use sqlx::Row;

use super::{unavailable, SqliteStore};

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit(&self, owner: &str, event: &AuditEvent) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_events (owner, at, action, detail) VALUES (?, ?, ?, ?)")
            .bind(owner)
            .bind(event.at as i64)
            .bind(&event.action)
            .bind(&event.detail)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn list_audit(&self, owner: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, action, detail FROM audit_events WHERE owner = ? ORDER BY seq DESC LIMIT ?",
        )
        .bind(owner)
        .bind(limit.clamp(1, 1000) as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .iter()
            .map(|r| AuditEvent {
                at: r.get::<i64, _>("at") as u64,
                action: r.get("action"),
                detail: r.get("detail"),
            })
            .collect())
    }
}
