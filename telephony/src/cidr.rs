//! Networks of an allow-list (`address/prefix`): the Voice Connector's `CidrAllowedList` the
//! simulator enforces, and the sources the gateway takes calls in from.

use std::net::IpAddr;
use std::str::FromStr;

/// One network of an allow-list, `address/prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network of one address (`/32` or `/128`).
    pub fn host(ip: IpAddr) -> Cidr {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Cidr {
            network: ip,
            prefix,
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let bad = || format!("{text:?} is not a network such as 203.0.113.0/24");
        let (address, prefix) = text.trim().split_once('/').ok_or_else(bad)?;
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let longest = if network.is_ipv4() { 32 } else { 128 };
        if prefix > longest {
            return Err(bad());
        }
        Ok(Cidr { network, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let net: Cidr = "203.0.113.0/24".parse().unwrap();
        assert!(net.contains(ip("203.0.113.77")));
        assert!(!net.contains(ip("203.0.114.1")));
        assert!(!net.contains(ip("2001:db8::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("198.51.100.9")));
        let host: Cidr = "127.0.0.1/32".parse().unwrap();
        assert!(host.contains(ip("127.0.0.1")) && !host.contains(ip("127.0.0.2")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "ten/8",
            "10.0.0.0/-1",
            "",
        ] {
            let e = bad.parse::<Cidr>().unwrap_err();
            assert!(e.contains("is not a network"), "{bad}: {e}");
        }
    }
}
