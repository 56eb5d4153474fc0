//! The Amazon Chime SDK PSTN Audio control plane (`docs/chime.md`): where meetings are hosted,
//! which SIP media application places the calls, and the numbers it calls from and to.

use super::telephony::e164;
use super::{ConfigError, Secret};
use crate::chime::ChimeSettings;

/// The Chime settings as given; the SIP media application and the caller ID have no default,
/// so they are checked only when the Chime control plane is used ([`ChimeConfig::settings`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChimeConfig {
    pub media_region: String,
    pub sip_media_application_id: Option<String>,
    pub caller_id: Option<String>,
    pub bridge_number: String,
    /// Signs the SMA handler's progress pushes to `/api/chime/progress` (shared with it).
    pub events_secret: Option<Secret<String>>,
}

impl ChimeConfig {
    /// Everything `ChimeControl` needs, or which variable is missing.
    pub fn settings(&self) -> Result<ChimeSettings, ConfigError> {
        let missing = |name: &str, expected: &str| ConfigError::invalid(name, "", expected);
        Ok(ChimeSettings {
            media_region: self.media_region.clone(),
            sip_media_application_id: self.sip_media_application_id.clone().ok_or_else(|| {
                missing(
                    "SOFTPHONE_CHIME_SMA_ID",
                    "the id of the SIP media application that places the calls",
                )
            })?,
            caller_id: self.caller_id.clone().ok_or_else(|| {
                missing(
                    "SOFTPHONE_CHIME_CALLER_ID",
                    "an E.164 number in the account's Chime SDK phone number inventory",
                )
            })?,
            bridge_number: self.bridge_number.clone(),
        })
    }
}

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Chime")]
pub struct ChimeArgs {
    /// The Region that hosts the calls' meetings (sip-media-application bridges join from
    /// us-east-1 or us-east-2 only)
    #[arg(long, env = "SOFTPHONE_CHIME_MEDIA_REGION", value_name = "REGION", default_value = "us-east-1", value_parser = region)]
    chime_media_region: String,
    /// The SIP media application that places the calls (its id, a UUID)
    #[arg(long, env = "SOFTPHONE_CHIME_SMA_ID", value_name = "ID", value_parser = resource_id)]
    chime_sma_id: Option<String>,
    /// The E.164 number the SIP media application calls from (one in the account's inventory)
    #[arg(long, env = "SOFTPHONE_CHIME_CALLER_ID", value_name = "E164", value_parser = e164)]
    chime_caller_id: Option<String>,
    /// The number that puts a call into a Chime SDK meeting (the SIP media application calls
    /// it, then bridges to the target)
    #[arg(long, env = "SOFTPHONE_CHIME_BRIDGE_NUMBER", value_name = "E164", default_value = "+17035550122", value_parser = e164)]
    chime_bridge_number: String,
    /// The secret the SIP media application's handler signs its call progress with (the same
    /// value as its SOFTPHONE_CHIME_EVENTS_SECRET; at least 32 characters)
    #[arg(long, env = "SOFTPHONE_CHIME_EVENTS_SECRET", hide_env_values = true, value_parser = events_secret)]
    chime_events_secret: Option<Secret<String>>,
}

impl ChimeArgs {
    pub(super) fn resolve(self) -> ChimeConfig {
        ChimeConfig {
            media_region: self.chime_media_region,
            sip_media_application_id: self.chime_sma_id,
            caller_id: self.chime_caller_id,
            bridge_number: self.chime_bridge_number,
            events_secret: self.chime_events_secret,
        }
    }
}

/// A shared secret long enough for HMAC-SHA256 (32 characters or more).
fn events_secret(text: &str) -> Result<Secret<String>, &'static str> {
    if text.chars().count() >= 32 {
        Ok(Secret::new(text.to_string()))
    } else {
        Err("a random secret of at least 32 characters, the same as the SMA handler's")
    }
}

/// An AWS Region name such as us-east-1.
fn region(text: &str) -> Result<String, &'static str> {
    let parts: Vec<&str> = text.split('-').collect();
    let valid = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if valid {
        Ok(text.into())
    } else {
        Err("an AWS Region such as us-east-1")
    }
}

/// An id that goes into a request path: letters, digits and hyphens.
fn resource_id(text: &str) -> Result<String, &'static str> {
    let valid = !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(text.into())
    } else {
        Err("a SIP media application id such as 0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11")
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::config;
    use crate::config::ConfigError;

    #[test]
    fn defaults_need_the_application_and_caller_id_only_when_used() {
        let c = config(&[]).unwrap().chime;
        assert_eq!(c.media_region, "us-east-1");
        assert_eq!(c.bridge_number, "+17035550122");
        let missing = c.settings().unwrap_err();
        assert!(
            missing.to_string().contains("SOFTPHONE_CHIME_SMA_ID"),
            "{missing}"
        );
    }

    #[test]
    fn every_variable_is_read() {
        let c = config(&[
            ("SOFTPHONE_CHIME_MEDIA_REGION", "ap-southeast-1"),
            (
                "SOFTPHONE_CHIME_SMA_ID",
                "0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11",
            ),
            ("SOFTPHONE_CHIME_CALLER_ID", "+6531591234"),
            ("SOFTPHONE_CHIME_BRIDGE_NUMBER", "+17035550199"),
        ])
        .unwrap()
        .chime
        .settings()
        .unwrap();
        assert_eq!(c.media_region, "ap-southeast-1");
        assert_eq!(
            c.sip_media_application_id,
            "0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11"
        );
        assert_eq!(c.caller_id, "+6531591234");
        assert_eq!(c.bridge_number, "+17035550199");
    }

    #[test]
    fn the_chime_shapes_are_chosen_by_name_and_the_secret_is_kept() {
        use crate::config::TelephonyKind;
        let secret = "0123456789abcdef0123456789abcdef";
        let c = config(&[
            ("SOFTPHONE_TELEPHONY", "chime"),
            ("SOFTPHONE_CHIME_EVENTS_SECRET", secret),
        ])
        .unwrap();
        assert_eq!(c.telephony.kind, TelephonyKind::Chime);
        assert_eq!(
            c.chime.events_secret.as_ref().map(|s| s.expose().as_str()),
            Some(secret)
        );
        let c = config(&[("SOFTPHONE_TELEPHONY", "chime-standin")]).unwrap();
        assert_eq!(c.telephony.kind, TelephonyKind::ChimeStandin);
        assert_eq!(config(&[]).unwrap().telephony.kind, TelephonyKind::Gateway);
    }

    #[test]
    fn malformed_values_name_their_variable() {
        for (name, value) in [
            ("SOFTPHONE_CHIME_MEDIA_REGION", "Singapore"),
            ("SOFTPHONE_CHIME_SMA_ID", "a/b"),
            ("SOFTPHONE_CHIME_CALLER_ID", "6531591234"),
            ("SOFTPHONE_CHIME_BRIDGE_NUMBER", "+1 703"),
            ("SOFTPHONE_CHIME_EVENTS_SECRET", "too-short-to-sign-with"),
            ("SOFTPHONE_TELEPHONY", "sip"),
        ] {
            match config(&[(name, value)]) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }
}
