//! `server chime voice-connector provision|check`: the Amazon Chime SDK Voice Connector our
//! gateway's SIP leg calls through (docs/chime.md, "Voice Connector"). `provision` creates or
//! updates it (encryption on), its numbers, termination, credentials and logging, each step
//! saying what it found and did, or with `dry_run` what it would do; a second run changes
//! nothing. `check` reads the same settings and lists every difference from what the app needs.

mod check;
mod credentials;
mod provision;

use std::net::{IpAddr, Ipv4Addr};

use app::domain::numbers::Country;
use aws_sdk_chimesdkvoice as voice;
use voice::types::VoiceConnector;

pub use check::{check, CheckReport, Finding};
pub use credentials::{CredentialsFile, TrunkCredentials};
pub use provision::{provision, Options, ProvisionReport};

use super::error::sdk_error;
use super::ChimeError;

/// The connector's shape as the app needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoiceConnectorRequest {
    /// The connector's name (how a later run finds it again).
    pub name: String,
    /// The AWS Region it lives in (one `CreateVoiceConnector` takes).
    pub region: String,
    /// The gateway's public IPv4 addresses, as given (`203.0.113.7` or `203.0.113.7/32`).
    pub gateway_addresses: Vec<String>,
    /// `CallingRegions`: ISO codes, each one the dialling policy allows.
    pub calling_regions: Vec<String>,
    /// `CpsLimit`: calls per second.
    pub cps_limit: i32,
    /// The gateway's caller ID (`SOFTPHONE_CALLER_ID`): `DefaultPhoneNumber`, and associated.
    pub caller_id: String,
    /// Further PA/SG numbers of the account to associate with the connector.
    pub numbers: Vec<String>,
}

/// The request, checked: what the settings must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub cidrs: Vec<String>,
    pub calling_regions: Vec<String>,
    /// The caller ID first, then the other numbers, once each.
    pub numbers: Vec<String>,
}

/// The most networks we put in `CidrAllowedList` (an AWS sample's limit; a gateway has one).
const MAX_GATEWAY_ADDRESSES: usize = 10;

impl VoiceConnectorRequest {
    pub(crate) fn wanted(&self) -> Result<Wanted, VoiceConnectorError> {
        let name_ok = (1..=256).contains(&self.name.len())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " _.-".contains(c));
        if !name_ok {
            return Err(VoiceConnectorError::Name(self.name.clone()));
        }
        if !voice::types::VoiceConnectorAwsRegion::values().contains(&self.region.as_str()) {
            return Err(VoiceConnectorError::Region(self.region.clone()));
        }
        if self.gateway_addresses.is_empty() {
            return Err(VoiceConnectorError::NoGatewayAddress);
        }
        if self.gateway_addresses.len() > MAX_GATEWAY_ADDRESSES {
            return Err(VoiceConnectorError::TooManyGatewayAddresses(
                self.gateway_addresses.len(),
            ));
        }
        let mut cidrs = Vec::new();
        for text in &self.gateway_addresses {
            let cidr = format!("{}/32", gateway_address(text)?);
            if !cidrs.contains(&cidr) {
                cidrs.push(cidr);
            }
        }
        cidrs.sort();
        // Never wider than the dialling policy: each region must be one of its countries.
        let mut calling_regions = Vec::new();
        for code in &self.calling_regions {
            let country = Country::from_iso(code)
                .ok_or_else(|| VoiceConnectorError::CallingRegionWider(code.clone()))?;
            if !calling_regions.contains(&country.iso().to_string()) {
                calling_regions.push(country.iso().to_string());
            }
        }
        if calling_regions.is_empty() {
            return Err(VoiceConnectorError::NoCallingRegion);
        }
        calling_regions.sort();
        if !(1..=100).contains(&self.cps_limit) {
            return Err(VoiceConnectorError::CpsLimit(self.cps_limit));
        }
        let mut numbers = vec![self.caller_id.clone()];
        for n in &self.numbers {
            if !numbers.contains(n) {
                numbers.push(n.clone());
            }
        }
        for n in &numbers {
            let country = Country::ALL
                .into_iter()
                .find(|c| n.starts_with(&format!("+{}", c.calling_code())));
            if country.is_none_or(|c| !calling_regions.contains(&c.iso().to_string())) {
                return Err(VoiceConnectorError::NumberCountry {
                    number: n.clone(),
                    regions: calling_regions.join(", "),
                });
            }
        }
        Ok(Wanted {
            cidrs,
            calling_regions,
            numbers,
        })
    }
}

/// The gateway's public IPv4 address in `text` (`a.b.c.d` or `a.b.c.d/32`).
fn gateway_address(text: &str) -> Result<Ipv4Addr, VoiceConnectorError> {
    let bad = |reason: &str| VoiceConnectorError::GatewayAddress {
        value: text.into(),
        reason: reason.into(),
    };
    let trimmed = text.trim();
    let address = match trimmed.split_once('/') {
        Some((address, "32")) => address,
        Some(_) => return Err(bad("give the one address (a /32), not a network")),
        None => trimmed,
    };
    let ip: IpAddr = address
        .parse()
        .map_err(|_| bad("not an IP address such as 203.0.113.7"))?;
    let IpAddr::V4(ip) = ip else {
        return Err(bad(
            "an IPv6 address: we allow-list the gateway's public IPv4 address (its Elastic IP)",
        ));
    };
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b);
    if ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || shared
        || a == 0
        || a >= 240
    {
        return Err(bad(
            "not a public address: the connector sees the gateway's public (Elastic) IP, not a private or local one",
        ));
    }
    Ok(ip)
}

/// Why provisioning or the check stopped, with what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VoiceConnectorError {
    #[error("--name {0:?}: a Voice Connector's name is 1 to 256 letters, digits, spaces, '_', '.' or '-'")]
    Name(String),
    #[error("--region {0:?}: a Voice Connector lives in one of {regions}", regions = voice::types::VoiceConnectorAwsRegion::values().join(", "))]
    Region(String),
    #[error("no gateway address: give the gateway's public IPv4 address (--gateway-address or SOFTPHONE_VOICE_CONNECTOR_GATEWAY_ADDRESS), the only source the connector takes calls from")]
    NoGatewayAddress,
    #[error("--gateway-address {value:?}: {reason}")]
    GatewayAddress { value: String, reason: String },
    #[error("{0} gateway addresses: at most 10")]
    TooManyGatewayAddresses(usize),
    #[error("calling region {0:?}: the dialling policy calls Panama (PA) and Singapore (SG) only, and the connector is never allowed wider")]
    CallingRegionWider(String),
    #[error("no calling region: give PA, SG or both")]
    NoCallingRegion,
    #[error("--cps-limit {0}: 1 to 100 calls per second (above the account's quota the service refuses it)")]
    CpsLimit(i32),
    #[error("number {number}: not in the calling regions ({regions}); the gateway calls from a Panama (+507) or Singapore (+65) number")]
    NumberCountry { number: String, regions: String },
    #[error("number {number} is not in the account's phone number inventory in {region} (PA/SG numbers held: {held}): order or port it (product type VoiceConnector), or set SOFTPHONE_CALLER_ID to one held")]
    NumberMissing {
        number: String,
        region: String,
        held: String,
    },
    #[error("number {number} has product type {product_type}; a Voice Connector needs VoiceConnector (aws chime-sdk-voice update-phone-number --phone-number-id {number} --product-type VoiceConnector)")]
    NumberProductType {
        number: String,
        product_type: String,
    },
    #[error("number {number} is {status}, not usable yet: wait for its order or port to finish")]
    NumberStatus { number: String, status: String },
    #[error("number {number} is associated with {with}: disassociate it first, or leave it out")]
    NumberTaken { number: String, with: String },
    #[error("{count} Voice Connectors are named {name:?}: delete the extra ones or choose another --name")]
    AmbiguousName { name: String, count: usize },
    #[error("the Voice Connector {name:?} ({id}) is in {found}, not {wanted}: a connector cannot move; use --region {found}, or another --name")]
    WrongRegion {
        name: String,
        id: String,
        found: String,
        wanted: String,
    },
    #[error("the connector has termination credentials for {username:?}, but {file} has no SOFTPHONE_TRUNK_PASSWORD for them (the service never shows a password again): run with --rotate-credentials to make new ones")]
    CredentialsLost { username: String, file: String },
    #[error("{file}: {reason}")]
    CredentialsFile { file: String, reason: String },
    #[error("Chime AssociatePhoneNumbersWithVoiceConnector: {number}: {reason}")]
    Association { number: String, reason: String },
    #[error(transparent)]
    Chime(#[from] ChimeError),
}

/// Every connector (all pages of `ListVoiceConnectors`).
async fn voice_connectors(client: &voice::Client) -> Result<Vec<VoiceConnector>, ChimeError> {
    crate::chime::all_pages(|token| async move {
        let page = client
            .list_voice_connectors()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("ListVoiceConnectors", e))?;
        Ok((page.voice_connectors.unwrap_or_default(), page.next_token))
    })
    .await
}

/// The connector named `request.name`, if there is one, in the request's Region.
async fn find_connector(
    client: &voice::Client,
    request: &VoiceConnectorRequest,
) -> Result<Option<VoiceConnector>, VoiceConnectorError> {
    let mut named: Vec<VoiceConnector> = voice_connectors(client)
        .await?
        .into_iter()
        .filter(|c| c.name.as_deref() == Some(request.name.as_str()))
        .collect();
    if named.len() > 1 {
        return Err(VoiceConnectorError::AmbiguousName {
            name: request.name.clone(),
            count: named.len(),
        });
    }
    let Some(found) = named.pop() else {
        return Ok(None);
    };
    let region = found.aws_region.as_ref().map(|r| r.as_str().to_string());
    if let Some(region) = region.filter(|r| *r != request.region) {
        return Err(VoiceConnectorError::WrongRegion {
            name: request.name.clone(),
            id: found.voice_connector_id.clone().unwrap_or_default(),
            found: region,
            wanted: request.region.clone(),
        });
    }
    Ok(Some(found))
}

/// A set of strings as the steps print them.
fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// `items`, sorted (the service's lists are compared as sets).
fn sorted(items: &[String]) -> Vec<String> {
    let mut items = items.to_vec();
    items.sort();
    items.dedup();
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> VoiceConnectorRequest {
        VoiceConnectorRequest {
            name: "softphone".into(),
            region: "us-east-1".into(),
            gateway_addresses: vec!["203.0.113.7".into()],
            calling_regions: vec!["PA".into(), "SG".into()],
            cps_limit: 1,
            caller_id: "+6531590000".into(),
            numbers: vec![],
        }
    }

    #[test]
    fn the_gateway_address_becomes_its_slash_32() {
        let wanted = request().wanted().unwrap();
        assert_eq!(wanted.cidrs, ["203.0.113.7/32"]);
        assert_eq!(wanted.calling_regions, ["PA", "SG"]);
        assert_eq!(wanted.numbers, ["+6531590000"]);
        let mut r = request();
        r.gateway_addresses = vec!["203.0.113.7/32".into(), " 198.51.100.4 ".into()];
        assert_eq!(
            r.wanted().unwrap().cidrs,
            ["198.51.100.4/32", "203.0.113.7/32"]
        );
    }

    #[test]
    fn bad_gateway_addresses_say_why() {
        for (text, says) in [
            ("gateway.example.com", "not an IP address"),
            ("203.0.113.0/24", "not a network"),
            ("10.0.0.5", "not a public address"),
            ("192.168.1.2", "not a public address"),
            ("127.0.0.1", "not a public address"),
            ("100.64.0.1", "not a public address"),
            ("0.0.0.0", "not a public address"),
            ("224.0.0.1", "not a public address"),
            ("2001:db8::1", "IPv6"),
        ] {
            let mut r = request();
            r.gateway_addresses = vec![text.into()];
            let error = r.wanted().unwrap_err();
            assert!(
                matches!(&error, VoiceConnectorError::GatewayAddress { value, .. } if value == text),
                "{text}: {error:?}"
            );
            assert!(error.to_string().contains(says), "{text}: {error}");
        }
        let mut r = request();
        r.gateway_addresses = vec![];
        assert_eq!(r.wanted(), Err(VoiceConnectorError::NoGatewayAddress));
        r.gateway_addresses = (1..=11).map(|i| format!("203.0.113.{i}")).collect();
        assert_eq!(
            r.wanted(),
            Err(VoiceConnectorError::TooManyGatewayAddresses(11))
        );
    }

    #[test]
    fn calling_regions_never_go_wider_than_the_dialling_policy() {
        let mut r = request();
        r.calling_regions = vec!["PA".into(), "US".into()];
        assert_eq!(
            r.wanted(),
            Err(VoiceConnectorError::CallingRegionWider("US".into()))
        );
        // Narrower is fine, but then the caller ID must be in it.
        r.calling_regions = vec!["sg".into()];
        assert_eq!(r.wanted().unwrap().calling_regions, ["SG"]);
        r.calling_regions = vec!["PA".into()];
        assert!(matches!(
            r.wanted(),
            Err(VoiceConnectorError::NumberCountry { .. })
        ));
        r.calling_regions = vec![];
        assert_eq!(r.wanted(), Err(VoiceConnectorError::NoCallingRegion));
    }

    #[test]
    fn other_inputs_are_checked() {
        let mut r = request();
        r.name = "soft/phone".into();
        assert_eq!(
            r.wanted(),
            Err(VoiceConnectorError::Name("soft/phone".into()))
        );
        let mut r = request();
        r.region = "mars-north-1".into();
        assert!(r.wanted().unwrap_err().to_string().contains("us-west-2"));
        let mut r = request();
        r.cps_limit = 0;
        assert_eq!(r.wanted(), Err(VoiceConnectorError::CpsLimit(0)));
        let mut r = request();
        r.numbers = vec!["+50720001234".into(), "+6531590000".into()];
        assert_eq!(r.wanted().unwrap().numbers, ["+6531590000", "+50720001234"]);
        r.numbers = vec!["+17035550100".into()];
        assert!(matches!(
            r.wanted(),
            Err(VoiceConnectorError::NumberCountry { .. })
        ));
    }
}
