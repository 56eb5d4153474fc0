//! The HTTP front's settings: which proxies' forwarding headers are believed
//! (`SOFTPHONE_TRUSTED_PROXIES`, `docs/security.md`, "Web and sessions").

use std::net::IpAddr;
use std::str::FromStr;

/// One network: an address and how many leading bits name it (`10.0.0.0/8`, `fd00::/8`); a
/// bare address is a network of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(ip).into(), 32, self.bits)
                    == masked(u32::from(net).into(), 32, self.bits)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(ip), 128, self.bits) == masked(u128::from(net), 128, self.bits)
            }
            _ => false,
        }
    }
}

/// The first `bits` of a `width`-bit number.
fn masked(value: u128, width: u8, bits: u8) -> u128 {
    if bits == 0 {
        0
    } else {
        value >> (width - bits)
    }
}

impl FromStr for Cidr {
    type Err = ();

    fn from_str(text: &str) -> Result<Cidr, ()> {
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (text, None),
        };
        let network = address.parse::<IpAddr>().map_err(|_| ())?.to_canonical();
        let width = if network.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b.parse::<u8>().map_err(|_| ())?,
            None => width,
        };
        (bits <= width).then_some(Cidr { network, bits }).ok_or(())
    }
}

/// `SOFTPHONE_TRUSTED_PROXIES`: the proxies in front of the server. Only a request whose socket
/// peer is one of them has its `X-Forwarded-For` and `X-Forwarded-Proto` read. None by default:
/// a client could otherwise write any address into those headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A comma list of addresses or CIDRs; blank is none.
    pub fn parse(text: &str) -> Result<TrustedProxies, &'static str> {
        text.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| c.parse::<Cidr>())
            .collect::<Result<Vec<_>, ()>>()
            .map(TrustedProxies)
            .map_err(|_| "a comma list of addresses or CIDRs such as 10.0.0.0/8,fd00::/8,192.0.2.7")
    }
}

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Web")]
pub struct WebArgs {
    /// The proxies (load balancer, CDN, reverse proxy) in front of the server, whose
    /// X-Forwarded-For and X-Forwarded-Proto are believed: a comma list of addresses or CIDRs
    /// such as 10.0.0.0/8,fd00::/8 [default: none]
    #[arg(long, env = "SOFTPHONE_TRUSTED_PROXIES", value_name = "CIDRS", value_parser = TrustedProxies::parse)]
    trusted_proxies: Option<TrustedProxies>,
}

impl WebArgs {
    pub(super) fn resolve(self) -> TrustedProxies {
        self.trusted_proxies.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_hold_their_addresses_and_no_others() {
        let proxies =
            TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8,2001:db8::/64").unwrap();
        for inside in [
            "10.1.2.3",
            "192.0.2.7",
            "fd12::1",
            "2001:db8::99",
            "::ffff:10.9.9.9",
        ] {
            assert!(proxies.contains(ip(inside)), "{inside}");
        }
        for outside in [
            "11.0.0.1",
            "192.0.2.8",
            "fe80::1",
            "2001:db8:0:1::1",
            "127.0.0.1",
        ] {
            assert!(!proxies.contains(ip(outside)), "{outside}");
        }
        let everything = TrustedProxies::parse("0.0.0.0/0").unwrap();
        assert!(everything.contains(ip("203.0.113.5")));
        assert!(
            !everything.contains(ip("::1")),
            "an IPv4 network holds no IPv6 address"
        );
    }

    #[test]
    fn bad_lists_are_refused_and_blank_is_none() {
        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "proxy.example.com",
            "10.0.0.0/x",
            "10.0.0.0/8;",
        ] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
        assert!(config(&[]).unwrap().trusted_proxies.is_empty());
        let c = config(&[("SOFTPHONE_TRUSTED_PROXIES", "10.0.0.0/8")]).unwrap();
        assert!(c.trusted_proxies.contains(ip("10.2.3.4")));
        let e = config(&[("SOFTPHONE_TRUSTED_PROXIES", "10.0.0.0/99")]).unwrap_err();
        assert!(e.to_string().contains("SOFTPHONE_TRUSTED_PROXIES"), "{e}");
    }
}
