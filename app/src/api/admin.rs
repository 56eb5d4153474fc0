//! What an administrator does to users: see who is blocked or awaiting approval, look a user
//! up (account, block, open calls, overrides), lift a block, approve a new account, set or
//! clear per-user spend overrides, disable or enable an account; read the call analytics
//! (`domain::analytics`). The admin page
//! (`crate::pages::admin`, through the server functions here), the REST API
//! (`/api/v1/admin/limits`, `/api/v1/admin/users`, `/api/v1/admin/blocked`:
//! `server/src/rest/admin.rs`, `admin_users.rs`) and the CLI's `server users disable|enable`
//! share the `ops`, so each writes the same audit trail: the user's (with `admin <sub>`) and
//! the administrator's own.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::domain::analytics::{Filter, Report};
use crate::domain::spend::{Block, SpendOverrides};

/// A user as the administrator sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub sub: String,
    /// Known for accounts of the embedded identity (Cognito's users are not in our store).
    pub email: Option<String>,
    /// When an administrator disabled the account (ms since the epoch); none: enabled.
    pub disabled_at: Option<u64>,
    /// A velocity block or the wait for approval, and since when.
    pub block: Option<Block>,
    pub open_calls: u32,
    pub overrides: SpendOverrides,
    /// The server's values an override replaces (`SOFTPHONE_LIMIT_*`).
    pub defaults: SpendOverrides,
    /// The administrator looking is this user (who cannot disable their own account).
    pub is_me: bool,
}

/// A user whose calls are blocked now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedUser {
    pub sub: String,
    pub email: Option<String>,
    pub block: Block,
}

/// What an action did, and the user after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOutcome {
    /// False when there was nothing to do (no block to lift, already enabled, …): nothing was
    /// changed or audited.
    pub changed: bool,
    pub user: AdminUser,
}

/// A period's call analytics, as the admin page shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallAnalytics {
    /// The period, `YYYY-MM-DD` (UTC), both days included.
    pub from: String,
    pub to: String,
    pub filter: Filter,
    pub report: Report,
    /// Every agent with calls in the period (whatever the filter), most calls first: what the
    /// agent filter offers.
    pub agents: Vec<Agent>,
    /// Every country with calls in the period (ISO codes, `other`, `none`), most calls first.
    pub countries: Vec<String>,
}

/// An agent of the analytics: user id, and e-mail where the store knows it (embedded identity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub sub: String,
    pub email: Option<String>,
}

impl Agent {
    /// How the page names the agent: the e-mail, else the user id.
    pub fn name(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.sub)
    }
}

#[cfg(feature = "ssr")]
pub mod ops {
    use super::*;
    use crate::api::ports::{
        account_email, write_audit, AuthError, Identity, Principal, Services, SpendState, Store,
    };
    use crate::domain::analytics::{self, Rollup, Tally};
    use crate::domain::spend::{SpendPolicy, VelocityRule};

    /// At most this many blocked users are listed (oldest block first).
    pub const BLOCKED_LIMIT: usize = 100;

    pub fn admin_only(me: &Principal) -> Result<(), ApiError> {
        if me.is_admin() {
            Ok(())
        } else {
            Err(ApiError::AdminOnly)
        }
    }

    /// The sub `user` names, as the CLI and the REST API take users: an e-mail is looked up
    /// among the embedded identity's accounts (Cognito's are not in our store:
    /// `SubRequired`); anything else is a sub, checked against those accounts with the
    /// embedded identity and taken as given with Cognito.
    pub async fn sub_of(services: &Services, user: &str) -> Result<String, ApiError> {
        let user = user.trim();
        let local = services.identity.kind() == "local";
        let store = services.store.as_ref();
        if user.contains('@') {
            if !local {
                return Err(ApiError::SubRequired);
            }
            let email = account_email(user)?;
            return match store.user_by_email(&email).await? {
                Some(u) => Ok(u.sub),
                None => Err(ApiError::NotFound),
            };
        }
        if user.is_empty() || (local && store.user_by_sub(user).await?.is_none()) {
            return Err(ApiError::NotFound);
        }
        Ok(user.into())
    }

    /// A period's rollup rows (`from`, `to`: `YYYY-MM-DD`, UTC, both included; empty: the last
    /// 30 days, `analytics::resolve_period`), for administrators.
    async fn period_rows(
        store: &dyn Store,
        me: &Principal,
        from: &str,
        to: &str,
        now: u64,
    ) -> Result<(String, String, Vec<Rollup>), ApiError> {
        admin_only(me)?;
        let (from, to) = analytics::resolve_period(from, to, now).ok_or(ApiError::PeriodInvalid)?;
        let rows = store.call_rollups(&from, &to).await?;
        Ok((from, to, rows))
    }

    /// The agents of `tallies` with their e-mails where the store has them.
    async fn agents(
        store: &dyn Store,
        tallies: &[(String, Tally)],
    ) -> Result<Vec<Agent>, ApiError> {
        let mut agents = Vec::with_capacity(tallies.len());
        for (sub, _) in tallies {
            let email = store.user_by_sub(sub).await?.map(|u| u.email);
            agents.push(Agent {
                sub: sub.clone(),
                email,
            });
        }
        Ok(agents)
    }

    /// A period's call analytics for the calls `filter` keeps; reading them is in the
    /// administrator's trail.
    pub async fn analytics(
        store: &dyn Store,
        me: &Principal,
        from: &str,
        to: &str,
        filter: Filter,
        now: u64,
    ) -> Result<CallAnalytics, ApiError> {
        let (from, to, rows) = period_rows(store, me, from, to, now).await?;
        let report = analytics::report(&rows, &filter);
        // What the filters offer: the whole period's agents and countries.
        let whole = analytics::report(&rows, &Filter::default());
        let agents = agents(store, &whole.agents).await?;
        write_audit(
            store,
            &me.sub,
            now,
            "admin_analytics_read",
            format!("{from}..{to}"),
        )
        .await;
        Ok(CallAnalytics {
            from,
            to,
            filter,
            report,
            agents,
            countries: whole.countries.into_iter().map(|(c, _)| c).collect(),
        })
    }

    /// The same period and filter as CSV (`analytics::write_csv`: the rollup rows); in the
    /// administrator's trail as an export.
    pub async fn analytics_csv(
        store: &dyn Store,
        me: &Principal,
        from: &str,
        to: &str,
        filter: Filter,
        now: u64,
    ) -> Result<String, ApiError> {
        let (from, to, rows) = period_rows(store, me, from, to, now).await?;
        let tallies = analytics::report(&rows, &filter).agents;
        let emails = agents(store, &tallies)
            .await?
            .into_iter()
            .filter_map(|a| a.email.map(|e| (a.sub, e)))
            .collect::<Vec<_>>();
        write_audit(
            store,
            &me.sub,
            now,
            "admin_analytics_export",
            format!("{from}..{to}"),
        )
        .await;
        Ok(analytics::write_csv(&rows, &filter, &emails))
    }

    /// Who did it, in the user's trail.
    fn by_admin(me: &Principal) -> String {
        format!("admin {}", me.sub)
    }

    /// An administrator's action on `sub`, in both trails: the user's (`action`, with `detail`)
    /// and the administrator's (`admin_<action>`, naming the user).
    async fn audit_both(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        now: u64,
        action: &str,
        detail: String,
    ) {
        write_audit(store, sub, now, action, detail).await;
        write_audit(store, &me.sub, now, &format!("admin_{action}"), sub.into()).await;
    }

    /// A user's spend limits (`GET /api/v1/admin/limits/{sub}`); reading them is audited too.
    pub async fn show(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        now: u64,
    ) -> Result<SpendState, ApiError> {
        admin_only(me)?;
        let state = store.spend_state(sub).await?;
        audit_both(store, me, sub, now, "spend_limits_viewed", by_admin(me)).await;
        Ok(state)
    }

    /// Lifts a velocity block (or the wait for approval); `false` when there was none.
    pub async fn lift(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        now: u64,
    ) -> Result<bool, ApiError> {
        admin_only(me)?;
        let lifted = store.lift_block(sub, now).await?;
        if lifted {
            audit_both(store, me, sub, now, "spend_block_lifted", by_admin(me)).await;
        }
        Ok(lifted)
    }

    /// Approves a new account (`SOFTPHONE_SIGNUP_APPROVAL=admin`): lifts that block only, never
    /// a velocity block; `false` when the account was not waiting.
    pub async fn approve(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        now: u64,
    ) -> Result<bool, ApiError> {
        admin_only(me)?;
        let awaiting = store
            .spend_state(sub)
            .await?
            .block
            .is_some_and(|b| b.rule == VelocityRule::AwaitingApproval);
        let approved = awaiting && store.lift_block(sub, now).await?;
        if approved {
            audit_both(store, me, sub, now, "account_approved", by_admin(me)).await;
        }
        Ok(approved)
    }

    /// Replaces the user's overrides (all empty: the server's policy again).
    pub async fn set_overrides(
        store: &dyn Store,
        me: &Principal,
        sub: &str,
        overrides: SpendOverrides,
        now: u64,
    ) -> Result<SpendState, ApiError> {
        admin_only(me)?;
        store.set_spend_overrides(sub, &overrides).await?;
        let detail = format!(
            "{}: {}",
            by_admin(me),
            serde_json::to_string(&overrides).unwrap_or_default()
        );
        audit_both(store, me, sub, now, "spend_overrides_set", detail).await;
        Ok(store.spend_state(sub).await?)
    }

    /// The users blocked now, oldest block first (at most [`BLOCKED_LIMIT`]); the listing is
    /// in the administrator's trail.
    pub async fn blocked(
        store: &dyn Store,
        me: &Principal,
        now: u64,
    ) -> Result<Vec<BlockedUser>, ApiError> {
        admin_only(me)?;
        let mut out = Vec::new();
        for (sub, block) in store.blocked_users(BLOCKED_LIMIT).await? {
            let email = store.user_by_sub(&sub).await?.map(|u| u.email);
            out.push(BlockedUser { sub, email, block });
        }
        write_audit(
            store,
            &me.sub,
            now,
            "admin_blocked_listed",
            out.len().to_string(),
        )
        .await;
        Ok(out)
    }

    /// What disabling or enabling an account did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct AccountChange {
        /// False when the account was in that state already (nothing audited).
        pub changed: bool,
        /// Refresh sessions ended by a disable (the local identity's; Cognito's are ended there).
        pub sessions_revoked: u64,
    }

    /// Disables (`disabled`) or enables the account `sub`, for either identity provider: the
    /// provider is told (Cognito refuses its sign-ins itself), the store keeps the state that
    /// every sign-in, refresh and request checks, and a disable ends every refresh session.
    /// `by` is the user's audit entry's detail (`cli`, `admin <sub>`). `None`: the provider has
    /// no such account. Open live channels are the caller's to close
    /// ([`crate::api::ports::Telephony::sessions_revoked`]; other servers see it at their
    /// periodic check). Integration tokens are kept but refused while the account is disabled.
    pub async fn change_disabled(
        store: &dyn Store,
        identity: &dyn Identity,
        sub: &str,
        disabled: bool,
        now: u64,
        by: &str,
    ) -> Result<Option<AccountChange>, AuthError> {
        let unavailable = |e: crate::api::ports::StoreError| AuthError::Unavailable(e.to_string());
        if !identity.set_account_disabled(sub, disabled).await? {
            return Ok(None);
        }
        let changed = store
            .set_account_disabled(sub, disabled.then_some(now))
            .await
            .map_err(unavailable)?;
        // Again on a repeated disable: whatever slipped in between the two is ended too.
        let sessions_revoked = if disabled {
            store.revoke_sessions(sub).await.map_err(unavailable)?
        } else {
            0
        };
        if changed {
            let action = if disabled {
                "account_disabled"
            } else {
                "account_enabled"
            };
            write_audit(store, sub, now, action, by.into()).await;
            tracing::info!(user = %sub, disabled, sessions_revoked, "account {}", if disabled { "disabled" } else { "enabled" });
        }
        Ok(Some(AccountChange {
            changed,
            sessions_revoked,
        }))
    }

    /// An administrator disables or enables an account (`POST
    /// /api/v1/admin/users/{sub}/disable|enable`): never their own (`OwnAccount`: they would
    /// need the operator's shell to get back in; another administrator or the CLI can). A
    /// disable closes the user's open app on this server at once (and a call it carries, as
    /// at a sign-out everywhere); other servers' at their next session check.
    pub async fn set_disabled(
        services: &Services,
        me: &Principal,
        sub: &str,
        disabled: bool,
    ) -> Result<AccountChange, ApiError> {
        admin_only(me)?;
        if disabled && sub == me.sub {
            return Err(ApiError::OwnAccount);
        }
        let now = services.clock.now_ms();
        let store = services.store.as_ref();
        let by = by_admin(me);
        let change = change_disabled(store, services.identity.as_ref(), sub, disabled, now, &by)
            .await?
            .ok_or(ApiError::NotFound)?;
        if disabled {
            services.telephony.sessions_revoked(Some(sub));
        }
        if change.changed {
            let action = if disabled {
                "admin_account_disabled"
            } else {
                "admin_account_enabled"
            };
            write_audit(store, &me.sub, now, action, sub.into()).await;
        }
        Ok(change)
    }

    /// The policy's values the page shows next to each override.
    fn defaults(policy: &SpendPolicy) -> SpendOverrides {
        SpendOverrides {
            calls_per_minute: Some(policy.calls_per_minute),
            calls_per_hour: Some(policy.calls_per_hour),
            minutes_per_day: Some(policy.minutes_per_day),
            max_call_secs: Some(policy.max_call_secs),
            velocity_exempt: false,
        }
    }

    /// The user as the page shows them, from their spend state (read without a second audit
    /// entry: the action or the look-up that read it is audited).
    pub async fn view(
        services: &Services,
        me: &Principal,
        sub: &str,
        state: SpendState,
    ) -> Result<AdminUser, ApiError> {
        let store = services.store.as_ref();
        Ok(AdminUser {
            sub: sub.into(),
            email: store.user_by_sub(sub).await?.map(|u| u.email),
            disabled_at: store.account_disabled(sub).await?,
            block: state.block,
            open_calls: state.open_calls,
            overrides: state.overrides,
            defaults: defaults(&services.spend_policy),
            is_me: sub == me.sub,
        })
    }

    /// Looks a user up by e-mail or sub ([`sub_of`]); audited as a view of their limits.
    pub async fn find(
        services: &Services,
        me: &Principal,
        user: &str,
    ) -> Result<AdminUser, ApiError> {
        admin_only(me)?;
        let sub = sub_of(services, user).await?;
        let now = services.clock.now_ms();
        let state = show(services.store.as_ref(), me, &sub, now).await?;
        view(services, me, &sub, state).await
    }

    /// The user after an action.
    pub async fn outcome(
        services: &Services,
        me: &Principal,
        sub: &str,
        changed: bool,
    ) -> Result<AdminOutcome, ApiError> {
        let state = services.store.spend_state(sub).await?;
        Ok(AdminOutcome {
            changed,
            user: view(services, me, sub, state).await?,
        })
    }
}

/// The users whose calls are blocked now, oldest first (administrators only).
#[server(endpoint = "admin/blocked", input = Json)]
pub async fn blocked_users() -> Result<Vec<BlockedUser>, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let now = services.clock.now_ms();
    ops::blocked(services.store.as_ref(), &me, now).await
}

/// A user by e-mail (embedded identity) or sub (administrators only).
#[server(endpoint = "admin/user", input = Json)]
pub async fn find_user(user: String) -> Result<AdminUser, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::find(&services, &me, &user).await
}

/// Lifts the user's velocity block (administrators only).
#[server(endpoint = "admin/lift", input = Json)]
pub async fn lift_block(sub: String) -> Result<AdminOutcome, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let now = services.clock.now_ms();
    let changed = ops::lift(services.store.as_ref(), &me, &sub, now).await?;
    ops::outcome(&services, &me, &sub, changed).await
}

/// Approves a new account (administrators only).
#[server(endpoint = "admin/approve", input = Json)]
pub async fn approve_user(sub: String) -> Result<AdminOutcome, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let now = services.clock.now_ms();
    let changed = ops::approve(services.store.as_ref(), &me, &sub, now).await?;
    ops::outcome(&services, &me, &sub, changed).await
}

/// Sets the user's overrides; all empty clears them (administrators only).
#[server(endpoint = "admin/overrides", input = Json)]
pub async fn set_overrides(
    sub: String,
    overrides: SpendOverrides,
) -> Result<AdminOutcome, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::admin_only(&me)?;
    let now = services.clock.now_ms();
    let before = services.store.spend_state(&sub).await?.overrides;
    ops::set_overrides(services.store.as_ref(), &me, &sub, overrides, now).await?;
    ops::outcome(&services, &me, &sub, before != overrides).await
}

/// Disables or enables the account (administrators only; never one's own).
#[server(endpoint = "admin/disabled", input = Json)]
pub async fn set_disabled(sub: String, disabled: bool) -> Result<AdminOutcome, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let change = ops::set_disabled(&services, &me, &sub, disabled).await?;
    ops::outcome(&services, &me, &sub, change.changed).await
}

/// A period's call analytics (administrators only): `from` and `to` are `YYYY-MM-DD` (UTC),
/// empty for the last 30 days.
#[server(endpoint = "admin/analytics", input = Json)]
pub async fn analytics_report(
    from: String,
    to: String,
    filter: Filter,
) -> Result<CallAnalytics, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let now = services.clock.now_ms();
    ops::analytics(services.store.as_ref(), &me, &from, &to, filter, now).await
}

/// The same as CSV, one line per rollup row (administrators only; docs/analytics.md).
#[server(endpoint = "admin/analytics_csv", input = Json)]
pub async fn analytics_csv(from: String, to: String, filter: Filter) -> Result<String, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let now = services.clock.now_ms();
    ops::analytics_csv(services.store.as_ref(), &me, &from, &to, filter, now).await
}
