//! Configuration from flags and environment variables (and an optional `.env`), parsed by clap
//! straight into the settings the adapters take, with errors that say which variable is wrong
//! and what it should be. Nothing set = the embedded default: data under `./data`, server on
//! `127.0.0.1:3000`. `server --help` lists every variable.

mod accounts;
mod aws;
mod chime;
mod cli;
mod cluster;
mod environment;
mod limits;
mod metrics;
mod push;
mod secret;
mod telephony;
mod turn;
mod voice_connector;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use accounts::AccountsConfig;
pub use aws::{IdentityConfig, RecordingsBackend, RecordingsConfig, StoreConfig};
pub use chime::ChimeConfig;
pub use cli::{
    parse, Cli, CliError, Command, Invocation, LimitsCommand, LimitsSetArgs, ProvisionArgs,
    UsersCommand,
};
pub use cluster::ClusterConfig;
pub use environment::Environment;
pub use metrics::{MetricsConfig, MetricsListen, DEFAULT_METRICS_ADDR};
pub use push::PushConfig;
pub use secret::Secret;
pub use telephony::{InboundTlsFiles, SipTransport, TelephonyConfig, TelephonyKind, Trunk};
pub use voice_connector::{VoiceConnectorArgs, VoiceConnectorCommand, VoiceConnectorProvisionArgs};
pub use web::TrustedProxies;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {expected}")]
    Invalid {
        name: String,
        value: String,
        expected: String,
    },
    /// Well-formed, but what it names cannot be used (checked at start-up).
    #[error("{name}={value:?}: {problem}")]
    Unusable {
        name: &'static str,
        value: String,
        problem: String,
    },
    #[error(".env: {0}")]
    DotEnv(String),
    /// A complaint from the parser that names no variable.
    #[error("{0}")]
    Parse(String),
}

impl ConfigError {
    fn invalid(name: &str, value: impl Into<String>, expected: &str) -> ConfigError {
        ConfigError::Invalid {
            name: name.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }
}

/// A value parser for any `FromStr` type that says what was expected (surrounding blanks
/// ignored).
fn parsed<T: std::str::FromStr>(
    expected: &'static str,
) -> impl Fn(&str) -> Result<T, &'static str> + Clone + Send + Sync + 'static {
    move |text| text.trim().parse().map_err(|_| expected)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line
    Json,
    /// Plain text
    Text,
}

/// The REST API's request rate per user: `burst` at once, then `per_second`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiLimits {
    pub burst: u32,
    pub per_second: u32,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The URL browsers use to reach the app; the local identity's issuer.
    pub public_url: String,
    pub log_format: LogFormat,
    /// Where the spans go as OTLP/HTTP (an OpenTelemetry collector); none: not exported.
    pub otlp_endpoint: Option<String>,
    /// At shutdown, how long the calls up may go on before they are hung up
    /// (`CallHub::shut_down`).
    pub shutdown_drain: std::time::Duration,
    pub store: StoreConfig,
    pub identity: IdentityConfig,
    /// Sign-up limits (and, with the local identity, who may sign up).
    pub accounts: AccountsConfig,
    pub api: ApiLimits,
    /// `Secure` on session cookies: off only for plain http on a loopback address.
    pub secure_cookies: bool,
    pub telephony: TelephonyConfig,
    pub recordings: RecordingsConfig,
    /// The Chime SDK PSTN Audio control plane (not used by any call path yet).
    pub chime: ChimeConfig,
    /// A TURN server whose credentials are made per user (`SOFTPHONE_TURN_*`).
    pub turn: Option<crate::calls::TurnRest>,
    /// The spend limits (`SOFTPHONE_LIMIT_*`).
    pub spend_policy: app::domain::spend::SpendPolicy,
    /// The proxies whose forwarding headers are believed (`SOFTPHONE_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// This server's id and lease among the servers on the store (`SOFTPHONE_SERVER_*`).
    pub cluster: ClusterConfig,
    /// Missed-call push notifications (`SOFTPHONE_VAPID_*`).
    pub push: PushConfig,
    /// `/metrics` and the EMF lines (`SOFTPHONE_METRICS_*`).
    pub metrics: MetricsConfig,
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("softphone.sqlite3")
    }

    pub fn signing_key_path(&self) -> PathBuf {
        self.data_dir.join("identity").join("signing-key.pk8")
    }

    /// The VAPID key generated for the embedded default (`SOFTPHONE_VAPID_PRIVATE_KEY` unset).
    pub fn vapid_key_path(&self) -> PathBuf {
        self.data_dir.join("push").join("vapid-private-key")
    }

    /// What browsers are given for their peer connections: `SOFTPHONE_ICE_SERVERS`, then the
    /// TURN server of `SOFTPHONE_TURN_*` with credentials made per user.
    pub fn ice_servers(&self) -> crate::calls::IceServers {
        crate::calls::IceServers::new(
            self.telephony.ice_servers.expose().clone(),
            self.turn.clone(),
        )
    }
}

/// Every setting, as flags with their environment variables (`server --help`).
#[derive(clap::Args, Debug)]
pub struct Settings {
    /// The address and port the server listens on
    #[arg(long, env = "LEPTOS_SITE_ADDR", value_name = "ADDR:PORT", default_value = "127.0.0.1:3000",
          value_parser = parsed::<SocketAddr>("an address and port such as 127.0.0.1:3000"))]
    addr: SocketAddr,
    /// Where the SQLite file, the signing key and recordings are kept
    #[arg(
        long,
        env = "SOFTPHONE_DATA_DIR",
        value_name = "DIR",
        default_value = "data"
    )]
    data_dir: PathBuf,
    /// The URL browsers use to reach the app [default: http://<LEPTOS_SITE_ADDR>]
    #[arg(long, env = "SOFTPHONE_PUBLIC_URL", value_name = "URL", value_parser = public_url)]
    public_url: Option<String>,
    /// The log format on stdout
    #[arg(long, env = "SOFTPHONE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    /// An OpenTelemetry collector's OTLP/HTTP address: the spans (requests, calls) are sent to
    /// <URL>/v1/traces [default: not exported]
    #[arg(long, env = "SOFTPHONE_OTLP_ENDPOINT", value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// At shutdown (SIGTERM, Ctrl-C), how long the calls up may go on before they are hung up;
    /// no new call is taken meanwhile. A second signal hangs them up at once
    #[arg(long, env = "SOFTPHONE_SHUTDOWN_DRAIN_SECS", value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    shutdown_drain_secs: u64,
    /// REST requests a user may make at once
    #[arg(long, env = "SOFTPHONE_API_BURST", value_name = "REQUESTS", default_value_t = crate::rest::BURST,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    api_burst: u32,
    /// REST requests per second per user after the burst
    #[arg(long, env = "SOFTPHONE_API_RATE", value_name = "PER_SECOND", default_value_t = crate::rest::PER_SECOND,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    api_rate: u32,
    #[command(flatten)]
    store: aws::StoreArgs,
    #[command(flatten)]
    identity: aws::IdentityArgs,
    #[command(flatten)]
    accounts: accounts::AccountsArgs,
    #[command(flatten)]
    recordings: aws::RecordingsArgs,
    #[command(flatten)]
    telephony: telephony::TelephonyArgs,
    #[command(flatten)]
    chime: chime::ChimeArgs,
    #[command(flatten)]
    turn: turn::TurnArgs,
    #[command(flatten)]
    limits: limits::LimitArgs,
    #[command(flatten)]
    web: web::WebArgs,
    #[command(flatten)]
    cluster: cluster::ClusterArgs,
    #[command(flatten)]
    push: push::PushArgs,
    #[command(flatten)]
    metrics: metrics::MetricsArgs,
}

fn public_url(text: &str) -> Result<String, &'static str> {
    let url = text.trim_end_matches('/');
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    if scheme_ok && !url.contains(char::is_whitespace) {
        Ok(url.into())
    } else {
        Err("an http:// or https:// URL such as https://phone.example.com")
    }
}

impl Settings {
    /// The checks that span variables, and the values that follow from others.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let public_url = self
            .public_url
            .unwrap_or_else(|| format!("http://{}", self.addr));
        let plain_http_on_loopback =
            public_url.starts_with("http://") && self.addr.ip().is_loopback();
        let push = self.push.resolve(&public_url);
        Ok(Config {
            addr: self.addr,
            public_url,
            log_format: self.log_format,
            otlp_endpoint: self.otlp_endpoint.filter(|e| !e.trim().is_empty()),
            shutdown_drain: std::time::Duration::from_secs(self.shutdown_drain_secs),
            store: self.store.resolve()?,
            identity: self.identity.resolve()?,
            accounts: self.accounts.resolve()?,
            api: ApiLimits {
                burst: self.api_burst,
                per_second: self.api_rate,
            },
            secure_cookies: !plain_http_on_loopback,
            telephony: self.telephony.resolve()?,
            recordings: self.recordings.resolve(&self.data_dir)?,
            chime: self.chime.resolve(),
            turn: self.turn.resolve()?,
            spend_policy: self.limits.resolve(),
            trusted_proxies: self.web.resolve(),
            cluster: self.cluster.resolve(),
            push,
            metrics: self.metrics.resolve(),
            data_dir: self.data_dir,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The configuration `server` would run with in this environment (and nothing else).
    pub(crate) fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env = Environment::from_pairs(vars.iter().copied());
        match parse(["server"], || Ok(env)) {
            Ok(Invocation::Serve(config)) => Ok(config),
            Ok(_) => panic!("not serve"),
            Err(CliError::Config(e)) => Err(e),
            Err(CliError::Usage(e)) => panic!("usage: {e}"),
        }
    }

    #[test]
    fn defaults_are_the_embedded_shape() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(!c.secure_cookies, "plain http on loopback");
        assert_eq!(c.database_path(), PathBuf::from("data/softphone.sqlite3"));
    }

    #[test]
    fn secure_cookies_everywhere_else() {
        assert!(
            config(&[("LEPTOS_SITE_ADDR", "0.0.0.0:3000")])
                .unwrap()
                .secure_cookies
        );
        let c = config(&[("SOFTPHONE_PUBLIC_URL", "https://phone.example.com/")]).unwrap();
        assert!(c.secure_cookies);
        assert_eq!(c.public_url, "https://phone.example.com");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("LEPTOS_SITE_ADDR", "localhost")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"LEPTOS_SITE_ADDR="localhost" is not valid: an address and port such as 127.0.0.1:3000"#
        );
        assert!(config(&[("SOFTPHONE_PUBLIC_URL", "ftp://x")]).is_err());
        assert_eq!(
            config(&[("SOFTPHONE_LOG_FORMAT", "xml")])
                .unwrap_err()
                .to_string(),
            r#"SOFTPHONE_LOG_FORMAT="xml" is not valid: json or text"#
        );
        let e = config(&[("SOFTPHONE_API_BURST", "0")]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(r#"SOFTPHONE_API_BURST="0" is not valid: "#),
            "{e}"
        );
    }

    #[test]
    fn api_limits_default_and_are_checked() {
        assert_eq!(
            config(&[]).unwrap().api,
            ApiLimits {
                burst: crate::rest::BURST,
                per_second: crate::rest::PER_SECOND
            }
        );
        assert_eq!(
            config(&[("SOFTPHONE_API_RATE", "500")])
                .unwrap()
                .api
                .per_second,
            500
        );
        for (name, value) in [("SOFTPHONE_API_RATE", "0"), ("SOFTPHONE_API_BURST", "lots")] {
            match config(&[(name, value)]) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_dotenv_file_under_the_real_environment() {
        let dotenv = "\
# The shape for a demo box
export SOFTPHONE_LOG_FORMAT=text
SOFTPHONE_PUBLIC_URL='https://phone.example.com'   # single quotes
SOFTPHONE_TRUNK=\"sip.example.com:5060\"
SOFTPHONE_TRUNK_PASSWORD=\"p#ss word\"
SOFTPHONE_RECORDING_RETENTION_DAYS=30
";
        let mut env = Environment::from_dotenv(dotenv.as_bytes()).unwrap();
        env.overlay([(
            "SOFTPHONE_RECORDING_RETENTION_DAYS".to_string(),
            "7".to_string(),
        )]);
        let c = match parse(["server"], || Ok(env)) {
            Ok(Invocation::Serve(c)) => c,
            _ => panic!("serve"),
        };
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.public_url, "https://phone.example.com");
        assert_eq!(c.recordings.retention_days, 7, "the environment wins");
        match c.telephony.trunk {
            Trunk::Sip {
                target, password, ..
            } => {
                assert_eq!(target, "sip.example.com:5060");
                assert_eq!(password.as_ref().map(Secret::expose).unwrap(), "p#ss word");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_flag_wins_over_the_environment() {
        let env = Environment::from_pairs([("SOFTPHONE_LOG_FORMAT", "json")]);
        match parse(["server", "--log-format", "text"], || Ok(env)) {
            Ok(Invocation::Serve(c)) => assert_eq!(c.log_format, LogFormat::Text),
            _ => panic!("serve"),
        }
    }
}
