//! Cognito-shaped tokens: the claims, minting (local provider) and verification against a JWKS
//! (local or Cognito's), refreshed when a token names an unknown key (see `jwks.rs`).

use std::sync::Arc;

use super::jwks::{KeyCache, RefreshPolicy};
use app::api::ports::AuthError;
use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Claims of an access token, as Cognito issues them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub sub: String,
    pub iss: String,
    pub client_id: String,
    pub token_use: String,
    pub scope: String,
    pub auth_time: u64,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    /// The refresh session the token came from (Cognito's `origin_jti`).
    pub origin_jti: String,
    pub username: String,
    /// The user's groups (roles), when the user is in any.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
}

/// Claims of an ID token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdClaims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub token_use: String,
    pub email: String,
    pub email_verified: bool,
    pub auth_time: u64,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    pub origin_jti: String,
    #[serde(rename = "cognito:username")]
    pub username: String,
}

/// Where the verifier gets signing keys (the local provider's own, or Cognito's JWKS URL).
#[async_trait]
pub trait JwksSource: Send + Sync {
    async fn fetch(&self) -> Result<JwkSet, AuthError>;
}

pub fn sign<C: Serialize>(claims: &C, key: &super::SigningKey) -> Result<String, AuthError> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    encode(&header, claims, &key.encoding)
        .map_err(|e| AuthError::Unavailable(format!("signing failed: {e}")))
}

/// Verifies access tokens: RS256 only, known key, issuer, `client_id`, `token_use`, expiry.
pub struct TokenVerifier {
    issuer: String,
    client_id: String,
    keys: KeyCache,
}

impl TokenVerifier {
    pub fn new(issuer: String, client_id: String, source: Arc<dyn JwksSource>) -> Self {
        Self::with_policy(issuer, client_id, source, RefreshPolicy::default())
    }

    pub fn with_policy(
        issuer: String,
        client_id: String,
        source: Arc<dyn JwksSource>,
        policy: RefreshPolicy,
    ) -> Self {
        TokenVerifier {
            issuer,
            client_id,
            keys: KeyCache::new(source, policy),
        }
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let keys = self.keys.keys_for(kid).await?;
        let jwk = keys
            .find(kid)
            .ok_or_else(|| AuthError::InvalidToken("unknown signing key".into()))?;
        DecodingKey::from_jwk(jwk).map_err(|e| AuthError::InvalidToken(format!("bad key: {e}")))
    }

    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let header =
            decode_header(token).map_err(|e| AuthError::InvalidToken(format!("malformed: {e}")))?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::InvalidToken(format!(
                "algorithm {:?} not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::InvalidToken("no key id".into()))?;
        let key = self.key_for(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_aud = false; // access tokens carry client_id, not aud
        validation.leeway = 5;
        let claims = decode::<AccessClaims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::SessionExpired,
                _ => AuthError::InvalidToken(e.to_string()),
            })?
            .claims;
        if claims.token_use != "access" {
            return Err(AuthError::InvalidToken(format!(
                "token_use {:?} is not access",
                claims.token_use
            )));
        }
        if claims.client_id != self.client_id {
            return Err(AuthError::InvalidToken("issued to another client".into()));
        }
        Ok(claims)
    }
}
