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

/// What disabling or enabling an account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountChange {
    /// False when the account was in that state already (nothing audited).
    pub changed: bool,
    /// Refresh sessions ended by a disable (the local identity's; Cognito's are ended there).
    pub sessions_revoked: u64,
}

/// Disables (`disabled`) or enables the account `sub`, for either identity provider:
/// the provider is told (Cognito refuses its sign-ins itself), the store keeps the state that
/// every sign-in, refresh and request checks, and a disable ends every refresh session. `by`
/// is the audit entry's detail (`cli`, `admin <sub>`). Open live channels are the caller's to
/// close ([`app::api::ports::Telephony::sessions_revoked`]; other servers see it at their
/// periodic check). Integration tokens are kept but refused while the account is disabled.
pub async fn set_disabled(
    store: &dyn Store,
    identity: &dyn Identity,
    sub: &str,
    disabled: bool,
    now: u64,
    by: &str,
) -> Result<AccountChange, UsersError> {
    if !identity.set_account_disabled(sub, disabled).await? {
        return Err(UsersError::NoSuchAccount);
    }
    let changed = store
        .set_account_disabled(sub, disabled.then_some(now))
        .await
        .map_err(store_err)?;
    // Again on a repeated disable: whatever slipped in between the two is ended too.
    let sessions_revoked = if disabled {
        store.revoke_sessions(sub).await.map_err(store_err)?
    } else {
        0
    };
    if changed {
        let action = if disabled {
            "account_disabled"
        } else {
            "account_enabled"
        };
        write_audit(store, sub, now, action, by.into()).await;
        tracing::info!(user = %sub, disabled, sessions_revoked, "account {}", if disabled { "disabled" } else { "enabled" });
    }
    Ok(AccountChange {
        changed,
        sessions_revoked,
    })
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
