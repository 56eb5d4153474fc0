//! `server` — run the softphone (default), or `server numbers check …` without starting it.

use std::process::ExitCode;

const USAGE: &str = "usage:
  server                 run the app (configuration from the environment; see README)
  server serve           the same
  server numbers check … check phone numbers against the dialling policy (server numbers check --help)
  server recordings retention [--dry-run]
                         delete recordings past their retention date now (--dry-run: list them)
  server dynamodb create-table
                         create the DynamoDB table SOFTPHONE_DYNAMODB_TABLE names, with its
                         indexes and time to live (does nothing if it is already there)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("numbers") => {
            let code = server::numbers::run_cli(
                &args[1..],
                std::io::stdin().lock(),
                std::io::stdout(),
                std::io::stderr(),
            );
            ExitCode::from(code as u8)
        }
        Some("recordings") => match args.get(1..).unwrap_or_default() {
            [a] if a == "retention" => retention(false),
            [a, b] if a == "retention" && b == "--dry-run" => retention(true),
            _ => {
                eprintln!("{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("dynamodb") => match args.get(1..).unwrap_or_default() {
            [a] if a == "create-table" => create_table(),
            _ => {
                eprintln!("{USAGE}");
                ExitCode::from(2)
            }
        },
        None | Some("serve") => run(),
        Some("-h") | Some("--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The configuration and an async runtime for a command, or the exit code saying why not.
fn prepare() -> Result<(server::config::Config, tokio::runtime::Runtime), ExitCode> {
    let config = server::config::Config::from_env().map_err(|e| {
        eprintln!("configuration error: {e}");
        ExitCode::from(2)
    })?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| {
        eprintln!("cannot start the async runtime: {e}");
        ExitCode::FAILURE
    })?;
    Ok((config, runtime))
}

fn run() -> ExitCode {
    if server::Role::from_env() == server::Role::Lambda
        && std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_none()
    {
        // API Gateway puts the stage (`/prod`) in front of every path; the app's routes are
        // at the root of the stage's URL. Set while the process has one thread.
        std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true");
    }
    let (config, runtime) = match prepare() {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    server::init_logging(&config.log_format);
    match runtime.block_on(server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn retention(dry_run: bool) -> ExitCode {
    let (config, runtime) = match prepare() {
        Ok(prepared) => prepared,
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

fn create_table() -> ExitCode {
    let (config, runtime) = match prepare() {
        Ok(prepared) => prepared,
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
