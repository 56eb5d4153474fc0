//! `/api/v1/admin/users/{sub}/disable` and `/enable`: an administrator (the `admin` group)
//! disables an account (its sign-ins, refreshes and tokens refused at once, its sessions ended,
//! its open app closed, a call in progress with it) or enables it again. The same operation as
//! `server users disable|enable` and the admin page (`app::api::admin::ops`), audited in the
//! user's trail and the admin's own.

use app::api::ports::{Principal, Services};
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::admin::admin_only;
use super::extract::{needs, ApiResult, Caller};
use super::RestState;

/// The account's state after the request.
#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountStateOut {
    pub sub: String,
    pub disabled: bool,
    /// False when the account was in that state already (nothing was done or audited).
    pub changed: bool,
    /// Refresh sessions a disable ended (the embedded identity's; Cognito ends its own).
    pub sessions_revoked: u64,
}

/// What the handlers do: `app::api::admin::ops::set_disabled` (shared with the admin page),
/// with the REST API's own 403 (`Forbidden`) for anyone not in the admin group; an unknown
/// sub is `404 NotFound`, one's own account `409 OwnAccount`.
pub(super) mod ops {
    use super::*;

    pub async fn set(
        services: &Services,
        me: &Principal,
        sub: &str,
        disabled: bool,
    ) -> ApiResult<AccountStateOut> {
        admin_only(me)?;
        let change = app::api::admin::ops::set_disabled(services, me, sub, disabled).await?;
        Ok(AccountStateOut {
            sub: sub.into(),
            disabled,
            changed: change.changed,
            sessions_revoked: change.sessions_revoked,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/admin/users/{sub}/disable", tag = "admin", params(("sub" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, description = "Disabled: sign-in and every token of the account refused, its sessions ended, its open app closed", body = AccountStateOut),
        (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group; `SessionRequired`: an integration token", body = super::model::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`NotFound`: no account has this sub", body = super::model::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`OwnAccount`: an administrator cannot disable their own account", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn disable_user(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(sub): Path<String>,
) -> ApiResult<Json<AccountStateOut>> {
    Ok(Json(ops::set(&state.services, &me, &sub, true).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/users/{sub}/enable", tag = "admin", params(("sub" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, description = "Enabled: the account may sign in again (its ended sessions stay ended)", body = AccountStateOut),
        (status = 401, body = super::model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`Forbidden`: not in the admin group; `SessionRequired`: an integration token", body = super::model::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`NotFound`: no account has this sub", body = super::model::Problem, content_type = "application/problem+json")))]
pub(super) async fn enable_user(
    State(state): State<RestState>,
    Caller(me, _): Caller<needs::SessionOnly>,
    Path(sub): Path<String>,
) -> ApiResult<Json<AccountStateOut>> {
    Ok(Json(ops::set(&state.services, &me, &sub, false).await?))
}
