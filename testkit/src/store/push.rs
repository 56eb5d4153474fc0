//! Web Push subscriptions: an upsert by endpoint (also from another owner: the device moves),
//! listed per owner oldest first, capped per owner (the oldest go), removed by owner and id or by
//! endpoint (a 404/410 from the push service), never across owners; push settings default to no
//! quiet hours and keep what is saved.

use app::api::ports::Store;
use app::domain::push::{PushSettings, PushSubscription, QuietHours};

use super::fixtures::{ALICE, BOB};

fn subscription(owner: &str, n: u32, created_at: u64) -> PushSubscription {
    PushSubscription {
        id: format!("id-{n}"),
        owner: owner.into(),
        endpoint: format!("https://push.example/send/{n}?long={}", "x".repeat(300)),
        p256dh: format!("p256dh-{n}"),
        auth: format!("auth-{n}"),
        label: format!("Browser {n}"),
        created_at,
    }
}

fn ids(list: &[PushSubscription]) -> Vec<&str> {
    list.iter().map(|s| s.id.as_str()).collect()
}

pub async fn push_subscriptions_upsert_cap_and_remove(store: &dyn Store) {
    assert!(store.push_subscriptions(ALICE).await.unwrap().is_empty());
    store
        .put_push_subscription(&subscription(ALICE, 2, 20), 3)
        .await
        .unwrap();
    store
        .put_push_subscription(&subscription(ALICE, 1, 10), 3)
        .await
        .unwrap();
    let held = store.push_subscriptions(ALICE).await.unwrap();
    assert_eq!(ids(&held), ["id-1", "id-2"], "oldest first");
    assert_eq!(held[0], subscription(ALICE, 1, 10), "kept as given");

    // The same endpoint again (the browser renewed its keys): replaced, not added.
    let renewed = PushSubscription {
        p256dh: "p256dh-new".into(),
        auth: "auth-new".into(),
        created_at: 30,
        ..subscription(ALICE, 1, 0)
    };
    store.put_push_subscription(&renewed, 3).await.unwrap();
    let held = store.push_subscriptions(ALICE).await.unwrap();
    assert_eq!(ids(&held), ["id-2", "id-1"]);
    assert_eq!(held[1], renewed);

    // The cap: a fourth device pushes out the oldest.
    store
        .put_push_subscription(&subscription(ALICE, 3, 40), 3)
        .await
        .unwrap();
    store
        .put_push_subscription(&subscription(ALICE, 4, 50), 3)
        .await
        .unwrap();
    assert_eq!(
        ids(&store.push_subscriptions(ALICE).await.unwrap()),
        ["id-1", "id-3", "id-4"]
    );

    // Bob signs in on the device of Alice's subscription 3: it is his now, not hers.
    store
        .put_push_subscription(&subscription(BOB, 3, 60), 3)
        .await
        .unwrap();
    assert_eq!(
        ids(&store.push_subscriptions(ALICE).await.unwrap()),
        ["id-1", "id-4"]
    );
    assert_eq!(ids(&store.push_subscriptions(BOB).await.unwrap()), ["id-3"]);

    // Removal by owner and id: only one's own.
    assert!(!store.delete_push_subscription(BOB, "id-1").await.unwrap());
    assert!(store.delete_push_subscription(ALICE, "id-1").await.unwrap());
    assert!(!store.delete_push_subscription(ALICE, "id-1").await.unwrap());
    assert_eq!(
        ids(&store.push_subscriptions(ALICE).await.unwrap()),
        ["id-4"]
    );

    // Removal by endpoint (the push service said it is gone), whoever holds it.
    let gone = subscription(BOB, 3, 0).endpoint;
    assert!(store.delete_push_endpoint(&gone).await.unwrap());
    assert!(!store.delete_push_endpoint(&gone).await.unwrap());
    assert!(store.push_subscriptions(BOB).await.unwrap().is_empty());
    assert_eq!(
        ids(&store.push_subscriptions(ALICE).await.unwrap()),
        ["id-4"]
    );
    // The endpoint can subscribe again after it was removed.
    store
        .put_push_subscription(&subscription(BOB, 3, 70), 3)
        .await
        .unwrap();
    assert_eq!(ids(&store.push_subscriptions(BOB).await.unwrap()), ["id-3"]);
}

pub async fn push_settings_default_and_persist(store: &dyn Store) {
    assert_eq!(
        store.push_settings(ALICE).await.unwrap(),
        PushSettings::default()
    );
    let quiet = PushSettings {
        quiet_hours: Some(QuietHours {
            start: 22 * 60,
            end: 7 * 60,
            utc_offset_minutes: -300,
            time_zone: "America/Panama".into(),
        }),
    };
    store.set_push_settings(ALICE, &quiet).await.unwrap();
    assert_eq!(store.push_settings(ALICE).await.unwrap(), quiet);
    assert_eq!(
        store.push_settings(BOB).await.unwrap(),
        PushSettings::default()
    );
    store
        .set_push_settings(ALICE, &PushSettings::default())
        .await
        .unwrap();
    assert_eq!(
        store.push_settings(ALICE).await.unwrap(),
        PushSettings::default()
    );
}
