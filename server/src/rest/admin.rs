//! `/api/v1/admin/limits/{sub}`: an administrator (the `admin` group) sees a user's spend
//! limits, lifts a velocity block, sets per-user overrides, and approves a new account
//! (`SOFTPHONE_SIGNUP_APPROVAL=admin`); `/api/v1/admin/blocked` lists who is blocked now. The
//! same `app::api::admin::ops` as the admin page (and the same store calls as `server limits`
//! and `server users approve`); each change is written to the user's audit trail with the
//! admin's id, and to the admin's own.

use app::api::ports::{Principal, SpendState, Store};
use app::domain::spend::SpendOverrides;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{needs, problem, ApiResult, Body, Caller};
use super::RestState;

/// A user's velocity block.
#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct BlockOut {
    /// `short_calls`, `sequential_numbers` or `new_destinations` (a velocity rule), or
    /// `awaiting_approval` (a new account under `SOFTPHONE_SIGNUP_APPROVAL=admin`; lifting it
    /// approves the account).
    pub rule: String,
    /// When it tripped (ms since the Unix epoch).
    pub at: u64,
}

/// An admin's changes to the policy for one user (absent: the server's value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverridesIo {
    pub calls_per_minute: Option<u32>,
    pub calls_per_hour: Option<u32>,
    pub minutes_per_day: Option<u32>,
    pub max_call_secs: Option<u64>,
    /// The velocity rules skip this user.
    #[serde(default)]
    pub velocity_exempt: bool,
}

/// A user's spend limits as the store keeps them.
#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LimitsOut {
    pub block: Option<BlockOut>,
    pub overrides: OverridesIo,
    pub open_calls: u32,
}

#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LiftOut {
    /// False when there was no block.
    pub lifted: bool,
}

#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApproveOut {
    /// False when the account was not waiting for approval (a velocity block is not lifted
    /// here).
    pub approved: bool,
}

impl From<SpendState> for LimitsOut {
    fn from(s: SpendState) -> Self {
        let o = s.overrides;
        LimitsOut {
            block: s.block.map(|b| BlockOut {
                rule: b.rule.as_str().into(),
                at: b.at,
            }),
            overrides: OverridesIo {
                calls_per_minute: o.calls_per_minute,
                calls_per_hour: o.calls_per_hour,
                minutes_per_day: o.minutes_per_day,
                max_call_secs: o.max_call_secs,
                velocity_exempt: o.velocity_exempt,
            },
            open_calls: s.open_calls,
        }
    }
}

pub(super) fn admin_only(me: &Principal) -> ApiResult<()> {
    if me.is_admin() {
        Ok(())
    } else {
        Err(problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "administrators only (the admin group)",
        ))
    }
}

impl From<OverridesIo> for SpendOverrides {
    fn from(o: OverridesIo) -> Self {
        SpendOverrides {
            calls_per_minute: o.calls_per_minute,
            calls_per_hour: o.calls_per_hour,
            minutes_per_day: o.minutes_per_day,
            max_call_secs: o.max_call_secs,
            velocity_exempt: o.velocity_exempt,
        }
    }
}

/// A user whose calls are blocked now.
#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct BlockedUserOut {
    pub sub: String,
    /// Known for accounts of the embedded identity.
    pub email: Option<String>,
    pub block: BlockOut,
}

#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct BlockedOut {
    /// Oldest block first, at most 100.
    pub items: Vec<BlockedUserOut>,
}

/// What the handlers do: `app::api::admin::ops` (shared with the admin page), in the REST
/// API's shapes, with its own 403 (`Forbidden`) for anyone not in the admin group.
pub(super) mod ops {
    use super::*;
    use app::api::admin::ops as admin;

    pub async fn show(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        now: u64,
    ) -> ApiResult<LimitsOut> {
        admin_only(me)?;
        Ok(admin::show(store, me, sub, now).await?.into())
    }

    pub async fn lift(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        now: u64,
    ) -> ApiResult<LiftOut> {
        admin_only(me)?;
        let lifted = admin::lift(store, me, sub, now).await?;
        Ok(LiftOut { lifted })
    }

    pub async fn approve(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        now: u64,
    ) -> ApiResult<ApproveOut> {
        admin_only(me)?;
        let approved = admin::approve(store, me, sub, now).await?;
        Ok(ApproveOut { approved })
    }

    pub async fn set(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        o: OverridesIo,
        now: u64,
    ) -> ApiResult<LimitsOut> {
        admin_only(me)?;
        Ok(admin::set_overrides(store, me, sub, o.into(), now)
            .await?
            .into())
    }

    pub async fn blocked(store: &dyn Store, me: &Principal, now: u64) -> ApiResult<BlockedOut> {
        admin_only(me)?;
        let items = admin::blocked(store, me, now)
            .await?
            .into_iter()
            .map(|u| BlockedUserOut {
                sub: u.sub,
                email: u.email,
                block: BlockOut {
                    rule: u.block.rule.as_str().into(),
                    at: u.block.at,
                },
            })
            .collect();
        Ok(BlockedOut { items })
    }
}

#[utoipa::path(get, path = "/api/v1/admin/blocked", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "The users whose calls are blocked now (a velocity rule, or awaiting approval), oldest block first", body = BlockedOut),
        (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn list_blocked(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
) -> ApiResult<Json<BlockedOut>> {
    let now = state.services.clock.now_ms();
    Ok(Json(
        ops::blocked(state.services.store.as_ref(), &me, now).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/admin/limits/{sub}", tag = "admin", params(("sub" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = LimitsOut), (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn show_limits(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(sub): Path<String>,
) -> ApiResult<Json<LimitsOut>> {
    let now = state.services.clock.now_ms();
    Ok(Json(
        ops::show(state.services.store.as_ref(), &me, &sub, now).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/admin/limits/{sub}/lift", tag = "admin", params(("sub" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = LiftOut), (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn lift_block(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(sub): Path<String>,
) -> ApiResult<Json<LiftOut>> {
    let now = state.services.clock.now_ms();
    Ok(Json(
        ops::lift(state.services.store.as_ref(), &me, &sub, now).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/admin/limits/{sub}/approve", tag = "admin", params(("sub" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ApproveOut), (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn approve(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(sub): Path<String>,
) -> ApiResult<Json<ApproveOut>> {
    let now = state.services.clock.now_ms();
    Ok(Json(
        ops::approve(state.services.store.as_ref(), &me, &sub, now).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/admin/limits/{sub}/overrides", tag = "admin", params(("sub" = String, Path)),
    request_body = OverridesIo, security(("bearer" = [])),
    responses((status = 200, body = LimitsOut), (status = 400, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn set_overrides(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(sub): Path<String>,
    Body(o): Body<OverridesIo>,
) -> ApiResult<Json<LimitsOut>> {
    let now = state.services.clock.now_ms();
    Ok(Json(
        ops::set(state.services.store.as_ref(), &me, &sub, o, now).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::api::ports::{AdmitError, AuditStore, SpendStore};
    use app::domain::calls::CallRecord;
    use app::domain::spend::{SpendPolicy, VelocityRule};

    fn ok<T>(r: ApiResult<T>) -> T {
        r.unwrap_or_else(|p| {
            let status = axum::response::IntoResponse::into_response(p).status();
            panic!("refused with {status}")
        })
    }

    fn principal(sub: &str, groups: &[&str]) -> Principal {
        Principal {
            sub: sub.into(),
            email: format!("{sub}@example.com"),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    #[tokio::test]
    async fn only_admins_see_lift_and_set_a_users_limits() {
        let store = crate::store::SqliteStore::in_memory().await.unwrap();
        let now = 1_800_000_000_000u64;
        let policy = SpendPolicy {
            sequential_calls: 2,
            ..SpendPolicy::default()
        };
        let mut first = CallRecord::outbound("c1".into(), "+6561110001".into(), now);
        store
            .admit_call("ana", &first, &policy, None, now)
            .await
            .unwrap();
        first.ended_at = Some(now + 1000);
        app::api::ports::CallStore::update_call(&store, "ana", &first)
            .await
            .unwrap();
        let second = CallRecord::outbound("c2".into(), "+6561110002".into(), now + 2000);
        assert!(matches!(
            store
                .admit_call("ana", &second, &policy, None, now + 2000)
                .await,
            Err(AdmitError::Refused(_))
        ));

        let agent = principal("bob", &[]);
        for refused in [
            ops::show(&store, &agent, "ana", now).await.err(),
            ops::lift(&store, &agent, "ana", now).await.err(),
            ops::set(&store, &agent, "ana", OverridesIo::default(), now)
                .await
                .err(),
        ] {
            let status = refused.map(|p| axum::response::IntoResponse::into_response(p).status());
            assert_eq!(status, Some(StatusCode::FORBIDDEN));
        }
        assert!(
            store.spend_state("ana").await.unwrap().block.is_some(),
            "unchanged"
        );

        let admin = principal("root", &["admin"]);
        let shown = ok(ops::show(&store, &admin, "ana", now).await);
        assert_eq!(
            shown.block.map(|b| b.rule),
            Some("sequential_numbers".to_string())
        );
        assert_eq!(
            ok(ops::lift(&store, &admin, "ana", now + 3000).await),
            LiftOut { lifted: true }
        );
        let set = OverridesIo {
            max_call_secs: Some(300),
            ..OverridesIo::default()
        };
        let after = ok(ops::set(&store, &admin, "ana", set, now + 4000).await);
        assert_eq!(after.block, None);
        assert_eq!(after.overrides, set);
        let trail: Vec<String> = store
            .list_audit("ana", 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            trail.contains(&"spend_block_lifted".to_string()),
            "{trail:?}"
        );
        assert!(
            trail.contains(&"spend_overrides_set".to_string()),
            "{trail:?}"
        );
        assert!(
            trail.contains(&"spend_limits_viewed".to_string()),
            "{trail:?}"
        );
        // The refused agent left nothing; the admin's own trail names each action.
        let admin_trail: Vec<String> = store
            .list_audit("root", 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            admin_trail,
            [
                "admin_spend_overrides_set",
                "admin_spend_block_lifted",
                "admin_spend_limits_viewed"
            ]
        );
        assert!(store.list_audit("bob", 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn only_admins_approve_and_approval_lifts_only_its_own_block() {
        let store = crate::store::SqliteStore::in_memory().await.unwrap();
        let now = 1_800_000_000_000u64;
        let awaiting = app::domain::spend::Block {
            rule: VelocityRule::AwaitingApproval,
            at: now,
        };
        store.block_calls("new", awaiting).await.unwrap();
        let agent = principal("bob", &[]);
        let refused = ops::approve(&store, &agent, "new", now).await.err();
        let status = refused.map(|p| axum::response::IntoResponse::into_response(p).status());
        assert_eq!(status, Some(StatusCode::FORBIDDEN));
        assert_eq!(
            store.spend_state("new").await.unwrap().block,
            Some(awaiting)
        );

        let admin = principal("root", &["admin"]);
        assert_eq!(
            ok(ops::approve(&store, &admin, "new", now + 1).await),
            ApproveOut { approved: true }
        );
        assert_eq!(store.spend_state("new").await.unwrap().block, None);
        assert_eq!(
            ok(ops::approve(&store, &admin, "new", now + 2).await),
            ApproveOut { approved: false }
        );
        // A velocity block is not an approval's to lift.
        let velocity = app::domain::spend::Block {
            rule: VelocityRule::ShortCalls,
            at: now,
        };
        store.block_calls("other", velocity).await.unwrap();
        assert_eq!(
            ok(ops::approve(&store, &admin, "other", now).await),
            ApproveOut { approved: false }
        );
        assert_eq!(
            store.spend_state("other").await.unwrap().block,
            Some(velocity)
        );
        let trail: Vec<String> = store
            .list_audit("new", 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(trail.contains(&"account_approved".to_string()), "{trail:?}");
    }
}
