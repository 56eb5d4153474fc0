//! `server chime provision`: makes the account ready for the Chime shape (docs/chime.md,
//! Deploying). It checks the caller ID in the account's phone number inventory, then creates or
//! updates the SIP media application (found by name, its endpoint the handler's Lambda) and the
//! SIP rule that sends calls to the caller ID to it. Every step says what it found and what it
//! did, or with `dry_run` what it would do; a second run changes nothing.

use std::fmt;

use aws_sdk_chimesdkvoice as voice;
use voice::types::{
    PhoneNumber, PhoneNumberProductType, SipMediaApplication, SipMediaApplicationEndpoint, SipRule,
    SipRuleTargetApplication, SipRuleTriggerType,
};

use super::error::sdk_error;
use super::inventory::{is_pa_or_sg, phone_numbers, usable_number, NumberProblem};
use super::ChimeError;

/// What to provision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// The SIP media application's name (how a later run finds it again).
    pub name: String,
    /// The handler's Lambda function ARN; the application is made in the function's Region.
    pub lambda_arn: String,
    /// The E.164 number the calls come from (`SOFTPHONE_CHIME_CALLER_ID`).
    pub caller_id: String,
    /// Look and report only: no call that changes anything.
    pub dry_run: bool,
}

impl ProvisionRequest {
    /// The Region in the Lambda ARN (`arn:<partition>:lambda:<region>:<account>:function:<name>`,
    /// optionally `:<qualifier>`), where the application must live.
    pub fn region(&self) -> Result<&str, ProvisionError> {
        let parts: Vec<&str> = self.lambda_arn.split(':').collect();
        match parts.as_slice() {
            ["arn", partition, "lambda", region, account, "function", name, ..]
                if parts.len() <= 8
                    && !partition.is_empty()
                    && !region.is_empty()
                    && account.len() == 12
                    && account.chars().all(|c| c.is_ascii_digit())
                    && !name.is_empty() =>
            {
                Ok(region)
            }
            _ => Err(ProvisionError::LambdaArn(self.lambda_arn.clone())),
        }
    }

    fn check(&self) -> Result<(), ProvisionError> {
        self.region()?;
        let name_ok = (1..=256).contains(&self.name.len())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " _.-".contains(c));
        if !name_ok {
            return Err(ProvisionError::Name(self.name.clone()));
        }
        if !is_pa_or_sg(&self.caller_id) {
            return Err(ProvisionError::CallerIdCountry(self.caller_id.clone()));
        }
        Ok(())
    }

    /// The SIP rule's name: the application's, and the number it routes.
    pub fn rule_name(&self) -> String {
        format!("{}-{}", self.name, self.caller_id.trim_start_matches('+'))
    }
}

/// What a step found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Unchanged,
    Created,
    Updated,
    WouldCreate,
    WouldUpdate,
}

impl Change {
    fn is_change(&self) -> bool {
        !matches!(self, Change::Unchanged)
    }

    /// `done` after a real run, `would` after a dry run.
    pub(crate) fn made(dry_run: bool, done: Change, would: Change) -> Change {
        if dry_run {
            would
        } else {
            done
        }
    }
}

/// One step of the run, as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub change: Change,
    pub detail: String,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.change {
            Change::Unchanged => "ok",
            Change::Created => "created",
            Change::Updated => "updated",
            Change::WouldCreate => "would create",
            Change::WouldUpdate => "would update",
        };
        write!(f, "{word}: {}", self.detail)
    }
}

/// Everything the run did, in order, and the application's id (none in a dry run that would
/// create it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionReport {
    pub steps: Vec<Step>,
    pub sip_media_application_id: Option<String>,
}

impl ProvisionReport {
    pub fn changed(&self) -> bool {
        self.steps.iter().any(|s| s.change.is_change())
    }
}

impl fmt::Display for ProvisionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            writeln!(f, "{step}")?;
        }
        match (&self.sip_media_application_id, self.changed()) {
            (Some(id), false) => write!(f, "nothing to change; SOFTPHONE_CHIME_SMA_ID={id}"),
            (Some(id), true) => write!(f, "SOFTPHONE_CHIME_SMA_ID={id}"),
            (None, _) => write!(f, "dry run: nothing changed"),
        }
    }
}

/// Why provisioning stopped, with what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProvisionError {
    #[error("--lambda-arn {0:?} is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>): give the handler's, such as the stack's SmaFunctionArn output")]
    LambdaArn(String),
    #[error("--name {0:?}: a SIP media application's name is 1 to 256 letters, digits, spaces, '_', '.' or '-'")]
    Name(String),
    #[error("caller ID {0}: the softphone calls from a Panama (+507) or Singapore (+65) number; set SOFTPHONE_CHIME_CALLER_ID to one the account holds")]
    CallerIdCountry(String),
    #[error("caller ID {number} is not in the account's phone number inventory in {region} (PA/SG numbers held: {held}): order or port it (product type SipMediaApplicationDialIn), or set SOFTPHONE_CHIME_CALLER_ID to one held")]
    CallerIdMissing {
        number: String,
        region: String,
        held: String,
    },
    #[error("caller ID {number} has product type {product_type}; SIP media application calls need SipMediaApplicationDialIn (aws chime-sdk-voice update-phone-number --phone-number-id {number} --product-type SipMediaApplicationDialIn)")]
    CallerIdProductType {
        number: String,
        product_type: String,
    },
    #[error(
        "caller ID {number} is {status}, not usable yet: wait for its order or port to finish"
    )]
    CallerIdStatus { number: String, status: String },
    #[error("{count} SIP media applications are named {name:?}: delete the extra ones or choose another --name")]
    AmbiguousName { name: String, count: usize },
    #[error("the SIP rule {rule:?} already sends calls to {number} to another SIP media application ({targets}): delete it, or point it at {name:?}")]
    RuleTaken {
        rule: String,
        number: String,
        targets: String,
        name: String,
    },
    #[error(transparent)]
    Chime(#[from] ChimeError),
}

/// Runs the steps against `client` (a chime-sdk-voice client in the Lambda's Region).
pub async fn provision(
    client: &voice::Client,
    request: &ProvisionRequest,
) -> Result<ProvisionReport, ProvisionError> {
    request.check()?;
    let region = request.region()?.to_string();
    let mut steps = Vec::new();

    // The caller ID first: nothing is made for a number that cannot place the calls.
    let numbers = phone_numbers(client).await?;
    steps.push(check_caller_id(&numbers, &request.caller_id, &region)?);

    let (application, step) = sip_media_application(client, request, &region).await?;
    steps.push(step);
    steps.push(sip_rule(client, request, &region, application.as_deref()).await?);
    Ok(ProvisionReport {
        steps,
        sip_media_application_id: application,
    })
}

fn check_caller_id(
    numbers: &[PhoneNumber],
    caller_id: &str,
    region: &str,
) -> Result<Step, ProvisionError> {
    let wanted = PhoneNumberProductType::SipMediaApplicationDialIn;
    match usable_number(numbers, caller_id, &wanted) {
        Ok(_) => Ok(Step {
            change: Change::Unchanged,
            detail: format!(
                "caller ID {caller_id} is in the inventory (SipMediaApplicationDialIn)"
            ),
        }),
        Err(NumberProblem::Missing { held }) => Err(ProvisionError::CallerIdMissing {
            number: caller_id.into(),
            region: region.into(),
            held,
        }),
        Err(NumberProblem::ProductType { product_type }) => {
            Err(ProvisionError::CallerIdProductType {
                number: caller_id.into(),
                product_type,
            })
        }
        Err(NumberProblem::Status { status }) => Err(ProvisionError::CallerIdStatus {
            number: caller_id.into(),
            status,
        }),
    }
}

async fn sip_media_applications(
    client: &voice::Client,
) -> Result<Vec<SipMediaApplication>, ChimeError> {
    crate::chime::all_pages(|token| async move {
        let page = client
            .list_sip_media_applications()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("ListSipMediaApplications", e))?;
        Ok((
            page.sip_media_applications.unwrap_or_default(),
            page.next_token,
        ))
    })
    .await
}

/// The application named `request.name`: created, its endpoint brought to the Lambda ARN, or
/// left as it is. Its id, and the step.
async fn sip_media_application(
    client: &voice::Client,
    request: &ProvisionRequest,
    region: &str,
) -> Result<(Option<String>, Step), ProvisionError> {
    let named: Vec<SipMediaApplication> = sip_media_applications(client)
        .await?
        .into_iter()
        .filter(|a| a.name.as_deref() == Some(request.name.as_str()))
        .collect();
    let endpoint = || {
        SipMediaApplicationEndpoint::builder()
            .lambda_arn(&request.lambda_arn)
            .build()
    };
    let existing = match named.as_slice() {
        [] => None,
        [one] => Some(one),
        more => {
            return Err(ProvisionError::AmbiguousName {
                name: request.name.clone(),
                count: more.len(),
            })
        }
    };
    let Some(existing) = existing else {
        let detail = format!(
            "SIP media application {:?} in {region}, endpoint {}",
            request.name, request.lambda_arn
        );
        if request.dry_run {
            return Ok((
                None,
                Step {
                    change: Change::WouldCreate,
                    detail,
                },
            ));
        }
        const OPERATION: &str = "CreateSipMediaApplication";
        let created = client
            .create_sip_media_application()
            .aws_region(region)
            .name(&request.name)
            .endpoints(endpoint())
            .send()
            .await
            .map_err(|e| sdk_error(OPERATION, e))?;
        let id = created
            .sip_media_application
            .and_then(|a| a.sip_media_application_id)
            .ok_or_else(|| ChimeError::Unavailable {
                operation: OPERATION,
                message: "the response has no SipMediaApplicationId".into(),
            })?;
        return Ok((
            Some(id.clone()),
            Step {
                change: Change::Created,
                detail: format!("{detail} ({id})"),
            },
        ));
    };
    let id = existing
        .sip_media_application_id
        .clone()
        .unwrap_or_default();
    let current: Vec<&str> = existing
        .endpoints()
        .iter()
        .filter_map(|e| e.lambda_arn.as_deref())
        .collect();
    if current == [request.lambda_arn.as_str()] {
        return Ok((
            Some(id.clone()),
            Step {
                change: Change::Unchanged,
                detail: format!(
                    "SIP media application {:?} ({id}) calls {}",
                    request.name, request.lambda_arn
                ),
            },
        ));
    }
    let detail = format!(
        "SIP media application {:?} ({id}) endpoint {} -> {}",
        request.name,
        if current.is_empty() {
            "none".to_string()
        } else {
            current.join(", ")
        },
        request.lambda_arn
    );
    if !request.dry_run {
        client
            .update_sip_media_application()
            .sip_media_application_id(&id)
            .endpoints(endpoint())
            .send()
            .await
            .map_err(|e| sdk_error("UpdateSipMediaApplication", e))?;
    }
    let change = Change::made(request.dry_run, Change::Updated, Change::WouldUpdate);
    Ok((Some(id), Step { change, detail }))
}

async fn sip_rules(client: &voice::Client) -> Result<Vec<SipRule>, ChimeError> {
    crate::chime::all_pages(|token| async move {
        let page = client
            .list_sip_rules()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("ListSipRules", e))?;
        Ok((page.sip_rules.unwrap_or_default(), page.next_token))
    })
    .await
}

/// The rule that sends calls to the caller ID to the application. Outbound calls need no rule;
/// with one, a call back to the number reaches our handler, which refuses it cleanly (480,
/// `NEW_INBOUND_CALL`), instead of ending nowhere. A number triggers at most one rule, so a
/// rule for it that names another application is the operator's to resolve.
async fn sip_rule(
    client: &voice::Client,
    request: &ProvisionRequest,
    region: &str,
    application: Option<&str>,
) -> Result<Step, ProvisionError> {
    let number = &request.caller_id;
    let existing = sip_rules(client).await?.into_iter().find(|r| {
        r.trigger_type == Some(SipRuleTriggerType::ToPhoneNumber)
            && r.trigger_value.as_deref() == Some(number.as_str())
    });
    let Some(rule) = existing else {
        let detail = format!(
            "SIP rule {:?}: calls to {number} go to the handler",
            request.rule_name()
        );
        let Some(application) = application.filter(|_| !request.dry_run) else {
            return Ok(Step {
                change: Change::WouldCreate,
                detail,
            });
        };
        client
            .create_sip_rule()
            .name(request.rule_name())
            .trigger_type(SipRuleTriggerType::ToPhoneNumber)
            .trigger_value(number)
            .target_applications(
                SipRuleTargetApplication::builder()
                    .sip_media_application_id(application)
                    .priority(1)
                    .aws_region(region)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_error("CreateSipRule", e))?;
        return Ok(Step {
            change: Change::Created,
            detail,
        });
    };
    let rule_name = rule.name.clone().unwrap_or_default();
    let targets: Vec<&str> = rule
        .target_applications()
        .iter()
        .filter_map(|t| t.sip_media_application_id.as_deref())
        .collect();
    if application.is_none_or(|id| !targets.contains(&id)) {
        return Err(ProvisionError::RuleTaken {
            rule: rule_name,
            number: number.clone(),
            targets: targets.join(", "),
            name: request.name.clone(),
        });
    }
    if rule.disabled != Some(true) {
        return Ok(Step {
            change: Change::Unchanged,
            detail: format!("SIP rule {rule_name:?} sends calls to {number} to the handler"),
        });
    }
    let detail = format!("SIP rule {rule_name:?} for {number}: disabled -> enabled");
    if request.dry_run {
        return Ok(Step {
            change: Change::WouldUpdate,
            detail,
        });
    }
    client
        .update_sip_rule()
        .sip_rule_id(rule.sip_rule_id.clone().unwrap_or_default())
        .name(&rule_name)
        .disabled(false)
        .send()
        .await
        .map_err(|e| sdk_error("UpdateSipRule", e))?;
    Ok(Step {
        change: Change::Updated,
        detail,
    })
}
