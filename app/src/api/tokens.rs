//! Integration tokens (personal access tokens for the REST API): made, listed and revoked in
//! Settings by their owner (cookie sessions, under the cross-site guard like every server
//! function), and checked by the REST API (`server/src/rest/extract.rs`). A token is
//! `sp_pat_` and 256 random bits (base64url); the store keeps only its SHA-256, so the secret
//! is shown once, when it is made.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::ApiError;
use crate::domain::tokens::{NewToken, TokenInfo, TokenRequest};

#[cfg(feature = "ssr")]
pub mod ops {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rand::RngCore;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::api::ports::{write_audit, Principal, Services, TokenRecord};
    use crate::domain::tokens::{
        admits, looks_like_token, scopes_from_text, scopes_to_text, should_touch, Scope,
        MAX_PER_USER, PREFIX,
    };

    /// The SHA-256 of a whole token, base64url: what the store keeps and looks up.
    pub fn hash(token: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
    }

    /// A new token: the prefix and 256 bits from the operating system's generator.
    pub fn mint() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    fn info(t: TokenRecord, now: u64) -> TokenInfo {
        TokenInfo {
            expired: admits(t.expires_at, now).is_err(),
            scopes: scopes_from_text(&t.scopes),
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        }
    }

    pub async fn create(
        services: &Services,
        me: &Principal,
        request: &TokenRequest,
    ) -> Result<NewToken, ApiError> {
        let request = request.validated().map_err(ApiError::TokenInvalid)?;
        let now = services.clock.now_ms();
        let secret = mint();
        let record = TokenRecord {
            id: uuid::Uuid::new_v4().to_string(),
            owner: me.sub.clone(),
            email: me.email.clone(),
            name: request.name.clone(),
            scopes: scopes_to_text(&request.scopes),
            token_hash: hash(&secret),
            created_at: now,
            expires_at: Some(request.lifetime.expires_at(now)),
            last_used_at: None,
        };
        if !services.store.create_token(&record, MAX_PER_USER).await? {
            return Err(ApiError::TooManyTokens {
                limit: MAX_PER_USER,
            });
        }
        let detail = format!(
            "token {} \"{}\" scopes {} expires {}",
            record.id,
            record.name,
            record.scopes,
            record.expires_at.unwrap_or_default()
        );
        write_audit(
            services.store.as_ref(),
            &me.sub,
            now,
            "token_created",
            detail,
        )
        .await;
        Ok(NewToken {
            info: info(record, now),
            secret,
        })
    }

    pub async fn list(services: &Services, me: &Principal) -> Result<Vec<TokenInfo>, ApiError> {
        let now = services.clock.now_ms();
        Ok(services
            .store
            .list_tokens(&me.sub)
            .await?
            .into_iter()
            .map(|t| info(t, now))
            .collect())
    }

    /// Revokes at once: the next request with it is refused. `NotFound` unless it is the
    /// caller's.
    pub async fn revoke(services: &Services, me: &Principal, id: &str) -> Result<(), ApiError> {
        let token = services.store.revoke_token(&me.sub, id).await?;
        write_audit(
            services.store.as_ref(),
            &me.sub,
            services.clock.now_ms(),
            "token_revoked",
            format!("token {} \"{}\"", token.id, token.name),
        )
        .await;
        Ok(())
    }

    /// Why a presented integration token lets nobody in.
    #[derive(Debug, PartialEq, Eq)]
    pub enum TokenAuthError {
        /// Unknown, revoked, expired or malformed: one answer for all.
        Invalid,
        /// A valid token of an account an administrator disabled: refused while it is, valid
        /// again once it is enabled.
        AccountDisabled,
        Unavailable,
    }

    /// The owner a presented integration token stands for, with its scopes. The principal has
    /// no groups: a token never acts as an administrator.
    pub async fn authenticate(
        services: &Services,
        token: &str,
    ) -> Result<(Principal, Vec<Scope>), TokenAuthError> {
        if !looks_like_token(token) {
            return Err(TokenAuthError::Invalid);
        }
        let record = match services.store.token_by_hash(&hash(token)).await {
            Ok(Some(r)) => r,
            Ok(None) => return Err(TokenAuthError::Invalid),
            Err(e) => {
                tracing::error!(error = %e, "integration token look-up failed");
                return Err(TokenAuthError::Unavailable);
            }
        };
        let now = services.clock.now_ms();
        admits(record.expires_at, now).map_err(|_| TokenAuthError::Invalid)?;
        match services.store.account_disabled(&record.owner).await {
            Ok(None) => {}
            Ok(Some(_)) => return Err(TokenAuthError::AccountDisabled),
            Err(e) => {
                tracing::error!(error = %e, "disabled account look-up failed");
                return Err(TokenAuthError::Unavailable);
            }
        }
        if should_touch(record.last_used_at, now) {
            // Best effort: a lost write only makes "last used" older.
            if let Err(e) = services
                .store
                .touch_token(&record.owner, &record.id, now)
                .await
            {
                tracing::warn!(error = %e, "integration token last use not written");
            }
        }
        let scopes = scopes_from_text(&record.scopes);
        Ok((
            Principal {
                sub: record.owner,
                email: record.email,
                groups: Vec::new(),
            },
            scopes,
        ))
    }
}

/// Makes an integration token; its secret is in the answer and nowhere else, ever.
#[server(endpoint = "tokens/create", input = Json)]
pub async fn create_token(request: TokenRequest) -> Result<NewToken, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::create(&services, &me, &request).await
}

/// The caller's integration tokens, newest first (names, scopes and dates; never secrets).
#[server(endpoint = "tokens/list", input = Json)]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::list(&services, &me).await
}

#[server(endpoint = "tokens/revoke", input = Json)]
pub async fn revoke_token(id: String) -> Result<(), ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::revoke(&services, &me, &id).await
}
