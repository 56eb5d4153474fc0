//! `server chime voice-connector check`: the live settings against what the app needs, every
//! difference listed (the checklist a user would otherwise walk in the console). Reads only.

use std::fmt;

use aws_sdk_chimesdkvoice as voice;
use voice::types::PhoneNumberAssociationName;

use super::provision::{
    associated_with, credential_usernames, current_logging, current_origination,
    current_termination, logging_on, origination_differences, termination_differences,
    voice_connector_number, wanted_origination, wanted_termination,
};
use super::{find_connector, listed, VoiceConnectorError, VoiceConnectorRequest};
use crate::chime::inventory::phone_numbers;

/// One item of the checklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub ok: bool,
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.ok { "ok" } else { "differs" };
        write!(f, "{word}: {}", self.detail)
    }
}

/// The checklist, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
}

impl CheckReport {
    pub fn all_ok(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }

    /// The differences' details.
    pub fn differences(&self) -> Vec<&str> {
        self.findings
            .iter()
            .filter(|f| !f.ok)
            .map(|f| f.detail.as_str())
            .collect()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        match self.differences().len() {
            0 => write!(f, "the Voice Connector is as the app needs it"),
            n => write!(
                f,
                "{n} difference(s): `server chime voice-connector provision` sets them"
            ),
        }
    }
}

fn ok(detail: String) -> Finding {
    Finding { ok: true, detail }
}

fn differs(detail: String) -> Finding {
    Finding { ok: false, detail }
}

/// Reads the connector named `request.name` and compares. `trunk_username` is the server's
/// `SOFTPHONE_TRUNK_USERNAME`, if set: the connector must have credentials for it.
pub async fn check(
    client: &voice::Client,
    request: &VoiceConnectorRequest,
    trunk_username: Option<&str>,
) -> Result<CheckReport, VoiceConnectorError> {
    let wanted = request.wanted()?;
    let mut findings = Vec::new();
    let Some(found) = find_connector(client, request).await? else {
        findings.push(differs(format!(
            "no Voice Connector named {:?} in {}",
            request.name, request.region
        )));
        return Ok(CheckReport { findings });
    };
    let id = found.voice_connector_id.clone().unwrap_or_default();
    findings.push(ok(format!(
        "Voice Connector {:?} ({id}) in {}, host {}",
        request.name,
        request.region,
        found.outbound_host_name.as_deref().unwrap_or("unknown")
    )));
    findings.push(if found.require_encryption == Some(true) {
        ok("encryption required (TLS and SRTP)".into())
    } else {
        differs("encryption off: the connector takes unencrypted calls".into())
    });

    let target = wanted_termination(request, &wanted);
    let termination = current_termination(client, &id).await?;
    let differences = termination_differences(termination.as_ref(), &target);
    if differences.is_empty() {
        findings.push(ok(format!(
            "termination: CallingRegions {}, CidrAllowedList {}, CpsLimit {}, DefaultPhoneNumber {}",
            listed(&wanted.calling_regions),
            listed(&wanted.cidrs),
            request.cps_limit,
            request.caller_id
        )));
    }
    if let Some(current) = &termination {
        // The reasons a user acts on, said plainly, before the field-by-field list.
        let wider: Vec<String> = current
            .calling_regions()
            .iter()
            .filter(|r| !wanted.calling_regions.contains(r))
            .cloned()
            .collect();
        if !wider.is_empty() {
            findings.push(differs(format!(
                "calling regions wider than the dialling policy: {}",
                wider.join(", ")
            )));
        }
        for cidr in &wanted.cidrs {
            if !current.cidr_allowed_list().contains(cidr) {
                findings.push(differs(format!(
                    "the gateway address {cidr} is not in the allow-list"
                )));
            }
        }
        if current.default_phone_number().is_none() {
            findings.push(differs("no default phone number (caller ID)".into()));
        }
    }
    findings.extend(
        differences
            .into_iter()
            .map(|d| differs(format!("termination: {d}"))),
    );

    let usernames = credential_usernames(client, &id).await?;
    findings.push(match (usernames.is_empty(), trunk_username) {
        (true, _) => differs(
            "no termination credentials: any host in the allow-list can call through it".into(),
        ),
        (false, Some(name)) if !usernames.iter().any(|u| u == name) => differs(format!(
            "no termination credentials for SOFTPHONE_TRUNK_USERNAME {name:?} (the connector has {})",
            usernames.join(", ")
        )),
        (false, _) => ok(format!(
            "termination credentials for {}",
            usernames.join(", ")
        )),
    });

    let target = wanted_origination(&wanted);
    let origination = current_origination(client, &id).await?;
    let differences = origination_differences(origination.as_ref(), &target);
    if differences.is_empty() {
        findings.push(ok(format!(
            "origination (calls in): to {} over TLS",
            listed(&wanted.cidrs)
        )));
    }
    findings.extend(
        differences
            .into_iter()
            .map(|d| differs(format!("origination (calls in): {d}"))),
    );

    let logging = current_logging(client, &id).await?;
    findings.push(if logging_on(&logging) {
        ok("logging: SIP message logs and media metric logs on".into())
    } else {
        differs(format!(
            "logging: SIP message logs {}, media metric logs {}",
            on_off(logging.enable_sip_logs),
            on_off(logging.enable_media_metric_logs)
        ))
    });

    let inventory = phone_numbers(client).await?;
    for number in &wanted.numbers {
        let held = match voice_connector_number(&inventory, number, &request.region) {
            Ok(held) => held,
            Err(e) => {
                findings.push(differs(e.to_string()));
                continue;
            }
        };
        let ours = associated_with(held).iter().any(|(name, value)| {
            *name == PhoneNumberAssociationName::VoiceConnectorId && *value == id
        });
        findings.push(if ours {
            ok(format!("number {number} is associated with the connector"))
        } else {
            differs(format!(
                "number {number} is not associated with the connector"
            ))
        });
    }
    Ok(CheckReport { findings })
}

fn on_off(value: Option<bool>) -> &'static str {
    if value == Some(true) {
        "on"
    } else {
        "off"
    }
}
