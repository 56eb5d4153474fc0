//! The audit trail, newest first by insertion order.

use app::api::ports::{AuditEvent, AuditStore, StoreError};
use async_trait::async_trait;
use rusqlite::params;

use super::{all_rows, execute, SqliteStore};

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit(&self, owner: &str, event: &AuditEvent) -> Result<(), StoreError> {
        let (owner, event) = (owner.to_owned(), event.clone());
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO audit_events (owner, at, action, detail) VALUES (?, ?, ?, ?)",
                params![owner, event.at, event.action, event.detail],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_audit(&self, owner: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let owner = owner.to_owned();
        self.read(move |c| {
            all_rows(
                c,
                "SELECT at, action, detail FROM audit_events WHERE owner = ? ORDER BY seq DESC LIMIT ?",
                params![owner, limit.clamp(1, 1000)],
                |r| {
                    Ok(AuditEvent {
                        at: r.get("at")?,
                        action: r.get("action")?,
                        detail: r.get("detail")?,
                    })
                },
            )
        })
        .await
    }
}
