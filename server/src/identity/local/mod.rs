//! The local identity provider: Cognito's user-pool behaviour over the store, for the embedded
//! default. Passwords are argon2id hashes; refresh tokens are random and stored only hashed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::api::ports::{
    account_email, check_new_password, AuthError, ClientAddr, Clock, Identity, Principal,
    ResetDelivery, SessionRecord, SignUpNext, Store, StoreError, Tokens, UserRecord,
};
use app::domain::auth::mask_email;
use app::domain::pii::Pii;
use app::domain::sign_in_guard::{Attempt, SignInGuard, SignInLimits, SignUpGuard, SignUpLimits};
use app::domain::spend::{Block, VelocityRule};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::jwt::{sign, AccessClaims, IdClaims, JwksSource, TokenVerifier};

/// The device cookie's claims: `dev` (random) signed in to `sub` before.
#[derive(serde::Serialize, serde::Deserialize)]
struct DeviceClaims {
    iss: String,
    sub: String,
    token_use: String,
    dev: String,
    iat: u64,
    exp: u64,
}
use super::SigningKey;

mod refresh;

#[derive(Clone, Debug)]
pub struct LocalIdentityConfig {
    /// `iss` of every token; the JWKS is served at `{issuer}/.well-known/jwks.json`.
    pub issuer: String,
    pub client_id: String,
    pub access_ttl: Duration,
    /// A refresh session's whole life: rotation keeps the sign-in's expiry.
    pub refresh_ttl: Duration,
    /// How long a rotated refresh token still gets access tokens (never a refresh token): the
    /// browser sends the refresh cookie with every request, and the requests of one page load
    /// that left before the first one's new cookie came back all carry the old token. Any other
    /// use of a rotated token is reuse and revokes its sign-in (docs/security.md).
    pub refresh_reuse_grace: Duration,
    pub reset_code_ttl: Duration,
    /// Sign-in lock-out: back-off per account and per known device, window per address.
    pub sign_in: SignInLimits,
    /// Sign-ups and confirmations per address and in total.
    pub sign_up: SignUpLimits,
    /// How long a browser stays known to an account after signing in to it.
    pub device_ttl: Duration,
    /// New accounts may not dial until an administrator approves them
    /// (`SOFTPHONE_SIGNUP_APPROVAL=admin`): each starts with its calls blocked.
    pub approval_required: bool,
    /// How long an invitation to sign up stays valid (`server users invite`).
    pub invite_ttl: Duration,
}

impl LocalIdentityConfig {
    pub fn new(issuer: String) -> Self {
        LocalIdentityConfig {
            issuer,
            client_id: "softphone-local".into(),
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_reuse_grace: Duration::from_secs(10),
            // The administrator hands the link over by hand: a day to use it.
            reset_code_ttl: Duration::from_secs(24 * 3600),
            sign_in: SignInLimits::default(),
            sign_up: SignUpLimits::default(),
            device_ttl: Duration::from_secs(365 * 24 * 3600),
            approval_required: false,
            // Handed over by hand, like a reset link, but the user may start days later.
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The stored form of a reset code: bound to the account, so a code is no use for another.
pub(super) fn reset_code_hash(sub: &str, code: &str) -> String {
    sha256_b64(&format!("{sub}:{}", code.trim()))
}

/// The stored form of an invitation code: bound to the email, so it admits no other.
pub(super) fn invite_code_hash(email: &str, code: &str) -> String {
    sha256_b64(&format!("invite:{email}:{}", code.trim()))
}

/// Wrong reset codes allowed before the code is void.
const MAX_RESET_FAILURES: u32 = 5;

pub struct LocalIdentity {
    config: LocalIdentityConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: Arc<SigningKey>,
    verifier: TokenVerifier,
    /// Failed sign-ins (and reset codes) per account, per address, per known device.
    sign_in_guard: Mutex<SignInGuard>,
    /// Sign-ups and confirmations per address and in total.
    sign_up_guard: Mutex<SignUpGuard>,
    /// A real hash to verify against when the account does not exist, so timing does not tell.
    dummy_hash: String,
}

struct OwnKeys(Arc<SigningKey>);

#[async_trait]
impl JwksSource for OwnKeys {
    async fn fetch(&self) -> Result<JwkSet, AuthError> {
        Ok(self.0.jwks())
    }
}

pub(super) fn sha256_b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

pub(super) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub(super) fn store_err(e: StoreError) -> AuthError {
    AuthError::Unavailable(e.to_string())
}

/// The groups a local account's access tokens carry: `admin` for an administrator, as
/// Cognito's `cognito:groups` does, so `Principal::is_admin` reads both alike.
fn groups_of(user: &UserRecord) -> Vec<String> {
    if user.admin {
        vec!["admin".into()]
    } else {
        Vec::new()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| AuthError::Unavailable(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Unavailable(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Unavailable(e.to_string()))?
}

async fn password_matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

impl LocalIdentity {
    pub async fn new(
        config: LocalIdentityConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        key: Arc<SigningKey>,
    ) -> Result<Self, AuthError> {
        let verifier = TokenVerifier::new(
            config.issuer.clone(),
            config.client_id.clone(),
            Arc::new(OwnKeys(key.clone())),
        );
        let sign_in_guard = Mutex::new(SignInGuard::new(&config.sign_in));
        let sign_up_guard = Mutex::new(SignUpGuard::new(&config.sign_up));
        Ok(LocalIdentity {
            dummy_hash: hash_password(random_token(16)).await?,
            config,
            store,
            clock,
            key,
            verifier,
            sign_in_guard,
            sign_up_guard,
        })
    }

    pub fn jwks(&self) -> JwkSet {
        self.key.jwks()
    }

    fn now_secs(&self) -> u64 {
        self.clock.now_ms() / 1000
    }

    /// Mints ID and access tokens for a user's refresh session.
    pub fn mint(
        &self,
        user: &UserRecord,
        session_id: &str,
        auth_time: u64,
    ) -> Result<(String, String), AuthError> {
        let iat = self.now_secs();
        let exp = iat + self.config.access_ttl.as_secs();
        let access = AccessClaims {
            sub: user.sub.clone(),
            iss: self.config.issuer.clone(),
            client_id: self.config.client_id.clone(),
            token_use: "access".into(),
            scope: "aws.cognito.signin.user.admin".into(),
            auth_time,
            iat,
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
            origin_jti: session_id.into(),
            username: user.sub.clone(),
            groups: groups_of(user),
        };
        let id = IdClaims {
            sub: user.sub.clone(),
            iss: self.config.issuer.clone(),
            aud: self.config.client_id.clone(),
            token_use: "id".into(),
            email: user.email.clone(),
            email_verified: false,
            auth_time,
            iat,
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
            origin_jti: session_id.into(),
            username: user.sub.clone(),
        };
        Ok((sign(&id, &self.key)?, sign(&access, &self.key)?))
    }

    /// `Err` if this sign-in (or reset) attempt must wait.
    fn throttled(&self, attempt: &Attempt) -> Result<(), AuthError> {
        let now = self.clock.now_ms();
        let mut guard = self
            .sign_in_guard
            .lock()
            .map_err(|_| AuthError::Unavailable("limiter poisoned".into()))?;
        guard
            .check(attempt, now)
            .map_err(|wait| AuthError::TooManyAttempts {
                retry_after_secs: wait.as_secs().max(1),
            })
    }

    fn record_failure(&self, attempt: &Attempt) {
        if let Ok(mut guard) = self.sign_in_guard.lock() {
            guard.failed(attempt, self.clock.now_ms());
        }
    }

    /// Counts a sign-up or confirmation from `from`; `Err` past the limits.
    fn sign_up_allowed(&self, from: ClientAddr) -> Result<(), AuthError> {
        let now = self.clock.now_ms();
        let mut guard = self
            .sign_up_guard
            .lock()
            .map_err(|_| AuthError::Unavailable("limiter poisoned".into()))?;
        guard.attempt(&from.throttle_key(), now).map_err(|wait| {
            tracing::warn!("sign-up throttled");
            AuthError::TooManyAttempts {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    /// A device cookie for `user`: says this browser signed in to this account.
    fn device_token(&self, user: &UserRecord, device: &str) -> Result<String, AuthError> {
        let iat = self.now_secs();
        sign(
            &DeviceClaims {
                iss: self.config.issuer.clone(),
                sub: user.sub.clone(),
                token_use: "device".into(),
                dev: device.into(),
                iat,
                exp: iat + self.config.device_ttl.as_secs(),
            },
            &self.key,
        )
    }

    /// The device id of a device cookie that is valid for `sub`, if it is one.
    fn known_device(&self, token: Option<&str>, sub: Option<&str>) -> Option<String> {
        let (token, sub) = (token?, sub?);
        let key = jsonwebtoken::DecodingKey::from_jwk(&self.key.jwk).ok()?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[&self.config.issuer]);
        validation.validate_aud = false;
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<DeviceClaims>(token, &key, &validation)
            .ok()?
            .claims;
        (claims.token_use == "device" && claims.sub == sub && !claims.dev.is_empty())
            .then_some(claims.dev)
    }

    /// The user a session belongs to; a deleted user ends the session.
    async fn session_user(&self, sub: &str) -> Result<UserRecord, AuthError> {
        self.store
            .user_by_sub(sub)
            .await
            .map_err(store_err)?
            .ok_or(AuthError::SessionExpired)
    }

    async fn audit(&self, sub: &str, action: &str, detail: String) {
        let at = self.clock.now_ms();
        app::api::ports::write_audit(self.store.as_ref(), sub, at, action, detail).await;
    }
}

#[async_trait]
impl Identity for LocalIdentity {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn ping(&self) -> Result<(), AuthError> {
        // Its keys are in memory; its users are in the store, which /readyz checks itself.
        Ok(())
    }

    async fn sign_up(
        &self,
        email: &str,
        password: &str,
        from: ClientAddr,
    ) -> Result<SignUpNext, AuthError> {
        let email = account_email(email)?;
        check_new_password(password)?;
        self.sign_up_allowed(from)?;
        let user = UserRecord {
            sub: uuid::Uuid::new_v4().to_string(),
            email: email.clone(),
            // Hashed whether or not the email is taken, so the time does not tell.
            password_hash: hash_password(password.to_string()).await?,
            created_at: self.clock.now_ms(),
            admin: false,
        };
        match self.store.create_user(&user).await {
            Ok(()) => {
                tracing::info!(user = %user.sub, email = %Pii::email(&email), "account created");
                self.audit(&user.sub, "sign_up", String::new()).await;
                if self.config.approval_required {
                    let block = Block {
                        rule: VelocityRule::AwaitingApproval,
                        at: user.created_at,
                    };
                    self.store
                        .block_calls(&user.sub, block)
                        .await
                        .map_err(store_err)?;
                }
            }
            // The same answer as for a new account, so sign-up cannot tell which emails have
            // accounts: the next step, signing in, fails alike for a wrong password and for
            // no account.
            Err(StoreError::AlreadyExists) => {}
            Err(e) => return Err(store_err(e)),
        }
        // No mail service here: accounts are confirmed at once.
        Ok(SignUpNext::SignIn)
    }

    async fn confirm_sign_up(
        &self,
        email: &str,
        _code: &str,
        from: ClientAddr,
    ) -> Result<(), AuthError> {
        // Every local account is confirmed; there is no code to check, and the answer is the
        // same whether or not the account exists (signing in, next, tells nothing either).
        // Counted like a sign-up, as it leads to a sign-in attempt.
        account_email(email)?;
        self.sign_up_allowed(from)?;
        Ok(())
    }

    async fn resend_confirmation(
        &self,
        email: &str,
        _from: ClientAddr,
    ) -> Result<String, AuthError> {
        let email = account_email(email)?;
        Ok(mask_email(&email))
    }

    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        from: ClientAddr,
    ) -> Result<Tokens, AuthError> {
        self.sign_in_on_device(email, password, from, None).await
    }

    async fn sign_in_on_device(
        &self,
        email: &str,
        password: &str,
        from: ClientAddr,
        device: Option<&str>,
    ) -> Result<Tokens, AuthError> {
        let email = app::api::ports::account_key(email);
        let user = self.store.user_by_email(&email).await.map_err(store_err)?;
        let known_device = self.known_device(device, user.as_ref().map(|u| u.sub.as_str()));
        let (account, address) = (format!("account:{email}"), from.throttle_key());
        let attempt = match &known_device {
            Some(device) => Attempt::KnownDevice { device },
            None => Attempt::Unknown {
                account: &account,
                address: &address,
            },
        };
        self.throttled(&attempt)?;
        let hash = user
            .as_ref()
            .map_or(self.dummy_hash.clone(), |u| u.password_hash.clone());
        let matches = password_matches(password.to_string(), hash).await;
        let Some(user) = user.filter(|_| matches) else {
            self.record_failure(&attempt);
            tracing::warn!(email = %Pii::email(&email), address = %from.0, known_device = known_device.is_some(), "sign-in failed");
            return Err(AuthError::InvalidCredentials);
        };
        if let Ok(mut guard) = self.sign_in_guard.lock() {
            guard.succeeded(&account, known_device.as_deref());
        }
        // Said only to whoever knows the password, so it tells a stranger nothing.
        if let Err(e) = super::refuse_disabled(self.store.as_ref(), &user.sub).await {
            if e == AuthError::AccountDisabled {
                self.audit(&user.sub, "sign_in_refused", "account disabled".into())
                    .await;
            }
            return Err(e);
        }
        let now_ms = self.clock.now_ms();
        let refresh = random_token(32);
        let session = SessionRecord {
            id: uuid::Uuid::new_v4().to_string(),
            sub: user.sub.clone(),
            token_hash: sha256_b64(&refresh),
            created_at: now_ms,
            expires_at: now_ms + self.config.refresh_ttl.as_millis() as u64,
            revoked: false,
            previous_hash: None,
            rotated_at: None,
        };
        self.store
            .create_session(&session)
            .await
            .map_err(store_err)?;
        let (id_token, access_token) = self.mint(&user, &session.id, now_ms / 1000)?;
        self.audit(&user.sub, "sign_in", from.0.to_string()).await;
        // The browser is known to this account from now on (a fresh id if it was not).
        let device_id = known_device.unwrap_or_else(|| random_token(16));
        Ok(Tokens {
            id_token,
            access_token,
            refresh_token: Some(refresh),
            expires_in: self.config.access_ttl.as_secs(),
            refresh_expires_in: self.config.refresh_ttl.as_secs(),
            device: Some((
                self.device_token(&user, &device_id)?,
                self.config.device_ttl.as_secs(),
            )),
        })
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AuthError> {
        self.rotate_refresh(refresh_token).await
    }

    async fn sign_out(&self, principal: &Principal, _access_token: &str) -> Result<(), AuthError> {
        let revoked = self
            .store
            .revoke_sessions(&principal.sub)
            .await
            .map_err(store_err)?;
        self.audit(
            &principal.sub,
            "sign_out",
            format!("{revoked} sessions revoked"),
        )
        .await;
        Ok(())
    }

    async fn forgot_password(
        &self,
        email: &str,
        from: ClientAddr,
    ) -> Result<ResetDelivery, AuthError> {
        // No mail service here, and a code must never go to a log (whoever reads logs could
        // take over any account): the administrator issues a one-time link with
        // `server users reset-link`. Nothing is looked up, so the answer cannot tell whether
        // the account exists.
        let _ = (account_email(email)?, from);
        Ok(ResetDelivery::Administrator)
    }

    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
        from: ClientAddr,
    ) -> Result<(), AuthError> {
        let email = account_email(email)?;
        let (account, address) = (format!("confirm:{email}"), from.throttle_key());
        let attempt = Attempt::Unknown {
            account: &account,
            address: &address,
        };
        self.throttled(&attempt)?;
        check_new_password(new_password)?;
        let Some(user) = self.store.user_by_email(&email).await.map_err(store_err)? else {
            // The same store work as for an account without a code, so the time does not
            // tell either.
            self.store
                .reset_code(&uuid::Uuid::new_v4().to_string())
                .await
                .map_err(store_err)?;
            self.record_failure(&attempt);
            return Err(AuthError::InvalidResetCode);
        };
        let stored = self.store.reset_code(&user.sub).await.map_err(store_err)?;
        let Some((hash, expires_at, failures)) = stored else {
            self.record_failure(&attempt);
            return Err(AuthError::InvalidResetCode);
        };
        if expires_at <= self.clock.now_ms() || failures >= MAX_RESET_FAILURES {
            self.store
                .delete_reset_code(&user.sub)
                .await
                .map_err(store_err)?;
            return Err(AuthError::InvalidResetCode);
        }
        let given = reset_code_hash(&user.sub, code);
        if !constant_time_eq(given.as_bytes(), hash.as_bytes()) {
            self.store
                .count_reset_failure(&user.sub)
                .await
                .map_err(store_err)?;
            self.record_failure(&attempt);
            return Err(AuthError::InvalidResetCode);
        }
        let new_hash = hash_password(new_password.to_string()).await?;
        self.store
            .set_password_hash(&user.sub, &new_hash)
            .await
            .map_err(store_err)?;
        self.store
            .delete_reset_code(&user.sub)
            .await
            .map_err(store_err)?;
        self.store
            .revoke_sessions(&user.sub)
            .await
            .map_err(store_err)?;
        // A reset is how an account is taken back: integration tokens made by whoever held it
        // go with its sessions (the owner makes new ones in Settings).
        let tokens = self.store.list_tokens(&user.sub).await.map_err(store_err)?;
        for token in &tokens {
            match self.store.revoke_token(&user.sub, &token.id).await {
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(store_err(e)),
            }
        }
        self.audit(
            &user.sub,
            "password_reset",
            format!("{} integration tokens revoked", tokens.len()),
        )
        .await;
        Ok(())
    }

    async fn verify_access(&self, token: &str) -> Result<Principal, AuthError> {
        let claims = self.verifier.verify_access(token).await?;
        // Every request pays for this check: the store reads what it needs in one call.
        let standing = self
            .store
            .session_standing(&claims.sub, &claims.origin_jti)
            .await
            .map_err(store_err)?;
        if standing.disabled_at.is_some() {
            return Err(AuthError::AccountDisabled);
        }
        // Local tokens die with their session (sign-out, password reset).
        if standing.session.is_none_or(|s| s.revoked) {
            return Err(AuthError::SessionExpired);
        }
        let user = standing.user.ok_or(AuthError::SessionExpired)?;
        // A role revoked since the token was minted is gone at once; one granted since comes
        // with the next token (as with Cognito's groups).
        let held = groups_of(&user);
        Ok(Principal {
            sub: claims.sub,
            email: user.email,
            groups: claims
                .groups
                .into_iter()
                .filter(|g| held.contains(g))
                .collect(),
        })
    }

    async fn redeem_invite(&self, email: &str, code: &str) -> Result<bool, AuthError> {
        let email = account_email(email)?;
        self.store
            .take_invite(&email, &invite_code_hash(&email, code), self.clock.now_ms())
            .await
            .map_err(store_err)
    }

    async fn set_account_disabled(&self, sub: &str, _disabled: bool) -> Result<bool, AuthError> {
        // The store is this provider's user directory: its record of the disable is all there
        // is to keep, and sign-in reads it.
        Ok(self
            .store
            .user_by_sub(sub)
            .await
            .map_err(store_err)?
            .is_some())
    }
}
