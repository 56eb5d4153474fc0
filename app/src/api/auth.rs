//! Accounts: sign-up, sign-in, sign-out, password reset, and who is signed in.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;

/// What the UI knows about the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub email: String,
    /// Roles (Cognito groups), e.g. `admin`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// What happens after signing up. The same whether or not the email already had an account,
/// so sign-up cannot be used to find out which emails have one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignUpResult {
    /// Signed in, if the email and password are an account's (the local identity confirms
    /// accounts at once); the session cookies say which. A taken email with another password
    /// gets this same answer, without them.
    SignIn,
    /// A code went to `destination` (masked); `confirm_sign_up` finishes.
    ConfirmCode { destination: String },
}

/// How the password-reset code reaches the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResetCodeSentTo {
    /// Local identity: the administrator gives out a one-time reset link.
    Administrator,
    Email,
}

#[cfg(feature = "ssr")]
fn set_session_cookies(tokens: &super::ports::Tokens, secure: bool) {
    use super::ssr::set_cookie;
    use crate::cookies;
    set_cookie(cookies::token(
        cookies::ACCESS,
        &tokens.access_token,
        tokens.expires_in,
        secure,
    ));
    set_cookie(cookies::token(
        cookies::ID,
        &tokens.id_token,
        tokens.expires_in,
        secure,
    ));
    if let Some((device, max_age)) = &tokens.device {
        set_cookie(cookies::token(cookies::DEVICE, device, *max_age, secure));
    }
    if let Some(refresh) = &tokens.refresh_token {
        set_cookie(cookies::token(
            cookies::REFRESH,
            refresh,
            tokens.refresh_expires_in,
            secure,
        ));
    }
}

#[cfg(feature = "ssr")]
async fn sign_in_with(
    services: &super::ports::Services,
    email: &str,
    password: &str,
) -> Result<Account, ApiError> {
    use super::ports::AuthError;
    let device = super::ssr::cookie(crate::cookies::DEVICE);
    let signed_in = services
        .identity
        .sign_in_on_device(
            email,
            password,
            super::ssr::client_addr(),
            device.as_deref(),
        )
        .await;
    super::metrics::sign_in(match &signed_in {
        Ok(_) => "ok",
        Err(AuthError::TooManyAttempts { .. }) => "locked",
        Err(AuthError::AccountDisabled) => "disabled",
        Err(AuthError::Unavailable(_)) => "unavailable",
        Err(_) => "refused",
    });
    let tokens = signed_in?;
    set_session_cookies(&tokens, services.secure_cookies);
    let principal = services
        .identity
        .verify_access(&tokens.access_token)
        .await?;
    Ok(Account {
        email: principal.email,
        roles: principal.groups,
    })
}

#[server(endpoint = "auth/sign_up", input = Json)]
pub async fn sign_up(
    email: String,
    password: String,
    confirm: String,
    // The code of an administrator's invitation (`/signup#invite=…`), under
    // `SOFTPHONE_SIGNUP=invite`; absent otherwise.
    invite: Option<String>,
) -> Result<SignUpResult, ApiError> {
    use super::ports::{account_email, check_new_password, SignUpNext};
    use super::ssr::{client_addr, services};
    use crate::domain::signup::{SignUpMode, SignUpRefusal};
    if password != confirm {
        return Err(ApiError::PasswordsDiffer);
    }
    let services = services()?;
    // The policy first, from the email alone: the answer never depends on whether the email
    // has an account. The invitation is used up only by a sign-up that can go on.
    let normalised = account_email(&email)?;
    check_new_password(&password)?;
    let invited = match (&services.sign_up_policy.mode, invite.as_deref()) {
        (SignUpMode::Invite, Some(code)) => {
            services.identity.redeem_invite(&normalised, code).await?
        }
        _ => false,
    };
    if let Err(refusal) = services.sign_up_policy.admits(&normalised, invited) {
        tracing::warn!(reason = ?refusal, "sign-up refused by the sign-up policy");
        return Err(match refusal {
            SignUpRefusal::DomainNotAllowed => ApiError::SignUpDomainNotAllowed,
            SignUpRefusal::InvitationRequired => ApiError::InvitationRequired,
        });
    }
    match services
        .identity
        .sign_up(&email, &password, client_addr())
        .await?
    {
        // Signed in when the email and password are an account's: the new one, or one whose
        // password the caller knows. A taken email with another password gets the same
        // answer, without the cookies.
        SignUpNext::SignIn => match sign_in_with(&services, &email, &password).await {
            Ok(_) | Err(ApiError::InvalidCredentials) => Ok(SignUpResult::SignIn),
            Err(e) => Err(e),
        },
        SignUpNext::ConfirmCode { destination } => Ok(SignUpResult::ConfirmCode { destination }),
    }
}

/// Confirms a new account with the emailed code, then signs in.
#[server(endpoint = "auth/confirm_sign_up", input = Json)]
pub async fn confirm_sign_up(
    email: String,
    code: String,
    password: String,
) -> Result<Account, ApiError> {
    use super::ssr::{client_addr, services};
    let services = services()?;
    services
        .identity
        .confirm_sign_up(&email, &code, client_addr())
        .await?;
    sign_in_with(&services, &email, &password).await
}

/// Sends the confirmation code again; returns where it went (masked).
#[server(endpoint = "auth/resend_code", input = Json)]
pub async fn resend_code(email: String) -> Result<String, ApiError> {
    use super::ssr::{client_addr, services};
    let services = services()?;
    Ok(services
        .identity
        .resend_confirmation(&email, client_addr())
        .await?)
}

#[server(endpoint = "auth/sign_in", input = Json)]
pub async fn sign_in(email: String, password: String) -> Result<Account, ApiError> {
    let services = super::ssr::services()?;
    sign_in_with(&services, &email, &password).await
}

/// Signs out everywhere (all refresh tokens revoked) and clears this browser's cookies.
#[server(endpoint = "auth/sign_out", input = Json)]
pub async fn sign_out() -> Result<(), ApiError> {
    use super::ssr::{access_token, principal, services, set_cookie};
    use crate::cookies;
    let services = services()?;
    if let (Ok(principal), Ok(token)) = (principal(), access_token()) {
        services.identity.sign_out(&principal, &token.0).await?;
        // The user's open live channels close now, not at their next periodic check.
        services.telephony.sessions_revoked(Some(&principal.sub));
    }
    for name in [cookies::ACCESS, cookies::ID, cookies::REFRESH] {
        set_cookie(cookies::clear(name, services.secure_cookies));
    }
    Ok(())
}

#[server(endpoint = "auth/forgot_password", input = Json)]
pub async fn forgot_password(email: String) -> Result<ResetCodeSentTo, ApiError> {
    use super::ports::ResetDelivery;
    use super::ssr::{client_addr, services};
    let services = services()?;
    Ok(
        match services
            .identity
            .forgot_password(&email, client_addr())
            .await?
        {
            ResetDelivery::Administrator => ResetCodeSentTo::Administrator,
            ResetDelivery::Email => ResetCodeSentTo::Email,
        },
    )
}

#[server(endpoint = "auth/reset_password", input = Json)]
pub async fn reset_password(
    email: String,
    code: String,
    password: String,
    confirm: String,
) -> Result<(), ApiError> {
    use super::ssr::{client_addr, services};
    if password != confirm {
        return Err(ApiError::PasswordsDiffer);
    }
    let services = services()?;
    services
        .identity
        .confirm_forgot_password(&email, &code, &password, client_addr())
        .await?;
    // The reset ended every session of the account; its live channels re-check now (the
    // account is named by e-mail here, so every open channel looks at its own session).
    services.telephony.sessions_revoked(None);
    Ok(())
}

#[server(endpoint = "account", input = Json)]
pub async fn current_account() -> Result<Option<Account>, ApiError> {
    Ok(super::ssr::principal().ok().map(|p| Account {
        email: p.email,
        roles: p.groups,
    }))
}
