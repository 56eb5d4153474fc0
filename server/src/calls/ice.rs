//! The ICE servers a browser gets for its peer connection: the fixed list of
//! `SOFTPHONE_ICE_SERVERS` and, with `SOFTPHONE_TURN_*`, a TURN server with time-limited
//! credentials made for the user (the TURN REST API of draft-uberti-behave-turn-rest-00, as
//! coturn's `use-auth-secret` checks them; `docs/telephony.md`, "TURN"). Sans-IO: the time is
//! passed in, so the expiry arithmetic is tested without a clock.

use std::fmt;
use std::time::Duration;

use app::api::live::IceServer;
use aws_lc_rs::hmac;
use base64::Engine as _;

use crate::config::Secret;

/// A TURN server that takes TURN REST API credentials: its URLs, the shared secret (coturn's
/// `static-auth-secret`) and how long a credential stays valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnRest {
    /// `turn:` and `turns:` URLs of the one server (or servers sharing the secret).
    pub urls: Vec<String>,
    pub secret: Secret<String>,
    pub ttl: Duration,
}

impl TurnRest {
    /// The TURN entry for `user_id` at `now_unix` (seconds since 1970): user name
    /// `<expiry>:<user_id>`, credential base64(HMAC-SHA1(secret, user name)).
    ///
    /// `user_id` must be an opaque id (the account's `sub`), never an e-mail address: the TURN
    /// server writes the user name into its logs.
    pub fn ice_server(&self, user_id: &str, now_unix: u64) -> IceServer {
        let username = rest_username(now_unix.saturating_add(self.ttl.as_secs()), user_id);
        let credential = rest_credential(self.secret.expose(), &username);
        IceServer {
            urls: self.urls.clone(),
            username: Some(username),
            credential: Some(credential),
        }
    }
}

/// The TURN REST API user name: the expiry time first (coturn reads the digits before the
/// first `:` as the time after which it refuses the name), then the user's id.
pub fn rest_username(expiry_unix: u64, user_id: &str) -> String {
    format!("{expiry_unix}:{user_id}")
}

/// The TURN REST API password for `username`: base64(HMAC-SHA1(secret, username)). SHA-1 is
/// what coturn and the draft use here (as an HMAC, where its collision weakness does not apply).
pub fn rest_credential(secret: &str, username: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let tag = hmac::sign(&key, username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Every ICE server the browser is given: the fixed ones, then the TURN server with the
/// user's own fresh credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IceServers {
    fixed: Vec<IceServer>,
    turn: Option<TurnRest>,
}

impl IceServers {
    pub fn new(fixed: Vec<IceServer>, turn: Option<TurnRest>) -> Self {
        IceServers { fixed, turn }
    }

    /// What `user_id`'s browser uses from `now_unix` on.
    pub fn for_user(&self, user_id: &str, now_unix: u64) -> Vec<IceServer> {
        let mut servers = self.fixed.clone();
        if let Some(turn) = &self.turn {
            servers.push(turn.ice_server(user_id, now_unix));
        }
        servers
    }

    /// How often an open live channel is sent new credentials: at half their life, so the
    /// credentials a call starts with are always valid for at least half the TTL more (a TURN
    /// server checks the expiry when the call's relay is allocated). `None` without TURN: the
    /// fixed list never changes.
    pub fn renew_every(&self) -> Option<Duration> {
        self.turn.as_ref().map(|t| t.ttl / 2)
    }
}

/// The fixed list may hold static TURN passwords and the TURN server the shared secret.
impl fmt::Debug for IceServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IceServers")
            .field("fixed", &self.fixed.len())
            .field("turn", &self.turn)
            .finish()
    }
}

/// A fixed list only (the tests' hubs, and servers without `SOFTPHONE_TURN_*`).
impl From<Vec<IceServer>> for IceServers {
    fn from(fixed: Vec<IceServer>) -> Self {
        IceServers::new(fixed, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(ttl_secs: u64) -> TurnRest {
        TurnRest {
            urls: vec![
                "turn:turn.example.com:3478?transport=udp".into(),
                "turns:turn.example.com:5349?transport=tcp".into(),
            ],
            secret: Secret::new("north-bridge-shared-secret-0123456789".into()),
            ttl: Duration::from_secs(ttl_secs),
        }
    }

    /// Checked against Python's `hmac` (an independent HMAC-SHA1 and base64):
    /// `base64.b64encode(hmac.new(secret, username, hashlib.sha1).digest())`.
    #[test]
    fn the_credential_is_base64_hmac_sha1_of_the_user_name() {
        assert_eq!(
            rest_credential(
                "north-bridge-shared-secret-0123456789",
                "1700003600:3f0c9a52-7d1e-4b8a-9c55-2d1f0e6b7a10"
            ),
            "huVu/2Mz7PcVOLE9l70xiV4GVRE="
        );
        assert_eq!(
            rest_credential("secret", "1433895918:alice"),
            "9FlGeCxuzk5viW4BIqwHUUUEvWw="
        );
    }

    #[test]
    fn the_user_name_expires_ttl_after_now() {
        let user = "3f0c9a52-7d1e-4b8a-9c55-2d1f0e6b7a10";
        let s = turn(3600).ice_server(user, 1_700_000_000);
        assert_eq!(
            s.username.as_deref(),
            Some("1700003600:3f0c9a52-7d1e-4b8a-9c55-2d1f0e6b7a10")
        );
        assert_eq!(
            s.credential.as_deref(),
            Some("huVu/2Mz7PcVOLE9l70xiV4GVRE=")
        );
        assert_eq!(s.urls, turn(3600).urls);
        // A second later: a new expiry, so a new credential.
        let later = turn(3600).ice_server(user, 1_700_000_001);
        assert_eq!(
            later.username.as_deref(),
            Some("1700003601:3f0c9a52-7d1e-4b8a-9c55-2d1f0e6b7a10")
        );
        assert_ne!(later.credential, s.credential);
        // Another user at the same time: another credential.
        assert_ne!(
            turn(3600).ice_server("other", 1_700_000_000).credential,
            s.credential
        );
        // The expiry saturates rather than wrapping.
        let far = turn(3600).ice_server(user, u64::MAX);
        assert!(far.username.unwrap().starts_with(&format!("{}:", u64::MAX)));
    }

    #[test]
    fn fixed_servers_come_first_and_turn_is_added_per_user() {
        let stun = IceServer {
            urls: vec!["stun:stun.example.com:3478".into()],
            username: None,
            credential: None,
        };
        let fixed = IceServers::from(vec![stun.clone()]);
        assert_eq!(fixed.for_user("u", 1), vec![stun.clone()]);
        assert_eq!(fixed.renew_every(), None);

        let both = IceServers::new(vec![stun.clone()], Some(turn(3600)));
        let servers = both.for_user("u", 1_000);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0], stun);
        assert_eq!(servers[1].username.as_deref(), Some("4600:u"));
        assert_eq!(both.renew_every(), Some(Duration::from_secs(1800)));
    }

    #[test]
    fn debug_shows_neither_the_secret_nor_fixed_passwords() {
        let fixed = IceServer {
            urls: vec!["turn:t.example.com".into()],
            username: Some("a".into()),
            credential: Some("static-pass-7".into()),
        };
        let debug = format!("{:?}", IceServers::new(vec![fixed], Some(turn(600))));
        assert!(!debug.contains("static-pass-7"), "{debug}");
        assert!(!debug.contains("north-bridge"), "{debug}");
        assert!(debug.contains("turns:turn.example.com:5349"), "{debug}");
    }
}
