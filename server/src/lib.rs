//! The server: configuration, adapters behind the app's ports, and the HTTP front.

pub mod calls;
pub mod chime;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod identity;
pub mod limits;
pub mod metrics;
pub mod numbers;
pub mod otlp;
pub mod private_files;
pub mod push;
pub mod recordings;
pub mod rest;
pub mod store;
mod telephony_runtime;
pub mod web;

use telephony_runtime::start_chime_standin;
pub use telephony_runtime::{start_telephony, TelephonyRuntime};

use std::sync::Arc;

use app::api::ports::{Clock, Identity, Recordings, Services, Store};
use leptos::config::get_configuration;

use crate::calls::CallHub;
use crate::config::{
    Config, IdentityConfig, LogFormat, RecordingsBackend, RecordingsConfig, Secret, StoreConfig,
    TelephonyKind,
};
use crate::identity::{
    CognitoIdentity, CognitoSettings, LocalIdentity, LocalIdentityConfig, SigningKey,
};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Store(#[from] app::api::ports::StoreError),
    #[error("identity: {0}")]
    Key(#[from] identity::keys::KeyError),
    #[error("identity: {0}")]
    Identity(#[from] app::api::ports::AuthError),
    #[error("telephony: {0}")]
    Telephony(String),
    #[error("recordings: {0}")]
    Recordings(String),
    #[error("users: {0}")]
    Users(#[from] identity::admin::UsersError),
    #[error("push notifications: {0}")]
    Push(String),
    #[error("Lambda runtime: {0}")]
    Lambda(String),
    #[error("leptos configuration: {0}")]
    Leptos(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// Dependencies that write what our logs never carry (rsipstack logs whole SIP messages, phone
/// numbers and digest credentials included, at info): held at warn unless `RUST_LOG` names
/// them itself.
const QUIET_DEPENDENCIES: [&str; 2] = ["rsipstack", "rsip"];

/// The log filter: `RUST_LOG` (or `info`), with `QUIET_DEPENDENCIES` at warn unless
/// `RUST_LOG` sets their level. Public for the tests that check what the log never carries.
pub fn log_filter(rust_log: Option<&str>) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    let mut filter = rust_log
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let named = |target: &str| {
        rust_log.is_some_and(|v| {
            v.split(',')
                .any(|d| d.split('=').next().map(str::trim) == Some(target))
        })
    };
    for target in QUIET_DEPENDENCIES {
        if !named(target) {
            if let Ok(directive) = format!("{target}=warn").parse() {
                filter = filter.add_directive(directive);
            }
        }
    }
    filter
}

/// The process's log (JSON or text lines on stdout, `RUST_LOG`'s filter) and, with an OTLP
/// endpoint, the spans' export (`otlp.rs`). An endpoint that cannot be used is said on stderr
/// and the server runs without it.
pub fn init_logging(format: &LogFormat, otlp_endpoint: Option<&str>) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    let otlp = otlp_endpoint.and_then(|endpoint| match otlp::layer(endpoint) {
        Ok(layer) => Some(layer),
        Err(e) => {
            eprintln!("traces are not exported: {e}");
            None
        }
    });
    let registry = tracing_subscriber::registry().with(filter).with(otlp);
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    let _ = match format {
        LogFormat::Json => registry.with(fmt.json().flatten_event(true)).try_init(),
        LogFormat::Text => registry.with(fmt).try_init(),
    };
}

/// How often the retention job looks for expired recordings.
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Opens the recordings store the configuration names (checking an S3 bucket is reachable).
pub async fn open_recordings(config: &RecordingsConfig) -> Result<Arc<dyn Recordings>, StartError> {
    let recordings: Arc<dyn Recordings> = match &config.backend {
        RecordingsBackend::Disk { dir } => {
            Arc::new(recordings::DiskRecordings::open(dir).map_err(|e| {
                StartError::Recordings(format!("cannot use {}: {e}", dir.display()))
            })?)
        }
        RecordingsBackend::S3(settings) => {
            let s3 = recordings::s3::S3Recordings::connect(settings.clone())
                .await
                .map_err(|e| {
                    StartError::Recordings(format!(
                        "cannot use {}: {e}",
                        settings.spool_dir.display()
                    ))
                })?;
            // A wrong bucket, region or credentials show now, not at the first recording.
            s3.check_bucket().await.map_err(|e| {
                StartError::Recordings(format!(
                    "SOFTPHONE_RECORDINGS_BUCKET={}: {e}",
                    settings.bucket
                ))
            })?;
            Arc::new(s3)
        }
    };
    Ok(recordings)
}

/// The music of `SOFTPHONE_HOLD_MUSIC`: an 8 kHz mono 16-bit WAV of 1 s to 10 min.
fn read_hold_music(path: &std::path::Path) -> Result<Vec<i16>, StartError> {
    let named =
        |e: String| StartError::Telephony(format!("SOFTPHONE_HOLD_MUSIC={}: {e}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| named(e.to_string()))?;
    let samples = telephony::wav::parse_mono_8k(&bytes).map_err(|e| named(e.to_string()))?;
    if !(8_000..=600 * 8_000).contains(&samples.len()) {
        return Err(named(format!(
            "{:.1} s of audio; hold music is 1 s to 10 min long",
            samples.len() as f64 / 8_000.0
        )));
    }
    Ok(samples)
}

/// Opens the recordings store and the recorder, and finalises what the last run left open.
pub async fn start_recordings(
    config: &RecordingsConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    server_id: &str,
) -> Result<(Arc<dyn Recordings>, Arc<recordings::Recorder>), StartError> {
    let recordings = open_recordings(config).await?;
    let spoken = match &config.notice_file {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                StartError::Recordings(format!(
                    "SOFTPHONE_RECORDING_NOTICE={}: {e}",
                    path.display()
                ))
            })?;
            let samples = telephony::wav::parse_mono_8k(&bytes).map_err(|e| {
                StartError::Recordings(format!(
                    "SOFTPHONE_RECORDING_NOTICE={}: {e}",
                    path.display()
                ))
            })?;
            Some(samples)
        }
        None => None,
    };
    let scope = recordings::RecoveryScope::Start { server: server_id };
    let recovered = recordings::recover(store.as_ref(), recordings.as_ref(), clock.now_ms(), scope)
        .await
        .map_err(|e| StartError::Recordings(format!("recovery: {e}")))?;
    if recovered != recordings::Recovery::default() {
        tracing::warn!(?recovered, "recordings left by the last run recovered");
    }
    recordings::spawn_retention(
        store.clone(),
        recordings.clone(),
        clock.clone(),
        RETENTION_EVERY,
    );
    let recorder = Arc::new(recordings::Recorder {
        store,
        recordings: recordings.clone(),
        clock,
        settings: recordings::RecorderSettings::new(
            config.pause_mode,
            spoken.as_deref(),
            config.retention_days,
        ),
    });
    Ok((recordings, recorder))
}

/// Opens the store the configuration names: the SQLite file (migrated), or the DynamoDB
/// table (checked to exist with this app's keys and indexes).
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    match &config.store {
        StoreConfig::Sqlite => Ok(Arc::new(
            store::SqliteStore::open(&config.database_path()).await?,
        )),
        StoreConfig::DynamoDb { table } => {
            let store = store::DynamoStore::connect(table).await;
            store.check_table().await.map_err(|e| {
                StartError::Config(config::ConfigError::Unusable {
                    name: "SOFTPHONE_DYNAMODB_TABLE",
                    value: table.clone(),
                    problem: e.to_string(),
                })
            })?;
            Ok(Arc::new(store))
        }
    }
}

/// `server dynamodb create-table`: makes the table the configuration names (idempotent).
pub async fn create_table_cli(config: Config) -> Result<String, StartError> {
    let StoreConfig::DynamoDb { table } = &config.store else {
        return Err(StartError::Config(config::ConfigError::Unusable {
            name: "SOFTPHONE_STORE",
            value: "sqlite".into(),
            problem: "create-table needs SOFTPHONE_STORE=dynamodb and SOFTPHONE_DYNAMODB_TABLE"
                .into(),
        }));
    };
    let store = store::DynamoStore::connect(table).await;
    Ok(match store.create_table().await? {
        store::dynamodb::TableSetup::Created => format!(
            "created table {table} (indexes GSI1-GSI3, time to live on {})",
            store::dynamodb::TTL_ATTRIBUTE
        ),
        store::dynamodb::TableSetup::AlreadyThere => {
            format!("table {table} already exists with the expected keys and indexes")
        }
    })
}

/// Opens the identity provider the configuration names. The local one also serves its JWKS
/// (returned so the web layer can publish it).
pub async fn open_identity(
    config: &Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<(Arc<dyn Identity>, Option<Arc<LocalIdentity>>), StartError> {
    match &config.identity {
        IdentityConfig::Local => {
            let key = Arc::new(SigningKey::load_or_create(&config.signing_key_path())?);
            let local = Arc::new(
                LocalIdentity::new(
                    LocalIdentityConfig {
                        sign_up: config.accounts.sign_up.clone(),
                        approval_required: config.accounts.policy.approval_required,
                        access_ttl: config.accounts.access_ttl,
                        ..LocalIdentityConfig::new(config.public_url.clone())
                    },
                    store,
                    clock,
                    key,
                )
                .await?,
            );
            Ok((local.clone(), Some(local)))
        }
        IdentityConfig::Cognito(settings) => {
            // The variable to blame if the pool cannot be reached: the JWKS URL when it is
            // not the pool's own.
            let default_jwks = CognitoSettings::new(&settings.user_pool_id, &settings.client_id);
            let (name, value) = if settings.jwks_url != default_jwks.jwks_url {
                ("SOFTPHONE_COGNITO_JWKS_URL", settings.jwks_url.clone())
            } else {
                (
                    "SOFTPHONE_COGNITO_USER_POOL_ID",
                    settings.user_pool_id.clone(),
                )
            };
            let settings = CognitoSettings {
                approval_required: config.accounts.policy.approval_required,
                ..settings.clone()
            };
            let cognito = CognitoIdentity::connect(settings, store, clock).await?;
            // A wrong pool, region or JWKS URL shows now, not at the first sign-in.
            cognito.ping().await.map_err(|e| {
                StartError::Config(config::ConfigError::Unusable {
                    name,
                    value,
                    problem: e.to_string(),
                })
            })?;
            Ok((Arc::new(cognito), None))
        }
    }
}

/// The push sender: signed with `SOFTPHONE_VAPID_PRIVATE_KEY`, or with the SQLite store a key
/// generated once into the data directory. With DynamoDB and no key, push is off (`None`, with a
/// warning): every server on a shared store must sign with the same key, which a key of each
/// server's own would break.
pub fn open_push(
    config: &Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Option<Arc<push::WebPush>>, StartError> {
    let key = match (&config.push.vapid_private_key, &config.store) {
        (Some(secret), _) => {
            push::VapidKey::from_base64url(secret.expose(), "SOFTPHONE_VAPID_PRIVATE_KEY")
                .map_err(|e| StartError::Push(e.to_string()))?
        }
        (None, StoreConfig::Sqlite) => push::VapidKey::load_or_create(&config.vapid_key_path())
            .map_err(|e| StartError::Push(e.to_string()))?,
        (None, StoreConfig::DynamoDb { .. }) => {
            tracing::warn!("push notifications are off: set SOFTPHONE_VAPID_PRIVATE_KEY (the same on every server)");
            return Ok(None);
        }
    };
    // A host without CA certificates cannot reach any push service: push is off, the rest runs.
    let transport = match push::HttpPush::new() {
        Ok(transport) => transport,
        Err(e) => {
            tracing::warn!(error = %e, "push notifications are off: no HTTPS client");
            return Ok(None);
        }
    };
    let endpoints = if config.push.test_loopback {
        tracing::warn!("SOFTPHONE_PUSH_TEST_LOOPBACK: push endpoints on plain http 127.0.0.1 are taken (tests only)");
        app::domain::push::Endpoints::AlsoLoopbackHttp
    } else {
        app::domain::push::Endpoints::HttpsOnly
    };
    Ok(Some(Arc::new(push::WebPush::new(
        store,
        clock,
        key,
        config.push.subject.clone(),
        Arc::new(transport),
        endpoints,
    ))))
}

/// How this process serves requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A long-running server: pages, the API, and calls (gateway, live channel, recording).
    Server,
    /// An AWS Lambda function behind API Gateway: pages and the API, one request at a time.
    /// No calls (they need a long-lived process for their media), and none of the start-up
    /// clean-up of calls and recordings, which belongs to the servers that run them.
    Lambda,
}

impl Role {
    /// Lambda when the Lambda runtime API is there (`AWS_LAMBDA_RUNTIME_API`).
    pub fn from_env() -> Role {
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            Role::Lambda
        } else {
            Role::Server
        }
    }
}

/// The services the configuration names (the embedded default: SQLite, local identity,
/// gateway + simulator), and the telephony runtime to keep alive (none in Lambda).
pub struct Built {
    pub services: Services,
    pub local_identity: Option<Arc<LocalIdentity>>,
    pub hub: Arc<CallHub>,
    pub telephony: Option<TelephonyRuntime>,
    /// Checks the Chime SIP media application handler's progress pushes (Chime shapes).
    pub chime_events_secret: Option<Secret<String>>,
    /// Missed-call push notifications (`WebPush::notify_missed_call`); none when push is off.
    /// The same object is `services.push`.
    pub push: Option<Arc<push::WebPush>>,
}

pub async fn build_services(
    config: &Config,
    clock: Arc<dyn Clock>,
    role: Role,
) -> Result<Built, StartError> {
    private_files::private_dir(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let store = open_store(config).await?;
    let (identity, local_identity) = open_identity(config, store.clone(), clock.clone()).await?;
    let push = open_push(config, store.clone(), clock.clone())?;
    let (recordings, hub, telephony, chime_events_secret) = match role {
        Role::Server => {
            // Calls this server's last run left open can never end now: close them before
            // taking new ones (another server's are closed once its lease ends).
            let server_id =
                cluster::server_id(&config.cluster, &config.data_dir).map_err(|source| {
                    StartError::DataDir {
                        path: config.data_dir.display().to_string(),
                        source,
                    }
                })?;
            let lease = Arc::new(cluster::Cluster {
                server_id: server_id.clone(),
                lease: config.cluster.lease,
                store: store.clone(),
                clock: clock.clone(),
            });
            let closed = lease.start().await?;
            if closed > 0 {
                tracing::warn!(
                    calls = closed,
                    "closed calls left open by the last run as interrupted"
                );
            }
            tracing::info!(server = %server_id, lease_secs = config.cluster.lease.as_secs(), "server lease taken");
            let (recordings, recorder) =
                start_recordings(&config.recordings, store.clone(), clock.clone(), &server_id)
                    .await?;
            let (provider, runtime, secret, recorder) = match config.telephony.kind {
                TelephonyKind::Gateway => {
                    let runtime = start_telephony(&config.telephony).await?;
                    let provider = calls::Provider::Gateway(runtime.gateway.clone());
                    (provider, Some(runtime), None, Some(recorder))
                }
                TelephonyKind::Chime => {
                    let settings = config.chime.settings()?;
                    let secret = config.chime.events_secret.clone().ok_or_else(|| {
                        config::ConfigError::Unusable {
                            name: "SOFTPHONE_CHIME_EVENTS_SECRET",
                            value: String::new(),
                            problem: "SOFTPHONE_TELEPHONY=chime needs the secret the SIP media application's handler signs its progress with".into(),
                        }
                    })?;
                    let control = chime::ChimeControl::connect(settings).await;
                    (
                        calls::Provider::Chime(Arc::new(control)),
                        None,
                        Some(secret),
                        Some(recorder),
                    )
                }
                TelephonyKind::ChimeStandin => {
                    let mut runtime = start_telephony(&config.telephony).await?;
                    let (control, secret, stand_in) =
                        start_chime_standin(config, runtime.gateway.clone()).await?;
                    runtime.stand_in = Some(stand_in);
                    // The stand-in writes recordings into directories, not S3.
                    let recorder = match &config.recordings.backend {
                        RecordingsBackend::Disk { .. } => Some(recorder),
                        RecordingsBackend::S3(_) => {
                            tracing::warn!("recording is off: the Chime stand-in cannot write into S3 (use the disk recordings store)");
                            None
                        }
                    };
                    (
                        calls::Provider::Chime(control),
                        Some(runtime),
                        Some(secret),
                        recorder,
                    )
                }
            };
            let hub = Arc::new(CallHub::new(
                provider,
                store.clone(),
                clock.clone(),
                config.ice_servers(),
                recorder,
            ));
            hub.set_server_id(server_id);
            // A transfer to a number is dialled under the same policy and limits as a call.
            hub.set_dialling(Arc::new(numbers::Libphonenumber), config.spend_policy);
            if let Some(path) = &config.telephony.hold_music {
                hub.set_hold_music(read_hold_music(path)?);
            }
            if let Some(dir) = &config.telephony.caller_messages {
                let messages = calls::CallerMessages::read(dir).map_err(|e| {
                    StartError::Telephony(format!("SOFTPHONE_CALLER_MESSAGES: {e}"))
                })?;
                hub.set_caller_messages(messages);
            }
            if let Some(push) = &push {
                hub.set_notifier(push.clone());
            }
            if let calls::Provider::Chime(control) = hub.provider() {
                // Calls in come as the SIP media application's progress (docs/chime.md, "Calls
                // in"); with the stand-in, it took the gateway's calls in as its own.
                hub.set_caller_ids(vec![control.settings().caller_id.clone()]);
            } else if let Some(calls_in) = runtime.as_ref().and_then(|r| r.gateway.take_incoming())
            {
                hub.take_calls_in(calls_in, vec![config.telephony.caller_id.clone()]);
            }
            lease.spawn(Some(recordings.clone()));
            (recordings, hub, runtime, secret)
        }
        Role::Lambda => {
            let recordings = open_recordings(&config.recordings).await?;
            let hub = Arc::new(CallHub::new(
                calls::Provider::None,
                store.clone(),
                clock.clone(),
                config.ice_servers(),
                None,
            ));
            (recordings, hub, None, None)
        }
    };
    let services = Services {
        store,
        identity,
        numbers: Arc::new(numbers::Libphonenumber),
        clock,
        telephony: hub.clone(),
        recordings,
        push: match &push {
            Some(push) => push.clone(),
            None => Arc::new(app::api::ports::PushOff),
        },
        spend_policy: config.spend_policy,
        sign_up_policy: config.accounts.policy.clone(),
        secure_cookies: config.secure_cookies,
    };
    Ok(Built {
        services,
        local_identity,
        hub,
        telephony,
        chime_events_secret,
        push,
    })
}

/// `server recordings retention [--dry-run]`: one retention sweep now, or the list of what it
/// would delete. Safe next to a running server (it never touches recordings in progress).
pub async fn retention_cli(config: Config, dry_run: bool) -> Result<usize, StartError> {
    let store = open_store(&config).await?;
    let recordings = open_recordings(&config.recordings).await?;
    let now = clock::SystemClock.now_ms();
    let swept = recordings::retention_sweep(store.as_ref(), recordings.as_ref(), now, dry_run)
        .await
        .map_err(|e| StartError::Recordings(e.to_string()))?;
    for (owner, r) in &swept {
        println!(
            "{}\t{}\towner {owner}\tcall {}\tstarted {}\tretained until {}\t{} bytes",
            if dry_run { "would delete" } else { "deleted" },
            r.id,
            r.call_id,
            app::domain::recordings::format_utc(r.started_at),
            app::domain::recordings::format_utc(r.retain_until),
            r.bytes
        );
    }
    Ok(swept.len())
}

/// `server users …`: what the operator does to local accounts; returns what to print.
pub async fn users_cli(
    config: Config,
    command: config::UsersCommand,
) -> Result<String, StartError> {
    if !matches!(config.identity, IdentityConfig::Local) {
        // Approval is the store's (a block on the user's calls), for either identity.
        if let config::UsersCommand::Approve { user } = &command {
            let store = open_store(&config).await?;
            return limits::approve(store.as_ref(), user, clock::SystemClock.now_ms()).await;
        }
        // Disabling is the store's and the provider's, for either identity.
        if let config::UsersCommand::Disable { user } | config::UsersCommand::Enable { user } =
            &command
        {
            let disabled = matches!(command, config::UsersCommand::Disable { .. });
            let store = open_store(&config).await?;
            return set_disabled_cli(&config, store, user, disabled).await;
        }
        return Err(StartError::Config(config::ConfigError::Unusable {
            name: "SOFTPHONE_IDENTITY",
            value: "cognito".into(),
            problem: "users commands manage the embedded identity's accounts; with Cognito use \
                      its console or admin API (the forgot-password e-mail works as it is)"
                .into(),
        }));
    }
    let store = open_store(&config).await?;
    let clock = clock::SystemClock;
    match command {
        config::UsersCommand::ResetLink { email } => {
            let ttl = LocalIdentityConfig::new(config.public_url.clone()).reset_code_ttl;
            let link = identity::admin::issue_reset_link(
                store.as_ref(),
                &clock,
                &config.public_url,
                ttl,
                &email,
            )
            .await?;
            Ok(format!(
                "{}\none use, valid until {} (code: {})",
                link.link,
                app::domain::recordings::format_utc(link.expires_at),
                link.code
            ))
        }
        config::UsersCommand::Invite { email } => {
            let ttl = LocalIdentityConfig::new(config.public_url.clone()).invite_ttl;
            let link = identity::admin::issue_invite_link(
                store.as_ref(),
                &clock,
                &config.public_url,
                ttl,
                &email,
            )
            .await?;
            let note = match config.accounts.policy.mode {
                app::domain::signup::SignUpMode::Invite => "",
                _ => {
                    "
note: SOFTPHONE_SIGNUP is not invite: anyone allowed may sign up without it"
                }
            };
            Ok(format!(
                "{}
one use, for this email only, valid until {} (code: {}){note}",
                link.link,
                app::domain::recordings::format_utc(link.expires_at),
                link.code
            ))
        }
        config::UsersCommand::Approve { user } => {
            limits::approve(store.as_ref(), &user, clock.now_ms()).await
        }
        config::UsersCommand::GrantAdmin { email } => {
            Ok(
                match identity::admin::set_admin(store.as_ref(), &clock, &email, true).await? {
                    true => "granted: the account is an administrator from its next sign-in",
                    false => "already an administrator: nothing to do",
                }
                .into(),
            )
        }
        config::UsersCommand::Disable { user } => {
            set_disabled_cli(&config, store, &user, true).await
        }
        config::UsersCommand::Enable { user } => {
            set_disabled_cli(&config, store, &user, false).await
        }
        config::UsersCommand::RevokeAdmin { email } => {
            Ok(
                match identity::admin::set_admin(store.as_ref(), &clock, &email, false).await? {
                    true => "revoked: the account's tokens no longer carry the role",
                    false => "not an administrator: nothing to do",
                }
                .into(),
            )
        }
    }
}

/// `server users disable|enable <email or sub>`: the same operation as the admin REST
/// endpoints, without a call hub here: a running server closes the user's open app at its next
/// session check (`SOFTPHONE_SESSION_RECHECK_SECS`).
async fn set_disabled_cli(
    config: &Config,
    store: Arc<dyn Store>,
    user: &str,
    disabled: bool,
) -> Result<String, StartError> {
    let clock: Arc<dyn Clock> = Arc::new(clock::SystemClock);
    let sub = limits::sub_of(store.as_ref(), user).await?;
    let (identity, _) = open_identity(config, store.clone(), clock.clone()).await?;
    let change = identity::admin::set_disabled(
        store.as_ref(),
        identity.as_ref(),
        &sub,
        disabled,
        clock.now_ms(),
        "cli",
    )
    .await?;
    Ok(match (disabled, change.changed) {
        (true, true) => format!(
            "disabled: sign-in is refused from now on; {} sessions ended; its open app closes at the server's next session check",
            change.sessions_revoked
        ),
        (true, false) => "already disabled: nothing to do".into(),
        (false, true) => "enabled: the account may sign in again (its ended sessions stay ended)".into(),
        (false, false) => "not disabled: nothing to do".into(),
    })
}

/// Runs the web server until SIGINT or SIGTERM, or, under the Lambda runtime, serves
/// API Gateway's events with the same router.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let leptos = get_configuration(None).map_err(|e| StartError::Leptos(e.to_string()))?;
    let mut leptos_options = leptos.leptos_options;
    leptos_options.site_addr = config.addr;
    let bundle = web::configure_bundle(&mut leptos_options)
        .map_err(|e| StartError::Leptos(e.to_string()))?;
    let role = Role::from_env();
    // In Lambda the EMF lines are the only way out, so they are on unless a namespace is set.
    let emf_namespace = match (&config.metrics.emf_namespace, role) {
        (Some(ns), _) => Some(ns.as_str()),
        (None, Role::Lambda) => Some("Softphone"),
        (None, Role::Server) => None,
    };
    let metrics = metrics::install(emf_namespace);
    let built = build_services(&config, Arc::new(clock::SystemClock), role).await?;
    if config.secure_cookies && config.public_url.starts_with("http://") {
        tracing::warn!(
            public_url = %config.public_url,
            "plain http on a non-loopback address: browsers will not keep the Secure session cookies; serve it over https"
        );
    }
    // The origins the browser talks to besides ours: the Chime meeting's, in the Chime shapes.
    let stand_in = built
        .telephony
        .as_ref()
        .and_then(|t| t.stand_in.as_ref())
        .map(|running| running.stand_in.endpoint_url());
    let chime = config.telephony.kind == TelephonyKind::Chime;
    let security = web::SecurityPolicy::new(
        &config.public_url,
        &web::chime_sources(stand_in.as_deref(), chime),
        config.trusted_proxies.clone(),
    )
    .with_media(&web::recording_sources(
        matches!(config.recordings.backend, RecordingsBackend::S3(_)),
        ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .as_deref(),
    ));
    let services = built.services;
    if let Some(server_id) = services.telephony.server_id() {
        // What other servers got but this one carries out: REST click-to-dials for the users
        // whose app is open here, Chime progress pushes for the calls held here.
        cluster::RelayTaker {
            server_id,
            store: services.store.clone(),
            clock: services.clock.clone(),
            dials: Some(services.clone()),
            calls: Some(built.hub.clone()),
        }
        .spawn();
    }
    let (store_kind, identity_kind) = (services.store.kind(), services.identity.kind());
    let calls = built.hub.clone();
    let state = web::AppState {
        leptos_options,
        services,
        jwks: built.local_identity.map(|local| {
            Arc::new(move || local.jwks())
                as Arc<dyn Fn() -> jsonwebtoken::jwk::JwkSet + Send + Sync>
        }),
        calls: built.hub,
        public_url: config.public_url.clone(),
        api_limits: config.api,
        chime_events_secret: built.chime_events_secret,
        bundle,
        trusted_proxies: config.trusted_proxies.clone(),
        security: Arc::new(security),
        session_recheck: config.accounts.session_recheck,
        simulator: built
            .telephony
            .as_ref()
            .and_then(|t| t.simulator.as_ref())
            .map(|s| s.caller()),
    };
    let app = web::router(state);
    if role == Role::Lambda {
        tracing::info!(
            store = store_kind,
            identity = identity_kind,
            "softphone serving API Gateway events (Lambda)"
        );
        // Lambda freezes the process between events: each event's metrics are written as it
        // ends.
        let flush = axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                let response = next.run(request).await;
                metrics.flush_emf();
                response
            },
        );
        return lambda_http::run(
            app.layer(axum::middleware::from_fn(web::client_from_gateway))
                .layer(flush),
        )
        .await
        .map_err(|e| StartError::Lambda(e.to_string()));
    }
    metrics::serve(&config.metrics, metrics).await?;
    metrics.spawn_upkeep();
    #[cfg(unix)]
    telephony_runtime::reload_certificate_on_hangup(built.telephony.as_ref(), &config.telephony);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.addr.to_string(),
            source,
        })?;
    tracing::info!(url = %config.public_url, store = store_kind, identity = identity_kind, data_dir = %config.data_dir.display(), "softphone listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shut_down_calls(calls, config.shutdown_drain))
    .await
    .map_err(|source| StartError::Listen {
        addr: config.addr.to_string(),
        source,
    })?;
    // What the last minute counted is not lost with the process.
    metrics.flush_emf();
    Ok(())
}

/// At the first signal: no new calls, the calls up drain for `drain` (a second signal cuts it
/// short), then the rest are hung up and the live channels close; then the HTTP server stops.
async fn shut_down_calls(calls: Arc<CallHub>, drain: std::time::Duration) {
    shutdown_signal().await;
    tokio::select! {
        () = calls.shut_down(drain) => {}
        () = async {
            shutdown_signal().await;
            calls.shut_down(std::time::Duration::ZERO).await;
        } => {}
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod log_filter_tests {
    use super::log_filter;

    #[test]
    fn sip_messages_stay_out_of_the_log_unless_asked_for() {
        let default = log_filter(None).to_string();
        assert!(default.contains("rsipstack=warn"), "{default}");
        let info = log_filter(Some("info")).to_string();
        assert!(
            info.contains("rsipstack=warn") && info.contains("rsip=warn"),
            "{info}"
        );
        let asked = log_filter(Some("info,rsipstack=debug")).to_string();
        assert!(
            asked.contains("rsipstack=debug") && !asked.contains("rsipstack=warn"),
            "{asked}"
        );
    }
}
