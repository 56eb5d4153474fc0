//! The audit trail: each owner sees their own entries, newest first.

use app::api::ports::{AuditEvent, Store};

use super::fixtures::{ALICE, BOB};

pub async fn audit_is_owner_scoped(store: &dyn Store) {
    store
        .audit(
            ALICE,
            &AuditEvent {
                at: 1,
                action: "sign_in".into(),
                detail: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .audit(
            ALICE,
            &AuditEvent {
                at: 2,
                action: "contact_deleted".into(),
                detail: "x".into(),
            },
        )
        .await
        .unwrap();
    store
        .audit(
            BOB,
            &AuditEvent {
                at: 3,
                action: "sign_in".into(),
                detail: String::new(),
            },
        )
        .await
        .unwrap();
    let alice: Vec<String> = store
        .list_audit(ALICE, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(alice, ["contact_deleted", "sign_in"]);
    assert_eq!(store.list_audit(BOB, 10).await.unwrap().len(), 1);
}
