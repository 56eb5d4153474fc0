//! Local identity: refresh tokens rotate on use, and a spent one used again revokes its whole
//! sign-in (the family), but for a request racing the rotation within the grace, which gets
//! access tokens only (`docs/security.md`, "Accounts and sign-in").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::api::ports::{AuthError, ClientAddr, Clock, Identity, Store, Tokens};
use server::identity::{LocalIdentity, LocalIdentityConfig, SigningKey};
use server::store::SqliteStore;

const ISSUER: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "Corr3ct-horse";
const EMAIL: &str = "agent@example.com";
const GRACE: Duration = Duration::from_secs(10);

struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

struct Fixture {
    identity: LocalIdentity,
    store: Arc<dyn Store>,
    clock: Arc<TestClock>,
}

async fn fixture() -> Fixture {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let clock = Arc::new(TestClock(AtomicU64::new(1_800_000_000_000)));
    let (key, _) = SigningKey::generate().unwrap();
    let identity = LocalIdentity::new(
        LocalIdentityConfig {
            refresh_reuse_grace: GRACE,
            ..LocalIdentityConfig::new(ISSUER.into())
        },
        store.clone(),
        clock.clone(),
        Arc::new(key),
    )
    .await
    .unwrap();
    identity
        .sign_up(EMAIL, PASSWORD, from())
        .await
        .expect("sign up");
    Fixture {
        identity,
        store,
        clock,
    }
}

fn from() -> ClientAddr {
    ClientAddr("192.0.2.10".parse().unwrap())
}

impl Fixture {
    async fn sign_in(&self) -> Tokens {
        self.identity
            .sign_in(EMAIL, PASSWORD, from())
            .await
            .expect("sign in")
    }

    async fn reuse_audited(&self) -> usize {
        let sub = self.store.user_by_email(EMAIL).await.unwrap().unwrap().sub;
        let trail = self.store.list_audit(&sub, 100).await.unwrap();
        trail
            .iter()
            .filter(|e| e.action == "refresh_token_reuse")
            .count()
    }
}

#[tokio::test]
async fn each_refresh_hands_out_a_new_token_and_spends_the_old_one() {
    let f = fixture().await;
    let signed_in = f.sign_in().await;
    let first = signed_in.refresh_token.clone().unwrap();
    let refreshed = f.identity.refresh(&first).await.unwrap();
    let second = refreshed
        .refresh_token
        .clone()
        .expect("a new refresh token");
    assert_ne!(first, second);
    assert!(f
        .identity
        .verify_access(&refreshed.access_token)
        .await
        .is_ok());
    // The family keeps the sign-in's expiry: the new cookie lives no longer than the first.
    assert!(refreshed.refresh_expires_in <= signed_in.refresh_expires_in);

    f.clock.advance(Duration::from_secs(600));
    let third = f
        .identity
        .refresh(&second)
        .await
        .unwrap()
        .refresh_token
        .expect("rotated again");
    assert!(f
        .identity
        .refresh(&third)
        .await
        .unwrap()
        .refresh_token
        .is_some());
    assert_eq!(f.reuse_audited().await, 0, "honest use is no reuse");
}

#[tokio::test]
async fn a_spent_token_used_again_revokes_the_whole_sign_in() {
    let f = fixture().await;
    let signed_in = f.sign_in().await;
    let other_device = f.sign_in().await;
    let stolen = signed_in.refresh_token.clone().unwrap();
    // The owner refreshes twice; the thief then tries the copy it took before.
    let owners = f.identity.refresh(&stolen).await.unwrap();
    f.clock.advance(GRACE + Duration::from_secs(1));
    let owners_next = owners.refresh_token.clone().unwrap();
    assert_eq!(
        f.identity.refresh(&stolen).await,
        Err(AuthError::SessionExpired),
        "a spent token gets nothing"
    );
    // Every token and access token of that sign-in is dead: the owner signs in again.
    assert_eq!(
        f.identity.refresh(&owners_next).await,
        Err(AuthError::SessionExpired),
        "reuse revokes the whole family, the current token too"
    );
    assert_eq!(
        f.identity.verify_access(&owners.access_token).await,
        Err(AuthError::SessionExpired)
    );
    assert_eq!(f.reuse_audited().await, 1);
    // The user's other sign-in (another device) goes on.
    let other = other_device.refresh_token.unwrap();
    assert!(f
        .identity
        .refresh(&other)
        .await
        .unwrap()
        .refresh_token
        .is_some());
}

#[tokio::test]
async fn the_thief_refreshing_first_is_caught_when_the_owner_comes_back() {
    let f = fixture().await;
    let stolen = f.sign_in().await.refresh_token.unwrap();
    let thiefs = f.identity.refresh(&stolen).await.unwrap();
    let thiefs_next = thiefs.refresh_token.clone().unwrap();
    f.clock.advance(Duration::from_secs(3600));
    // The owner's browser still holds the spent token.
    assert_eq!(
        f.identity.refresh(&stolen).await,
        Err(AuthError::SessionExpired)
    );
    assert_eq!(
        f.identity.refresh(&thiefs_next).await,
        Err(AuthError::SessionExpired),
        "the thief's rotated token dies with the family"
    );
    assert_eq!(
        f.identity.verify_access(&thiefs.access_token).await,
        Err(AuthError::SessionExpired)
    );
}

#[tokio::test]
async fn requests_racing_the_rotation_get_access_tokens_but_no_refresh_token() {
    let f = fixture().await;
    let first = f.sign_in().await.refresh_token.unwrap();
    // One page load: four requests leave with the same cookie at once.
    let (a, b, c, d) = tokio::join!(
        f.identity.refresh(&first),
        f.identity.refresh(&first),
        f.identity.refresh(&first),
        f.identity.refresh(&first),
    );
    let mut rotated = Vec::new();
    for answer in [a, b, c, d] {
        let tokens = answer.expect("every racing request is served");
        assert!(f.identity.verify_access(&tokens.access_token).await.is_ok());
        rotated.extend(tokens.refresh_token);
    }
    assert_eq!(rotated.len(), 1, "exactly one request rotates: {rotated:?}");
    // Within the grace the previous token still works (access only), past it, it is reuse.
    f.clock.advance(GRACE);
    let late = f.identity.refresh(&first).await.unwrap();
    assert_eq!(late.refresh_token, None);
    assert_eq!(f.reuse_audited().await, 0);
    f.clock.advance(Duration::from_millis(1));
    assert_eq!(
        f.identity.refresh(&first).await,
        Err(AuthError::SessionExpired)
    );
    assert_eq!(
        f.identity.refresh(&rotated[0]).await,
        Err(AuthError::SessionExpired)
    );
    assert_eq!(f.reuse_audited().await, 1);
}

#[tokio::test]
async fn only_the_previous_token_has_a_grace() {
    let f = fixture().await;
    let first = f.sign_in().await.refresh_token.unwrap();
    let second = f
        .identity
        .refresh(&first)
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    let third = f
        .identity
        .refresh(&second)
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    // Within seconds of the last rotation, but `first` is two rotations old: reuse.
    assert_eq!(
        f.identity.refresh(&first).await,
        Err(AuthError::SessionExpired)
    );
    assert_eq!(
        f.identity.refresh(&third).await,
        Err(AuthError::SessionExpired)
    );
}

#[tokio::test]
async fn sign_out_ends_every_token_of_the_family() {
    let f = fixture().await;
    let first = f.sign_in().await.refresh_token.unwrap();
    let refreshed = f.identity.refresh(&first).await.unwrap();
    let principal = f
        .identity
        .verify_access(&refreshed.access_token)
        .await
        .unwrap();
    f.identity
        .sign_out(&principal, &refreshed.access_token)
        .await
        .unwrap();
    for token in [first, refreshed.refresh_token.unwrap()] {
        assert_eq!(
            f.identity.refresh(&token).await,
            Err(AuthError::SessionExpired)
        );
    }
}
