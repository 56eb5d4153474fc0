//! Where a request comes from: the socket peer, or, when that peer is one of the trusted proxies
//! (`SOFTPHONE_TRUSTED_PROXIES`), the right-most `X-Forwarded-For` address that is not one of
//! them. A client can write anything into `X-Forwarded-For`; only the part our own proxies
//! appended is believed, so a forged header neither hides an attacker from throttling nor locks
//! out someone else.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::config::TrustedProxies;

/// The client's address for a request from `peer` with these headers.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    // Every X-Forwarded-For header in order, each a comma list: the right-most entries were
    // added by the proxies nearest to us.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = forwarded_ip(hop) else {
            // A hop our proxies did not write: what lies left of it cannot be believed.
            return nearest;
        };
        if !trusted.contains(ip) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

/// Whether the request reached the first trusted proxy over HTTPS (its `X-Forwarded-Proto`),
/// for a peer that is one; never from a client's own header.
pub fn forwarded_https(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> bool {
    trusted.contains(peer)
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// One `X-Forwarded-For` entry: an address, or an address with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), as some proxies write it.
fn forwarded_ip(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        let h = forwarded(&["203.0.113.9"]);
        assert_eq!(client_ip(ip("198.51.100.4"), &h, &none), ip("198.51.100.4"));
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("198.51.100.4"), &h, &proxies),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.2");
        // The client forged the first entry; our proxies appended the real one and themselves.
        let h = forwarded(&["1.2.3.4, 203.0.113.9", "10.0.0.7"]);
        assert_eq!(client_ip(peer, &h, &proxies), ip("203.0.113.9"));
        let h = forwarded(&["[2001:db8::5]:4711"]);
        assert_eq!(client_ip(peer, &h, &proxies), ip("2001:db8::5"));
        let h = forwarded(&["192.0.2.1:1234"]);
        assert_eq!(client_ip(peer, &h, &proxies), ip("192.0.2.1"));
        // No header, or only proxies in it: the nearest proxy is all we know.
        assert_eq!(client_ip(peer, &HeaderMap::new(), &proxies), peer);
        let h = forwarded(&["10.0.0.9"]);
        assert_eq!(client_ip(peer, &h, &proxies), ip("10.0.0.9"));
        // Garbage right of the client: nothing left of it is believed.
        let h = forwarded(&["203.0.113.9, unknown"]);
        assert_eq!(client_ip(peer, &h, &proxies), peer);
        // An IPv4 peer seen on an IPv6 socket is the same peer.
        let h = forwarded(&["203.0.113.9"]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), &h, &proxies),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn https_is_read_from_trusted_proxies_only() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(forwarded_https(ip("10.0.0.2"), &h, &proxies));
        assert!(!forwarded_https(ip("203.0.113.9"), &h, &proxies));
        h.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        assert!(!forwarded_https(ip("10.0.0.2"), &h, &proxies));
    }
}
