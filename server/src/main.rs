//! `server` — run the softphone (default), or one of its commands (`server --help`).

use std::process::ExitCode;

use server::config::{CliError, Config, Environment, Invocation};

/// lambda_http reads this from the environment only.
const IGNORE_STAGE: &str = "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH";

fn main() -> ExitCode {
    // Before anything is created: the database, keys and recordings are this user's alone.
    server::private_files::restrict_new_files();
    let invocation = match server::config::parse(std::env::args_os(), Environment::from_process) {
        Ok(invocation) => invocation,
        Err(CliError::Usage(e)) => e.exit(),
        Err(CliError::Config(e)) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    match invocation {
        Invocation::Serve(config) => {
            if server::Role::from_env() == server::Role::Lambda
                && std::env::var_os(IGNORE_STAGE).is_none()
            {
                return restart_without_stage();
            }
            run(config)
        }
        Invocation::NumbersCheck(check) => {
            let code = server::numbers::run_cli(
                &check,
                std::io::stdin().lock(),
                std::io::stdout(),
                std::io::stderr(),
            );
            ExitCode::from(code as u8)
        }
        Invocation::RecordingsRetention { config, dry_run } => retention(config, dry_run),
        Invocation::DynamodbCreateTable(config) => create_table(config),
        Invocation::ChimeProvision { config, args } => chime_provision(config, args),
        Invocation::VoiceConnectorProvision { config, args } => {
            voice_connector_provision(config, args)
        }
        Invocation::VoiceConnectorCheck { config, args } => voice_connector_check(config, args),
        Invocation::Limits { config, command } => limits(config, command),
        Invocation::Users { config, command } => users(config, command),
    }
}

fn users(config: Config, command: server::config::UsersCommand) -> ExitCode {
    print_outcome(server::users_cli(config, command))
}

/// Runs an operator command to its end: what it did on stdout (exit 0), or its error on stderr
/// (exit 1).
fn print_outcome<T: std::fmt::Display, E: std::fmt::Display>(
    command: impl std::future::Future<Output = Result<T, E>>,
) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(command) {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// API Gateway puts the stage (`/prod`) in front of every path; the app's routes are at the
/// root of the stage's URL. The process starts again with [`IGNORE_STAGE`] set, as changing
/// the environment of a running process is not sound.
fn restart_without_stage() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find this program to set {IGNORE_STAGE}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut command = std::process::Command::new(exe);
    command
        .args(std::env::args_os().skip(1))
        .env(IGNORE_STAGE, "true");
    #[cfg(unix)]
    let error = std::os::unix::process::CommandExt::exec(&mut command);
    #[cfg(not(unix))]
    let error = match command.status() {
        Ok(status) => return ExitCode::from(status.code().unwrap_or(1) as u8),
        Err(e) => e,
    };
    eprintln!("cannot start again with {IGNORE_STAGE}: {error}");
    ExitCode::FAILURE
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Runtime::new().map_err(|e| {
        eprintln!("cannot start the async runtime: {e}");
        ExitCode::FAILURE
    })
}

fn run(config: Config) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    server::init_logging(&config.log_format, config.otlp_endpoint.as_deref());
    match runtime.block_on(server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn retention(config: Config, dry_run: bool) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(server::retention_cli(config, dry_run)) {
        Ok(n) => {
            eprintln!(
                "{n} recording(s) {}",
                if dry_run {
                    "past retention (nothing deleted)"
                } else {
                    "deleted"
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn limits(config: Config, command: server::config::LimitsCommand) -> ExitCode {
    print_outcome(server::limits::run_cli(config, command))
}

fn create_table(config: Config) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(server::create_table_cli(config)) {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn chime_provision(config: Config, args: server::config::ProvisionArgs) -> ExitCode {
    let (Some(lambda_arn), Some(caller_id)) = (args.lambda_arn, config.chime.caller_id) else {
        eprintln!(
            "error: chime provision needs the handler's Lambda ARN (--lambda-arn or \
             SOFTPHONE_CHIME_SMA_LAMBDA_ARN) and the caller ID (SOFTPHONE_CHIME_CALLER_ID)"
        );
        return ExitCode::from(2);
    };
    let request = server::chime::provision::ProvisionRequest {
        name: args.name,
        lambda_arn,
        caller_id,
        dry_run: args.dry_run,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(server::chime::provision_cli(&request)) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn voice_connector_request(
    config: &Config,
    args: server::config::VoiceConnectorArgs,
) -> server::chime::voice_connector::VoiceConnectorRequest {
    server::chime::voice_connector::VoiceConnectorRequest {
        name: args.name,
        region: args.region,
        gateway_addresses: args.gateway_addresses,
        calling_regions: args.calling_regions,
        cps_limit: args.cps_limit,
        caller_id: config.telephony.caller_id.clone(),
        numbers: args.numbers,
    }
}

fn voice_connector_provision(
    config: Config,
    args: server::config::VoiceConnectorProvisionArgs,
) -> ExitCode {
    use server::chime::voice_connector::{provision, CredentialsFile, Options};
    let request = voice_connector_request(&config, args.connector);
    let options = Options {
        dry_run: args.dry_run,
        rotate_credentials: args.rotate_credentials,
        credentials_file: CredentialsFile::new(args.credentials_file),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let result = runtime.block_on(async {
        let client = server::chime::voice_connector_client(&request.region).await;
        provision(&client, &request, &options).await
    });
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn voice_connector_check(config: Config, args: server::config::VoiceConnectorArgs) -> ExitCode {
    let request = voice_connector_request(&config, args);
    let trunk_username = match &config.telephony.trunk {
        server::config::Trunk::Sip { username, .. } => username.clone(),
        server::config::Trunk::Simulator => None,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let result = runtime.block_on(async {
        let client = server::chime::voice_connector_client(&request.region).await;
        server::chime::voice_connector::check(&client, &request, trunk_username.as_deref()).await
    });
    match result {
        Ok(report) => {
            println!("{report}");
            if report.all_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
