//! `/api/v1/admin/numbers`: an administrator (the `admin` group) lists the numbers the business
//! owns, sets who each rings (agents, ring all or in order), its business hours and what it does
//! when no one is assigned, and removes one. What they do is `app::api::numbers::ops` (shared
//! with the Numbers section of Settings); the routing itself is `app::domain::inbound`. Each
//! change is written to the admin's audit trail; a refused one is `422 NumberSettingsInvalid`
//! with `errors.field` naming the part at fault.

use app::api::numbers::{
    ops, AssignmentForm, AssignmentView, MemberView, NumberForm, NumberView, RangeForm,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin::admin_only;
use super::extract::{needs, ApiResult, Body, Caller};
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

impl From<OpenRangeIo> for RangeForm {
    fn from(r: OpenRangeIo) -> Self {
        RangeForm {
            day: r.day,
            open: r.open,
            close: r.close,
        }
    }
}

fn hours_out(ranges: Vec<RangeForm>) -> HoursIo {
    HoursIo {
        ranges: ranges
            .into_iter()
            .map(|r| OpenRangeIo {
                day: r.day,
                open: r.open,
                close: r.close,
            })
            .collect(),
    }
}

impl From<NumberIn> for NumberForm {
    fn from(n: NumberIn) -> Self {
        NumberForm {
            assignment: n.assignment.map(|a| AssignmentForm {
                members: a.members,
                strategy: a.strategy,
                ring_secs: a.ring_secs,
                per_agent_secs: a.per_agent_secs,
            }),
            hours: n
                .hours
                .map(|h| h.ranges.into_iter().map(Into::into).collect()),
            unassigned: n.unassigned,
        }
    }
}

impl From<MemberView> for MemberOut {
    fn from(m: MemberView) -> Self {
        MemberOut {
            sub: m.sub,
            email: m.email,
        }
    }
}

impl From<AssignmentView> for AssignmentOut {
    fn from(a: AssignmentView) -> Self {
        AssignmentOut {
            members: a.members.into_iter().map(Into::into).collect(),
            strategy: a.strategy,
            ring_secs: a.ring_secs,
            per_agent_secs: a.per_agent_secs,
        }
    }
}

impl From<NumberView> for NumberOut {
    fn from(n: NumberView) -> Self {
        NumberOut {
            e164: n.e164,
            assignment: n.assignment.map(Into::into),
            hours: n.hours.map(hours_out),
            unassigned: n.unassigned,
            updated_at: n.updated_at,
        }
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
    admin_only(&me)?;
    let items = ops::list(&state.services, &me).await?;
    Ok(Json(NumbersOut {
        items: items.into_iter().map(Into::into).collect(),
    }))
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
    admin_only(&me)?;
    let number = ops::put(&state.services, &me, &e164, body.into()).await?;
    Ok(Json(number.into()))
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
    admin_only(&me)?;
    ops::delete(&state.services, &me, &e164).await?;
    Ok(StatusCode::NO_CONTENT)
}
