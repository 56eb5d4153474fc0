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
        let Some(item) = self.get(user_pk(owner), "PREFS").await? else {
            return Ok(Preferences::default());
        };
        let attrs = Attrs::of(&item, "preferences");
        let recording = attrs
            .opt_s("recording")?
            .and_then(|m| RecordingMode::parse(&m))
            .unwrap_or_default();
        // Items written before the setting existed have none: asked, the default.
        let confirm_api_calls = match item.get("confirm_api_calls") {
            None => true,
            Some(_) => attrs.bool("confirm_api_calls")?,
        };
        // Likewise do not disturb: off.
        let do_not_disturb = match item.get("do_not_disturb") {
            None => false,
            Some(_) => attrs.bool("do_not_disturb")?,
        };
        Ok(Preferences {
            recording,
            confirm_api_calls,
            do_not_disturb,
        })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        self.put(
            ItemBuilder::new(user_pk(owner), "PREFS", "preferences")
                .s("recording", p.recording.as_str())
                .bool("confirm_api_calls", p.confirm_api_calls)
                .bool("do_not_disturb", p.do_not_disturb)
                .build(),
        )
        .await
    }
}
