//! Accounts: sign-up, sign-in, sign-out, password reset, and who is signed in.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;

/// What the UI knows about the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub email: String,
}

/// How the password-reset code reaches the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResetCodeSentTo {
    /// Local identity: the operator finds the code in the server log.
    ServerLog,
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
    if let Some(refresh) = &tokens.refresh_token {
        set_cookie(cookies::token(
            cookies::REFRESH,
            refresh,
            tokens.refresh_expires_in,
            secure,
        ));
    }
}

#[server(endpoint = "auth/sign_up", input = Json)]
pub async fn sign_up(
    email: String,
    password: String,
    confirm: String,
) -> Result<Account, ApiError> {
    use super::ssr::{client_addr, services};
    if password != confirm {
        return Err(ApiError::PasswordsDiffer);
    }
    let services = services()?;
    let from = client_addr();
    services.identity.sign_up(&email, &password, from).await?;
    let tokens = services.identity.sign_in(&email, &password, from).await?;
    set_session_cookies(&tokens, services.secure_cookies);
    Ok(Account {
        email: crate::domain::auth::normalise_email(&email).unwrap_or(email),
    })
}

#[server(endpoint = "auth/sign_in", input = Json)]
pub async fn sign_in(email: String, password: String) -> Result<Account, ApiError> {
    use super::ssr::{client_addr, services};
    let services = services()?;
    let tokens = services
        .identity
        .sign_in(&email, &password, client_addr())
        .await?;
    set_session_cookies(&tokens, services.secure_cookies);
    Ok(Account {
        email: crate::domain::auth::normalise_email(&email).unwrap_or(email),
    })
}

/// Signs out everywhere (all refresh tokens revoked) and clears this browser's cookies.
#[server(endpoint = "auth/sign_out", input = Json)]
pub async fn sign_out() -> Result<(), ApiError> {
    use super::ssr::{principal, services, set_cookie};
    use crate::cookies;
    let services = services()?;
    if let Ok(principal) = principal() {
        services.identity.sign_out(&principal).await?;
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
            ResetDelivery::ServerLog => ResetCodeSentTo::ServerLog,
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
    Ok(())
}

#[server(endpoint = "account", input = Json)]
pub async fn current_account() -> Result<Option<Account>, ApiError> {
    Ok(super::ssr::principal()
        .ok()
        .map(|p| Account { email: p.email }))
}
