//! `/api/v1/admin/numbers`: an administrator (the `admin` group) lists the numbers the business
//! owns, sets who each rings (agents, ring all or in order), its business hours and what it does
//! when no one is assigned, and removes one. The routing itself is `app::domain::inbound`; each
//! change is written to the admin's audit trail.
//!
//! Agents are named by e-mail or sub. With the embedded identity both must be an account; with
//! Cognito (whose users are not in our store) a sub is taken as given and an e-mail is refused.

use app::api::ports::{account_email, write_audit, Principal, Services};
use app::domain::inbound::{
    format_hhmm, owned_e164, Assignment, BusinessHours, OpenRange, OwnedNumber, SettingsError,
    Strategy, UnassignedAction, DEFAULT_PER_AGENT_SECS, DEFAULT_RING_SECS,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::admin::{admin_only, store_error};
use super::extract::{needs, problem_with, ApiResult, Body, Caller};
use super::RestState;

/// One open range of a week day, in the number's country's local time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRangeIo {
    /// `mon` … `sun`
    pub day: String,
    /// `HH:MM`, 24-hour
    pub open: String,
    /// `HH:MM`, after `open`; `24:00` is the end of the day (a range across midnight is two)
    pub close: String,
}

/// When the number takes calls: weekly ranges in the local time of its country (Panama
/// UTC−5, Singapore UTC+8; neither has daylight saving time). Outside them a call is missed
/// with a message to the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursIo {
    pub ranges: Vec<OpenRangeIo>,
}

/// Who the number rings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentIn {
    /// The agents: e-mail (embedded identity) or sub; in ringing order for `in_order`.
    pub members: Vec<String>,
    /// `ring_all` (default) or `in_order`.
    #[serde(default)]
    pub strategy: Option<String>,
    /// Total ring time before the call is missed (default 30).
    #[serde(default)]
    pub ring_secs: Option<u32>,
    /// Each agent's turn with `in_order` (default 15).
    #[serde(default)]
    pub per_agent_secs: Option<u32>,
}

/// A number's settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberIn {
    /// Absent or null: no one is assigned (the caller's last agent still rings first).
    #[serde(default)]
    pub assignment: Option<AssignmentIn>,
    /// Absent or null: always open.
    #[serde(default)]
    pub hours: Option<HoursIo>,
    /// With no one to ring: `message` (default: answered with a recorded message) or `refuse`
    /// (SIP 480 Temporarily Unavailable).
    #[serde(default)]
    pub unassigned: Option<String>,
}

/// An agent of an assignment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MemberOut {
    pub sub: String,
    /// Known for accounts of the embedded identity.
    pub email: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct AssignmentOut {
    pub members: Vec<MemberOut>,
    /// `ring_all` or `in_order`
    pub strategy: String,
    pub ring_secs: u32,
    /// With `in_order`.
    pub per_agent_secs: Option<u32>,
}

/// A number the business owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct NumberOut {
    pub e164: String,
    /// Null: no one is assigned.
    pub assignment: Option<AssignmentOut>,
    /// Null: always open.
    pub hours: Option<HoursIo>,
    /// `message` or `refuse`
    pub unassigned: String,
    pub updated_at: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct NumbersOut {
    /// By E.164. The server's configured caller IDs count as owned with no assignment until
    /// an entry here says otherwise; they are not listed.
    pub items: Vec<NumberOut>,
}

fn invalid(e: SettingsError) -> super::ProblemResponse {
    problem_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        "NumberSettingsInvalid",
        e.to_string(),
        json!({ "field": e.field, "problem": e.problem }),
    )
}

fn field(field: impl Into<String>, problem: impl Into<String>) -> super::ProblemResponse {
    invalid(SettingsError {
        field: field.into(),
        problem: problem.into(),
    })
}

fn hours_out(h: &BusinessHours) -> HoursIo {
    HoursIo {
        ranges: h
            .ranges
            .iter()
            .map(|r| OpenRangeIo {
                day: r.day.as_str().into(),
                open: format_hhmm(r.open),
                close: format_hhmm(r.close),
            })
            .collect(),
    }
}

/// The sub an assignment names, checked against the accounts where we have them.
async fn member_sub(services: &Services, at: usize, given: &str) -> ApiResult<String> {
    let name = format!("assignment.members[{at}]");
    let local = services.identity.kind() == "local";
    let store = services.store.as_ref();
    if given.contains('@') {
        if !local {
            return Err(field(
                name,
                "give the agent's sub (Cognito users are not in our store)",
            ));
        }
        let email = account_email(given).map_err(|_| field(&name, "not an e-mail address"))?;
        return match store.user_by_email(&email).await.map_err(store_error)? {
            Some(user) => Ok(user.sub),
            None => Err(field(name, "no such agent")),
        };
    }
    let sub = given.trim();
    if sub.is_empty() {
        return Err(field(name, "empty"));
    }
    if local && store.user_by_sub(sub).await.map_err(store_error)?.is_none() {
        return Err(field(name, "no such agent"));
    }
    Ok(sub.into())
}

async fn number_out(services: &Services, n: OwnedNumber) -> ApiResult<NumberOut> {
    let assignment = match n.assignment {
        Assignment::None => None,
        Assignment::Agents {
            members,
            strategy,
            ring_secs,
        } => {
            let mut out = Vec::with_capacity(members.len());
            for sub in members {
                let email = services
                    .store
                    .user_by_sub(&sub)
                    .await
                    .map_err(store_error)?
                    .map(|u| u.email);
                out.push(MemberOut { sub, email });
            }
            let (strategy, per_agent_secs) = match strategy {
                Strategy::RingAll => ("ring_all", None),
                Strategy::InOrder { per_agent_secs } => ("in_order", Some(per_agent_secs)),
            };
            Some(AssignmentOut {
                members: out,
                strategy: strategy.into(),
                ring_secs,
                per_agent_secs,
            })
        }
    };
    Ok(NumberOut {
        e164: n.e164,
        assignment,
        hours: n.hours.as_ref().map(hours_out),
        unassigned: n.unassigned.as_str().into(),
        updated_at: n.updated_at,
    })
}

/// What the handlers do, on the services (tested without HTTP).
pub(super) mod ops {
    use super::*;

    pub async fn list(services: &Services, me: &Principal) -> ApiResult<NumbersOut> {
        admin_only(me)?;
        let numbers = services.store.list_numbers().await.map_err(store_error)?;
        let mut items = Vec::with_capacity(numbers.len());
        for n in numbers {
            items.push(number_out(services, n).await?);
        }
        Ok(NumbersOut { items })
    }

    /// The settings in `body` as the domain's, checked: every problem names its field.
    pub async fn settings(
        services: &Services,
        e164: String,
        body: NumberIn,
        now: u64,
    ) -> ApiResult<OwnedNumber> {
        let assignment = match body.assignment {
            None => Assignment::None,
            Some(a) => {
                let ring_secs = a.ring_secs.unwrap_or(DEFAULT_RING_SECS);
                let strategy = match a.strategy.as_deref().unwrap_or("ring_all") {
                    "ring_all" => {
                        if a.per_agent_secs.is_some() {
                            return Err(field(
                                "assignment.per_agent_secs",
                                "only with strategy in_order",
                            ));
                        }
                        Strategy::RingAll
                    }
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
        let hours = match body.hours {
            None => None,
            Some(h) => Some(BusinessHours {
                ranges: h
                    .ranges
                    .iter()
                    .enumerate()
                    .map(|(i, r)| OpenRange::parse(i, &r.day, &r.open, &r.close))
                    .collect::<Result<_, _>>()
                    .map_err(invalid)?,
            }),
        };
        let unassigned = match body.unassigned.as_deref() {
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
        // The strategy's field names in the domain's error are the body's too, but for the
        // per-agent time, which the body keeps next to ring_secs.
        number.validate().map_err(|mut e| {
            if e.field == "assignment.strategy.per_agent_secs" {
                e.field = "assignment.per_agent_secs".into();
            }
            invalid(e)
        })?;
        Ok(number)
    }

    pub async fn put(
        services: &Services,
        me: &Principal,
        e164: &str,
        body: NumberIn,
        now: u64,
    ) -> ApiResult<NumberOut> {
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
        let number = settings(services, e164, body, now).await?;
        services
            .store
            .put_number(&number)
            .await
            .map_err(store_error)?;
        let store = services.store.as_ref();
        write_audit(store, &me.sub, now, "admin_number_set", number.e164.clone()).await;
        number_out(services, number).await
    }

    pub async fn delete(
        services: &Services,
        me: &Principal,
        e164: &str,
        now: u64,
    ) -> ApiResult<()> {
        admin_only(me)?;
        // The key is the E.164 form, however the path wrote the number.
        let e164 = owned_e164(e164, services.numbers.as_ref()).unwrap_or_else(|_| e164.into());
        services
            .store
            .delete_number(&e164)
            .await
            .map_err(store_error)?;
        let store = services.store.as_ref();
        write_audit(store, &me.sub, now, "admin_number_deleted", e164).await;
        Ok(())
    }
}

#[utoipa::path(get, path = "/api/v1/admin/numbers", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = NumbersOut), (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn list_numbers(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
) -> ApiResult<Json<NumbersOut>> {
    Ok(Json(ops::list(&state.services, &me).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/numbers/{e164}", tag = "admin",
    params(("e164" = String, Path, description = "The number, E.164 (`+6561234567`; `+` may be sent as `%2B`)")),
    request_body = NumberIn, security(("bearer" = [])),
    responses((status = 200, body = NumberOut), (status = 400, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`NumberSettingsInvalid`: `errors.field` names what is wrong (`e164`: not a Panama or Singapore number; `assignment.members[i]`: no such agent; `hours.ranges[i].open`, …)", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn put_number(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(e164): Path<String>,
    Body(body): Body<NumberIn>,
) -> ApiResult<Json<NumberOut>> {
    let now = state.services.clock.now_ms();
    Ok(Json(
        ops::put(&state.services, &me, &e164, body, now).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/admin/numbers/{e164}", tag = "admin",
    params(("e164" = String, Path, description = "The number, E.164")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed: the number now rings only its callers' last agents if it is a configured caller ID, and is refused otherwise"),
        (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`NotFound`: not in the store", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn delete_number(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(e164): Path<String>,
) -> ApiResult<StatusCode> {
    let now = state.services.clock.now_ms();
    ops::delete(&state.services, &me, &e164, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
