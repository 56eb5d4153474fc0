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
