//! Local identity: sign-up and sign-in rules, throttling, refresh, sign-out, password reset, and
//! token verification that rejects every forged or misused token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::api::ports::{AuthError, ClientAddr, Clock, Identity, SignUpNext, Store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
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
    assert_eq!(
        f.identity
            .sign_up("agent@example.com", PASSWORD, from())
            .await,
        Err(AuthError::EmailTaken)
    );
    // Confirming is a no-op for an account that exists, and refused for one that does not.
    assert_eq!(
        f.identity
            .confirm_sign_up("agent@example.com", "any", from())
            .await,
        Ok(())
    );
    assert_eq!(
        f.identity
            .confirm_sign_up("nobody@example.com", "any", from())
            .await,
        Err(AuthError::InvalidConfirmationCode)
    );
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
    assert!(
        refreshed.refresh_token.is_none(),
        "refresh tokens are not rotated, as in Cognito"
    );
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
async fn password_reset_with_the_logged_code() {
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
    // Unknown emails get the same answer.
    assert!(f
        .identity
        .forgot_password("nobody@example.com", from())
        .await
        .is_ok());
    f.identity
        .forgot_password("agent@example.com", from())
        .await
        .unwrap();
    // The code is only in the log; the store keeps a hash. Plant a known one the same way.
    let sub = f
        .store
        .user_by_email("agent@example.com")
        .await
        .unwrap()
        .unwrap()
        .sub;
    let hash = URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(
        format!("{sub}:123456").as_bytes(),
    ));
    f.store
        .put_reset_code(&sub, &hash, f.clock.now_ms() + 60_000)
        .await
        .unwrap();

    assert_eq!(
        f.identity
            .confirm_forgot_password("agent@example.com", "000000", "N3w-password", from())
            .await,
        Err(AuthError::InvalidResetCode)
    );
    assert!(matches!(
        f.identity
            .confirm_forgot_password("agent@example.com", "123456", "weak", from())
            .await,
        Err(AuthError::WeakPassword(_))
    ));
    f.identity
        .confirm_forgot_password("agent@example.com", "123456", "N3w-password", from())
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
    // A code works once.
    assert_eq!(
        f.identity
            .confirm_forgot_password("agent@example.com", "123456", "An0ther-pass", from())
            .await,
        Err(AuthError::InvalidResetCode)
    );
}
