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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountsConfig {
    pub sign_up: SignUpLimits,
}

impl AccountsArgs {
    pub fn resolve(&self) -> AccountsConfig {
        AccountsConfig {
            sign_up: SignUpLimits {
                per_address: self.signup_limit_per_address as usize,
                global: self.signup_limit_global as usize,
                window: Duration::from_secs(3600),
            },
        }
    }
}
