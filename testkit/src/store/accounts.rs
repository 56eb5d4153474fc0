//! Accounts: the store answers, and users, sessions (with refresh-token rotation), reset
//! codes, invitations and disabled accounts.

use app::api::ports::{SessionRecord, SessionStanding, Store, StoreError, UserRecord};

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
        admin: false,
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
            admin: false,
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
        previous_hash: None,
        rotated_at: None,
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

/// Refresh-token rotation: the swap is compare-and-set (a stale view rotates nothing), every
/// hash a session had still finds it (reuse is recognised), and one family is revoked without
/// touching the user's other sessions.
pub async fn refresh_tokens_rotate_and_families_revoke(store: &dyn Store) {
    for (sub, email) in [(ALICE, "alice@example.com"), (BOB, "bob@example.com")] {
        store
            .create_user(&UserRecord {
                sub: sub.into(),
                email: email.into(),
                password_hash: "h".into(),
                created_at: 1,
                admin: false,
            })
            .await
            .unwrap();
    }
    let first = SessionRecord {
        id: "family-1".into(),
        sub: ALICE.into(),
        token_hash: "t1".into(),
        created_at: 1,
        expires_at: 1_000_000,
        revoked: false,
        previous_hash: None,
        rotated_at: None,
    };
    let other = SessionRecord {
        id: "family-2".into(),
        token_hash: "u1".into(),
        ..first.clone()
    };
    store.create_session(&first).await.unwrap();
    store.create_session(&other).await.unwrap();

    // Rotated once; the same view cannot rotate again (compare-and-set).
    let won = "t2";
    assert!(store.rotate_session_token(&first, won, 10).await.unwrap());
    assert!(!store.rotate_session_token(&first, "t2b", 10).await.unwrap());
    assert_eq!(store.session_by_token_hash("t2b").await.unwrap(), None);
    let rotated = store.session_by_token_hash(won).await.unwrap().unwrap();
    assert_eq!(rotated.id, "family-1");
    assert_eq!(rotated.token_hash, won);
    assert_eq!(rotated.previous_hash.as_deref(), Some("t1"));
    assert_eq!(rotated.rotated_at, Some(10));
    assert_eq!(
        rotated.expires_at, first.expires_at,
        "a family keeps its expiry"
    );
    // The used token still finds its family, which knows it is no longer current.
    assert_eq!(
        store.session_by_token_hash("t1").await.unwrap(),
        Some(rotated.clone())
    );
    // A stale view (t1 is no longer current) rotates nothing.
    assert!(!store.rotate_session_token(&first, "t3", 20).await.unwrap());
    assert_eq!(store.session_by_token_hash("t3").await.unwrap(), None);
    assert!(store
        .rotate_session_token(&rotated, "t3", 20)
        .await
        .unwrap());
    let third = store.session_by_token_hash("t1").await.unwrap().unwrap();
    assert_eq!(
        (third.token_hash.as_str(), third.previous_hash.as_deref()),
        ("t3", Some(won))
    );

    // Revoking one family: only with its owner, once, and not the user's other sessions.
    assert!(!store.revoke_session(BOB, "family-1").await.unwrap());
    assert!(!store.revoke_session(ALICE, "missing").await.unwrap());
    assert!(store.revoke_session(ALICE, "family-1").await.unwrap());
    assert!(!store.revoke_session(ALICE, "family-1").await.unwrap());
    assert!(store.session("family-1").await.unwrap().unwrap().revoked);
    assert!(!store.session("family-2").await.unwrap().unwrap().revoked);
    // A revoked family does not rotate.
    assert!(!store.rotate_session_token(&third, "t4", 30).await.unwrap());
    assert_eq!(store.session_by_token_hash("t4").await.unwrap(), None);
}

/// Invitations: one per email (a new one replaces the old), used up once by the right code
/// before it expires; a wrong code or another email leaves it.
pub async fn invites_are_used_once(store: &dyn Store) {
    store
        .put_invite("new@example.com", "old", 1_000)
        .await
        .unwrap();
    store
        .put_invite("new@example.com", "h1", 1_000)
        .await
        .unwrap();
    assert!(
        !store
            .take_invite("new@example.com", "old", 10)
            .await
            .unwrap(),
        "a new invitation replaces the old"
    );
    assert!(!store
        .take_invite("new@example.com", "wrong", 10)
        .await
        .unwrap());
    assert!(!store
        .take_invite("other@example.com", "h1", 10)
        .await
        .unwrap());
    assert!(
        !store
            .take_invite("new@example.com", "h1", 1_000)
            .await
            .unwrap(),
        "expired at its expiry"
    );
    assert!(store
        .take_invite("new@example.com", "h1", 999)
        .await
        .unwrap());
    assert!(
        !store
            .take_invite("new@example.com", "h1", 999)
            .await
            .unwrap(),
        "used once"
    );
    // Two sign-ups racing with one invitation: one gets in.
    store
        .put_invite("race@example.com", "h2", 1_000)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store.take_invite("race@example.com", "h2", 10),
        store.take_invite("race@example.com", "h2", 10),
    );
    assert!(a.unwrap() ^ b.unwrap(), "one of two racing sign-ups");
}

/// An administrator disables an account and enables it again: kept by sub alone (a Cognito
/// user has no user record here), with the time it was first disabled, per account, cleared.
pub async fn accounts_are_disabled_and_enabled(store: &dyn Store) {
    // ALICE has a local account, BOB none (as a Cognito user).
    store
        .create_user(&UserRecord {
            sub: ALICE.into(),
            email: "alice@example.com".into(),
            password_hash: "h".into(),
            created_at: 1,
            admin: false,
        })
        .await
        .unwrap();
    for sub in [ALICE, BOB] {
        assert_eq!(store.account_disabled(sub).await.unwrap(), None, "{sub}");
        assert!(
            !store.set_account_disabled(sub, None).await.unwrap(),
            "{sub}: nothing to enable"
        );
    }
    assert!(store
        .set_account_disabled(ALICE, Some(1_000))
        .await
        .unwrap());
    assert!(
        !store
            .set_account_disabled(ALICE, Some(2_000))
            .await
            .unwrap(),
        "disabled already"
    );
    assert_eq!(
        store.account_disabled(ALICE).await.unwrap(),
        Some(1_000),
        "the first time kept"
    );
    assert_eq!(
        store.account_disabled(BOB).await.unwrap(),
        None,
        "per account"
    );
    assert!(store.set_account_disabled(BOB, Some(3_000)).await.unwrap());
    assert_eq!(store.account_disabled(BOB).await.unwrap(), Some(3_000));
    // The user record is untouched by it.
    let alice = store.user_by_sub(ALICE).await.unwrap().expect("alice");
    assert_eq!(alice.email, "alice@example.com");

    assert!(store.set_account_disabled(ALICE, None).await.unwrap());
    assert_eq!(store.account_disabled(ALICE).await.unwrap(), None);
    assert!(!store.set_account_disabled(ALICE, None).await.unwrap());
    assert_eq!(
        store.account_disabled(BOB).await.unwrap(),
        Some(3_000),
        "enabling one leaves the other"
    );
    // Disabled again: a new time.
    assert!(store
        .set_account_disabled(ALICE, Some(4_000))
        .await
        .unwrap());
    assert_eq!(store.account_disabled(ALICE).await.unwrap(), Some(4_000));
}

/// What a local access token is checked against, read in one call, agrees with the reads one
/// by one: the account disabled or not, its session (never another account's), its user.
pub async fn session_standing_as_one_by_one(store: &dyn Store) {
    let alice = UserRecord {
        sub: ALICE.into(),
        email: "alice@example.com".into(),
        password_hash: "h".into(),
        created_at: 1,
        admin: true,
    };
    store.create_user(&alice).await.unwrap();
    let session = SessionRecord {
        id: "s-alice".into(),
        sub: ALICE.into(),
        token_hash: "th-alice".into(),
        created_at: 1,
        expires_at: 100,
        revoked: false,
        previous_hash: None,
        rotated_at: None,
    };
    store.create_session(&session).await.unwrap();
    let bob = UserRecord {
        sub: BOB.into(),
        email: "bob@example.com".into(),
        admin: false,
        ..alice.clone()
    };
    store.create_user(&bob).await.unwrap();
    let bobs = SessionRecord {
        id: "s-bob".into(),
        sub: BOB.into(),
        token_hash: "th-bob".into(),
        ..session.clone()
    };
    store.create_session(&bobs).await.unwrap();

    assert_eq!(
        store.session_standing(ALICE, "s-alice").await.unwrap(),
        SessionStanding {
            disabled_at: None,
            session: Some(session.clone()),
            user: Some(alice.clone()),
        }
    );
    // Bob's session under Alice's sub is not hers.
    assert_eq!(
        store
            .session_standing(ALICE, "s-bob")
            .await
            .unwrap()
            .session,
        None
    );
    assert_eq!(
        store.session_standing(BOB, "s-bob").await.unwrap(),
        SessionStanding {
            disabled_at: None,
            session: Some(bobs),
            user: Some(bob),
        }
    );
    assert_eq!(
        store.session_standing("nobody", "missing").await.unwrap(),
        SessionStanding::default()
    );

    store.set_account_disabled(ALICE, Some(7)).await.unwrap();
    assert!(store.revoke_session(ALICE, "s-alice").await.unwrap());
    let standing = store.session_standing(ALICE, "s-alice").await.unwrap();
    assert_eq!(standing.disabled_at, Some(7));
    assert_eq!(standing.session.map(|s| s.revoked), Some(true));
    assert_eq!(standing.user, Some(alice));
    // The one-by-one reads say the same.
    assert_eq!(store.account_disabled(ALICE).await.unwrap(), Some(7));
    assert!(store.session("s-alice").await.unwrap().unwrap().revoked);
}

/// Twenty requests rotating one refresh token at once (several servers): exactly one wins.
/// Not in [`store_conformance_tests!`](crate::store_conformance_tests): moto's transactions are
/// not atomic under concurrency, so each store's test file runs it where it holds.
pub async fn refresh_rotation_has_one_winner_under_concurrency(store: &dyn Store) {
    store
        .create_user(&UserRecord {
            sub: ALICE.into(),
            email: "alice@example.com".into(),
            password_hash: "h".into(),
            created_at: 1,
            admin: false,
        })
        .await
        .unwrap();
    let session = SessionRecord {
        id: "family".into(),
        sub: ALICE.into(),
        token_hash: "t1".into(),
        created_at: 1,
        expires_at: 1_000_000,
        revoked: false,
        previous_hash: None,
        rotated_at: None,
    };
    store.create_session(&session).await.unwrap();
    let new_hashes: Vec<String> = (0..20).map(|i| format!("next-{i}")).collect();
    let results = futures_util::future::join_all(
        new_hashes
            .iter()
            .map(|h| store.rotate_session_token(&session, h, 10)),
    )
    .await;
    let winners: Vec<&String> = new_hashes
        .iter()
        .zip(&results)
        .filter(|(_, r)| *r.as_ref().unwrap())
        .map(|(h, _)| h)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let now = store.session("family").await.unwrap().unwrap();
    assert_eq!(&now.token_hash, winners[0]);
}
