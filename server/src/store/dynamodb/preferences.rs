//! Per-user settings: one item in the owner's partition once the user changes a default.

use app::api::ports::{PreferenceStore, StoreError};
use app::domain::recordings::{Preferences, RecordingMode};
use async_trait::async_trait;

use super::item::{Attrs, ItemBuilder};
use super::{user_pk, DynamoStore};

#[async_trait]
impl PreferenceStore for DynamoStore {
    // Hand-written rather than serde: an unknown mode reads as the default (as in SQLite),
    // where serde would refuse the item.
    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError> {
        let recording = match self.get(user_pk(owner), "PREFS").await? {
            Some(item) => Attrs::of(&item, "preferences")
                .opt_s("recording")?
                .and_then(|m| RecordingMode::parse(&m))
                .unwrap_or_default(),
            None => RecordingMode::default(),
        };
        Ok(Preferences { recording })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        self.put(
            ItemBuilder::new(user_pk(owner), "PREFS", "preferences")
                .s("recording", p.recording.as_str())
                .build(),
        )
        .await
    }
}
