//! The spend limits (`SOFTPHONE_LIMIT_*`): the numbers of `app::domain::spend::SpendPolicy`,
//! enforced by the store for every server on it. The rules' windows are fixed (see the
//! policy's documentation); a velocity rule's count of 0 turns it off.

use app::domain::spend::SpendPolicy;

const D: fn() -> SpendPolicy = SpendPolicy::default;

#[derive(clap::Args, Debug)]
pub struct LimitArgs {
    /// Calls one user may have up at once
    #[arg(long, env = "SOFTPHONE_LIMIT_USER_CONCURRENT_CALLS", value_name = "CALLS", default_value_t = D().user_concurrent,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    limit_user_concurrent_calls: u32,
    /// Calls all users together may have up at once (every server on the store)
    #[arg(long, env = "SOFTPHONE_LIMIT_CONCURRENT_CALLS", value_name = "CALLS", default_value_t = D().global_concurrent,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    limit_concurrent_calls: u32,
    /// Calls a user may place in any minute
    #[arg(long, env = "SOFTPHONE_LIMIT_CALLS_PER_MINUTE", value_name = "CALLS", default_value_t = D().calls_per_minute,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit_calls_per_minute: u32,
    /// Calls a user may place in any hour
    #[arg(long, env = "SOFTPHONE_LIMIT_CALLS_PER_HOUR", value_name = "CALLS", default_value_t = D().calls_per_hour,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    limit_calls_per_hour: u32,
    /// Talk minutes a user may use in any 24 hours
    #[arg(long, env = "SOFTPHONE_LIMIT_MINUTES_PER_DAY", value_name = "MINUTES", default_value_t = D().minutes_per_day,
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    limit_minutes_per_day: u32,
    /// The longest call, in minutes (it is ended then)
    #[arg(long, env = "SOFTPHONE_LIMIT_MAX_CALL_MINUTES", value_name = "MINUTES", default_value_t = D().max_call_secs / 60,
          value_parser = clap::value_parser!(u64).range(1..=1440))]
    limit_max_call_minutes: u64,
    /// The longest call of an account younger than SOFTPHONE_LIMIT_NEW_ACCOUNT_DAYS, in minutes
    #[arg(long, env = "SOFTPHONE_LIMIT_NEW_ACCOUNT_MAX_CALL_MINUTES", value_name = "MINUTES", default_value_t = D().new_account_max_call_secs / 60,
          value_parser = clap::value_parser!(u64).range(1..=1440))]
    limit_new_account_max_call_minutes: u64,
    /// How many days an account counts as new (0: never)
    #[arg(long, env = "SOFTPHONE_LIMIT_NEW_ACCOUNT_DAYS", value_name = "DAYS", default_value_t = D().new_account_days,
          value_parser = clap::value_parser!(u32).range(0..=365))]
    limit_new_account_days: u32,
    /// Answered calls under 10 s within 10 minutes that block the user (0: off)
    #[arg(long, env = "SOFTPHONE_LIMIT_SHORT_CALLS", value_name = "CALLS", default_value_t = D().short_calls,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    limit_short_calls: u32,
    /// Consecutive calls within an hour to numbers differing only in the last 2 digits that block the user (0: off)
    #[arg(long, env = "SOFTPHONE_LIMIT_SEQUENTIAL_CALLS", value_name = "CALLS", default_value_t = D().sequential_calls,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    limit_sequential_calls: u32,
    /// Numbers never called before, within 10 minutes, that block the user (0: off)
    #[arg(long, env = "SOFTPHONE_LIMIT_NEW_DESTINATIONS", value_name = "NUMBERS", default_value_t = D().new_destinations,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    limit_new_destinations: u32,
}

impl LimitArgs {
    pub fn resolve(&self) -> SpendPolicy {
        SpendPolicy {
            user_concurrent: self.limit_user_concurrent_calls,
            global_concurrent: self.limit_concurrent_calls,
            calls_per_minute: self.limit_calls_per_minute,
            calls_per_hour: self.limit_calls_per_hour,
            minutes_per_day: self.limit_minutes_per_day,
            max_call_secs: self.limit_max_call_minutes * 60,
            new_account_max_call_secs: self.limit_new_account_max_call_minutes * 60,
            new_account_days: self.limit_new_account_days,
            short_calls: self.limit_short_calls,
            sequential_calls: self.limit_sequential_calls,
            new_destinations: self.limit_new_destinations,
            ..SpendPolicy::default()
        }
    }
}
