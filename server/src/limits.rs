//! `server limits show|lift|set <user>`: an operator's view of a user's spend limits (the
//! policy is `SOFTPHONE_LIMIT_*`; the store keeps each user's block and overrides). Every change
//! is written to the user's audit trail.

use app::api::ports::{write_audit, Clock, SpendState, Store};
use app::domain::spend::{SpendOverrides, VelocityRule};

use crate::config::{Config, ConfigError, LimitsCommand, LimitsSetArgs};
use crate::StartError;

/// The user's sub: an email is looked up among the local accounts; anything else is a sub.
pub(crate) async fn sub_of(store: &dyn Store, user: &str) -> Result<String, StartError> {
    if !user.contains('@') {
        return Ok(user.to_string());
    }
    match store.user_by_email(&user.trim().to_lowercase()).await? {
        Some(u) => Ok(u.sub),
        None => Err(StartError::Config(ConfigError::Parse(
            "no local account has this email (give the user's sub instead)".into(),
        ))),
    }
}

fn describe(state: &SpendState) -> String {
    let block = match state.block {
        Some(b) => format!(
            "blocked by {} since {}",
            b.rule.as_str(),
            app::domain::recordings::format_utc(b.at)
        ),
        None => "not blocked".into(),
    };
    let o = &state.overrides;
    let mut overrides = Vec::new();
    if let Some(v) = o.calls_per_minute {
        overrides.push(format!("calls per minute {v}"));
    }
    if let Some(v) = o.calls_per_hour {
        overrides.push(format!("calls per hour {v}"));
    }
    if let Some(v) = o.minutes_per_day {
        overrides.push(format!("minutes per day {v}"));
    }
    if let Some(v) = o.max_call_secs {
        overrides.push(format!("longest call {} min", v / 60));
    }
    if o.velocity_exempt {
        overrides.push("velocity rules off".into());
    }
    let overrides = if overrides.is_empty() {
        "none".into()
    } else {
        overrides.join(", ")
    };
    format!(
        "{block}\noverrides: {overrides}\nopen calls: {}",
        state.open_calls
    )
}

fn apply(mut o: SpendOverrides, args: &LimitsSetArgs) -> SpendOverrides {
    if args.clear {
        o = SpendOverrides::default();
    }
    o.calls_per_minute = args.calls_per_minute.or(o.calls_per_minute);
    o.calls_per_hour = args.calls_per_hour.or(o.calls_per_hour);
    o.minutes_per_day = args.minutes_per_day.or(o.minutes_per_day);
    o.max_call_secs = args.max_call_minutes.map(|m| m * 60).or(o.max_call_secs);
    o.velocity_exempt = args.velocity_exempt.unwrap_or(o.velocity_exempt);
    o
}

pub async fn run_cli(config: Config, command: LimitsCommand) -> Result<String, StartError> {
    let store = crate::open_store(&config).await?;
    let now = crate::clock::SystemClock.now_ms();
    match command {
        LimitsCommand::Show { user } => {
            let sub = sub_of(store.as_ref(), &user).await?;
            let state = store.spend_state(&sub).await?;
            // Every admin action is audited, reading a user's limits too.
            write_audit(
                store.as_ref(),
                &sub,
                now,
                "spend_limits_viewed",
                "cli".into(),
            )
            .await;
            Ok(describe(&state))
        }
        LimitsCommand::Lift { user } => {
            let sub = sub_of(store.as_ref(), &user).await?;
            if store.lift_block(&sub, now).await? {
                write_audit(
                    store.as_ref(),
                    &sub,
                    now,
                    "spend_block_lifted",
                    "cli".into(),
                )
                .await;
                Ok("block lifted".into())
            } else {
                Ok("not blocked: nothing to lift".into())
            }
        }
        LimitsCommand::Set(args) => {
            let sub = sub_of(store.as_ref(), &args.user).await?;
            let state = store.spend_state(&sub).await?;
            let overrides = apply(state.overrides, &args);
            store.set_spend_overrides(&sub, &overrides).await?;
            let detail = format!(
                "cli: {}",
                serde_json::to_string(&overrides).unwrap_or_default()
            );
            write_audit(store.as_ref(), &sub, now, "spend_overrides_set", detail).await;
            Ok(describe(&store.spend_state(&sub).await?))
        }
    }
}

/// `server users approve <user>`: lifts the block a new account starts with under
/// `SOFTPHONE_SIGNUP_APPROVAL=admin` (a velocity block stays: `server limits lift` is for those).
pub async fn approve(store: &dyn Store, user: &str, now: u64) -> Result<String, StartError> {
    let sub = sub_of(store, user).await?;
    let awaiting = store
        .spend_state(&sub)
        .await?
        .block
        .is_some_and(|b| b.rule == VelocityRule::AwaitingApproval);
    if awaiting && store.lift_block(&sub, now).await? {
        write_audit(store, &sub, now, "account_approved", "cli".into()).await;
        Ok("approved: the account may dial now".into())
    } else {
        Ok("not waiting for approval: nothing to do".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(args: &[&str]) -> LimitsSetArgs {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct P {
            #[command(flatten)]
            a: LimitsSetArgs,
        }
        P::try_parse_from(std::iter::once("set").chain(args.iter().copied()))
            .unwrap()
            .a
    }

    #[test]
    fn overrides_change_only_what_is_given() {
        let before = SpendOverrides {
            calls_per_hour: Some(10),
            ..SpendOverrides::default()
        };
        let after = apply(before, &set(&["ana", "--max-call-minutes", "5"]));
        assert_eq!(after.calls_per_hour, Some(10));
        assert_eq!(after.max_call_secs, Some(300));
        let cleared = apply(
            after,
            &set(&["ana", "--clear", "--velocity-exempt", "true"]),
        );
        assert_eq!(
            cleared,
            SpendOverrides {
                velocity_exempt: true,
                ..SpendOverrides::default()
            }
        );
    }
}
