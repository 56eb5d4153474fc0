//! Per-user settings: a row once the user changes a default.

use app::api::ports::{PreferenceStore, StoreError};
use app::domain::recordings::{Preferences, RecordingMode};
use async_trait::async_trait;

use super::{execute, optional_row, SqliteStore};

#[async_trait]
impl PreferenceStore for SqliteStore {
    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError> {
        let owner = owner.to_owned();
        let row: Option<(String, bool)> = self
            .read(move |c| {
                optional_row(
                    c,
                    "SELECT recording, confirm_api_calls FROM preferences WHERE owner = ?",
                    [owner],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .await?;
        let Some((recording, confirm_api_calls)) = row else {
            return Ok(Preferences::default());
        };
        Ok(Preferences {
            recording: RecordingMode::parse(&recording).unwrap_or_default(),
            confirm_api_calls,
        })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        let (owner, recording) = (owner.to_owned(), p.recording.as_str());
        let confirm = if p.confirm_api_calls { "1" } else { "0" };
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO preferences (owner, recording, confirm_api_calls) VALUES (?, ?, ?)
                 ON CONFLICT(owner) DO UPDATE SET recording = excluded.recording,
                   confirm_api_calls = excluded.confirm_api_calls",
                [owner.as_str(), recording, confirm],
            )?;
            Ok(())
        })
        .await
    }
}
