//! Integration tokens: found by hash, listed per owner newest first, capped per owner, revoked
//! at once (the hash then finds nothing), touched, and never across owners.

use app::api::ports::{Store, StoreError, TokenRecord};

use super::fixtures::{ALICE, BOB};

fn token(owner: &str, id: &str, created_at: u64) -> TokenRecord {
    TokenRecord {
        id: id.into(),
        owner: owner.into(),
        email: format!("{owner}@example.com"),
        name: format!("token {id}"),
        scopes: "contacts:read calls:write".into(),
        token_hash: format!("hash-{id}"),
        created_at,
        expires_at: Some(created_at + 1000),
        last_used_at: None,
    }
}

pub async fn tokens_are_capped_found_by_hash_and_revoked(store: &dyn Store) {
    assert!(store
        .create_token(&token(ALICE, "a1", 10), 2)
        .await
        .unwrap());
    assert!(store
        .create_token(&token(ALICE, "a2", 20), 2)
        .await
        .unwrap());
    // At the cap: refused, nothing written.
    assert!(!store
        .create_token(&token(ALICE, "a3", 30), 2)
        .await
        .unwrap());
    assert_eq!(store.token_by_hash("hash-a3").await.unwrap(), None);
    // Another owner has their own cap.
    assert!(store.create_token(&token(BOB, "b1", 15), 2).await.unwrap());
    // The same hash twice is refused (and does not count).
    let mut copy = token(BOB, "b2", 16);
    copy.token_hash = "hash-b1".into();
    assert_eq!(
        store.create_token(&copy, 2).await,
        Err(StoreError::AlreadyExists)
    );

    let listed: Vec<String> = store
        .list_tokens(ALICE)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, ["a2", "a1"]);
    assert_eq!(
        store.token_by_hash("hash-a1").await.unwrap(),
        Some(token(ALICE, "a1", 10))
    );
    assert_eq!(store.token_by_hash("nothing").await.unwrap(), None);

    store.touch_token(ALICE, "a1", 55).await.unwrap();
    assert_eq!(
        store
            .token_by_hash("hash-a1")
            .await
            .unwrap()
            .and_then(|t| t.last_used_at),
        Some(55)
    );

    // Not across owners.
    assert_eq!(
        store.revoke_token(BOB, "a1").await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.touch_token(BOB, "a1", 60).await,
        Err(StoreError::NotFound)
    );
    assert!(store.token_by_hash("hash-a1").await.unwrap().is_some());

    let revoked = store.revoke_token(ALICE, "a1").await.unwrap();
    assert_eq!(revoked.id, "a1");
    assert_eq!(store.token_by_hash("hash-a1").await.unwrap(), None);
    assert_eq!(
        store.revoke_token(ALICE, "a1").await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.touch_token(ALICE, "a1", 70).await,
        Err(StoreError::NotFound)
    );
    // Revoking frees a place under the cap.
    assert!(store
        .create_token(&token(ALICE, "a4", 40), 2)
        .await
        .unwrap());
    assert!(!store
        .create_token(&token(ALICE, "a5", 50), 2)
        .await
        .unwrap());
    let listed: Vec<String> = store
        .list_tokens(ALICE)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, ["a4", "a2"]);
    assert_eq!(store.list_tokens(BOB).await.unwrap().len(), 1);
}
