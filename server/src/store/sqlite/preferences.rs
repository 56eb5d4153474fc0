//! Per-user settings: a row once the user changes a default.

use app::api::ports::{PreferenceStore, StoreError};
use app::domain::recordings::{Preferences, RecordingMode};
use async_trait::async_trait;
use sqlx::Row;

use super::{unavailable, SqliteStore};

#[async_trait]
impl PreferenceStore for SqliteStore {
    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError> {
        let row = sqlx::query("SELECT recording FROM preferences WHERE owner = ?")
            .bind(owner)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(Preferences {
            recording: row
                .and_then(|r| RecordingMode::parse(r.get("recording")))
                .unwrap_or_default(),
        })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO preferences (owner, recording) VALUES (?, ?)
             ON CONFLICT(owner) DO UPDATE SET recording = excluded.recording",
        )
        .bind(owner)
        .bind(p.recording.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}
