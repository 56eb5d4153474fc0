//! Preferences: defaults until saved, per owner.

use app::api::ports::Store;
use app::domain::recordings::{Preferences, RecordingMode};

use super::fixtures::{ALICE, BOB};

pub async fn preferences_default_and_persist(store: &dyn Store) {
    assert_eq!(
        store.preferences(ALICE).await.unwrap(),
        Preferences::default()
    );
    let p = Preferences {
        recording: RecordingMode::Always,
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
    assert_eq!(
        store.preferences(BOB).await.unwrap(),
        Preferences::default()
    );
    let p = Preferences {
        recording: RecordingMode::Never,
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
}
