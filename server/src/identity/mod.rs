//! Identity adapters: the local Cognito-compatible provider (embedded default) and the token
//! verifier that also checks real Cognito tokens.

pub mod jwt;
pub mod keys;
pub mod local;

pub use jwt::{JwksSource, TokenVerifier};
pub use keys::SigningKey;
pub use local::{LocalIdentity, LocalIdentityConfig};
