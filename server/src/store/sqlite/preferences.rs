//! Per-user settings: a row once the user changes a default.

use app::api::ports::{PreferenceStore, StoreError};
use app::domain::recordings::{Preferences, RecordingMode};
use async_trait::async_trait;

use super::{execute, optional_row, SqliteStore};

#[async_trait]
impl PreferenceStore for SqliteStore {
    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError> {
        let owner = owner.to_owned();
        let recording: Option<String> = self
            .read(move |c| {
                optional_row(
                    c,
                    "SELECT recording FROM preferences WHERE owner = ?",
                    [owner],
                    |r| r.get(0),
                )
            })
            .await?;
        Ok(Preferences {
            recording: recording
                .as_deref()
                .and_then(RecordingMode::parse)
                .unwrap_or_default(),
        })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        let (owner, recording) = (owner.to_owned(), p.recording.as_str());
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO preferences (owner, recording) VALUES (?, ?)
                 ON CONFLICT(owner) DO UPDATE SET recording = excluded.recording",
                [owner.as_str(), recording],
            )?;
            Ok(())
        })
        .await
    }
}
