//! The business's numbers and who a call to each rings (`domain::inbound`), managed by an
//! administrator: the Numbers section of Settings (server functions) and
//! `/api/v1/admin/numbers` (the REST API, `server/src/rest/admin_numbers.rs`) share the `ops`
//! here. Agents are named by e-mail or sub: with the embedded identity both must be an account;
//! with Cognito (whose users are not in our store) a sub is taken as given and an e-mail is
//! refused.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;

/// One open range of a week day: `mon` … `sun`, `HH:MM` to `HH:MM` (`24:00`: the end of the
/// day), in the number's country's local time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeForm {
    pub day: String,
    pub open: String,
    pub close: String,
}

/// Who a number rings, as an administrator enters it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentForm {
    /// E-mail (embedded identity) or sub; in ringing order for `in_order`.
    pub members: Vec<String>,
    /// `ring_all` (default) or `in_order`.
    pub strategy: Option<String>,
    pub ring_secs: Option<u32>,
    pub per_agent_secs: Option<u32>,
}

/// A number's settings as an administrator enters them; absent parts take their defaults (no
/// assignment, always open, a message when no one rings).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberForm {
    pub assignment: Option<AssignmentForm>,
    /// `None`: always open.
    pub hours: Option<Vec<RangeForm>>,
    /// `message` or `refuse`.
    pub unassigned: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub sub: String,
    /// Known for accounts of the embedded identity.
    pub email: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentView {
    pub members: Vec<MemberView>,
    /// `ring_all` or `in_order`
    pub strategy: String,
    pub ring_secs: u32,
    pub per_agent_secs: Option<u32>,
}

/// A number the business owns, as the admin pages and the REST API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberView {
    pub e164: String,
    pub assignment: Option<AssignmentView>,
    pub hours: Option<Vec<RangeForm>>,
    /// `message` or `refuse`
    pub unassigned: String,
    pub updated_at: u64,
}

#[cfg(feature = "ssr")]
pub mod ops {
    use super::*;
    use crate::api::admin::ops::admin_only;
    use crate::api::ports::{account_email, write_audit, Principal, Services};
    use crate::domain::inbound::{
        format_hhmm, owned_e164, Assignment, BusinessHours, OpenRange, OwnedNumber, SettingsError,
        Strategy, UnassignedAction, DEFAULT_PER_AGENT_SECS, DEFAULT_RING_SECS,
    };

    fn invalid(e: SettingsError) -> ApiError {
        ApiError::NumberSettingsInvalid {
            field: e.field,
            problem: e.problem,
        }
    }

    fn field(field: impl Into<String>, problem: impl Into<String>) -> ApiError {
        ApiError::NumberSettingsInvalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The sub an assignment names, checked against the accounts where we have them.
    async fn member_sub(services: &Services, at: usize, given: &str) -> Result<String, ApiError> {
        let name = format!("assignment.members[{at}]");
        let local = services.identity.kind() == "local";
        let store = services.store.as_ref();
        let given = given.trim();
        if given.contains('@') {
            if !local {
                return Err(field(
                    name,
                    "give the agent's sub (Cognito users are not in our store)",
                ));
            }
            let email = account_email(given).map_err(|_| field(&name, "not an e-mail address"))?;
            return match store.user_by_email(&email).await? {
                Some(user) => Ok(user.sub),
                None => Err(field(name, "no such agent")),
            };
        }
        if given.is_empty() {
            return Err(field(name, "empty"));
        }
        if local && store.user_by_sub(given).await?.is_none() {
            return Err(field(name, "no such agent"));
        }
        Ok(given.into())
    }

    async fn view(services: &Services, n: OwnedNumber) -> Result<NumberView, ApiError> {
        let assignment = match n.assignment {
            Assignment::None => None,
            Assignment::Agents {
                members,
                strategy,
                ring_secs,
            } => {
                let mut out = Vec::with_capacity(members.len());
                for sub in members {
                    let email = services.store.user_by_sub(&sub).await?.map(|u| u.email);
                    out.push(MemberView { sub, email });
                }
                let (strategy, per_agent_secs) = match strategy {
                    Strategy::RingAll => ("ring_all", None),
                    Strategy::InOrder { per_agent_secs } => ("in_order", Some(per_agent_secs)),
                };
                Some(AssignmentView {
                    members: out,
                    strategy: strategy.into(),
                    ring_secs,
                    per_agent_secs,
                })
            }
        };
        let hours = n.hours.map(|h| {
            h.ranges
                .iter()
                .map(|r| RangeForm {
                    day: r.day.as_str().into(),
                    open: format_hhmm(r.open),
                    close: format_hhmm(r.close),
                })
                .collect()
        });
        Ok(NumberView {
            e164: n.e164,
            assignment,
            hours,
            unassigned: n.unassigned.as_str().into(),
            updated_at: n.updated_at,
        })
    }

    pub async fn list(services: &Services, me: &Principal) -> Result<Vec<NumberView>, ApiError> {
        admin_only(me)?;
        let mut out = Vec::new();
        for n in services.store.list_numbers().await? {
            out.push(view(services, n).await?);
        }
        Ok(out)
    }

    /// The form as the domain's settings, checked: every problem names its field (as the
    /// REST body spells it).
    async fn settings(
        services: &Services,
        e164: String,
        form: NumberForm,
        now: u64,
    ) -> Result<OwnedNumber, ApiError> {
        let assignment = match form.assignment {
            None => Assignment::None,
            Some(a) => {
                let ring_secs = a.ring_secs.unwrap_or(DEFAULT_RING_SECS);
                let strategy = match a.strategy.as_deref().unwrap_or("ring_all") {
                    "ring_all" if a.per_agent_secs.is_some() => {
                        return Err(field(
                            "assignment.per_agent_secs",
                            "only with strategy in_order",
                        ))
                    }
                    "ring_all" => Strategy::RingAll,
                    "in_order" => Strategy::InOrder {
                        per_agent_secs: a.per_agent_secs.unwrap_or(DEFAULT_PER_AGENT_SECS),
                    },
                    _ => return Err(field("assignment.strategy", "ring_all or in_order")),
                };
                let mut members = Vec::with_capacity(a.members.len());
                for (i, m) in a.members.iter().enumerate() {
                    members.push(member_sub(services, i, m).await?);
                }
                Assignment::Agents {
                    members,
                    strategy,
                    ring_secs,
                }
            }
        };
        let hours = match form.hours {
            None => None,
            Some(ranges) => Some(BusinessHours {
                ranges: ranges
                    .iter()
                    .enumerate()
                    .map(|(i, r)| OpenRange::parse(i, &r.day, &r.open, &r.close))
                    .collect::<Result<_, _>>()
                    .map_err(invalid)?,
            }),
        };
        let unassigned = match form.unassigned.as_deref() {
            None => UnassignedAction::default(),
            Some(text) => UnassignedAction::parse(text)
                .ok_or_else(|| field("unassigned", "message or refuse"))?,
        };
        let number = OwnedNumber {
            e164,
            assignment,
            hours,
            unassigned,
            updated_at: now,
        };
        // The body keeps the per-agent time next to ring_secs.
        number.validate().map_err(|mut e| {
            if e.field == "assignment.strategy.per_agent_secs" {
                e.field = "assignment.per_agent_secs".into();
            }
            invalid(e)
        })?;
        Ok(number)
    }

    /// Creates or replaces the number's entry; audited in the admin's trail.
    pub async fn put(
        services: &Services,
        me: &Principal,
        e164: &str,
        form: NumberForm,
    ) -> Result<NumberView, ApiError> {
        admin_only(me)?;
        let e164 = owned_e164(e164, services.numbers.as_ref()).map_err(|reason| {
            field(
                "e164",
                format!(
                    "not a Panama or Singapore number in E.164 ({})",
                    reason.as_str()
                ),
            )
        })?;
        let now = services.clock.now_ms();
        let number = settings(services, e164, form, now).await?;
        services.store.put_number(&number).await?;
        let store = services.store.as_ref();
        write_audit(store, &me.sub, now, "admin_number_set", number.e164.clone()).await;
        view(services, number).await
    }

    /// Removes the number's entry (`NotFound` if there is none); audited.
    pub async fn delete(services: &Services, me: &Principal, e164: &str) -> Result<(), ApiError> {
        admin_only(me)?;
        // The key is the E.164 form, however the number was written.
        let e164 = owned_e164(e164, services.numbers.as_ref()).unwrap_or_else(|_| e164.into());
        services.store.delete_number(&e164).await?;
        let now = services.clock.now_ms();
        write_audit(
            services.store.as_ref(),
            &me.sub,
            now,
            "admin_number_deleted",
            e164,
        )
        .await;
        Ok(())
    }
}

/// The business's numbers, by E.164 (administrators only).
#[server(endpoint = "numbers/list", input = Json)]
pub async fn list_numbers() -> Result<Vec<NumberView>, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::list(&services, &me).await
}

/// Creates or replaces a number's settings (administrators only).
#[server(endpoint = "numbers/save", input = Json)]
pub async fn save_number(e164: String, form: NumberForm) -> Result<NumberView, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::put(&services, &me, &e164, form).await
}

/// Removes a number's settings (administrators only).
#[server(endpoint = "numbers/delete", input = Json)]
pub async fn delete_number(e164: String) -> Result<(), ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::delete(&services, &me, &e164).await
}
