//! Account settings: how many sign-ups are allowed (`SOFTPHONE_SIGNUP_LIMIT_*`).

use std::time::Duration;

use app::domain::sign_in_guard::SignUpLimits;

#[derive(clap::Args, Debug)]
pub struct AccountsArgs {
    /// Sign-ups (and confirmations) per client address per hour (IPv6: per /64)
    #[arg(long, env = "SOFTPHONE_SIGNUP_LIMIT_PER_ADDRESS", value_name = "PER_HOUR", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    signup_limit_per_address: u32,
    /// Sign-ups (and confirmations) per hour from all addresses together
    #[arg(long, env = "SOFTPHONE_SIGNUP_LIMIT_GLOBAL", value_name = "PER_HOUR", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    signup_limit_global: u32,
    /// Life of the local identity's access tokens, in seconds (a live channel re-checks its
    /// session when its token expires)
    #[arg(long, env = "SOFTPHONE_ACCESS_TOKEN_SECS", value_name = "SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    access_token_secs: u64,
    /// How often an open live channel checks that its session still stands, in seconds
    /// (catches sign-outs on other servers of the same store; this server's own are at once)
    #[arg(long, env = "SOFTPHONE_SESSION_RECHECK_SECS", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    session_recheck_secs: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountsConfig {
    pub sign_up: SignUpLimits,
    /// The local identity's access-token life.
    pub access_ttl: Duration,
    /// How often an open live channel re-checks its session.
    pub session_recheck: Duration,
}

impl AccountsArgs {
    pub fn resolve(&self) -> AccountsConfig {
        AccountsConfig {
            sign_up: SignUpLimits {
                per_address: self.signup_limit_per_address as usize,
                global: self.signup_limit_global as usize,
                window: Duration::from_secs(3600),
            },
            access_ttl: Duration::from_secs(self.access_token_secs),
            session_recheck: Duration::from_secs(self.session_recheck_secs),
        }
    }
}
