//! Account settings: how many sign-ups are allowed (`SOFTPHONE_SIGNUP_LIMIT_*`), who may sign up
//! (`SOFTPHONE_SIGNUP`, `SOFTPHONE_SIGNUP_DOMAINS`) and whether new accounts wait for an
//! administrator's approval before they can dial (`SOFTPHONE_SIGNUP_APPROVAL`).

use std::time::Duration;

use app::domain::sign_in_guard::SignUpLimits;
use app::domain::signup::{parse_domains, SignUpMode, SignUpPolicy};

use super::ConfigError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SignUpKind {
    /// Anyone may create an account (throttled per address and in total)
    Open,
    /// Only emails of SOFTPHONE_SIGNUP_DOMAINS
    Domains,
    /// Only with an administrator's invitation (`server users invite <email>`; Cognito: the
    /// administrator creates the user)
    Invite,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ApprovalKind {
    /// New accounts dial at once
    None,
    /// New accounts sign in but dial only once an administrator approved them
    Admin,
}

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
    /// Who may create an account
    #[arg(long, env = "SOFTPHONE_SIGNUP", value_enum, default_value_t = SignUpKind::Open)]
    signup: SignUpKind,
    /// With SOFTPHONE_SIGNUP=domains: the email domains that may sign up, comma-separated
    /// (`example.com,example.org`; a subdomain is another domain)
    #[arg(
        long,
        env = "SOFTPHONE_SIGNUP_DOMAINS",
        value_name = "DOMAINS",
        value_delimiter = ','
    )]
    signup_domains: Vec<String>,
    /// Whether a new account may dial at once, or only once an administrator approved it
    /// (`server users approve <email>`, or the admin REST API)
    #[arg(long, env = "SOFTPHONE_SIGNUP_APPROVAL", value_enum, default_value_t = ApprovalKind::None)]
    signup_approval: ApprovalKind,
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
    pub policy: SignUpPolicy,
    /// The local identity's access-token life.
    pub access_ttl: Duration,
    /// How often an open live channel re-checks its session.
    pub session_recheck: Duration,
}

impl AccountsArgs {
    pub fn resolve(&self) -> Result<AccountsConfig, ConfigError> {
        let domains = parse_domains(&self.signup_domains).map_err(|entry| {
            ConfigError::invalid(
                "SOFTPHONE_SIGNUP_DOMAINS",
                entry,
                "email domains such as example.com, comma-separated",
            )
        })?;
        let mode = match self.signup {
            SignUpKind::Open => SignUpMode::Open,
            SignUpKind::Invite => SignUpMode::Invite,
            SignUpKind::Domains if domains.is_empty() => {
                return Err(ConfigError::invalid(
                    "SOFTPHONE_SIGNUP_DOMAINS",
                    "",
                    "at least one domain with SOFTPHONE_SIGNUP=domains",
                ))
            }
            SignUpKind::Domains => SignUpMode::Domains(domains),
        };
        Ok(AccountsConfig {
            sign_up: SignUpLimits {
                per_address: self.signup_limit_per_address as usize,
                global: self.signup_limit_global as usize,
                window: Duration::from_secs(3600),
            },
            policy: SignUpPolicy {
                mode,
                approval_required: self.signup_approval == ApprovalKind::Admin,
            },
            access_ttl: Duration::from_secs(self.access_token_secs),
            session_recheck: Duration::from_secs(self.session_recheck_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    #[test]
    fn open_sign_up_without_approval_is_the_default() {
        let accounts = config(&[]).unwrap().accounts;
        assert_eq!(accounts.policy, SignUpPolicy::default());
    }

    #[test]
    fn domains_need_a_valid_list_and_approval_can_be_required() {
        let accounts = config(&[
            ("SOFTPHONE_SIGNUP", "domains"),
            ("SOFTPHONE_SIGNUP_DOMAINS", "Example.com, @example.org"),
            ("SOFTPHONE_SIGNUP_APPROVAL", "admin"),
        ])
        .unwrap()
        .accounts;
        assert_eq!(
            accounts.policy,
            SignUpPolicy {
                mode: SignUpMode::Domains(vec!["example.com".into(), "example.org".into()]),
                approval_required: true,
            }
        );
        for domains in ["", "localhost", "a b.com"] {
            let e = config(&[
                ("SOFTPHONE_SIGNUP", "domains"),
                ("SOFTPHONE_SIGNUP_DOMAINS", domains),
            ])
            .unwrap_err();
            assert!(e.to_string().contains("SOFTPHONE_SIGNUP_DOMAINS"), "{e}");
        }
        assert_eq!(
            config(&[("SOFTPHONE_SIGNUP", "invite")])
                .unwrap()
                .accounts
                .policy
                .mode,
            SignUpMode::Invite
        );
        assert!(config(&[("SOFTPHONE_SIGNUP", "closed")]).is_err());
    }
}
