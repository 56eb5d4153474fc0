//! What the operator does to accounts from the command line (`server users …`), and what the
//! admin REST endpoints share with it (disabling and enabling an account). The results go to
//! the operator's terminal (stdout), never to a log.

use std::time::Duration;

use app::api::ports::{account_email, write_audit, AuthError, Clock, Identity, Store};

use super::local::{invite_code_hash, random_token, reset_code_hash, store_err};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsersError {
    #[error("no account with this email or sub")]
    NoSuchAccount,
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// A one-time password-reset link for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetLink {
    /// The code the reset form takes (128 random bits); only its hash is stored.
    pub code: String,
    /// `{public_url}/forgot#code=…`: the code rides in the fragment, which the browser never
    /// sends to a server (no access log, no `Referer` carries it).
    pub link: String,
    /// Epoch milliseconds.
    pub expires_at: u64,
}

/// Issues a reset code for the account `email` names, replacing any earlier one. Using it
/// sets a new password and ends every session of the account (`confirm_forgot_password`).
pub async fn issue_reset_link(
    store: &dyn Store,
    clock: &dyn Clock,
    public_url: &str,
    ttl: Duration,
    email: &str,
) -> Result<ResetLink, UsersError> {
    let email = account_email(email)?;
    let user = store
        .user_by_email(&email)
        .await
        .map_err(store_err)?
        .ok_or(UsersError::NoSuchAccount)?;
    let code = random_token(16);
    let now = clock.now_ms();
    let expires_at = now + ttl.as_millis() as u64;
    store
        .put_reset_code(&user.sub, &reset_code_hash(&user.sub, &code), expires_at)
        .await
        .map_err(store_err)?;
    write_audit(
        store,
        &user.sub,
        now,
        "password_reset_link_issued",
        String::new(),
    )
    .await;
    Ok(ResetLink {
        link: format!("{}/forgot#code={code}", public_url.trim_end_matches('/')),
        code,
        expires_at,
    })
}

/// Grants (`admin`) or revokes the administrator role of the account `email` names; `false`
/// when it had that role already (or had none to revoke). Audited in the account's trail.
pub async fn set_admin(
    store: &dyn Store,
    clock: &dyn Clock,
    email: &str,
    admin: bool,
) -> Result<bool, UsersError> {
    let email = account_email(email)?;
    let user = store
        .user_by_email(&email)
        .await
        .map_err(store_err)?
        .ok_or(UsersError::NoSuchAccount)?;
    if user.admin == admin {
        return Ok(false);
    }
    store.set_admin(&user.sub, admin).await.map_err(store_err)?;
    let action = if admin {
        "admin_role_granted"
    } else {
        "admin_role_revoked"
    };
    write_audit(store, &user.sub, clock.now_ms(), action, "cli".into()).await;
    Ok(true)
}

pub use app::api::admin::ops::AccountChange;

/// Disables (`disabled`) or enables the account `sub`, for either identity provider
/// (`app::api::admin::ops::change_disabled`, which the admin page and the REST API reach
/// through `ops::set_disabled`). `by` is the audit entry's detail (`cli`, `admin <sub>`).
pub async fn set_disabled(
    store: &dyn Store,
    identity: &dyn Identity,
    sub: &str,
    disabled: bool,
    now: u64,
    by: &str,
) -> Result<AccountChange, UsersError> {
    app::api::admin::ops::change_disabled(store, identity, sub, disabled, now, by)
        .await?
        .ok_or(UsersError::NoSuchAccount)
}

/// A one-time invitation to sign up as one email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteLink {
    /// The code the sign-up form takes (128 random bits); only its hash is stored.
    pub code: String,
    /// `{public_url}/signup#invite=…`: in the fragment, as a reset link's code.
    pub link: String,
    /// Epoch milliseconds.
    pub expires_at: u64,
}

/// Issues an invitation for `email`, replacing any earlier one. It is asked for and answered
/// the same whether or not the email has an account (the operator sees no difference either).
pub async fn issue_invite_link(
    store: &dyn Store,
    clock: &dyn Clock,
    public_url: &str,
    ttl: Duration,
    email: &str,
) -> Result<InviteLink, UsersError> {
    let email = account_email(email)?;
    let code = random_token(16);
    let expires_at = clock.now_ms() + ttl.as_millis() as u64;
    store
        .put_invite(&email, &invite_code_hash(&email, &code), expires_at)
        .await
        .map_err(store_err)?;
    Ok(InviteLink {
        link: format!("{}/signup#invite={code}", public_url.trim_end_matches('/')),
        code,
        expires_at,
    })
}
