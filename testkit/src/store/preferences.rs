//! Preferences: defaults until saved, per owner.

use app::api::ports::Store;
use app::domain::recordings::{Preferences, RecordingMode};

use super::fixtures::{ALICE, BOB};

pub async fn preferences_default_and_persist(store: &dyn Store) {
    assert_eq!(
        store.preferences(ALICE).await.unwrap(),
        Preferences::default()
    );
    assert!(Preferences::default().confirm_api_calls, "asked by default");
    assert!(!Preferences::default().do_not_disturb, "off by default");
    let p = Preferences {
        recording: RecordingMode::Always,
        confirm_api_calls: true,
        do_not_disturb: false,
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
    assert_eq!(
        store.preferences(BOB).await.unwrap(),
        Preferences::default()
    );
    let p = Preferences {
        recording: RecordingMode::Never,
        confirm_api_calls: false,
        do_not_disturb: true,
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
    // Each setting is kept as it was given, the other one unchanged.
    let p = Preferences {
        recording: RecordingMode::Ask,
        confirm_api_calls: false,
        do_not_disturb: true,
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
    let p = Preferences {
        confirm_api_calls: true,
        ..p
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
    let p = Preferences {
        do_not_disturb: false,
        ..p
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
    assert_eq!(
        store.preferences(BOB).await.unwrap(),
        Preferences::default()
    );
}
