//! Local identity: sign-up and sign-in rules, throttling, refresh, sign-out, password reset, and
//! token verification that rejects every forged or misused token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::api::ports::{AuthError, ClientAddr, Clock, Identity, ResetDelivery, SignUpNext, Store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use server::identity::admin::{issue_reset_link, UsersError};
use server::identity::jwt::{sign, AccessClaims};
use server::identity::{LocalIdentity, LocalIdentityConfig, SigningKey};
use server::store::SqliteStore;

const ISSUER: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "Corr3ct-horse";

struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

struct Fixture {
    identity: LocalIdentity,
    store: Arc<dyn Store>,
    clock: Arc<TestClock>,
    key: Arc<SigningKey>,
}

fn from() -> ClientAddr {
    ClientAddr("192.0.2.10".parse().unwrap())
}

async fn fixture() -> Fixture {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let clock = Arc::new(TestClock(AtomicU64::new(wall_ms())));
    let (key, _) = SigningKey::generate().unwrap();
    let key = Arc::new(key);
    let identity = LocalIdentity::new(
        LocalIdentityConfig::new(ISSUER.into()),
        store.clone(),
        clock.clone(),
        key.clone(),
    )
    .await
    .unwrap();
    Fixture {
        identity,
        store,
        clock,
        key,
    }
}

fn access_claims(token: &str) -> AccessClaims {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn sign_up_then_sign_in_gives_cognito_shaped_tokens() {
    let f = fixture().await;
    assert_eq!(
        f.identity
            .sign_up("Agent@Example.com", PASSWORD, from())
            .await,
        Ok(SignUpNext::SignIn),
        "local accounts need no emailed code"
    );
    // A taken email is answered as a free one (no enumeration), and the account keeps its
    // password: signing in with another one fails.
    assert_eq!(
        f.identity
            .sign_up("agent@example.com", "Other-passw0rd!", from())
            .await,
        Ok(SignUpNext::SignIn)
    );
    assert_eq!(
        f.identity
            .sign_in("agent@example.com", "Other-passw0rd!", from())
            .await,
        Err(AuthError::InvalidCredentials)
    );
    // Confirming is a no-op, alike for an account that exists and one that does not.
    for email in ["agent@example.com", "nobody@example.com"] {
        assert_eq!(
            f.identity.confirm_sign_up(email, "any", from()).await,
            Ok(())
        );
    }
    assert_eq!(
        f.identity.sign_up("not-an-email", PASSWORD, from()).await,
        Err(AuthError::InvalidEmail)
    );
    assert!(
        matches!(f.identity.sign_up("b@example.com", "weak", from()).await, Err(AuthError::WeakPassword(p)) if p.len() >= 3)
    );

    let tokens = f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let claims = access_claims(&tokens.access_token);
    assert_eq!(claims.token_use, "access");
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.client_id, "softphone-local");
    assert_eq!(claims.exp - claims.iat, 3600);
    let id_payload: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(tokens.id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(id_payload["token_use"], "id");
    assert_eq!(id_payload["aud"], "softphone-local");
    assert_eq!(id_payload["email"], "agent@example.com");
    let principal = f
        .identity
        .verify_access(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(principal.email, "agent@example.com");
    assert_eq!(principal.sub, claims.sub);
    // The JWKS publishes the key that verifies it.
    assert_eq!(
        f.identity.jwks().keys[0].common.key_id.as_deref(),
        Some(f.key.kid.as_str())
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer_then_throttle() {
    let f = fixture().await;
    f.identity
        .sign_up("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    assert_eq!(
        f.identity
            .sign_in("agent@example.com", "Wrong-pass1", from())
            .await,
        Err(AuthError::InvalidCredentials)
    );
    assert_eq!(
        f.identity
            .sign_in("nobody@example.com", PASSWORD, from())
            .await,
        Err(AuthError::InvalidCredentials)
    );
    for _ in 0..4 {
        let _ = f
            .identity
            .sign_in("agent@example.com", "Wrong-pass1", from())
            .await;
    }
    // Five failures: the account is locked, even with the right password, from anywhere.
    let elsewhere = ClientAddr("198.51.100.7".parse().unwrap());
    assert!(matches!(
        f.identity.sign_in("agent@example.com", PASSWORD, elsewhere).await,
        Err(AuthError::TooManyAttempts { retry_after_secs }) if retry_after_secs > 0
    ));
    // Unknown emails lock the same way, so the lock does not reveal which accounts exist.
    for _ in 0..5 {
        let _ = f
            .identity
            .sign_in("ghost@example.com", PASSWORD, elsewhere)
            .await;
    }
    assert!(matches!(
        f.identity
            .sign_in("ghost@example.com", PASSWORD, elsewhere)
            .await,
        Err(AuthError::TooManyAttempts { .. })
    ));
    // After the window the account works again.
    f.clock.0.fetch_add(16 * 60 * 1000, Ordering::SeqCst);
    assert!(f
        .identity
        .sign_in("agent@example.com", PASSWORD, elsewhere)
        .await
        .is_ok());
}

#[tokio::test]
async fn an_attacker_cannot_lock_an_agent_out_of_a_browser_that_signed_in_before() {
    let f = fixture().await;
    for email in ["agent@example.com", "other@example.com"] {
        f.identity.sign_up(email, PASSWORD, from()).await.unwrap();
    }
    let first = f
        .identity
        .sign_in_on_device("agent@example.com", PASSWORD, from(), None)
        .await
        .unwrap();
    let (device, max_age) = first.device.clone().expect("a device cookie");
    assert_eq!(max_age, 365 * 24 * 3600);
    let other_device = f
        .identity
        .sign_in_on_device("other@example.com", PASSWORD, from(), None)
        .await
        .unwrap()
        .device
        .unwrap()
        .0;
    // The attacker fails from addresses of their own until the account is locked.
    let attacker = |i: u8| ClientAddr(format!("203.0.113.{i}").parse().unwrap());
    for i in 0..8 {
        let _ = f
            .identity
            .sign_in("agent@example.com", "Wr0ng-guess!", attacker(i))
            .await;
    }
    let locked = f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await;
    let Err(AuthError::TooManyAttempts { retry_after_secs }) = locked else {
        panic!("{locked:?}")
    };
    // 5 free failures, then a 30 s lock (attempts during it are refused, not counted).
    assert_eq!(retry_after_secs, 30);
    // Another account's cookie, a tampered one, or garbage are no proof.
    let mut tampered = device.clone().into_bytes();
    let i = tampered.len() - 10;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for cookie in [other_device.as_str(), tampered.as_str(), "garbage"] {
        assert!(matches!(
            f.identity
                .sign_in_on_device("agent@example.com", PASSWORD, from(), Some(cookie))
                .await,
            Err(AuthError::TooManyAttempts { .. })
        ));
    }
    // The agent's browser, known to the account, is not held (and its success forgives the account's failures).
    let again = f
        .identity
        .sign_in_on_device("agent@example.com", PASSWORD, from(), Some(&device))
        .await
        .unwrap();
    assert!(again.device.is_some());
    // The known browser is held by its own failures only.
    for _ in 0..5 {
        assert_eq!(
            f.identity
                .sign_in_on_device("agent@example.com", "Wr0ng-guess!", from(), Some(&device))
                .await,
            Err(AuthError::InvalidCredentials)
        );
    }
    assert!(matches!(
        f.identity
            .sign_in_on_device("agent@example.com", PASSWORD, from(), Some(&device))
            .await,
        Err(AuthError::TooManyAttempts { .. })
    ));
    // Capped: however long the attacker goes on, a new browser waits at most 15 minutes.
    for i in 0..30 {
        f.clock.0.fetch_add(15 * 60 * 1000, Ordering::SeqCst);
        let _ = f
            .identity
            .sign_in("agent@example.com", "Wr0ng-guess!", attacker(i))
            .await;
    }
    let locked = f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await;
    assert!(
        matches!(locked, Err(AuthError::TooManyAttempts { retry_after_secs }) if retry_after_secs <= 15 * 60),
        "{locked:?}"
    );
    f.clock.0.fetch_add(15 * 60 * 1000, Ordering::SeqCst);
    assert!(f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .is_ok());
}

#[tokio::test]
async fn sign_ups_are_throttled_per_address_and_in_total() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let clock = Arc::new(TestClock(AtomicU64::new(wall_ms())));
    let (key, _) = SigningKey::generate().unwrap();
    let config = LocalIdentityConfig {
        sign_up: app::domain::sign_in_guard::SignUpLimits {
            per_address: 3,
            global: 5,
            window: Duration::from_secs(3600),
        },
        ..LocalIdentityConfig::new(ISSUER.into())
    };
    let identity = LocalIdentity::new(config, store.clone(), clock.clone(), Arc::new(key))
        .await
        .unwrap();
    let at = |i: u8| ClientAddr(format!("192.0.2.{i}").parse().unwrap());
    for i in 0..3 {
        identity
            .sign_up(&format!("a{i}@example.com"), PASSWORD, at(1))
            .await
            .unwrap();
    }
    assert!(matches!(
        identity.sign_up("a9@example.com", PASSWORD, at(1)).await,
        Err(AuthError::TooManyAttempts { .. })
    ));
    assert!(
        matches!(
            identity.confirm_sign_up("a0@example.com", "1", at(1)).await,
            Err(AuthError::TooManyAttempts { .. })
        ),
        "confirmations count too"
    );
    assert_eq!(store.user_by_email("a9@example.com").await.unwrap(), None);
    identity
        .sign_up("b@example.com", PASSWORD, at(2))
        .await
        .unwrap();
    identity
        .confirm_sign_up("b@example.com", "1", at(3))
        .await
        .unwrap();
    assert!(
        matches!(
            identity.sign_up("c@example.com", PASSWORD, at(4)).await,
            Err(AuthError::TooManyAttempts { .. })
        ),
        "the global limit"
    );
    clock.0.fetch_add(3600 * 1000, Ordering::SeqCst);
    identity
        .sign_up("c@example.com", PASSWORD, at(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn one_address_is_throttled_across_accounts() {
    let f = fixture().await;
    for i in 0..20 {
        let _ = f
            .identity
            .sign_in(&format!("user{i}@example.com"), PASSWORD, from())
            .await;
    }
    assert!(matches!(
        f.identity
            .sign_in("fresh@example.com", PASSWORD, from())
            .await,
        Err(AuthError::TooManyAttempts { .. })
    ));
}

#[tokio::test]
async fn forged_and_misused_tokens_are_rejected() {
    let f = fixture().await;
    f.identity
        .sign_up("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let tokens = f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let good = access_claims(&tokens.access_token);

    // Expired: minted by a clock two hours in the past.
    let mut expired = good.clone();
    expired.iat -= 7200;
    expired.exp = expired.iat + 3600;
    let token = sign(&expired, &f.key).unwrap();
    assert_eq!(
        f.identity.verify_access(&token).await,
        Err(AuthError::SessionExpired)
    );

    // Signed by another key that claims our kid.
    let (other, _) = SigningKey::generate().unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(f.key.kid.clone());
    let forged = jsonwebtoken::encode(&header, &good, &other.encoding).unwrap();
    assert!(matches!(
        f.identity.verify_access(&forged).await,
        Err(AuthError::InvalidToken(_))
    ));
    // Signed by another key with its own kid (unknown to our JWKS).
    let foreign = sign(&good, &other).unwrap();
    assert!(matches!(
        f.identity.verify_access(&foreign).await,
        Err(AuthError::InvalidToken(_))
    ));

    // alg swapped to HS256 (keyed with the public key bytes) and to none.
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some(f.key.kid.clone());
    let hs_token = jsonwebtoken::encode(
        &hs,
        &good,
        &jsonwebtoken::EncodingKey::from_secret(b"public-key-bytes"),
    )
    .unwrap();
    assert!(matches!(
        f.identity.verify_access(&hs_token).await,
        Err(AuthError::InvalidToken(_))
    ));
    let parts: Vec<&str> = tokens.access_token.split('.').collect();
    let none_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, f.key.kid));
    let none_token = format!("{none_header}.{}.", parts[1]);
    assert!(matches!(
        f.identity.verify_access(&none_token).await,
        Err(AuthError::InvalidToken(_))
    ));

    // The ID token is not an access token.
    assert!(matches!(
        f.identity.verify_access(&tokens.id_token).await,
        Err(AuthError::InvalidToken(_))
    ));
    let mut id_use = good.clone();
    id_use.token_use = "id".into();
    assert!(matches!(
        f.identity
            .verify_access(&sign(&id_use, &f.key).unwrap())
            .await,
        Err(AuthError::InvalidToken(_))
    ));

    // Another client, another issuer.
    let mut other_client = good.clone();
    other_client.client_id = "someone-else".into();
    assert!(matches!(
        f.identity
            .verify_access(&sign(&other_client, &f.key).unwrap())
            .await,
        Err(AuthError::InvalidToken(_))
    ));
    let mut other_issuer = good.clone();
    other_issuer.iss = "https://evil.example.com".into();
    assert!(matches!(
        f.identity
            .verify_access(&sign(&other_issuer, &f.key).unwrap())
            .await,
        Err(AuthError::InvalidToken(_))
    ));

    // Tampered payload: another user's sub with the original signature.
    let mut tampered = good.clone();
    tampered.sub = "someone-else".into();
    let tampered_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered).unwrap());
    let tampered_token = format!("{}.{}.{}", parts[0], tampered_payload, parts[2]);
    assert!(matches!(
        f.identity.verify_access(&tampered_token).await,
        Err(AuthError::InvalidToken(_))
    ));
    assert!(matches!(
        f.identity.verify_access("garbage").await,
        Err(AuthError::InvalidToken(_))
    ));

    // The genuine token still works.
    assert!(f.identity.verify_access(&tokens.access_token).await.is_ok());
}

#[tokio::test]
async fn refresh_and_global_sign_out() {
    let f = fixture().await;
    f.identity
        .sign_up("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let tokens = f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    let refreshed = f.identity.refresh(&refresh).await.unwrap();
    let refresh = refreshed
        .refresh_token
        .clone()
        .expect("a refresh hands out the next refresh token (auth_refresh_rotation.rs)");
    let principal = f
        .identity
        .verify_access(&refreshed.access_token)
        .await
        .unwrap();
    assert_eq!(
        f.identity.refresh("not-a-token").await,
        Err(AuthError::SessionExpired)
    );

    f.identity
        .sign_out(&principal, &refreshed.access_token)
        .await
        .unwrap();
    assert_eq!(
        f.identity.refresh(&refresh).await,
        Err(AuthError::SessionExpired)
    );
    assert_eq!(
        f.identity.verify_access(&tokens.access_token).await,
        Err(AuthError::SessionExpired),
        "access dies with its session"
    );

    // Refresh tokens expire.
    let again = f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    f.clock.0.fetch_add(31 * 24 * 3600 * 1000, Ordering::SeqCst);
    assert_eq!(
        f.identity
            .refresh(again.refresh_token.as_deref().unwrap())
            .await,
        Err(AuthError::SessionExpired)
    );
    let _ = Duration::ZERO;
}

#[tokio::test]
async fn password_reset_with_an_administrators_link() {
    let f = fixture().await;
    f.identity
        .sign_up("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let old = f
        .identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let sub = f
        .store
        .user_by_email("agent@example.com")
        .await
        .unwrap()
        .unwrap()
        .sub;
    // Self-service sends the user to the administrator, alike for unknown emails, and issues
    // no code (none could reach the user but through a log).
    for email in ["nobody@example.com", "agent@example.com"] {
        assert_eq!(
            f.identity.forgot_password(email, from()).await,
            Ok(ResetDelivery::Administrator)
        );
    }
    assert_eq!(f.store.reset_code(&sub).await.unwrap(), None);
    let link = issue_reset_link(
        f.store.as_ref(),
        f.clock.as_ref(),
        ISSUER,
        Duration::from_secs(60),
        "Agent@example.com",
    )
    .await
    .unwrap();
    assert_eq!(link.link, format!("{ISSUER}/forgot#code={}", link.code));
    // An integration token made before the reset (by whoever held the account).
    let token = app::api::ports::TokenRecord {
        id: "t1".into(),
        owner: sub.clone(),
        email: "agent@example.com".into(),
        name: "script".into(),
        scopes: "contacts:read".into(),
        token_hash: "hash-of-t1".into(),
        created_at: 1,
        expires_at: None,
        last_used_at: None,
    };
    assert!(f.store.create_token(&token, 10).await.unwrap());
    assert_eq!(
        issue_reset_link(
            f.store.as_ref(),
            f.clock.as_ref(),
            ISSUER,
            Duration::from_secs(60),
            "nobody@example.com",
        )
        .await,
        Err(UsersError::NoSuchAccount)
    );
    let code = link.code.as_str();

    assert_eq!(
        f.identity
            .confirm_forgot_password("agent@example.com", "000000", "N3w-password", from())
            .await,
        Err(AuthError::InvalidResetCode)
    );
    assert!(matches!(
        f.identity
            .confirm_forgot_password("agent@example.com", code, "weak", from())
            .await,
        Err(AuthError::WeakPassword(_))
    ));
    f.identity
        .confirm_forgot_password("agent@example.com", code, "N3w-password", from())
        .await
        .unwrap();
    assert_eq!(
        f.identity
            .sign_in("agent@example.com", PASSWORD, from())
            .await,
        Err(AuthError::InvalidCredentials)
    );
    assert!(f
        .identity
        .sign_in("agent@example.com", "N3w-password", from())
        .await
        .is_ok());
    assert_eq!(
        f.identity.verify_access(&old.access_token).await,
        Err(AuthError::SessionExpired),
        "reset signs out everywhere"
    );
    assert_eq!(
        f.store.list_tokens(&sub).await.unwrap(),
        vec![],
        "and revokes the integration tokens"
    );
    assert_eq!(f.store.token_by_hash("hash-of-t1").await.unwrap(), None);
    // A code works once.
    assert_eq!(
        f.identity
            .confirm_forgot_password("agent@example.com", code, "An0ther-pass", from())
            .await,
        Err(AuthError::InvalidResetCode)
    );
    // A link expires.
    let link = issue_reset_link(
        f.store.as_ref(),
        f.clock.as_ref(),
        ISSUER,
        Duration::from_secs(60),
        "agent@example.com",
    )
    .await
    .unwrap();
    f.clock.0.fetch_add(61_000, Ordering::SeqCst);
    assert_eq!(
        f.identity
            .confirm_forgot_password("agent@example.com", &link.code, "An0ther-pass", from())
            .await,
        Err(AuthError::InvalidResetCode)
    );
}
