//! Spend limits (toll fraud and runaway cost), sans-IO: a [`SpendPolicy`] evaluated over a
//! [`UsageSnapshot`] the store reads inside its admission step (`SpendStore::admit_call`), so
//! the limits hold across several servers sharing one store. The time is passed in.
//!
//! Defaults, for a team of agents who each place calls by hand:
//!
//! | limit | default | why |
//! | --- | --- | --- |
//! | concurrent calls per user | 1 | one headset, one call |
//! | concurrent calls, all users | 50 | a bound on the whole bill per minute; raise it for a larger team |
//! | calls per minute / per hour per user | 5 / 60 | a fast agent redials; a script does more |
//! | minutes per day per user (rolling 24 h) | 480 | a full shift on the phone |
//! | longest call | 2 h (accounts younger than 7 days: 20 min) | a stolen or scripted new account cannot hold premium lines for hours |
//! | many short calls | ≥ 5 answered calls under 10 s within 10 min → block | the IRSF probe pattern |
//! | sequential numbers | ≥ 3 consecutive calls to distinct numbers that differ only in the last 2 digits, within 1 h → block | walking a number range |
//! | new destinations | ≥ 10 distinct never-called numbers within 10 min → block | a burst no agent dials by hand |
//!
//! A velocity rule that trips blocks the user's calls until an admin lifts the block
//! (`server limits lift <email>`); the other refusals clear by themselves (`retry_after_secs`).

use serde::{Deserialize, Serialize};

const SECOND: u64 = 1000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// The numbers of the spend limits (a velocity rule's count 0 turns the rule off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendPolicy {
    pub user_concurrent: u32,
    pub global_concurrent: u32,
    pub calls_per_minute: u32,
    pub calls_per_hour: u32,
    pub minutes_per_day: u32,
    pub max_call_secs: u64,
    pub new_account_max_call_secs: u64,
    /// An account younger than this many days gets `new_account_max_call_secs`.
    pub new_account_days: u32,
    /// Answered calls that lasted under `short_call_secs`…
    pub short_call_secs: u64,
    /// …this many of them within `short_window_secs` block.
    pub short_calls: u32,
    pub short_window_secs: u64,
    /// This many consecutive calls to distinct numbers that share all but the last
    /// `sequential_digits` digits, within `sequential_window_secs`, block.
    pub sequential_calls: u32,
    pub sequential_digits: u32,
    pub sequential_window_secs: u64,
    /// This many distinct numbers never called before, within `new_destinations_window_secs`,
    /// block.
    pub new_destinations: u32,
    pub new_destinations_window_secs: u64,
}

impl Default for SpendPolicy {
    fn default() -> Self {
        SpendPolicy {
            user_concurrent: 1,
            global_concurrent: 50,
            calls_per_minute: 5,
            calls_per_hour: 60,
            minutes_per_day: 480,
            max_call_secs: 2 * 3600,
            new_account_max_call_secs: 20 * 60,
            new_account_days: 7,
            short_call_secs: 10,
            short_calls: 5,
            short_window_secs: 600,
            sequential_calls: 3,
            sequential_digits: 2,
            sequential_window_secs: 3600,
            new_destinations: 10,
            new_destinations_window_secs: 600,
        }
    }
}

/// An admin's per-user changes to the policy (absent: the server's value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_per_hour: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes_per_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_call_secs: Option<u64>,
    /// The velocity rules do not apply to this user (e.g. a dialling campaign an admin knows of).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub velocity_exempt: bool,
}

impl SpendOverrides {
    pub fn is_empty(&self) -> bool {
        *self == SpendOverrides::default()
    }
}

impl SpendPolicy {
    /// The policy for one user, with an admin's overrides.
    pub fn with(mut self, o: &SpendOverrides) -> SpendPolicy {
        self.calls_per_minute = o.calls_per_minute.unwrap_or(self.calls_per_minute);
        self.calls_per_hour = o.calls_per_hour.unwrap_or(self.calls_per_hour);
        self.minutes_per_day = o.minutes_per_day.unwrap_or(self.minutes_per_day);
        if let Some(max) = o.max_call_secs {
            self.max_call_secs = max;
            self.new_account_max_call_secs = max;
        }
        if o.velocity_exempt {
            self.short_calls = 0;
            self.sequential_calls = 0;
            self.new_destinations = 0;
        }
        self
    }
}

/// Why a user's calls are blocked until an admin lifts it: a velocity rule tripped, or a new
/// account waits for approval (`SOFTPHONE_SIGNUP_APPROVAL=admin`; `evaluate` never sets it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VelocityRule {
    ShortCalls,
    SequentialNumbers,
    NewDestinations,
    AwaitingApproval,
}

impl VelocityRule {
    pub fn as_str(self) -> &'static str {
        match self {
            VelocityRule::ShortCalls => "short_calls",
            VelocityRule::SequentialNumbers => "sequential_numbers",
            VelocityRule::NewDestinations => "new_destinations",
            VelocityRule::AwaitingApproval => "awaiting_approval",
        }
    }

    pub fn parse(s: &str) -> Option<VelocityRule> {
        [
            VelocityRule::ShortCalls,
            VelocityRule::SequentialNumbers,
            VelocityRule::NewDestinations,
            VelocityRule::AwaitingApproval,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A user's calls blocked by a velocity rule since `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub rule: VelocityRule,
    pub at: u64,
}

/// Why a call is refused before it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SpendRefusal {
    /// The user already has as many calls up as they may.
    CallInProgress,
    /// The whole service carries as many calls as it may.
    ServiceBusy { retry_after_secs: u64 },
    /// Too many calls in the last minute or hour.
    TooManyCalls { retry_after_secs: u64 },
    /// The user's minutes for the last 24 hours are used up.
    DailyMinutesUsed { retry_after_secs: u64 },
    /// A velocity rule tripped (now or earlier): only an admin can lift it.
    Blocked { rule: VelocityRule },
}

impl SpendRefusal {
    /// Needs an admin (a velocity block), rather than a wait.
    pub fn is_block(&self) -> bool {
        matches!(self, SpendRefusal::Blocked { .. })
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match *self {
            SpendRefusal::ServiceBusy { retry_after_secs }
            | SpendRefusal::TooManyCalls { retry_after_secs }
            | SpendRefusal::DailyMinutesUsed { retry_after_secs } => Some(retry_after_secs),
            SpendRefusal::CallInProgress | SpendRefusal::Blocked { .. } => None,
        }
    }

    /// For the audit trail and the logs (never the number).
    pub fn reason(&self) -> &'static str {
        match self {
            SpendRefusal::CallInProgress => "call_in_progress",
            SpendRefusal::ServiceBusy { .. } => "service_busy",
            SpendRefusal::TooManyCalls { .. } => "too_many_calls",
            SpendRefusal::DailyMinutesUsed { .. } => "daily_minutes_used",
            SpendRefusal::Blocked { rule } => rule.as_str(),
        }
    }
}

/// One of the user's recent calls, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageCall {
    pub started_at: u64,
    pub answered_at: Option<u64>,
    /// None while the call is up.
    pub ended_at: Option<u64>,
    pub e164: String,
    /// The user had never called this number before this call.
    pub new_destination: bool,
}

impl UsageCall {
    /// Talk time until `now` (an open answered call counts until now).
    fn talk_ms(&self, now: u64) -> u64 {
        match self.answered_at {
            Some(a) => self.ended_at.unwrap_or(now).saturating_sub(a),
            None => 0,
        }
    }
}

/// What the store knows at admission time: the user's calls of the last 24 hours (any order),
/// their open calls, every user's open calls, and the user's block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageSnapshot {
    pub calls: Vec<UsageCall>,
    pub user_open: u32,
    pub global_open: u32,
    pub block: Option<Block>,
    /// When an admin last lifted a block: the velocity rules count only calls since.
    pub velocity_since: u64,
}

/// How far back the store must read the user's calls.
pub const USAGE_WINDOW_MS: u64 = DAY;

/// The call being placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub e164: &'a str,
    /// The user has never called this number.
    pub new_destination: bool,
    /// When the account was created, if known (unknown: not a new account).
    pub account_created_at: Option<u64>,
}

/// An admitted call: it is ended when it has been answered for `max_duration_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admission {
    pub max_duration_ms: u64,
}

/// Whether `candidate` may be placed at `now`; an admission carries the call's longest
/// duration (the policy's, or the minutes left today if fewer).
pub fn evaluate(
    policy: &SpendPolicy,
    usage: &UsageSnapshot,
    candidate: &Candidate<'_>,
    now: u64,
) -> Result<Admission, SpendRefusal> {
    if let Some(block) = usage.block {
        return Err(SpendRefusal::Blocked { rule: block.rule });
    }
    if usage.user_open >= policy.user_concurrent {
        return Err(SpendRefusal::CallInProgress);
    }
    if usage.global_open >= policy.global_concurrent {
        return Err(SpendRefusal::ServiceBusy {
            retry_after_secs: 30,
        });
    }
    for (limit, window) in [
        (policy.calls_per_minute, MINUTE),
        (policy.calls_per_hour, HOUR),
    ] {
        if let Some(wait) = window_wait(usage, limit, window, now) {
            return Err(SpendRefusal::TooManyCalls {
                retry_after_secs: secs_up(wait),
            });
        }
    }
    let day_ms = u64::from(policy.minutes_per_day) * MINUTE;
    let in_day = |c: &&UsageCall| c.started_at + DAY > now;
    let used: u64 = usage
        .calls
        .iter()
        .filter(in_day)
        .map(|c| c.talk_ms(now))
        .sum();
    if used >= day_ms {
        // The oldest call of the day leaves the window first.
        let oldest = usage
            .calls
            .iter()
            .filter(in_day)
            .filter(|c| c.talk_ms(now) > 0)
            .map(|c| c.started_at)
            .min()
            .unwrap_or(now);
        return Err(SpendRefusal::DailyMinutesUsed {
            retry_after_secs: secs_up((oldest + DAY).saturating_sub(now)),
        });
    }
    if let Some(rule) = velocity(policy, usage, candidate, now) {
        return Err(SpendRefusal::Blocked { rule });
    }
    let new_account = candidate.account_created_at.is_some_and(|created| {
        now.saturating_sub(created) < u64::from(policy.new_account_days) * DAY
    });
    let max_secs = if new_account {
        policy.new_account_max_call_secs.min(policy.max_call_secs)
    } else {
        policy.max_call_secs
    };
    let max = max_secs * SECOND;
    Ok(Admission {
        max_duration_ms: max.min(day_ms - used),
    })
}

fn secs_up(ms: u64) -> u64 {
    ms.div_ceil(SECOND).max(1)
}

/// How long until a call fits in the sliding `window`, if `limit` calls started in it already.
fn window_wait(usage: &UsageSnapshot, limit: u32, window: u64, now: u64) -> Option<u64> {
    let mut starts: Vec<u64> = usage
        .calls
        .iter()
        .map(|c| c.started_at)
        .filter(|&at| at + window > now)
        .collect();
    if starts.len() < limit as usize {
        return None;
    }
    if limit == 0 {
        // No calls at all (an admin's override): a whole window, again and again.
        return Some(window);
    }
    starts.sort_unstable();
    // The call that must leave the window for one more to fit.
    let leaving = starts[starts.len() - limit as usize];
    Some((leaving + window).saturating_sub(now))
}

fn velocity(
    policy: &SpendPolicy,
    usage: &UsageSnapshot,
    candidate: &Candidate<'_>,
    now: u64,
) -> Option<VelocityRule> {
    let since = usage.velocity_since;
    let within = |secs: u64| {
        move |c: &&UsageCall| c.started_at + secs * SECOND > now && c.started_at >= since
    };
    if policy.short_calls > 0 {
        let short = usage
            .calls
            .iter()
            .filter(within(policy.short_window_secs))
            .filter(|c| c.ended_at.is_some() && c.answered_at.is_some())
            .filter(|c| c.talk_ms(now) < policy.short_call_secs * SECOND)
            .count();
        if short >= policy.short_calls as usize {
            return Some(VelocityRule::ShortCalls);
        }
    }
    if policy.sequential_calls > 0 {
        let prefix = |n: &str| -> Option<String> {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            let keep = digits
                .len()
                .checked_sub(policy.sequential_digits as usize)?;
            (keep > 0).then(|| digits[..keep].to_string())
        };
        if let Some(mine) = prefix(candidate.e164) {
            let mut recent: Vec<&UsageCall> = usage
                .calls
                .iter()
                .filter(within(policy.sequential_window_secs))
                .collect();
            recent.sort_by_key(|c| std::cmp::Reverse(c.started_at));
            let mut numbers = vec![candidate.e164];
            for c in recent {
                if prefix(&c.e164).as_deref() != Some(mine.as_str()) {
                    break;
                }
                if !numbers.contains(&c.e164.as_str()) {
                    numbers.push(c.e164.as_str());
                }
            }
            if numbers.len() >= policy.sequential_calls as usize {
                return Some(VelocityRule::SequentialNumbers);
            }
        }
    }
    if policy.new_destinations > 0 {
        let mut fresh: Vec<&str> = usage
            .calls
            .iter()
            .filter(within(policy.new_destinations_window_secs))
            .filter(|c| c.new_destination)
            .map(|c| c.e164.as_str())
            .collect();
        if candidate.new_destination {
            fresh.push(candidate.e164);
        }
        fresh.sort_unstable();
        fresh.dedup();
        if fresh.len() >= policy.new_destinations as usize {
            return Some(VelocityRule::NewDestinations);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = SECOND;
    const T0: u64 = 10 * DAY;

    /// Every rule off but the one a test sets.
    fn open_policy() -> SpendPolicy {
        SpendPolicy {
            user_concurrent: 1,
            global_concurrent: 1000,
            calls_per_minute: 1000,
            calls_per_hour: 1000,
            minutes_per_day: 100_000,
            max_call_secs: 7200,
            new_account_max_call_secs: 7200,
            new_account_days: 0,
            short_call_secs: 10,
            short_calls: 0,
            short_window_secs: 600,
            sequential_calls: 0,
            sequential_digits: 2,
            sequential_window_secs: 3600,
            new_destinations: 0,
            new_destinations_window_secs: 600,
        }
    }

    fn ended(start: u64, talk_secs: u64, e164: &str) -> UsageCall {
        UsageCall {
            started_at: start,
            answered_at: Some(start + 2 * S),
            ended_at: Some(start + 2 * S + talk_secs * S),
            e164: e164.into(),
            new_destination: false,
        }
    }

    fn usage(calls: Vec<UsageCall>) -> UsageSnapshot {
        UsageSnapshot {
            calls,
            ..UsageSnapshot::default()
        }
    }

    fn to(e164: &str) -> Candidate<'_> {
        Candidate {
            e164,
            new_destination: false,
            account_created_at: None,
        }
    }

    fn check(p: &SpendPolicy, u: &UsageSnapshot, now: u64) -> Result<Admission, SpendRefusal> {
        evaluate(p, u, &to("+6561110000"), now)
    }

    #[test]
    fn concurrent_calls_per_user_and_in_all() {
        let p = SpendPolicy {
            global_concurrent: 3,
            ..open_policy()
        };
        let mut u = UsageSnapshot::default();
        assert!(check(&p, &u, T0).is_ok());
        u.user_open = 1;
        assert_eq!(check(&p, &u, T0), Err(SpendRefusal::CallInProgress));
        u.user_open = 0;
        u.global_open = 2;
        assert!(check(&p, &u, T0).is_ok());
        u.global_open = 3;
        let refused = check(&p, &u, T0).unwrap_err();
        assert!(matches!(refused, SpendRefusal::ServiceBusy { .. }));
        assert!(!refused.is_block() && refused.retry_after_secs().is_some());
    }

    #[test]
    fn calls_per_minute_and_per_hour_are_sliding_windows() {
        let p = SpendPolicy {
            calls_per_minute: 3,
            calls_per_hour: 5,
            ..open_policy()
        };
        let calls = |starts: &[u64]| usage(starts.iter().map(|&s| ended(s, 60, "+1")).collect());
        let u = calls(&[T0, T0 + S]);
        assert!(check(&p, &u, T0 + 2 * S).is_ok(), "two in the minute");
        let u = calls(&[T0, T0 + S, T0 + 2 * S]);
        assert_eq!(
            check(&p, &u, T0 + 3 * S),
            Err(SpendRefusal::TooManyCalls {
                retry_after_secs: 57
            })
        );
        assert!(
            check(&p, &u, T0 + 60 * S).is_ok(),
            "the first left the minute"
        );
        let u = calls(&[T0, T0 + 100 * S, T0 + 200 * S, T0 + 300 * S, T0 + 400 * S]);
        assert_eq!(
            check(&p, &u, T0 + 500 * S),
            Err(SpendRefusal::TooManyCalls {
                retry_after_secs: 3100
            })
        );
        assert!(check(&p, &u, T0 + 3600 * S).is_ok());
        // An override of 0: no calls, without a panic on an empty window.
        let none = SpendPolicy {
            calls_per_minute: 0,
            ..open_policy()
        };
        assert_eq!(
            check(&none, &UsageSnapshot::default(), T0),
            Err(SpendRefusal::TooManyCalls {
                retry_after_secs: 60
            })
        );
    }

    #[test]
    fn minutes_per_day_bound_and_shorten_the_call() {
        let p = SpendPolicy {
            minutes_per_day: 10,
            ..open_policy()
        };
        // 9 minutes talked: one minute left, so the call may last one minute.
        let u = usage(vec![ended(T0, 9 * 60, "+1")]);
        assert_eq!(
            check(&p, &u, T0 + 3600 * S),
            Ok(Admission {
                max_duration_ms: 60 * S
            })
        );
        let u = usage(vec![ended(T0, 10 * 60, "+1")]);
        assert_eq!(
            check(&p, &u, T0 + 3600 * S),
            Err(SpendRefusal::DailyMinutesUsed {
                retry_after_secs: 23 * 3600
            })
        );
        assert!(
            check(&p, &u, T0 + DAY).is_ok(),
            "the call left the 24 hours"
        );
        let unanswered = UsageCall {
            answered_at: None,
            ..ended(T0, 10 * 60, "+1")
        };
        assert!(check(&p, &usage(vec![unanswered]), T0 + S).is_ok());
    }

    #[test]
    fn new_accounts_get_shorter_calls() {
        let p = SpendPolicy {
            new_account_days: 7,
            new_account_max_call_secs: 600,
            ..open_policy()
        };
        let u = UsageSnapshot::default();
        let by = |created| Candidate {
            account_created_at: created,
            ..to("+6561110000")
        };
        let max = |created, now| evaluate(&p, &u, &by(created), now).map(|a| a.max_duration_ms);
        assert_eq!(max(Some(T0), T0 + 7 * DAY - S), Ok(600 * S));
        assert_eq!(max(Some(T0), T0 + 7 * DAY), Ok(7200 * S));
        assert_eq!(max(None, T0), Ok(7200 * S), "unknown age: not new");
    }

    #[test]
    fn many_short_calls_block() {
        let p = SpendPolicy {
            short_calls: 5,
            ..open_policy()
        };
        let short = |n: u64, talk: u64| -> Vec<UsageCall> {
            (0..n).map(|i| ended(T0 + i * 60 * S, talk, "+1")).collect()
        };
        let now = T0 + 5 * 60 * S;
        assert!(check(&p, &usage(short(4, 9)), now).is_ok());
        assert!(
            check(&p, &usage(short(5, 10)), now).is_ok(),
            "10 s is not short"
        );
        let refused = check(&p, &usage(short(5, 9)), now).unwrap_err();
        assert_eq!(
            refused,
            SpendRefusal::Blocked {
                rule: VelocityRule::ShortCalls
            }
        );
        assert!(refused.is_block() && refused.retry_after_secs().is_none());
        assert!(
            check(&p, &usage(short(5, 9)), T0 + 600 * S).is_ok(),
            "the first left the 10 minutes"
        );
    }

    #[test]
    fn sequential_numbers_block() {
        let p = SpendPolicy {
            sequential_calls: 3,
            ..open_policy()
        };
        let seq = |numbers: &[&str]| {
            usage(
                numbers
                    .iter()
                    .enumerate()
                    .map(|(i, n)| ended(T0 + i as u64 * 60 * S, 30, n))
                    .collect(),
            )
        };
        let now = T0 + 600 * S;
        let blocked = Err(SpendRefusal::Blocked {
            rule: VelocityRule::SequentialNumbers,
        });
        assert_eq!(
            check(&p, &seq(&["+6561110001", "+6561110002"]), now),
            blocked
        );
        assert!(check(&p, &seq(&["+6561110001"]), now).is_ok(), "two only");
        assert!(
            check(&p, &seq(&["+6561110002", "+6561110002"]), now).is_ok(),
            "a redial is one number"
        );
        assert!(
            check(
                &p,
                &seq(&["+6561110001", "+6561110002", "+4420000000"]),
                now
            )
            .is_ok(),
            "not consecutive"
        );
        assert!(
            check(&p, &seq(&["+6561110101", "+6561111002"]), now).is_ok(),
            "they differ before the last two digits"
        );
        assert!(
            check(&p, &seq(&["+6561110001", "+6561110002"]), T0 + 3600 * S).is_ok(),
            "the first left the hour"
        );
    }

    #[test]
    fn many_new_destinations_block() {
        let p = SpendPolicy {
            new_destinations: 3,
            ..open_policy()
        };
        let fresh = |n: &str, at: u64| UsageCall {
            new_destination: true,
            ..ended(at, 60, n)
        };
        let u = usage(vec![fresh("+4411", T0), fresh("+4922", T0 + 60 * S)]);
        let candidate = |new| Candidate {
            new_destination: new,
            ..to("+3333")
        };
        let now = T0 + 120 * S;
        assert!(evaluate(&p, &u, &candidate(false), now).is_ok());
        assert_eq!(
            evaluate(&p, &u, &candidate(true), now),
            Err(SpendRefusal::Blocked {
                rule: VelocityRule::NewDestinations
            })
        );
        assert!(
            evaluate(&p, &u, &candidate(true), T0 + 600 * S).is_ok(),
            "the first left the 10 minutes"
        );
    }

    #[test]
    fn a_block_holds_until_lifted_and_overrides_apply() {
        let p = open_policy();
        let blocked = UsageSnapshot {
            block: Some(Block {
                rule: VelocityRule::ShortCalls,
                at: T0,
            }),
            ..UsageSnapshot::default()
        };
        assert!(check(&p, &blocked, T0 + 30 * DAY).is_err());
        // Lifted: the calls that tripped the rule no longer count.
        let p = SpendPolicy {
            short_calls: 1,
            ..open_policy()
        };
        let tripped = usage(vec![ended(T0, 1, "+1")]);
        assert!(check(&p, &tripped, T0 + 60 * S).is_err());
        let lifted = UsageSnapshot {
            velocity_since: T0 + 30 * S,
            ..tripped
        };
        assert!(check(&p, &lifted, T0 + 60 * S).is_ok());
        let p = SpendPolicy {
            sequential_calls: 2,
            ..SpendPolicy::default()
        };
        let exempt = p.with(&SpendOverrides {
            velocity_exempt: true,
            max_call_secs: Some(60),
            ..SpendOverrides::default()
        });
        let u = usage(vec![ended(T0, 30, "+6561110001")]);
        assert!(check(&p, &u, T0 + 600 * S).is_err());
        assert_eq!(
            check(&exempt, &u, T0 + 600 * S),
            Ok(Admission {
                max_duration_ms: 60 * S
            })
        );
    }
}
