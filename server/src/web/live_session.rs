//! Whether the session a live channel was opened with still stands. The channel checks every
//! few seconds (`SOFTPHONE_SESSION_RECHECK_SECS`), at once when this process revokes sessions,
//! and when its access token expires; a channel whose session is gone closes with
//! [`SESSION_ENDED`] (docs/security.md, "Web and sessions"; docs/architecture.md).
//!
//! With the local identity the store is the truth: before its expiry the token is verified
//! as on any request (signature, session not revoked, user still there); after it, the refresh
//! session the token was minted for is looked up, so a channel outlives its hour-long token
//! only while its session does, and a call in progress is not cut at the hour. Other
//! providers' sessions are not in our store: their channel closes with [`TOKEN_EXPIRED`] at
//! the token's expiry (the tab reconnects at once, its cookies refreshed), unless it carries a
//! call's audio, which it keeps until the call ends.

use std::sync::Arc;

use app::api::ports::{AuthError, Clock, Identity, Store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub use app::api::live::{SESSION_ENDED, TOKEN_EXPIRED};

/// Verification already allows a token this long past its expiry (clock skew): the store is
/// consulted from a little before it.
const EXPIRY_MARGIN_MS: u64 = 5_000;

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Stands,
    /// Revoked, expired, its user is gone or disabled: the channel closes.
    Ended,
    /// The access token expired and the provider's sessions are not ours to look up.
    TokenExpired,
    /// The store or the provider did not answer: checked again at the next tick.
    Unknown,
}

/// The claims a check needs, read from a token the session layer has verified already.
#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    /// The local identity's refresh session.
    #[serde(default)]
    origin_jti: Option<String>,
}

pub struct SessionCheck {
    identity: Arc<dyn Identity>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    token: String,
    sub: String,
    /// Epoch milliseconds.
    expires_at_ms: u64,
    /// The refresh session in our store (local identity only).
    session_id: Option<String>,
}

fn claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl SessionCheck {
    /// `None` if the token is not a JWT with `sub` and `exp` (it could not have been verified).
    pub fn new(
        identity: Arc<dyn Identity>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        token: String,
    ) -> Option<Self> {
        let claims = claims(&token)?;
        let local = identity.kind() == "local";
        Some(SessionCheck {
            session_id: claims.origin_jti.filter(|_| local),
            identity,
            store,
            clock,
            sub: claims.sub,
            expires_at_ms: claims.exp.saturating_mul(1000),
            token,
        })
    }

    /// Whether the session can be looked up in our store (local identity). Otherwise a notice
    /// that this user signed out everywhere is taken as it is: the provider's token would still
    /// verify until it expires.
    pub fn looks_up_sessions(&self) -> bool {
        self.session_id.is_some()
    }

    /// When the access token expires, from now (zero if it has).
    pub fn until_expiry(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.expires_at_ms.saturating_sub(self.clock.now_ms()))
    }

    pub async fn check(&self) -> Verdict {
        let now = self.clock.now_ms();
        if now + EXPIRY_MARGIN_MS < self.expires_at_ms {
            return match self.identity.verify_access(&self.token).await {
                Ok(p) if p.sub == self.sub => Verdict::Stands,
                Ok(_) => Verdict::Ended,
                Err(AuthError::Unavailable(_)) => Verdict::Unknown,
                Err(_) => Verdict::Ended,
            };
        }
        // Past the token's expiry nothing verifies it any more: a disabled account is asked of
        // the store here (a Cognito channel carrying a call would otherwise stay to its end).
        match self.store.account_disabled(&self.sub).await {
            Ok(Some(_)) => return Verdict::Ended,
            Ok(None) => {}
            Err(_) => return Verdict::Unknown,
        }
        let Some(id) = &self.session_id else {
            return Verdict::TokenExpired;
        };
        match self.store.session(id).await {
            Ok(Some(s)) if !s.revoked && s.expires_at > now && s.sub == self.sub => {}
            Ok(_) => return Verdict::Ended,
            Err(_) => return Verdict::Unknown,
        }
        match self.store.user_by_sub(&self.sub).await {
            Ok(Some(_)) => Verdict::Stands,
            Ok(None) => Verdict::Ended,
            Err(_) => Verdict::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"s1","exp":1700000000,"origin_jti":"j"}"#);
        let c = claims(&format!("h.{payload}.sig")).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.exp, c.origin_jti.as_deref()),
            ("s1", 1_700_000_000, Some("j"))
        );
        let without = URL_SAFE_NO_PAD.encode(br#"{"sub":"s1","exp":5}"#);
        assert!(claims(&format!("h.{without}.s"))
            .unwrap()
            .origin_jti
            .is_none());
        for bad in [
            "",
            "abc",
            "h.!!!.s",
            &format!("h.{}.s", URL_SAFE_NO_PAD.encode(b"{}")),
        ] {
            assert!(claims(bad).is_none(), "{bad}");
        }
    }
}
