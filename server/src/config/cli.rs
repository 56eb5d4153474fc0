//! The command line: `server` (run the app) and its commands, with the settings as flags and
//! environment variables. clap reads the environment given here (the process's over `.env`),
//! never the process's directly, so tests and `.env` see the same parser.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches};

use super::voice_connector::{
    VoiceConnectorArgs, VoiceConnectorCommand, VoiceConnectorProvisionArgs,
};
use super::{Config, ConfigError, Environment, Settings};
use crate::numbers::CheckArgs;

#[derive(clap::Parser, Debug)]
#[command(
    name = "server",
    about = "The softphone: runs the app (no command, or serve), or one of the commands below.",
    after_help = "Every option can be set with the environment variable shown, or in a .env file in the working directory (the environment wins). See README.md, Configuration."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Run the app (the same as no command)
    Serve,
    /// Phone numbers and the dialling policy
    #[command(subcommand)]
    Numbers(NumbersCommand),
    /// Recordings kept by the configured back end
    #[command(subcommand)]
    Recordings(RecordingsCommand),
    /// The DynamoDB table of SOFTPHONE_STORE=dynamodb
    #[command(subcommand)]
    Dynamodb(DynamodbCommand),
    /// Amazon Chime SDK PSTN Audio (SOFTPHONE_TELEPHONY=chime)
    #[command(subcommand)]
    Chime(ChimeCommand),
    /// A user's spend limits: see them, lift a velocity block, set overrides
    #[command(subcommand)]
    Limits(LimitsCommand),
    /// Accounts of the embedded identity (SOFTPHONE_IDENTITY=local)
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum LimitsCommand {
    /// Show a user's velocity block, overrides and open calls
    Show {
        /// The user's email (local accounts) or sub
        user: String,
    },
    /// Lift a user's velocity block (the calls that tripped it no longer count)
    Lift {
        /// The user's email (local accounts) or sub
        user: String,
    },
    /// Set a user's overrides of the SOFTPHONE_LIMIT_* values (the ones given)
    Set(LimitsSetArgs),
}

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct LimitsSetArgs {
    /// The user's email (local accounts) or sub
    pub user: String,
    /// Drop every override first
    #[arg(long)]
    pub clear: bool,
    #[arg(long, value_name = "CALLS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub calls_per_minute: Option<u32>,
    #[arg(long, value_name = "CALLS", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub calls_per_hour: Option<u32>,
    #[arg(long, value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub minutes_per_day: Option<u32>,
    #[arg(long, value_name = "MINUTES", value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub max_call_minutes: Option<u64>,
    /// Whether the velocity rules skip this user (a campaign an admin knows of)
    #[arg(long, value_name = "BOOL")]
    pub velocity_exempt: Option<bool>,
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum UsersCommand {
    /// Print a one-time password-reset link for the account (valid 24 hours; the code is
    /// shown here only, never logged); give it to the user
    ResetLink {
        /// The account's email
        email: String,
    },
    /// Print a one-time invitation link to sign up as this email (SOFTPHONE_SIGNUP=invite;
    /// valid 7 days; the code is shown here only, never logged); give it to the person
    Invite {
        /// The email the invitation is for (sign-up with another email is refused)
        email: String,
    },
    /// Approve a new account (SOFTPHONE_SIGNUP_APPROVAL=admin): it may dial from now on
    Approve {
        /// The user's email (local accounts) or sub (Cognito)
        user: String,
    },
    /// Give the account the administrator role (the admin REST endpoints, the Numbers page);
    /// its next sign-in or token refresh carries it
    GrantAdmin {
        /// The account's email
        email: String,
    },
    /// Take the administrator role away; the account's tokens stop carrying it at once
    RevokeAdmin {
        /// The account's email
        email: String,
    },
    /// Disable the account: its sign-ins and tokens (integration tokens too) are refused at
    /// once, its sessions end, its open app closes at the server's next session check
    Disable {
        /// The user's email (local accounts) or sub (Cognito)
        user: String,
    },
    /// Enable a disabled account again: it may sign in (its ended sessions stay ended)
    Enable {
        /// The user's email (local accounts) or sub (Cognito)
        user: String,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum NumbersCommand {
    /// Check phone numbers against the dialling policy (no configuration needed)
    Check(CheckArgs),
}

#[derive(clap::Subcommand, Debug)]
pub enum RecordingsCommand {
    /// Delete recordings past their retention date now; safe next to a running server
    Retention {
        /// List what would be deleted, and delete nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum DynamodbCommand {
    /// Create the table SOFTPHONE_DYNAMODB_TABLE names, with its indexes and time to live
    /// (does nothing if it is already there)
    CreateTable,
}

#[derive(clap::Subcommand, Debug)]
pub enum ChimeCommand {
    /// Check the caller ID (SOFTPHONE_CHIME_CALLER_ID) in the account's phone numbers, then
    /// create or update the SIP media application and its SIP rule; changes nothing when all
    /// is in place
    Provision(ProvisionArgs),
    /// The Voice Connector the gateway's SIP leg calls through (SOFTPHONE_TRUNK): make it as
    /// the app needs it, or check it
    #[command(subcommand)]
    VoiceConnector(VoiceConnectorCommand),
}

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ProvisionArgs {
    /// The SIP media application's name (a later run finds it by this name)
    #[arg(long, env = "SOFTPHONE_CHIME_SMA_NAME", default_value = "softphone")]
    pub name: String,
    /// The ARN of the handler's Lambda function (the stack's SmaFunctionArn output); the
    /// application is made in its Region
    #[arg(long, env = "SOFTPHONE_CHIME_SMA_LAMBDA_ARN", value_name = "ARN")]
    pub lambda_arn: Option<String>,
    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// What the command line asks for, with the configuration when the command needs one.
#[derive(Debug)]
pub enum Invocation {
    Serve(Config),
    NumbersCheck(CheckArgs),
    RecordingsRetention {
        config: Config,
        dry_run: bool,
    },
    DynamodbCreateTable(Config),
    ChimeProvision {
        config: Config,
        args: ProvisionArgs,
    },
    VoiceConnectorProvision {
        config: Config,
        args: VoiceConnectorProvisionArgs,
    },
    VoiceConnectorCheck {
        config: Config,
        args: VoiceConnectorArgs,
    },
    Limits {
        config: Config,
        command: LimitsCommand,
    },
    Users {
        config: Config,
        command: UsersCommand,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A usage error, or `--help`: clap prints it and knows the exit code.
    #[error(transparent)]
    Usage(clap::Error),
    #[error(transparent)]
    Config(ConfigError),
}

/// Parses `args` (the program name first). The environment is read only for the commands
/// that need the configuration, so `--help` and `numbers check` work with a broken one.
pub fn parse<I, T>(
    args: I,
    environment: impl FnOnce() -> Result<Environment, ConfigError>,
) -> Result<Invocation, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let shape = command(&Environment::default())
        .try_get_matches_from(&args)
        .map_err(|e| CliError::Usage(with_env_names(e, &args)))?;
    if let Ok(Cli {
        command: Some(Command::Numbers(NumbersCommand::Check(check))),
        ..
    }) = Cli::from_arg_matches(&shape)
    {
        return Ok(Invocation::NumbersCheck(check));
    }
    let environment = environment().map_err(CliError::Config)?;
    let cli = command(&environment)
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .map_err(|e| CliError::Config(config_error(&e)))?;
    let config = cli.settings.resolve().map_err(CliError::Config)?;
    Ok(match cli.command {
        None | Some(Command::Serve) => Invocation::Serve(config),
        Some(Command::Numbers(NumbersCommand::Check(check))) => Invocation::NumbersCheck(check),
        Some(Command::Recordings(RecordingsCommand::Retention { dry_run })) => {
            Invocation::RecordingsRetention { config, dry_run }
        }
        Some(Command::Dynamodb(DynamodbCommand::CreateTable)) => {
            Invocation::DynamodbCreateTable(config)
        }
        Some(Command::Chime(ChimeCommand::Provision(args))) => {
            Invocation::ChimeProvision { config, args }
        }
        Some(Command::Chime(ChimeCommand::VoiceConnector(VoiceConnectorCommand::Provision(
            args,
        )))) => Invocation::VoiceConnectorProvision { config, args },
        Some(Command::Chime(ChimeCommand::VoiceConnector(VoiceConnectorCommand::Check(args)))) => {
            Invocation::VoiceConnectorCheck { config, args }
        }
        Some(Command::Limits(command)) => Invocation::Limits { config, command },
        Some(Command::Users(command)) => Invocation::Users { config, command },
    })
}

/// The command with `environment` as each variable's value. clap reads the process
/// environment when an argument is built, so that is dropped and the value given instead
/// (as the default: a flag on the command line still wins).
fn command(environment: &Environment) -> clap::Command {
    with_environment(Cli::command(), environment)
}

/// [`command`] for `cmd` and, the same way, each of its subcommands' own options.
fn with_environment(cmd: clap::Command, environment: &Environment) -> clap::Command {
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    let cmd = cmd.mut_args(|arg| {
        let value = arg
            .get_env()
            .and_then(|name| name.to_str())
            .and_then(|name| environment.get(name))
            .map(str::to_owned);
        let arg = arg.env(None::<&str>);
        match value {
            Some(value) => arg.default_value(value),
            None => arg,
        }
    });
    subcommands.iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| with_environment(sub, environment))
    })
}

/// `--help` from the command as declared, which shows each option's `[env: …]`.
fn with_env_names(error: clap::Error, args: &[OsString]) -> clap::Error {
    if error.kind() != ErrorKind::DisplayHelp {
        return error;
    }
    Cli::command()
        .try_get_matches_from(args)
        .err()
        .unwrap_or(error)
}

/// clap's complaint about a value, as the variable it came from and what it should be.
fn config_error(error: &clap::Error) -> ConfigError {
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let mut declared = Cli::command();
    // An argument shows itself as clap's messages do once the command is built.
    declared.build();
    let arg = text(ContextKind::InvalidArg).and_then(|shown| {
        declared
            .get_arguments()
            .find(|arg| arg.to_string() == shown)
    });
    let name = arg
        .and_then(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned());
    // A malformed secret is still close to the real one: it stays out of the message.
    let value = match arg {
        Some(arg) if arg.is_hide_env_values_set() => "(hidden)".to_string(),
        _ => text(ContextKind::InvalidValue).unwrap_or_default(),
    };
    let expected = match error.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(values)) => one_of(values),
        _ => std::error::Error::source(error)
            .map(ToString::to_string)
            .unwrap_or_else(|| error.kind().to_string()),
    };
    match name {
        Some(name) => ConfigError::Invalid {
            name,
            value,
            expected,
        },
        None => ConfigError::Parse(error.to_string()),
    }
}

/// `a, b or c`.
fn one_of(values: &[String]) -> String {
    match values.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(args: &[&str], vars: &[(&str, &str)]) -> Result<Invocation, CliError> {
        let env = Environment::from_pairs(vars.iter().copied());
        parse(args.iter().copied(), || Ok(env))
    }

    #[test]
    fn the_commands() {
        assert!(matches!(
            parse_with(&["server"], &[]),
            Ok(Invocation::Serve(_))
        ));
        assert!(matches!(
            parse_with(&["server", "serve"], &[]),
            Ok(Invocation::Serve(_))
        ));
        assert!(matches!(
            parse_with(&["server", "recordings", "retention", "--dry-run"], &[]),
            Ok(Invocation::RecordingsRetention { dry_run: true, .. })
        ));
        assert!(matches!(
            parse_with(&["server", "recordings", "retention"], &[]),
            Ok(Invocation::RecordingsRetention { dry_run: false, .. })
        ));
        assert!(matches!(
            parse_with(&["server", "dynamodb", "create-table"], &[]),
            Ok(Invocation::DynamodbCreateTable(_))
        ));
        for bad in [
            &["server", "bogus"][..],
            &["server", "recordings"],
            &["server", "recordings", "retention", "--all"],
        ] {
            match parse_with(bad, &[]) {
                Err(CliError::Usage(e)) => assert_eq!(e.exit_code(), 2, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn chime_provision_takes_flags_or_the_environment() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:sma";
        match parse_with(
            &[
                "server",
                "chime",
                "provision",
                "--dry-run",
                "--lambda-arn",
                arn,
            ],
            &[],
        ) {
            Ok(Invocation::ChimeProvision { args, .. }) => assert_eq!(
                args,
                ProvisionArgs {
                    name: "softphone".into(),
                    lambda_arn: Some(arn.into()),
                    dry_run: true,
                }
            ),
            other => panic!("{other:?}"),
        }
        match parse_with(
            &["server", "chime", "provision"],
            &[
                ("SOFTPHONE_CHIME_SMA_NAME", "office"),
                ("SOFTPHONE_CHIME_SMA_LAMBDA_ARN", arn),
                ("SOFTPHONE_CHIME_CALLER_ID", "+6531590000"),
            ],
        ) {
            Ok(Invocation::ChimeProvision { config, args }) => {
                assert_eq!(args.name, "office");
                assert_eq!(args.lambda_arn.as_deref(), Some(arn));
                assert!(!args.dry_run);
                assert_eq!(config.chime.caller_id.as_deref(), Some("+6531590000"));
            }
            other => panic!("{other:?}"),
        }
        // A flag wins over the environment; no ARN parses (provision says what is missing).
        match parse_with(
            &["server", "chime", "provision", "--name", "flag"],
            &[("SOFTPHONE_CHIME_SMA_NAME", "env")],
        ) {
            Ok(Invocation::ChimeProvision { args, .. }) => {
                assert_eq!(args.name, "flag");
                assert_eq!(args.lambda_arn, None);
            }
            other => panic!("{other:?}"),
        }
        match parse_with(&["server", "chime"], &[]) {
            Err(CliError::Usage(e)) => assert_eq!(e.exit_code(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn voice_connector_commands_take_flags_or_the_environment() {
        match parse_with(
            &[
                "server",
                "chime",
                "voice-connector",
                "provision",
                "--dry-run",
                "--gateway-address",
                "203.0.113.7",
                "--gateway-address",
                "198.51.100.4",
            ],
            &[("SOFTPHONE_CALLER_ID", "+6531590000")],
        ) {
            Ok(Invocation::VoiceConnectorProvision { config, args }) => {
                assert_eq!(
                    args,
                    VoiceConnectorProvisionArgs {
                        connector: VoiceConnectorArgs {
                            name: "softphone".into(),
                            region: "us-east-1".into(),
                            gateway_addresses: vec!["203.0.113.7".into(), "198.51.100.4".into()],
                            calling_regions: vec!["PA".into(), "SG".into()],
                            cps_limit: 1,
                            numbers: vec![],
                        },
                        credentials_file: ".env".into(),
                        rotate_credentials: false,
                        dry_run: true,
                    }
                );
                assert_eq!(config.telephony.caller_id, "+6531590000");
            }
            other => panic!("{other:?}"),
        }
        match parse_with(
            &["server", "chime", "voice-connector", "check"],
            &[
                ("SOFTPHONE_VOICE_CONNECTOR_NAME", "office"),
                ("SOFTPHONE_VOICE_CONNECTOR_REGION", "us-west-2"),
                (
                    "SOFTPHONE_VOICE_CONNECTOR_GATEWAY_ADDRESS",
                    "203.0.113.7,198.51.100.4",
                ),
                ("SOFTPHONE_VOICE_CONNECTOR_CALLING_REGIONS", "SG"),
                ("SOFTPHONE_VOICE_CONNECTOR_CPS_LIMIT", "5"),
                ("SOFTPHONE_VOICE_CONNECTOR_NUMBERS", "+50720001234"),
            ],
        ) {
            Ok(Invocation::VoiceConnectorCheck { args, .. }) => assert_eq!(
                args,
                VoiceConnectorArgs {
                    name: "office".into(),
                    region: "us-west-2".into(),
                    gateway_addresses: vec!["203.0.113.7".into(), "198.51.100.4".into()],
                    calling_regions: vec!["SG".into()],
                    cps_limit: 5,
                    numbers: vec!["+50720001234".into()],
                }
            ),
            other => panic!("{other:?}"),
        }
        match parse_with(
            &[
                "server",
                "chime",
                "voice-connector",
                "provision",
                "--rotate-credentials",
                "--credentials-file",
                "/etc/softphone/env",
            ],
            &[],
        ) {
            Ok(Invocation::VoiceConnectorProvision { args, .. }) => {
                assert!(args.rotate_credentials);
                assert!(!args.dry_run);
                assert_eq!(
                    args.credentials_file,
                    std::path::PathBuf::from("/etc/softphone/env")
                );
                assert!(args.connector.gateway_addresses.is_empty());
            }
            other => panic!("{other:?}"),
        }
        // A malformed number is refused before anything else.
        let bad = [("SOFTPHONE_VOICE_CONNECTOR_NUMBERS", "+65 3159")];
        match parse_with(&["server", "chime", "voice-connector", "check"], &bad) {
            Err(CliError::Config(e)) => assert!(e.to_string().contains("--number"), "{e}"),
            other => panic!("{other:?}"),
        }
        match parse_with(&["server", "chime", "voice-connector"], &[]) {
            Err(CliError::Usage(e)) => assert_eq!(e.exit_code(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_check_needs_no_configuration() {
        let broken = || Err(ConfigError::DotEnv("not read".into()));
        assert!(matches!(
            parse(["server", "numbers", "check", "+6581234567"], broken),
            Ok(Invocation::NumbersCheck(_))
        ));
        assert!(matches!(
            parse_with(
                &["server", "numbers", "check", "1"],
                &[("SOFTPHONE_LOG_FORMAT", "xml")]
            ),
            Ok(Invocation::NumbersCheck(_))
        ));
        assert!(matches!(
            parse(["server"], broken),
            Err(CliError::Config(ConfigError::DotEnv(_)))
        ));
    }

    #[test]
    fn help_shows_the_variables() {
        match parse_with(&["server", "--help"], &[]) {
            Err(CliError::Usage(e)) => {
                assert_eq!(e.exit_code(), 0);
                let help = e.to_string();
                for name in [
                    "SOFTPHONE_DATA_DIR",
                    "SOFTPHONE_TRUNK_PASSWORD",
                    "LEPTOS_SITE_ADDR",
                ] {
                    assert!(help.contains(&format!("[env: {name}")), "{name}: {help}");
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_option_has_a_variable() {
        let declared = Cli::command();
        let options: Vec<_> = declared
            .get_arguments()
            .filter(|arg| arg.get_long().is_some_and(|l| l != "help"))
            .collect();
        assert_eq!(options.len(), 79);
        for arg in options {
            assert!(arg.get_env().is_some(), "--{:?}", arg.get_long());
        }
    }

    #[test]
    fn one_of_reads_as_a_list() {
        assert_eq!(
            one_of(&["udp".into(), "tcp".into(), "tls".into()]),
            "udp, tcp or tls"
        );
        assert_eq!(one_of(&["json".into(), "text".into()]), "json or text");
    }
}
