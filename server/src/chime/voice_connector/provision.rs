//! `server chime voice-connector provision`: the steps, in the order the service needs them
//! (termination before its credentials; numbers before the default number names one; the
//! origination, calls in to the gateways, once the numbers are on the connector).

use std::fmt;

use aws_sdk_chimesdkvoice as voice;
use voice::types::{
    Credential, LoggingConfiguration, Origination, OriginationRoute, OriginationRouteProtocol,
    PhoneNumber, PhoneNumberAssociationName, PhoneNumberProductType, Termination,
    VoiceConnectorAwsRegion,
};

use super::credentials::{CredentialsFile, TrunkCredentials, DEFAULT_USERNAME};
use super::{find_connector, listed, sorted, VoiceConnectorError, VoiceConnectorRequest, Wanted};
use crate::chime::error::sdk_error;
use crate::chime::inventory::{phone_numbers, usable_number, NumberProblem};
use crate::chime::provision::{Change, Step};
use crate::chime::ChimeError;

/// How the run treats the credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Look and report only: no call that changes anything, no file written.
    pub dry_run: bool,
    /// Make a new password even if the connector and the file already agree.
    pub rotate_credentials: bool,
    pub credentials_file: CredentialsFile,
}

/// Everything the run did, in order; the connector's id and outbound host (none in a dry run
/// that would create it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionReport {
    pub steps: Vec<Step>,
    pub voice_connector_id: Option<String>,
    pub outbound_host_name: Option<String>,
}

impl ProvisionReport {
    pub fn changed(&self) -> bool {
        self.steps.iter().any(|s| s.change != Change::Unchanged)
    }
}

impl fmt::Display for ProvisionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            writeln!(f, "{step}")?;
        }
        match (&self.outbound_host_name, self.changed()) {
            (Some(host), changed) => write!(
                f,
                "{}SOFTPHONE_TRUNK={host}:5061 SOFTPHONE_TRUNK_TRANSPORT=tls",
                if changed { "" } else { "nothing to change; " }
            ),
            (None, _) => write!(f, "dry run: nothing changed"),
        }
    }
}

/// Runs the steps against `client` (a chime-sdk-voice client in the request's Region).
pub async fn provision(
    client: &voice::Client,
    request: &VoiceConnectorRequest,
    options: &Options,
) -> Result<ProvisionReport, VoiceConnectorError> {
    let wanted = request.wanted()?;
    // The numbers first: nothing is made for a trunk that cannot place the calls.
    let inventory = phone_numbers(client).await?;
    let mut steps = Vec::new();
    for number in &wanted.numbers {
        voice_connector_number(&inventory, number, &request.region)?;
        steps.push(Step {
            change: Change::Unchanged,
            detail: format!("number {number} is in the inventory (VoiceConnector)"),
        });
    }

    let (id, host, step) = connector(client, request, options.dry_run).await?;
    steps.push(step);
    steps.extend(associations(client, &inventory, &wanted, id.as_deref(), options.dry_run).await?);
    steps.push(termination(client, request, &wanted, id.as_deref(), options.dry_run).await?);
    steps.push(credentials(client, id.as_deref(), options).await?);
    steps.push(origination(client, &wanted, id.as_deref(), options.dry_run).await?);
    steps.push(logging(client, id.as_deref(), options.dry_run).await?);
    Ok(ProvisionReport {
        steps,
        voice_connector_id: id,
        outbound_host_name: host,
    })
}

/// The number, held with product type VoiceConnector and usable.
pub(super) fn voice_connector_number<'a>(
    inventory: &'a [PhoneNumber],
    number: &str,
    region: &str,
) -> Result<&'a PhoneNumber, VoiceConnectorError> {
    usable_number(inventory, number, &PhoneNumberProductType::VoiceConnector).map_err(|problem| {
        match problem {
            NumberProblem::Missing { held } => VoiceConnectorError::NumberMissing {
                number: number.into(),
                region: region.into(),
                held,
            },
            NumberProblem::ProductType { product_type } => VoiceConnectorError::NumberProductType {
                number: number.into(),
                product_type,
            },
            NumberProblem::Status { status } => VoiceConnectorError::NumberStatus {
                number: number.into(),
                status,
            },
        }
    })
}

/// The connector named `request.name`: created with encryption on, or encryption turned on.
async fn connector(
    client: &voice::Client,
    request: &VoiceConnectorRequest,
    dry_run: bool,
) -> Result<(Option<String>, Option<String>, Step), VoiceConnectorError> {
    let Some(found) = find_connector(client, request).await? else {
        let detail = format!(
            "Voice Connector {:?} in {}, encryption required",
            request.name, request.region
        );
        if dry_run {
            let change = Change::WouldCreate;
            return Ok((None, None, Step { change, detail }));
        }
        const OPERATION: &str = "CreateVoiceConnector";
        let created = client
            .create_voice_connector()
            .name(&request.name)
            .aws_region(VoiceConnectorAwsRegion::from(request.region.as_str()))
            .require_encryption(true)
            .send()
            .await
            .map_err(|e| sdk_error(OPERATION, e))?
            .voice_connector;
        let (id, host) = created
            .map(|c| (c.voice_connector_id, c.outbound_host_name))
            .unwrap_or_default();
        let id = id.ok_or_else(|| ChimeError::Unavailable {
            operation: OPERATION,
            message: "the response has no VoiceConnectorId".into(),
        })?;
        let step = Step {
            change: Change::Created,
            detail: format!("{detail} ({id})"),
        };
        return Ok((Some(id), host, step));
    };
    let id = found.voice_connector_id.clone().unwrap_or_default();
    let host = found.outbound_host_name.clone();
    if found.require_encryption == Some(true) {
        let detail = format!(
            "Voice Connector {:?} ({id}) in {} requires encryption",
            request.name, request.region
        );
        let change = Change::Unchanged;
        return Ok((Some(id), host, Step { change, detail }));
    }
    let detail = format!(
        "Voice Connector {:?} ({id}): encryption off -> required",
        request.name
    );
    if !dry_run {
        client
            .update_voice_connector()
            .voice_connector_id(&id)
            .name(&request.name)
            .require_encryption(true)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateVoiceConnector", e))?;
    }
    let change = Change::made(dry_run, Change::Updated, Change::WouldUpdate);
    Ok((Some(id), host, Step { change, detail }))
}

/// Connector ids (or other things) a number is associated with.
pub(super) fn associated_with(number: &PhoneNumber) -> Vec<(PhoneNumberAssociationName, String)> {
    number
        .associations()
        .iter()
        .filter_map(|a| Some((a.name.clone()?, a.value.clone()?)))
        .collect()
}

async fn associations(
    client: &voice::Client,
    inventory: &[PhoneNumber],
    wanted: &Wanted,
    id: Option<&str>,
    dry_run: bool,
) -> Result<Vec<Step>, VoiceConnectorError> {
    let mut steps = Vec::new();
    let mut missing = Vec::new();
    for number in &wanted.numbers {
        let held = inventory
            .iter()
            .find(|n| n.e164_phone_number.as_deref() == Some(number.as_str()));
        let links = held.map(associated_with).unwrap_or_default();
        let ours = id.is_some_and(|id| {
            links.iter().any(|(name, value)| {
                *name == PhoneNumberAssociationName::VoiceConnectorId && value == id
            })
        });
        if ours {
            steps.push(Step {
                change: Change::Unchanged,
                detail: format!("number {number} is associated with the connector"),
            });
            continue;
        }
        if let Some((name, value)) = links.first() {
            return Err(VoiceConnectorError::NumberTaken {
                number: number.clone(),
                with: format!("{} {value}", name.as_str()),
            });
        }
        missing.push(number.clone());
    }
    if missing.is_empty() {
        return Ok(steps);
    }
    let detail = format!(
        "numbers associated with the connector: {}",
        missing.join(", ")
    );
    let Some(id) = id.filter(|_| !dry_run) else {
        steps.push(Step {
            change: Change::WouldUpdate,
            detail,
        });
        return Ok(steps);
    };
    let output = client
        .associate_phone_numbers_with_voice_connector()
        .voice_connector_id(id)
        .set_e164_phone_numbers(Some(missing))
        .force_associate(false)
        .send()
        .await
        .map_err(|e| sdk_error("AssociatePhoneNumbersWithVoiceConnector", e))?;
    if let Some(error) = output.phone_number_errors().first() {
        return Err(VoiceConnectorError::Association {
            number: error.phone_number_id.clone().unwrap_or_default(),
            reason: format!(
                "{} {}",
                error.error_code.as_ref().map_or("", |c| c.as_str()),
                error.error_message.as_deref().unwrap_or_default()
            )
            .trim()
            .to_string(),
        });
    }
    steps.push(Step {
        change: Change::Updated,
        detail,
    });
    Ok(steps)
}

/// The termination settings the app needs.
pub(super) fn wanted_termination(request: &VoiceConnectorRequest, wanted: &Wanted) -> Termination {
    Termination::builder()
        .cps_limit(request.cps_limit)
        .default_phone_number(&request.caller_id)
        .set_calling_regions(Some(wanted.calling_regions.clone()))
        .set_cidr_allowed_list(Some(wanted.cidrs.clone()))
        .disabled(false)
        .build()
}

/// The connector's termination, or none yet (the service answers not found).
pub(super) async fn current_termination(
    client: &voice::Client,
    id: &str,
) -> Result<Option<Termination>, ChimeError> {
    match client
        .get_voice_connector_termination()
        .voice_connector_id(id)
        .send()
        .await
        .map_err(|e| sdk_error("GetVoiceConnectorTermination", e))
    {
        Ok(output) => Ok(output.termination),
        Err(ChimeError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The differences between `current` and `wanted`, in words (none: they agree).
pub(super) fn termination_differences(
    current: Option<&Termination>,
    wanted: &Termination,
) -> Vec<String> {
    let Some(current) = current else {
        return vec!["no termination settings".into()];
    };
    let mut differences = Vec::new();
    let (have, want) = (
        sorted(current.calling_regions()),
        sorted(wanted.calling_regions()),
    );
    if have != want {
        differences.push(format!(
            "CallingRegions {} -> {}",
            listed(&have),
            listed(&want)
        ));
    }
    let (have, want) = (
        sorted(current.cidr_allowed_list()),
        sorted(wanted.cidr_allowed_list()),
    );
    if have != want {
        differences.push(format!(
            "CidrAllowedList {} -> {}",
            listed(&have),
            listed(&want)
        ));
    }
    if current.cps_limit() != wanted.cps_limit() {
        differences.push(format!(
            "CpsLimit {} -> {}",
            current.cps_limit().map_or("none".into(), |n| n.to_string()),
            wanted.cps_limit().unwrap_or_default()
        ));
    }
    if current.default_phone_number() != wanted.default_phone_number() {
        differences.push(format!(
            "DefaultPhoneNumber {} -> {}",
            current.default_phone_number().unwrap_or("none"),
            wanted.default_phone_number().unwrap_or_default()
        ));
    }
    if current.disabled() == Some(true) {
        differences.push("Disabled true -> false".into());
    }
    differences
}

async fn termination(
    client: &voice::Client,
    request: &VoiceConnectorRequest,
    wanted: &Wanted,
    id: Option<&str>,
    dry_run: bool,
) -> Result<Step, VoiceConnectorError> {
    let target = wanted_termination(request, wanted);
    let summary = format!(
        "termination: CallingRegions {}, CidrAllowedList {}, CpsLimit {}, DefaultPhoneNumber {}",
        listed(&wanted.calling_regions),
        listed(&wanted.cidrs),
        request.cps_limit,
        request.caller_id
    );
    let Some(id) = id else {
        let change = Change::WouldCreate;
        return Ok(Step {
            change,
            detail: summary,
        });
    };
    let current = current_termination(client, id).await?;
    let differences = termination_differences(current.as_ref(), &target);
    if differences.is_empty() {
        let change = Change::Unchanged;
        return Ok(Step {
            change,
            detail: summary,
        });
    }
    let (done, would, detail) = match current {
        None => (Change::Created, Change::WouldCreate, summary),
        Some(_) => (
            Change::Updated,
            Change::WouldUpdate,
            format!("termination: {}", differences.join("; ")),
        ),
    };
    if !dry_run {
        client
            .put_voice_connector_termination()
            .voice_connector_id(id)
            .termination(target)
            .send()
            .await
            .map_err(|e| sdk_error("PutVoiceConnectorTermination", e))?;
    }
    let change = Change::made(dry_run, done, would);
    Ok(Step { change, detail })
}

/// Where the connector sends calls in: SIP over TLS (the connector requires encryption), so
/// TCP to 5061.
pub(super) const ORIGINATION_PORT: i32 = 5061;

/// The origination the app needs: every gateway address a route, all of the same priority and
/// weight (the connector spreads calls in over them; each gateway rings its own agents).
pub(super) fn wanted_origination(wanted: &Wanted) -> Origination {
    let routes = wanted
        .cidrs
        .iter()
        .map(|cidr| {
            OriginationRoute::builder()
                .host(cidr.trim_end_matches("/32"))
                .port(ORIGINATION_PORT)
                .protocol(OriginationRouteProtocol::Tcp)
                .priority(1)
                .weight(1)
                .build()
        })
        .collect();
    Origination::builder()
        .set_routes(Some(routes))
        .disabled(false)
        .build()
}

/// The connector's origination, or none yet (the service answers not found).
pub(super) async fn current_origination(
    client: &voice::Client,
    id: &str,
) -> Result<Option<Origination>, ChimeError> {
    match client
        .get_voice_connector_origination()
        .voice_connector_id(id)
        .send()
        .await
        .map_err(|e| sdk_error("GetVoiceConnectorOrigination", e))
    {
        Ok(output) => Ok(output.origination),
        Err(ChimeError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A route in words: `host:port/protocol priority/weight`.
fn route_text(route: &OriginationRoute) -> String {
    format!(
        "{}:{}/{} {}/{}",
        route.host().unwrap_or("?"),
        route.port().unwrap_or_default(),
        route.protocol().map_or("?", |p| p.as_str()),
        route.priority().unwrap_or_default(),
        route.weight().unwrap_or_default()
    )
}

/// The differences between `current` and `wanted`, in words (none: they agree). Routes are
/// compared as a set: the service keeps them in any order.
pub(super) fn origination_differences(
    current: Option<&Origination>,
    wanted: &Origination,
) -> Vec<String> {
    let Some(current) = current else {
        return vec!["no origination settings".into()];
    };
    let mut differences = Vec::new();
    let routes = |o: &Origination| {
        let mut r: Vec<String> = o.routes().iter().map(route_text).collect();
        r.sort();
        r
    };
    let (have, want) = (routes(current), routes(wanted));
    if have != want {
        differences.push(format!("Routes {} -> {}", listed(&have), listed(&want)));
    }
    if current.disabled() == Some(true) {
        differences.push("Disabled true -> false".into());
    }
    differences
}

async fn origination(
    client: &voice::Client,
    wanted: &Wanted,
    id: Option<&str>,
    dry_run: bool,
) -> Result<Step, VoiceConnectorError> {
    let target = wanted_origination(wanted);
    let routes: Vec<String> = target.routes().iter().map(route_text).collect();
    let summary = format!("origination (calls in): Routes {}", listed(&routes));
    let Some(id) = id else {
        return Ok(Step {
            change: Change::WouldCreate,
            detail: summary,
        });
    };
    let current = current_origination(client, id).await?;
    let differences = origination_differences(current.as_ref(), &target);
    if differences.is_empty() {
        return Ok(Step {
            change: Change::Unchanged,
            detail: summary,
        });
    }
    let (done, would, detail) = match current {
        None => (Change::Created, Change::WouldCreate, summary),
        Some(_) => (
            Change::Updated,
            Change::WouldUpdate,
            format!("origination (calls in): {}", differences.join("; ")),
        ),
    };
    if !dry_run {
        client
            .put_voice_connector_origination()
            .voice_connector_id(id)
            .origination(target)
            .send()
            .await
            .map_err(|e| sdk_error("PutVoiceConnectorOrigination", e))?;
    }
    let change = Change::made(dry_run, done, would);
    Ok(Step { change, detail })
}

/// The user names the connector has credentials for (passwords are never shown).
pub(super) async fn credential_usernames(
    client: &voice::Client,
    id: &str,
) -> Result<Vec<String>, ChimeError> {
    Ok(client
        .list_voice_connector_termination_credentials()
        .voice_connector_id(id)
        .send()
        .await
        .map_err(|e| sdk_error("ListVoiceConnectorTerminationCredentials", e))?
        .usernames
        .unwrap_or_default())
}

/// The credentials: the file's, if the connector has them; made (and written to the file
/// first, so a failure after it is repaired by the next run) if neither has any.
async fn credentials(
    client: &voice::Client,
    id: Option<&str>,
    options: &Options,
) -> Result<Step, VoiceConnectorError> {
    let file = &options.credentials_file;
    let shown = file.path.display();
    let stored = file.read()?;
    let username = stored
        .username
        .clone()
        .unwrap_or_else(|| DEFAULT_USERNAME.into());
    let on_connector = match id {
        Some(id) => credential_usernames(client, id).await?,
        None => Vec::new(),
    };
    let known = on_connector.contains(&username);
    let (credentials, change_done, change_would, detail) = match stored.credentials() {
        _ if options.rotate_credentials => (
            None,
            Change::Updated,
            Change::WouldUpdate,
            format!("termination credentials for {username:?}: a new password, in {shown}"),
        ),
        Some(_) if known => {
            let detail =
                format!("termination credentials for {username:?} on the connector and in {shown}");
            let change = Change::Unchanged;
            return Ok(Step { change, detail });
        }
        Some(kept) => (
            Some(kept),
            Change::Created,
            Change::WouldCreate,
            format!("termination credentials for {username:?} from {shown}"),
        ),
        None if known => {
            return Err(VoiceConnectorError::CredentialsLost {
                username,
                file: shown.to_string(),
            })
        }
        None => (
            None,
            Change::Created,
            Change::WouldCreate,
            format!("termination credentials for {username:?}: a generated password, in {shown}"),
        ),
    };
    let Some(id) = id.filter(|_| !options.dry_run) else {
        return Ok(Step {
            change: change_would,
            detail,
        });
    };
    let credentials = match credentials {
        Some(kept) => kept,
        None => {
            let made = TrunkCredentials::generate(&username);
            file.write(&made)?;
            made
        }
    };
    client
        .put_voice_connector_termination_credentials()
        .voice_connector_id(id)
        .credentials(
            Credential::builder()
                .username(&credentials.username)
                .password(credentials.password.expose())
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_error("PutVoiceConnectorTerminationCredentials", e))?;
    Ok(Step {
        change: change_done,
        detail,
    })
}

/// SIP message logs and media metric logs on (CloudWatch Logs).
pub(super) async fn current_logging(
    client: &voice::Client,
    id: &str,
) -> Result<LoggingConfiguration, ChimeError> {
    match client
        .get_voice_connector_logging_configuration()
        .voice_connector_id(id)
        .send()
        .await
        .map_err(|e| sdk_error("GetVoiceConnectorLoggingConfiguration", e))
    {
        Ok(output) => Ok(output
            .logging_configuration
            .unwrap_or_else(|| LoggingConfiguration::builder().build())),
        Err(ChimeError::NotFound { .. }) => Ok(LoggingConfiguration::builder().build()),
        Err(e) => Err(e),
    }
}

pub(super) fn logging_on(logging: &LoggingConfiguration) -> bool {
    logging.enable_sip_logs == Some(true) && logging.enable_media_metric_logs == Some(true)
}

async fn logging(
    client: &voice::Client,
    id: Option<&str>,
    dry_run: bool,
) -> Result<Step, VoiceConnectorError> {
    let detail = "logging: SIP message logs and media metric logs on".to_string();
    let Some(id) = id else {
        let change = Change::WouldUpdate;
        return Ok(Step { change, detail });
    };
    if logging_on(&current_logging(client, id).await?) {
        let change = Change::Unchanged;
        return Ok(Step { change, detail });
    }
    if !dry_run {
        client
            .put_voice_connector_logging_configuration()
            .voice_connector_id(id)
            .logging_configuration(
                LoggingConfiguration::builder()
                    .enable_sip_logs(true)
                    .enable_media_metric_logs(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_error("PutVoiceConnectorLoggingConfiguration", e))?;
    }
    let change = Change::made(dry_run, Change::Updated, Change::WouldUpdate);
    Ok(Step { change, detail })
}
