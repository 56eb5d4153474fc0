//! Accounts: the store answers, and users, sessions and reset codes.

use app::api::ports::{SessionRecord, Store, StoreError, UserRecord};

use super::fixtures::{ALICE, BOB};

pub async fn ping_answers(store: &dyn Store) {
    store.ping().await.expect("ping");
}

pub async fn users_and_sessions(store: &dyn Store) {
    let user = UserRecord {
        sub: ALICE.into(),
        email: "alice@example.com".into(),
        password_hash: "h".into(),
        created_at: 1,
    };
    store.create_user(&user).await.expect("create user");
    let again = UserRecord {
        sub: "other".into(),
        ..user.clone()
    };
    assert_eq!(
        store.create_user(&again).await,
        Err(StoreError::AlreadyExists),
        "email must be unique"
    );
    assert_eq!(
        store.user_by_email("alice@example.com").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(store.user_by_sub(ALICE).await.unwrap(), Some(user.clone()));
    assert_eq!(
        store.user_by_email("nobody@example.com").await.unwrap(),
        None
    );
    store.set_password_hash(ALICE, "h2").await.unwrap();
    assert_eq!(
        store
            .user_by_sub(ALICE)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "h2"
    );
    assert_eq!(
        store.set_password_hash("missing", "x").await,
        Err(StoreError::NotFound)
    );
    store
        .create_user(&UserRecord {
            sub: BOB.into(),
            email: "bob@example.com".into(),
            password_hash: "b".into(),
            created_at: 2,
        })
        .await
        .unwrap();

    let session = SessionRecord {
        id: "s1".into(),
        sub: ALICE.into(),
        token_hash: "th1".into(),
        created_at: 1,
        expires_at: 100,
        revoked: false,
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(
        store.session_by_token_hash("th1").await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(store.session("s1").await.unwrap(), Some(session.clone()));
    let bobs = SessionRecord {
        id: "s2".into(),
        sub: BOB.into(),
        token_hash: "th2".into(),
        ..session.clone()
    };
    store.create_session(&bobs).await.unwrap();
    assert_eq!(store.revoke_sessions(ALICE).await.unwrap(), 1);
    assert!(store.session("s1").await.unwrap().unwrap().revoked);
    assert!(
        !store.session("s2").await.unwrap().unwrap().revoked,
        "revoking Alice must not touch Bob"
    );

    store.put_reset_code(ALICE, "c1", 50).await.unwrap();
    store.count_reset_failure(ALICE).await.unwrap();
    assert_eq!(
        store.reset_code(ALICE).await.unwrap(),
        Some(("c1".into(), 50, 1))
    );
    store.put_reset_code(ALICE, "c2", 60).await.unwrap();
    assert_eq!(
        store.reset_code(ALICE).await.unwrap(),
        Some(("c2".into(), 60, 0)),
        "a new code replaces the old"
    );
    store.delete_reset_code(ALICE).await.unwrap();
    assert_eq!(store.reset_code(ALICE).await.unwrap(), None);
}
