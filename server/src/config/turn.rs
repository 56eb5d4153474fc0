//! A TURN server for browsers behind NAT whose credentials the server makes per user (the TURN
//! REST API, coturn's `use-auth-secret`): its URLs, the shared secret, and how long a
//! credential lasts (`docs/telephony.md`, "TURN").

use std::time::Duration;

use super::{ConfigError, Secret};
use crate::calls::TurnRest;

/// The shortest and longest credential life, in seconds. The live channel renews credentials at
/// half their life, so a call starts with at least half left: 10 minutes leaves 5 for clock
/// differences between this server and the TURN server and the call's set-up. A day is the
/// TURN REST API draft's recommended value; longer only lengthens what a leaked credential is
/// good for.
pub const TTL_MIN_SECS: u64 = 600;
pub const TTL_MAX_SECS: u64 = 86_400;
pub const TTL_DEFAULT_SECS: u64 = 3_600;

/// `SOFTPHONE_TURN_URLS`: one or more `turn:`/`turns:` URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnUrls(Vec<String>);

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "TURN")]
pub struct TurnArgs {
    /// A TURN server for browsers behind NAT whose credentials the server makes per user
    /// (needs SOFTPHONE_TURN_SECRET): comma-separated turn: or turns: URLs such as
    /// turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp
    #[arg(long, env = "SOFTPHONE_TURN_URLS", value_name = "URLS", value_parser = turn_urls)]
    turn_urls: Option<TurnUrls>,
    /// The TURN server's shared secret (coturn's static-auth-secret; at least 32 characters)
    #[arg(long, env = "SOFTPHONE_TURN_SECRET", hide_env_values = true, value_parser = turn_secret)]
    turn_secret: Option<Secret<String>>,
    /// How long a TURN credential is valid, in seconds (600 to 86400); an open app gets new
    /// ones at half this
    #[arg(long, env = "SOFTPHONE_TURN_TTL", value_name = "SECONDS", default_value_t = TTL_DEFAULT_SECS,
          value_parser = clap::value_parser!(u64).range(TTL_MIN_SECS..=TTL_MAX_SECS))]
    turn_ttl: u64,
}

impl TurnArgs {
    /// The TURN server, if one is set; the URLs and the secret come together.
    pub(super) fn resolve(self) -> Result<Option<TurnRest>, ConfigError> {
        match (self.turn_urls, self.turn_secret) {
            (None, None) => Ok(None),
            (Some(TurnUrls(urls)), Some(secret)) => Ok(Some(TurnRest {
                urls,
                secret,
                ttl: Duration::from_secs(self.turn_ttl),
            })),
            (Some(_), None) => Err(ConfigError::invalid(
                "SOFTPHONE_TURN_SECRET",
                "",
                "with SOFTPHONE_TURN_URLS, the TURN server's static-auth-secret (at least 32 characters)",
            )),
            (None, Some(_)) => Err(ConfigError::invalid(
                "SOFTPHONE_TURN_URLS",
                "",
                "with SOFTPHONE_TURN_SECRET, the TURN server's turn: or turns: URLs",
            )),
        }
    }
}

fn turn_urls(text: &str) -> Result<TurnUrls, &'static str> {
    let urls: Option<Vec<String>> = text
        .split(',')
        .map(|u| turn_url(u.trim()).map(str::to_string))
        .collect();
    urls.filter(|u| !u.is_empty()).map(TurnUrls).ok_or(
        "comma-separated turn: or turns: URLs such as turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp",
    )
}

/// One URL as RFC 7065 writes it: `turn:` or `turns:`, a host name, IPv4 address or
/// `[IPv6]`, an optional port, and optionally `?transport=udp` or `?transport=tcp`.
fn turn_url(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("turn:")
        .or_else(|| text.strip_prefix("turns:"))?;
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    if !matches!(query, None | Some("transport=udp") | Some("transport=tcp")) {
        return None;
    }
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (addr, after) = v6.split_once(']')?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            };
            (addr.parse::<std::net::Ipv6Addr>().is_ok(), port)
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            let name_ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            (name_ok, port)
        }
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    (host_ok && port_ok).then_some(text)
}

/// A shared secret long enough to resist guessing (32 characters or more).
fn turn_secret(text: &str) -> Result<Secret<String>, &'static str> {
    if text.chars().count() >= 32 {
        Ok(Secret::new(text.to_string()))
    } else {
        Err("the TURN server's static-auth-secret, a random secret of at least 32 characters")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-turn";

    #[test]
    fn no_turn_server_by_default() {
        assert_eq!(config(&[]).unwrap().turn, None);
    }

    #[test]
    fn a_turn_server_with_its_secret_and_ttl() {
        let t = config(&[
            (
                "SOFTPHONE_TURN_URLS",
                "turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349?transport=tcp",
            ),
            ("SOFTPHONE_TURN_SECRET", SECRET),
        ])
        .unwrap()
        .turn
        .unwrap();
        assert_eq!(
            t.urls,
            vec![
                "turn:turn.example.com:3478?transport=udp".to_string(),
                "turns:turn.example.com:5349?transport=tcp".to_string(),
            ]
        );
        assert_eq!(t.secret.expose(), SECRET);
        assert_eq!(t.ttl, Duration::from_secs(TTL_DEFAULT_SECS));
        let t = config(&[
            (
                "SOFTPHONE_TURN_URLS",
                "turn:203.0.113.7,turn:[2001:db8::7]:3478",
            ),
            ("SOFTPHONE_TURN_SECRET", SECRET),
            ("SOFTPHONE_TURN_TTL", "600"),
        ])
        .unwrap()
        .turn
        .unwrap();
        assert_eq!(t.urls.len(), 2);
        assert_eq!(t.ttl, Duration::from_secs(600));
    }

    #[test]
    fn bad_turn_values_name_the_variable() {
        for url in [
            "stun:turn.example.com",
            "https://turn.example.com",
            "turn:",
            "turn:turn.example.com:0",
            "turn:turn.example.com:99999",
            "turn:user@turn.example.com",
            "turn:turn.example.com/path",
            "turn:turn.example.com?transport=sctp",
            "turn:[2001:db8::7",
            "turn:[not-v6]:3478",
            "turn:a.example.com,,turn:b.example.com",
            "turn:turn example.com",
        ] {
            let e = config(&[
                ("SOFTPHONE_TURN_URLS", url),
                ("SOFTPHONE_TURN_SECRET", SECRET),
            ])
            .unwrap_err();
            assert!(
                e.to_string().starts_with("SOFTPHONE_TURN_URLS="),
                "{url}: {e}"
            );
        }
        for ttl in ["599", "86401", "0", "1h"] {
            let e = config(&[
                ("SOFTPHONE_TURN_URLS", "turn:t.example.com"),
                ("SOFTPHONE_TURN_SECRET", SECRET),
                ("SOFTPHONE_TURN_TTL", ttl),
            ])
            .unwrap_err();
            assert!(
                e.to_string().starts_with("SOFTPHONE_TURN_TTL="),
                "{ttl}: {e}"
            );
        }
        let e = config(&[
            ("SOFTPHONE_TURN_URLS", "turn:t.example.com"),
            ("SOFTPHONE_TURN_SECRET", "short"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("at least 32 characters"), "{e}");
        assert!(
            !e.to_string().contains("short"),
            "the secret is not echoed: {e}"
        );
    }

    #[test]
    fn the_urls_and_the_secret_come_together() {
        let e = config(&[("SOFTPHONE_TURN_URLS", "turn:t.example.com")]).unwrap_err();
        assert!(e.to_string().starts_with("SOFTPHONE_TURN_SECRET="), "{e}");
        let e = config(&[("SOFTPHONE_TURN_SECRET", SECRET)]).unwrap_err();
        assert!(e.to_string().starts_with("SOFTPHONE_TURN_URLS="), "{e}");
    }

    #[test]
    fn debug_does_not_show_the_turn_secret() {
        let c = config(&[
            ("SOFTPHONE_TURN_URLS", "turn:t.example.com"),
            ("SOFTPHONE_TURN_SECRET", SECRET),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("turn:t.example.com"), "{debug}");
        assert!(!debug.contains(SECRET), "{debug}");
    }
}
