//! Amazon Cognito user pools as the identity provider: the same `Identity` port the local
//! provider implements, so server functions and pages do not know which one is behind them.
//!
//! Tokens are verified here (signature from the pool's JWKS, issuer, `token_use`, `client_id`,
//! expiry), then once per token and minute with Cognito itself (`GetUser`), which is how a
//! token revoked by "sign out everywhere" stops working on every server, and where the email
//! comes from (access tokens do not carry it). A disabled account is asked of the store on
//! every verification, sign-in and refresh (`super::refuse_disabled`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::api::ports::{
    account_email, check_new_password, write_audit, AuthError, ClientAddr, Clock, Identity,
    Principal, ResetDelivery, SignUpNext, Store, Tokens,
};
use app::domain::auth::{mask_email, normalise_email};
use app::domain::pii::Pii;
use app::domain::spend::{Block, VelocityRule};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use aws_sdk_cognitoidentityprovider::Client;
use sha2::{Digest, Sha256};

use super::jwks::HttpJwks;
use super::jwt::{JwksSource, TokenVerifier};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CognitoSettings {
    pub user_pool_id: String,
    /// A public app client (no secret) with `USER_PASSWORD_AUTH` and `REFRESH_TOKEN_AUTH`.
    pub client_id: String,
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of every token.
    pub issuer: String,
    /// Where the signing keys are: `<issuer>/.well-known/jwks.json` unless overridden (moto
    /// serves them at its own address while its tokens name the real issuer).
    pub jwks_url: String,
    /// How long the app client's refresh tokens live (Cognito's default: 30 days).
    pub refresh_ttl: Duration,
    /// New accounts start with their calls blocked until an administrator approves them
    /// (`SOFTPHONE_SIGNUP_APPROVAL=admin`).
    pub approval_required: bool,
}

impl CognitoSettings {
    /// Settings for a pool; the region is the part of the pool id before `_`.
    pub fn new(user_pool_id: &str, client_id: &str) -> Self {
        let region = user_pool_id.split('_').next().unwrap_or_default();
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        CognitoSettings {
            user_pool_id: user_pool_id.into(),
            client_id: client_id.into(),
            jwks_url: format!("{issuer}/.well-known/jwks.json"),
            issuer,
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            approval_required: false,
        }
    }
}

/// A verified token is taken on trust for this long before Cognito is asked again.
const RECHECK_AFTER_MS: u64 = 60_000;
/// Verified tokens remembered at most (a busy server drops the oldest half past this).
const MAX_REMEMBERED: usize = 10_000;
/// Cognito's throttling says nothing about when to retry; a minute is its usual window.
const THROTTLED_RETRY_S: u64 = 60;

pub struct CognitoIdentity {
    client: Client,
    settings: CognitoSettings,
    verifier: TokenVerifier,
    jwks: Arc<HttpJwks>,
    /// Cognito keeps the accounts; only the audit trail is ours.
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// SHA-256 of an access token → (checked with Cognito until, who it is).
    checked: Mutex<HashMap<[u8; 32], (u64, Principal)>>,
}

fn unavailable<E, R>(what: &str, e: &SdkError<E, R>) -> AuthError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    AuthError::Unavailable(format!("Cognito {what}: {}", DisplayErrorContext(e)))
}

/// The errors any Cognito operation can answer (throttling, password policy); anything else
/// is the provider being unavailable.
fn common<E, R>(what: &str, e: &SdkError<E, R>) -> AuthError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match e.code() {
        Some(
            "TooManyRequestsException"
            | "LimitExceededException"
            | "TooManyFailedAttemptsException"
            | "CodeDeliveryFailureException",
        ) => AuthError::TooManyAttempts {
            retry_after_secs: THROTTLED_RETRY_S,
        },
        // Passwords are checked against the domain's rules first; a pool with a stricter
        // policy still refuses with this, and the UI lists the rules.
        Some("InvalidPasswordException") => AuthError::WeakPassword(Vec::new()),
        _ => unavailable(what, e),
    }
}

/// A confirmation or reset code Cognito refuses (wrong, expired, or for no such account:
/// the same answer either way) is `refused`; anything else as [`common`].
fn code_refused<E, R>(e: SdkError<E, R>, what: &str, refused: AuthError) -> AuthError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match e.code() {
        Some(
            "CodeMismatchException"
            | "ExpiredCodeException"
            | "UserNotFoundException"
            | "NotAuthorizedException",
        ) => refused,
        _ => common(what, &e),
    }
}

/// The answer of a request that must say nothing about whether the account exists: `None`
/// for an unknown user, answered as if a code had been sent.
fn unless_unknown<T, E, R>(
    what: &str,
    sent: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, AuthError>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match sent {
        Ok(out) => Ok(Some(out)),
        Err(e) if e.code() == Some("UserNotFoundException") => Ok(None),
        Err(e) => Err(common(what, &e)),
    }
}

/// Cognito's answer to a sign-in or refresh of a user an administrator disabled
/// (`NotAuthorizedException: User is disabled.`).
fn is_disabled_message(message: &str) -> bool {
    message.to_ascii_lowercase().contains("user is disabled")
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl CognitoIdentity {
    pub async fn connect(
        settings: CognitoSettings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let config = aws_sdk_cognitoidentityprovider::config::Builder::from(&shared)
            .interceptor(crate::metrics::aws::DependencyMetrics("cognito"))
            .build();
        Self::with_client(Client::from_conf(config), settings, store, clock)
    }

    pub fn with_client(
        client: Client,
        settings: CognitoSettings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        let jwks = Arc::new(HttpJwks::new(&settings.jwks_url)?);
        Ok(CognitoIdentity {
            verifier: TokenVerifier::new(
                settings.issuer.clone(),
                settings.client_id.clone(),
                jwks.clone(),
            ),
            jwks,
            client,
            settings,
            store,
            clock,
            checked: Mutex::new(HashMap::new()),
        })
    }

    async fn audit(&self, sub: &str, action: &str, detail: String) {
        write_audit(
            self.store.as_ref(),
            sub,
            self.clock.now_ms(),
            action,
            detail,
        )
        .await;
    }

    fn tokens(
        &self,
        result: &aws_sdk_cognitoidentityprovider::types::AuthenticationResultType,
    ) -> Result<Tokens, AuthError> {
        let missing = |what: &str| AuthError::Unavailable(format!("Cognito returned no {what}"));
        Ok(Tokens {
            id_token: result.id_token().ok_or_else(|| missing("ID token"))?.into(),
            access_token: result
                .access_token()
                .ok_or_else(|| missing("access token"))?
                .into(),
            refresh_token: result.refresh_token().map(str::to_string),
            expires_in: u64::try_from(result.expires_in()).unwrap_or(3600),
            refresh_expires_in: self.settings.refresh_ttl.as_secs(),
            device: None,
        })
    }

    /// What the admin calls name the account `sub` by, if the pool has it (`ListUsers`
    /// filtered on `sub`): its email, with which this app signs in (the user name, or an alias
    /// of it with the template's `UsernameAttributes: [email]`), else its user name. The
    /// email, because Cognito's sign-out of a user must reach the tokens its sign-ins made
    /// (moto matches them by the name they were asked for with).
    async fn admin_name_of(&self, sub: &str) -> Result<Option<String>, AuthError> {
        // The filter is a quoted string: only a sub's own characters may go into it.
        if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Ok(None);
        }
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.settings.user_pool_id)
            .filter(format!("sub = \"{sub}\""))
            .limit(1)
            .send()
            .await
            .map_err(|e| common("ListUsers", &e))?;
        Ok(out.users().first().and_then(|u| {
            u.attributes()
                .iter()
                .find(|a| a.name() == "email")
                .and_then(|a| a.value())
                .or(u.username())
                .map(str::to_string)
        }))
    }

    fn forget(&self, access_token: &str) {
        if let Ok(mut checked) = self.checked.lock() {
            checked.remove(&token_hash(access_token));
        }
    }
}

#[async_trait]
impl Identity for CognitoIdentity {
    fn kind(&self) -> &'static str {
        "cognito"
    }

    async fn ping(&self) -> Result<(), AuthError> {
        self.jwks.fetch().await.map(|_| ())
    }

    async fn sign_up(
        &self,
        email: &str,
        password: &str,
        _from: ClientAddr,
    ) -> Result<SignUpNext, AuthError> {
        let email = account_email(email)?;
        check_new_password(password)?;
        let attribute = AttributeType::builder()
            .name("email")
            .value(&email)
            .build()
            .map_err(|e| AuthError::Unavailable(e.to_string()))?;
        let sent = self
            .client
            .sign_up()
            .client_id(&self.settings.client_id)
            .username(&email)
            .password(password)
            .user_attributes(attribute)
            .send()
            .await;
        // A taken email is answered as a new one (a code "sent" to the same masked address),
        // so sign-up cannot tell which emails have accounts; the destination is always our
        // own masking, as Cognito's differs in form.
        let out = match sent {
            Ok(out) => out,
            Err(e)
                if matches!(
                    e.code(),
                    Some("UsernameExistsException" | "AliasExistsException")
                ) =>
            {
                return Ok(SignUpNext::ConfirmCode {
                    destination: mask_email(&email),
                });
            }
            Err(e) => {
                return Err(match e.code() {
                    Some("InvalidParameterException") => AuthError::InvalidEmail,
                    _ => common("SignUp", &e),
                })
            }
        };
        tracing::info!(email = %Pii::email(&email), user = out.user_sub(), "Cognito account created");
        self.audit(out.user_sub(), "sign_up", String::new()).await;
        if self.settings.approval_required {
            let block = Block {
                rule: VelocityRule::AwaitingApproval,
                at: self.clock.now_ms(),
            };
            self.store
                .block_calls(out.user_sub(), block)
                .await
                .map_err(|e| AuthError::Unavailable(e.to_string()))?;
        }
        if out.user_confirmed() {
            return Ok(SignUpNext::SignIn);
        }
        Ok(SignUpNext::ConfirmCode {
            destination: mask_email(&email),
        })
    }

    async fn confirm_sign_up(
        &self,
        email: &str,
        code: &str,
        _from: ClientAddr,
    ) -> Result<(), AuthError> {
        let email = account_email(email)?;
        self.client
            .confirm_sign_up()
            .client_id(&self.settings.client_id)
            .username(&email)
            .confirmation_code(code.trim())
            .send()
            .await
            .map_err(|e| code_refused(e, "ConfirmSignUp", AuthError::InvalidConfirmationCode))?;
        Ok(())
    }

    async fn resend_confirmation(
        &self,
        email: &str,
        _from: ClientAddr,
    ) -> Result<String, AuthError> {
        let email = account_email(email)?;
        let sent = self
            .client
            .resend_confirmation_code()
            .client_id(&self.settings.client_id)
            .username(&email)
            .send()
            .await;
        // Known or not, the same answer (Cognito's own masking differs in form from ours).
        unless_unknown("ResendConfirmationCode", sent)?;
        Ok(mask_email(&email))
    }

    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        from: ClientAddr,
    ) -> Result<Tokens, AuthError> {
        let email = normalise_email(email).unwrap_or_else(|| email.trim().to_lowercase());
        let out = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .client_id(&self.settings.client_id)
            .auth_parameters("USERNAME", &email)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| match e.code() {
                Some("NotAuthorizedException")
                    if e.message().is_some_and(|m| m.contains("attempts exceeded")) =>
                {
                    AuthError::TooManyAttempts {
                        retry_after_secs: THROTTLED_RETRY_S,
                    }
                }
                // `AdminDisableUser` (`server users disable`).
                Some("NotAuthorizedException") if e.message().is_some_and(is_disabled_message) => {
                    AuthError::AccountDisabled
                }
                Some("NotAuthorizedException" | "UserNotFoundException") => {
                    tracing::warn!(email = %Pii::email(&email), address = %from.0, "sign-in failed");
                    AuthError::InvalidCredentials
                }
                Some("UserNotConfirmedException") => AuthError::NotConfirmed,
                Some("PasswordResetRequiredException") => AuthError::PasswordResetRequired,
                _ => common("InitiateAuth", &e),
            })?;
        let Some(result) = out.authentication_result() else {
            // A challenge (e.g. NEW_PASSWORD_REQUIRED for an account an administrator made):
            // the password-reset flow sets a password the user chooses.
            tracing::warn!(email = %Pii::email(&email), challenge = ?out.challenge_name(), "sign-in needs a challenge the app does not offer");
            return Err(AuthError::PasswordResetRequired);
        };
        let tokens = self.tokens(result)?;
        // Disabled in our store though Cognito let it in (its own disable failed, or was
        // undone at Cognito): refused, and the tokens it made are dropped unseen.
        let principal = match self.verify_access(&tokens.access_token).await {
            Err(AuthError::AccountDisabled) => {
                if let Ok(claims) = self.verifier.verify_access(&tokens.access_token).await {
                    self.audit(&claims.sub, "sign_in_refused", "account disabled".into())
                        .await;
                }
                return Err(AuthError::AccountDisabled);
            }
            other => other?,
        };
        self.audit(&principal.sub, "sign_in", from.0.to_string())
            .await;
        Ok(tokens)
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AuthError> {
        let out = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .client_id(&self.settings.client_id)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(|e| match e.code() {
                Some("NotAuthorizedException") if e.message().is_some_and(is_disabled_message) => {
                    AuthError::AccountDisabled
                }
                Some("NotAuthorizedException" | "UserNotFoundException") => {
                    AuthError::SessionExpired
                }
                _ => common("InitiateAuth (refresh)", &e),
            })?;
        let result = out
            .authentication_result()
            .ok_or(AuthError::SessionExpired)?;
        let mut tokens = self.tokens(result)?;
        let claims = self.verifier.verify_access(&tokens.access_token).await?;
        super::refuse_disabled(self.store.as_ref(), &claims.sub).await?;
        // Cognito does not rotate refresh tokens unless the client is set to.
        tokens.refresh_token = result.refresh_token().map(str::to_string);
        Ok(tokens)
    }

    async fn sign_out(&self, principal: &Principal, access_token: &str) -> Result<(), AuthError> {
        self.client
            .global_sign_out()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| match e.code() {
                Some("NotAuthorizedException") => AuthError::SessionExpired,
                _ => common("GlobalSignOut", &e),
            })?;
        self.forget(access_token);
        self.audit(&principal.sub, "sign_out", "global sign-out".into())
            .await;
        Ok(())
    }

    async fn forgot_password(
        &self,
        email: &str,
        _from: ClientAddr,
    ) -> Result<ResetDelivery, AuthError> {
        let email = account_email(email)?;
        let sent = self
            .client
            .forgot_password()
            .client_id(&self.settings.client_id)
            .username(&email)
            .send()
            .await;
        unless_unknown("ForgotPassword", sent)?;
        Ok(ResetDelivery::Email)
    }

    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
        _from: ClientAddr,
    ) -> Result<(), AuthError> {
        let email = account_email(email)?;
        check_new_password(new_password)?;
        self.client
            .confirm_forgot_password()
            .client_id(&self.settings.client_id)
            .username(&email)
            .confirmation_code(code.trim())
            .password(new_password)
            .send()
            .await
            .map_err(|e| code_refused(e, "ConfirmForgotPassword", AuthError::InvalidResetCode))?;
        Ok(())
    }

    async fn verify_access(&self, token: &str) -> Result<Principal, AuthError> {
        let claims = self.verifier.verify_access(token).await?;
        // Every time, not once a minute as below: a disable counts at the next request.
        super::refuse_disabled(self.store.as_ref(), &claims.sub).await?;
        let now = self.clock.now_ms();
        let hash = token_hash(token);
        if let Some((until, principal)) =
            self.checked.lock().ok().and_then(|c| c.get(&hash).cloned())
        {
            if now < until && principal.sub == claims.sub {
                return Ok(principal);
            }
        }
        let user = self
            .client
            .get_user()
            .access_token(token)
            .send()
            .await
            .map_err(|e| match e.code() {
                // Revoked (sign-out everywhere), or the user was disabled or deleted.
                Some("NotAuthorizedException" | "UserNotFoundException") => {
                    AuthError::SessionExpired
                }
                _ => common("GetUser", &e),
            })?;
        let email = user
            .user_attributes()
            .iter()
            .find(|a| a.name() == "email")
            .and_then(|a| a.value())
            .unwrap_or_default()
            .to_string();
        let principal = Principal {
            sub: claims.sub,
            email,
            groups: claims.groups,
        };
        if let Ok(mut checked) = self.checked.lock() {
            if checked.len() >= MAX_REMEMBERED {
                checked.retain(|_, (until, _)| *until > now);
                if checked.len() >= MAX_REMEMBERED {
                    checked.clear();
                }
            }
            checked.insert(hash, (now + RECHECK_AFTER_MS, principal.clone()));
        }
        Ok(principal)
    }

    async fn set_account_disabled(&self, sub: &str, disabled: bool) -> Result<bool, AuthError> {
        let Some(name) = self.admin_name_of(sub).await? else {
            return Ok(false);
        };
        let pool = &self.settings.user_pool_id;
        if disabled {
            self.client
                .admin_disable_user()
                .user_pool_id(pool)
                .username(&name)
                .send()
                .await
                .map_err(|e| common("AdminDisableUser", &e))?;
            // Its refresh tokens end too, so enabling it later brings back no old sign-in.
            self.client
                .admin_user_global_sign_out()
                .user_pool_id(pool)
                .username(&name)
                .send()
                .await
                .map_err(|e| common("AdminUserGlobalSignOut", &e))?;
        } else {
            self.client
                .admin_enable_user()
                .user_pool_id(pool)
                .username(&name)
                .send()
                .await
                .map_err(|e| common("AdminEnableUser", &e))?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_and_jwks_follow_the_pool_region() {
        let s = CognitoSettings::new("ap-southeast-1_AbC123xyz", "client");
        assert_eq!(
            s.issuer,
            "https://cognito-idp.ap-southeast-1.amazonaws.com/ap-southeast-1_AbC123xyz"
        );
        assert_eq!(s.jwks_url, format!("{}/.well-known/jwks.json", s.issuer));
    }
}
