//! Integration tokens (personal access tokens for the REST API): their scopes, lifetimes, names
//! and the shape a token has. Sans-IO: the server makes the random token and keeps only its
//! SHA-256 (`app/src/api/tokens.rs`); what a token may do is decided here.

use serde::{Deserialize, Serialize};

/// Every integration token starts with this, so a leaked one is recognisable (secret scanners,
/// logs) and the REST API tells it from a session's access token without a look-up.
pub const PREFIX: &str = "sp_pat_";
/// Tokens a user may hold at once (expired ones count until revoked).
pub const MAX_PER_USER: usize = 20;
/// Longest token name, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// `last_used_at` is written at most this often per token (not one store write per request).
pub const LAST_USED_GRANULARITY_MS: u64 = 60_000;
const DAY_MS: u64 = 24 * 3600 * 1000;

/// What a token may do. There is no admin scope: the admin endpoints take a session's access
/// token only (docs/security.md, "Web and sessions").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "contacts:read")]
    ContactsRead,
    #[serde(rename = "contacts:write")]
    ContactsWrite,
    #[serde(rename = "calls:read")]
    CallsRead,
    #[serde(rename = "calls:write")]
    CallsWrite,
    #[serde(rename = "recordings:read")]
    RecordingsRead,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::ContactsRead,
        Scope::ContactsWrite,
        Scope::CallsRead,
        Scope::CallsWrite,
        Scope::RecordingsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ContactsRead => "contacts:read",
            Scope::ContactsWrite => "contacts:write",
            Scope::CallsRead => "calls:read",
            Scope::CallsWrite => "calls:write",
            Scope::RecordingsRead => "recordings:read",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Scopes as the store keeps them: space-separated, sorted, no duplicates (unknown words are
/// dropped when read back, so a scope removed in a later version grants nothing).
pub fn scopes_to_text(scopes: &[Scope]) -> String {
    let mut sorted = scopes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn scopes_from_text(text: &str) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = text.split_whitespace().filter_map(Scope::parse).collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// How long a new token lives. No "never": a forgotten token in a CRM's settings would be a
/// key to the account for good; a year is the longest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lifetime {
    Days30,
    Days90,
    Days365,
}

impl Lifetime {
    pub const ALL: [Lifetime; 3] = [Lifetime::Days30, Lifetime::Days90, Lifetime::Days365];

    pub fn days(self) -> u64 {
        match self {
            Lifetime::Days30 => 30,
            Lifetime::Days90 => 90,
            Lifetime::Days365 => 365,
        }
    }

    pub fn expires_at(self, now: u64) -> u64 {
        now.saturating_add(self.days() * DAY_MS)
    }
}

/// What the user asks for in Settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub lifetime: Lifetime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum TokenRequestProblem {
    #[error("give the token a name")]
    NameMissing,
    #[error("the name is too long")]
    NameTooLong,
    #[error("choose at least one scope")]
    NoScope,
}

impl TokenRequest {
    /// The request with its name trimmed, or what is wrong with it.
    pub fn validated(&self) -> Result<TokenRequest, TokenRequestProblem> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(TokenRequestProblem::NameMissing);
        }
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(TokenRequestProblem::NameTooLong);
        }
        let scopes = scopes_from_text(&scopes_to_text(&self.scopes));
        if scopes.is_empty() {
            return Err(TokenRequestProblem::NoScope);
        }
        Ok(TokenRequest {
            name: name.to_string(),
            scopes,
            lifetime: self.lifetime,
        })
    }
}

/// A token as its owner sees it after creation: never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
    pub expires_at: Option<u64>,
    /// Expired when it was listed (it lets nobody in; revoke it to free its place).
    pub expired: bool,
}

/// A new token: its details, and the secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub info: TokenInfo,
    pub secret: String,
}

/// Whether `text` has the shape of an integration token (the prefix, then 43 base64url
/// characters: 256 random bits). Anything else is never looked up.
pub fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Why a token does not let its bearer in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    Expired,
}

/// Whether a stored token still admits its bearer at `now`.
pub fn admits(expires_at: Option<u64>, now: u64) -> Result<(), TokenRefusal> {
    match expires_at {
        Some(at) if now >= at => Err(TokenRefusal::Expired),
        _ => Ok(()),
    }
}

/// Whether `last_used_at` is stale enough to be written again at `now`.
pub fn should_touch(last_used_at: Option<u64>, now: u64) -> bool {
    last_used_at.is_none_or(|at| now.saturating_sub(at) >= LAST_USED_GRANULARITY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_sorted_and_unknown_ones_grant_nothing() {
        let text = scopes_to_text(&[Scope::CallsWrite, Scope::ContactsRead, Scope::CallsWrite]);
        assert_eq!(text, "contacts:read calls:write");
        assert_eq!(
            scopes_from_text("calls:write admin contacts:read"),
            vec![Scope::ContactsRead, Scope::CallsWrite]
        );
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn requests_need_a_name_and_a_scope() {
        let ok = TokenRequest {
            name: "  CRM  ".into(),
            scopes: vec![Scope::ContactsRead, Scope::ContactsRead],
            lifetime: Lifetime::Days30,
        };
        let v = ok.validated().unwrap();
        assert_eq!(v.name, "CRM");
        assert_eq!(v.scopes, vec![Scope::ContactsRead]);
        let mut bad = ok.clone();
        bad.name = " ".into();
        assert_eq!(bad.validated(), Err(TokenRequestProblem::NameMissing));
        bad.name = "x".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(bad.validated(), Err(TokenRequestProblem::NameTooLong));
        bad.name = "a\nb".into();
        assert_eq!(bad.validated(), Err(TokenRequestProblem::NameTooLong));
        bad = ok;
        bad.scopes.clear();
        assert_eq!(bad.validated(), Err(TokenRequestProblem::NoScope));
    }

    #[test]
    fn tokens_expire_at_their_lifetime_and_not_before() {
        let now = 1_800_000_000_000;
        let at = Lifetime::Days30.expires_at(now);
        assert_eq!(at - now, 30 * DAY_MS);
        assert_eq!(admits(Some(at), at - 1), Ok(()));
        assert_eq!(admits(Some(at), at), Err(TokenRefusal::Expired));
        assert_eq!(Lifetime::Days365.days(), 365);
    }

    #[test]
    fn only_the_token_shape_is_looked_up() {
        let good = format!("{PREFIX}{}", "A".repeat(43));
        assert!(looks_like_token(&good));
        assert!(!looks_like_token(&format!("{PREFIX}{}", "A".repeat(42))));
        assert!(!looks_like_token(&format!("{PREFIX}{}=", "A".repeat(42))));
        assert!(!looks_like_token("eyJhbGciOi.x.y"));
    }

    #[test]
    fn last_used_is_written_once_a_minute() {
        assert!(should_touch(None, 5));
        assert!(!should_touch(
            Some(1_000),
            1_000 + LAST_USED_GRANULARITY_MS - 1
        ));
        assert!(should_touch(Some(1_000), 1_000 + LAST_USED_GRANULARITY_MS));
    }
}
