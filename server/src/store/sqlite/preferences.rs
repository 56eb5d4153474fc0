//! Per-user settings: a row once the user changes a default.

use app::api::ports::{PreferenceStore, StoreError};
use app::domain::recordings::{Preferences, RecordingMode};
use async_trait::async_trait;

use super::{execute, optional_row, SqliteStore};

#[async_trait]
impl PreferenceStore for SqliteStore {
    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError> {
        let owner = owner.to_owned();
        let row: Option<(String, bool, bool)> = self
            .read(move |c| {
                optional_row(
                    c,
                    "SELECT recording, confirm_api_calls, do_not_disturb FROM preferences \
                     WHERE owner = ?",
                    [owner],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
            })
            .await?;
        let Some((recording, confirm_api_calls, do_not_disturb)) = row else {
            return Ok(Preferences::default());
        };
        Ok(Preferences {
            recording: RecordingMode::parse(&recording).unwrap_or_default(),
            confirm_api_calls,
            do_not_disturb,
        })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        let (owner, recording) = (owner.to_owned(), p.recording.as_str());
        let flag = |on: bool| if on { "1" } else { "0" };
        let (confirm, dnd) = (flag(p.confirm_api_calls), flag(p.do_not_disturb));
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO preferences (owner, recording, confirm_api_calls, do_not_disturb)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT(owner) DO UPDATE SET recording = excluded.recording,
                   confirm_api_calls = excluded.confirm_api_calls,
                   do_not_disturb = excluded.do_not_disturb",
                [owner.as_str(), recording, confirm, dnd],
            )?;
            Ok(())
        })
        .await
    }
}
