//! Refresh-token rotation of the local identity: each refresh hands out a new token and spends
//! the old one; a spent token used again revokes its sign-in (docs/security.md, "Accounts and
//! sign-in"; the grace: docs/decisions.md).

use app::api::ports::{AuthError, SessionRecord, Tokens};

use super::{random_token, sha256_b64, store_err, LocalIdentity};

impl LocalIdentity {
    /// Rotates the refresh token: a new one each time, the old one spent. A spent token
    /// presented again revokes its whole sign-in (whoever holds a copy, thief or owner, must
    /// sign in again), but for the previous token within the grace, which gets access tokens
    /// only (see [`super::LocalIdentityConfig::refresh_reuse_grace`]).
    pub(super) async fn rotate_refresh(&self, refresh_token: &str) -> Result<Tokens, AuthError> {
        let hash = sha256_b64(refresh_token);
        let session = self
            .store
            .session_by_token_hash(&hash)
            .await
            .map_err(store_err)?
            .ok_or(AuthError::SessionExpired)?;
        let now_ms = self.clock.now_ms();
        if session.revoked || session.expires_at <= now_ms {
            return Err(AuthError::SessionExpired);
        }
        let user = self.session_user(&session.sub).await?;
        super::super::refuse_disabled(self.store.as_ref(), &user.sub).await?;
        let mut next = None;
        if session.token_hash == hash {
            let token = random_token(32);
            let rotated = self
                .store
                .rotate_session_token(&session, &sha256_b64(&token), now_ms)
                .await
                .map_err(store_err)?;
            if rotated {
                next = Some(token);
            } else {
                // Another request rotated it (or ended the sign-in) first: judge by its result.
                let now = self
                    .store
                    .session(&session.id)
                    .await
                    .map_err(store_err)?
                    .ok_or(AuthError::SessionExpired)?;
                self.spent_token(&now, &hash, now_ms).await?;
            }
        } else {
            self.spent_token(&session, &hash, now_ms).await?;
        }
        let (id_token, access_token) = self.mint(&user, &session.id, session.created_at / 1000)?;
        Ok(Tokens {
            id_token,
            access_token,
            refresh_token: next,
            expires_in: self.config.access_ttl.as_secs(),
            refresh_expires_in: (session.expires_at - now_ms) / 1000,
            device: None,
        })
    }

    /// A refresh token `session` no longer holds as its current one: `Ok` for the previous
    /// token within the grace (a request racing the one that rotated it); anything else is
    /// reuse, which revokes the session.
    async fn spent_token(
        &self,
        session: &SessionRecord,
        hash: &str,
        now_ms: u64,
    ) -> Result<(), AuthError> {
        if session.revoked {
            return Err(AuthError::SessionExpired);
        }
        let grace = self.config.refresh_reuse_grace.as_millis() as u64;
        let racing = session.previous_hash.as_deref() == Some(hash)
            && session
                .rotated_at
                .is_some_and(|at| now_ms.saturating_sub(at) <= grace);
        if racing {
            return Ok(());
        }
        self.store
            .revoke_session(&session.sub, &session.id)
            .await
            .map_err(store_err)?;
        tracing::warn!(user = %session.sub, "spent refresh token used again: its sign-in revoked");
        self.audit(&session.sub, "refresh_token_reuse", String::new())
            .await;
        Err(AuthError::SessionExpired)
    }
}
