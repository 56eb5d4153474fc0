//! Identity adapters: the local Cognito-compatible provider (embedded default), Amazon Cognito,
//! and the token verifier both use.

pub mod admin;
pub mod cognito;
pub mod jwks;
pub mod jwt;
pub mod keys;
pub mod local;

pub use cognito::{CognitoIdentity, CognitoSettings};
pub use jwks::RefreshPolicy;
pub use jwt::{JwksSource, TokenVerifier};
pub use keys::SigningKey;
pub use local::{LocalIdentity, LocalIdentityConfig};

use app::api::ports::{AuthError, Store};

/// Refuses an account an administrator disabled. Both providers ask the store at every
/// sign-in, refresh and token verification: the store is what every server shares, and a
/// Cognito access token minted before the disable would otherwise verify for its hour.
pub(crate) async fn refuse_disabled(store: &dyn Store, sub: &str) -> Result<(), AuthError> {
    match store.account_disabled(sub).await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(AuthError::AccountDisabled),
        Err(e) => Err(AuthError::Unavailable(e.to_string())),
    }
}
