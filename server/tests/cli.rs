//! The real binary's command line: `--help` for `server` and each command, and a bad value
//! that stops it with a message naming the variable.

use std::process::{Command, Output};

/// The binary in an empty directory (no `.env` of the developer's) without our variables.
fn server(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = std::env::temp_dir().join(format!("softphone-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.current_dir(&dir).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("SOFTPHONE_") || name.starts_with("LEPTOS_") {
            command.env_remove(name);
        }
    }
    let output = command.envs(env.iter().copied()).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn server_help_lists_the_commands_and_every_variable() {
    let output = server(
        &["--help"],
        &[
            ("SOFTPHONE_TRUNK_PASSWORD", "hunter2-trunk"),
            (
                "SOFTPHONE_TURN_SECRET",
                "turn-secret-of-32-characters-or-more",
            ),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let help = stdout(&output);
    for command in ["serve", "numbers", "recordings", "dynamodb", "chime"] {
        // A command's own line, not a variable's name that contains the word.
        assert!(
            help.contains(&format!("\n  {command} ")),
            "{command}: {help}"
        );
    }
    for name in [
        "LEPTOS_SITE_ADDR",
        "SOFTPHONE_DATA_DIR",
        "SOFTPHONE_STORE",
        "SOFTPHONE_COGNITO_USER_POOL_ID",
        "SOFTPHONE_RECORDINGS_BUCKET",
        "SOFTPHONE_TRUNK_PASSWORD",
        "SOFTPHONE_RECORDING_RETENTION_DAYS",
        "SOFTPHONE_TURN_URLS",
        "SOFTPHONE_TURN_SECRET",
        "SOFTPHONE_TURN_TTL",
    ] {
        assert!(help.contains(&format!("[env: {name}")), "{name}: {help}");
    }
    assert!(!help.contains("hunter2-trunk"), "{help}");
    assert!(!help.contains("turn-secret-of-32"), "{help}");
}

#[test]
fn each_command_has_help() {
    for (args, says) in [
        (&["serve", "--help"][..], "Run the app"),
        (&["numbers", "--help"], "check"),
        (&["numbers", "check", "--help"], "--stdin"),
        (&["recordings", "--help"], "retention"),
        (&["recordings", "retention", "--help"], "--dry-run"),
        (&["dynamodb", "--help"], "create-table"),
        (
            &["dynamodb", "create-table", "--help"],
            "SOFTPHONE_DYNAMODB_TABLE",
        ),
        (&["chime", "--help"], "provision"),
        (
            &["chime", "provision", "--help"],
            "SOFTPHONE_CHIME_SMA_LAMBDA_ARN",
        ),
        (&["chime", "--help"], "voice-connector"),
        (&["chime", "voice-connector", "--help"], "check"),
        (
            &["chime", "voice-connector", "provision", "--help"],
            "SOFTPHONE_VOICE_CONNECTOR_GATEWAY_ADDRESS",
        ),
        (
            &["chime", "voice-connector", "provision", "--help"],
            "--rotate-credentials",
        ),
        (
            &["chime", "voice-connector", "check", "--help"],
            "exit status 1",
        ),
    ] {
        let output = server(args, &[]);
        assert!(output.status.success(), "{args:?}: {output:?}");
        assert!(
            stdout(&output).contains(says),
            "{args:?}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn a_bad_value_names_the_variable() {
    let output = server(
        &["recordings", "retention", "--dry-run"],
        &[
            ("SOFTPHONE_STORE", "dynamodb"),
            ("SOFTPHONE_DYNAMODB_TABLE", "bad table!"),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"SOFTPHONE_DYNAMODB_TABLE="bad table!" is not valid"#),
        "{stderr}"
    );
    let output = server(&[], &[("SOFTPHONE_LOG_FORMAT", "xml")]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"SOFTPHONE_LOG_FORMAT="xml" is not valid: json or text"#),
        "{stderr}"
    );
}

#[test]
fn a_malformed_secret_is_not_repeated_in_the_error() {
    let output = server(
        &[],
        &[
            ("SOFTPHONE_TURN_URLS", "turn:turn.example.com:3478"),
            ("SOFTPHONE_TURN_SECRET", "hunter2-too-short"),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"SOFTPHONE_TURN_SECRET="(hidden)" is not valid"#),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_usage_error_exits_2_and_numbers_check_runs_without_configuration() {
    let output = server(&["bogus"], &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let output = server(
        &["numbers", "check", "+65 8123 4567"],
        &[("SOFTPHONE_LOG_FORMAT", "xml")],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout(&output).contains("\"e164\":\"+6581234567\""),
        "{output:?}"
    );
}

#[test]
fn a_dotenv_file_in_the_working_directory_is_read_under_the_environment() {
    let dir = std::env::temp_dir().join(format!("softphone-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".env"),
        "# broken on purpose, but the environment wins\nexport SOFTPHONE_LOG_FORMAT='xml'\nSOFTPHONE_STORE=\"postgres\" # no such store\n",
    )
    .unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .current_dir(&dir)
            .args(["dynamodb", "create-table"])
            .env_remove("SOFTPHONE_LOG_FORMAT")
            .env_remove("SOFTPHONE_STORE")
            .envs(env.iter().copied());
        command.output().unwrap()
    };
    let output = run(&[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(r#"SOFTPHONE_LOG_FORMAT="xml""#), "{stderr}");
    let output = run(&[("SOFTPHONE_LOG_FORMAT", "text")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(r#"SOFTPHONE_STORE="postgres""#), "{stderr}");
    let output = run(&[
        ("SOFTPHONE_LOG_FORMAT", "text"),
        ("SOFTPHONE_STORE", "sqlite"),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("create-table needs SOFTPHONE_STORE=dynamodb"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chime_provision_names_what_it_is_missing_before_asking_aws() {
    let output = server(&["chime", "provision", "--dry-run"], &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in [
        "SOFTPHONE_CHIME_SMA_LAMBDA_ARN",
        "SOFTPHONE_CHIME_CALLER_ID",
    ] {
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
    let output = server(
        &["chime", "provision", "--dry-run", "--lambda-arn", "sma"],
        &[("SOFTPHONE_CHIME_CALLER_ID", "+6531590000")],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"--lambda-arn "sma" is not a Lambda function ARN"#),
        "{stderr}"
    );
}

#[test]
fn voice_connector_commands_refuse_bad_inputs_before_asking_aws() {
    let output = server(
        &[
            "chime",
            "voice-connector",
            "provision",
            "--dry-run",
            "--gateway-address",
            "192.168.1.20",
        ],
        &[("SOFTPHONE_CALLER_ID", "+6531590000")],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"--gateway-address "192.168.1.20": not a public address"#),
        "{stderr}"
    );
    let output = server(
        &[
            "chime",
            "voice-connector",
            "check",
            "--calling-regions",
            "PA,SG,US",
        ],
        &[
            ("SOFTPHONE_CALLER_ID", "+6531590000"),
            ("SOFTPHONE_VOICE_CONNECTOR_GATEWAY_ADDRESS", "203.0.113.7"),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(r#"calling region "US""#), "{stderr}");
}

/// The binary on a data directory of the test's (the helper above uses a throw-away one).
fn server_on(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.current_dir(dir).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("SOFTPHONE_") || name.starts_with("LEPTOS_") {
            command.env_remove(name);
        }
    }
    command
        .env("SOFTPHONE_DATA_DIR", dir.join("data"))
        .output()
        .unwrap()
}

#[tokio::test]
async fn limits_show_lift_and_set_a_users_block_and_overrides() {
    use app::api::ports::{AdmitError, SpendStore};
    use app::domain::calls::CallRecord;
    use app::domain::spend::{SpendPolicy, SpendRefusal};

    let dir = std::env::temp_dir().join(format!("softphone-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    {
        // Three consecutive numbers: the third trips the velocity rule and blocks the user.
        let store = server::store::SqliteStore::open(&dir.join("data").join("softphone.sqlite3"))
            .await
            .unwrap();
        let policy = SpendPolicy::default();
        let now = 1_800_000_000_000u64;
        for (i, n) in ["+6561110001", "+6561110002"].into_iter().enumerate() {
            let at = now + i as u64 * 60_000;
            let mut call = CallRecord::outbound(format!("c{i}"), n.into(), at);
            store
                .admit_call("sub-ana", &call, &policy, None, at)
                .await
                .unwrap();
            call.ended_at = Some(at + 30_000);
            app::api::ports::CallStore::update_call(&store, "sub-ana", &call)
                .await
                .unwrap();
        }
        let third = CallRecord::outbound("c2".into(), "+6561110003".into(), now + 120_000);
        assert!(matches!(
            store
                .admit_call("sub-ana", &third, &policy, None, now + 120_000)
                .await,
            Err(AdmitError::Refused(SpendRefusal::Blocked { .. }))
        ));
    }
    let show = server_on(&dir, &["limits", "show", "sub-ana"]);
    assert!(show.status.success(), "{show:?}");
    assert!(
        stdout(&show).contains("blocked by sequential_numbers"),
        "{show:?}"
    );
    let lift = server_on(&dir, &["limits", "lift", "sub-ana"]);
    assert!(stdout(&lift).contains("block lifted"), "{lift:?}");
    let again = server_on(&dir, &["limits", "lift", "sub-ana"]);
    assert!(stdout(&again).contains("nothing to lift"), "{again:?}");
    let set = server_on(
        &dir,
        &[
            "limits",
            "set",
            "sub-ana",
            "--max-call-minutes",
            "5",
            "--velocity-exempt",
            "true",
        ],
    );
    assert!(set.status.success(), "{set:?}");
    let show = stdout(&server_on(&dir, &["limits", "show", "sub-ana"]));
    assert!(show.contains("not blocked"), "{show}");
    assert!(
        show.contains("longest call 5 min, velocity rules off"),
        "{show}"
    );
    let unknown = server_on(&dir, &["limits", "show", "nobody@example.com"]);
    assert!(!unknown.status.success(), "{unknown:?}");
    // Every admin action is in the user's audit trail, marked as the CLI's.
    let store = server::store::SqliteStore::open(&dir.join("data").join("softphone.sqlite3"))
        .await
        .unwrap();
    let trail: Vec<(String, String)> =
        app::api::ports::AuditStore::list_audit(&store, "sub-ana", 20)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.action, e.detail))
            .collect();
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "spend_limits_viewed",
            "spend_overrides_set",
            "spend_block_lifted",
            "spend_limits_viewed"
        ],
        "{trail:?}"
    );
    assert!(trail.iter().all(|(_, d)| d.starts_with("cli")), "{trail:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A log of what the in-process identity writes, to check it for secrets.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

#[tokio::test]
async fn users_reset_link_prints_a_one_time_link_that_resets_the_password_and_logs_no_code() {
    use std::sync::Arc;

    use app::api::ports::{AuthError, ClientAddr, Identity, ResetDelivery, Store};
    use server::identity::{LocalIdentity, LocalIdentityConfig, SigningKey};

    let log = LogBuffer::default();
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(log.clone())
            .finish(),
    );
    let dir = std::env::temp_dir().join(format!("softphone-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store: Arc<dyn Store> = Arc::new(
        server::store::SqliteStore::open(&dir.join("softphone.sqlite3"))
            .await
            .unwrap(),
    );
    let (key, _) = SigningKey::generate().unwrap();
    let identity = LocalIdentity::new(
        LocalIdentityConfig::new("http://127.0.0.1:3000".into()),
        store.clone(),
        Arc::new(server::clock::SystemClock),
        Arc::new(key),
    )
    .await
    .unwrap();
    let from = ClientAddr("192.0.2.10".parse().unwrap());
    let email = "agent@reset.example.com";
    identity
        .sign_up(email, "Old-passw0rd!", from)
        .await
        .unwrap();
    // Self-service asks for the administrator and issues nothing.
    assert_eq!(
        identity.forgot_password(email, from).await,
        Ok(ResetDelivery::Administrator)
    );

    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command.current_dir(&dir).args(args);
        for (name, _) in std::env::vars() {
            if name.starts_with("SOFTPHONE_") || name.starts_with("LEPTOS_") {
                command.env_remove(name);
            }
        }
        command
            .env("SOFTPHONE_DATA_DIR", &dir)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap()
    };
    let output = run(&["users", "reset-link", "nobody@reset.example.com"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no account with this email"),
        "{output:?}"
    );

    let output = run(&["users", "reset-link", " Agent@Reset.example.com "]);
    assert!(output.status.success(), "{output:?}");
    let printed = stdout(&output);
    let link = printed
        .lines()
        .find(|l| l.starts_with("http://127.0.0.1:3000/forgot#code="))
        .unwrap_or_else(|| panic!("no link in {printed}"));
    let code = app::domain::auth::fragment_param(link.split_once('#').unwrap().1, "code").unwrap();
    assert!(code.len() >= 22, "{code}");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains(&code),
        "the code went to the command's log: {output:?}"
    );

    assert_eq!(
        identity
            .confirm_forgot_password(email, "wrong-code", "New-passw0rd!", from)
            .await,
        Err(AuthError::InvalidResetCode)
    );
    identity
        .confirm_forgot_password(email, &code, "New-passw0rd!", from)
        .await
        .unwrap();
    assert_eq!(
        identity.sign_in(email, "Old-passw0rd!", from).await,
        Err(AuthError::InvalidCredentials)
    );
    identity
        .sign_in(email, "New-passw0rd!", from)
        .await
        .unwrap();
    // One use only.
    assert_eq!(
        identity
            .confirm_forgot_password(email, &code, "Other-passw0rd!", from)
            .await,
        Err(AuthError::InvalidResetCode)
    );
    let sub = store.user_by_email(email).await.unwrap().unwrap().sub;
    let actions: Vec<String> = store
        .list_audit(&sub, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.iter().any(|a| a == "password_reset_link_issued"),
        "{actions:?}"
    );

    let logged = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    assert!(
        logged.contains("account created"),
        "the log capture works: {logged}"
    );
    assert!(!logged.contains(&code), "{logged}");
    assert!(!logged.contains("reset_code"), "{logged}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn users_disable_refuses_sign_in_ends_sessions_and_enable_restores_sign_in() {
    use std::sync::Arc;

    use app::api::ports::{AuthError, ClientAddr, Identity, Store};
    use server::identity::{LocalIdentity, LocalIdentityConfig, SigningKey};

    // A subscriber of this thread's own, listening to everything: the identity's log lines
    // first seen here must not be cached as of interest to no one, which the reset-link test
    // beside this one (its log captured on its own thread) would then miss.
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::sink)
            .finish(),
    );
    let dir = std::env::temp_dir().join(format!("softphone-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let store: Arc<dyn Store> = Arc::new(
        server::store::SqliteStore::open(&dir.join("data").join("softphone.sqlite3"))
            .await
            .unwrap(),
    );
    let (key, _) = SigningKey::generate().unwrap();
    let identity = LocalIdentity::new(
        LocalIdentityConfig::new("http://127.0.0.1:3000".into()),
        store.clone(),
        Arc::new(server::clock::SystemClock),
        Arc::new(key),
    )
    .await
    .unwrap();
    let from = ClientAddr("192.0.2.10".parse().unwrap());
    let password = "Corr3ct-horse!";
    identity
        .sign_up("ana@example.com", password, from)
        .await
        .unwrap();
    let laptop = identity
        .sign_in("ana@example.com", password, from)
        .await
        .unwrap();
    let phone = identity
        .sign_in("ana@example.com", password, from)
        .await
        .unwrap();
    let sub = identity
        .verify_access(&laptop.access_token)
        .await
        .unwrap()
        .sub;

    // Unknown accounts are refused to the operator, by email and by sub.
    for unknown in ["nobody@example.com", "no-such-sub"] {
        let output = server_on(&dir, &["users", "disable", unknown]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("no "),
            "{output:?}"
        );
    }

    let output = server_on(&dir, &["users", "disable", " Ana@Example.com "]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("disabled"), "{output:?}");
    assert!(stdout(&output).contains("2 sessions ended"), "{output:?}");
    // Sign-in is refused by name (with the right password), both sessions are ended, and the
    // access tokens minted before are refused at once.
    assert_eq!(
        identity
            .sign_in("ana@example.com", password, from)
            .await
            .err(),
        Some(AuthError::AccountDisabled)
    );
    for tokens in [&laptop, &phone] {
        assert!(identity
            .refresh(tokens.refresh_token.as_deref().unwrap())
            .await
            .is_err());
        assert_eq!(
            identity.verify_access(&tokens.access_token).await,
            Err(AuthError::AccountDisabled)
        );
    }
    let again = server_on(&dir, &["users", "disable", &sub]);
    assert!(again.status.success(), "{again:?}");
    assert!(stdout(&again).contains("already disabled"), "{again:?}");

    let output = server_on(&dir, &["users", "enable", &sub]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("enabled"), "{output:?}");
    let back = identity
        .sign_in("ana@example.com", password, from)
        .await
        .unwrap();
    identity.verify_access(&back.access_token).await.unwrap();
    // Enabling restores sign-in, not the sessions the disable ended.
    assert!(identity
        .refresh(laptop.refresh_token.as_deref().unwrap())
        .await
        .is_err());
    let again = server_on(&dir, &["users", "enable", "ana@example.com"]);
    assert!(stdout(&again).contains("not disabled"), "{again:?}");

    // The user's trail, newest first, marked as the CLI's.
    let trail: Vec<(String, String)> = store
        .list_audit(&sub, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .filter(|(a, _)| a.starts_with("account_") || a == "sign_in_refused")
        .collect();
    assert_eq!(
        trail,
        [
            ("account_enabled".to_string(), "cli".to_string()),
            (
                "sign_in_refused".to_string(),
                "account disabled".to_string()
            ),
            ("account_disabled".to_string(), "cli".to_string()),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
