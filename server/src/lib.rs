//! The server: configuration, adapters behind the app's ports, and the HTTP front.

pub mod clock;
pub mod config;
pub mod identity;
pub mod numbers;
pub mod store;
pub mod web;

use std::sync::Arc;

use app::api::ports::{Clock, Services, Store};
use leptos::config::get_configuration;

use crate::config::{Config, LogFormat};
use crate::identity::{LocalIdentity, LocalIdentityConfig, SigningKey};

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
    #[error("leptos configuration: {0}")]
    Leptos(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

pub fn init_logging(format: &LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Builds the embedded-default services (SQLite, local identity) for `config`.
pub async fn embedded_services(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<(Services, Arc<LocalIdentity>), StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let store: Arc<dyn Store> = Arc::new(store::SqliteStore::open(&config.database_path()).await?);
    let key = Arc::new(SigningKey::load_or_create(&config.signing_key_path())?);
    let identity = Arc::new(
        LocalIdentity::new(
            LocalIdentityConfig::new(config.public_url.clone()),
            store.clone(),
            clock.clone(),
            key,
        )
        .await?,
    );
    let services = Services {
        store,
        identity: identity.clone(),
        numbers: Arc::new(numbers::Libphonenumber),
        clock,
        call_guard: Arc::new(std::sync::Mutex::new(app::domain::guards::CallGuard::new(
            app::domain::guards::GuardLimits::default(),
        ))),
        secure_cookies: config.secure_cookies,
    };
    Ok((services, identity))
}

/// Runs the web server until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let leptos = get_configuration(None).map_err(|e| StartError::Leptos(e.to_string()))?;
    let mut leptos_options = leptos.leptos_options;
    leptos_options.site_addr = config.addr;
    let (services, identity) = embedded_services(&config, Arc::new(clock::SystemClock)).await?;
    if config.secure_cookies && config.public_url.starts_with("http://") {
        tracing::warn!(
            public_url = %config.public_url,
            "plain http on a non-loopback address: browsers will not keep the Secure session cookies; serve it over https"
        );
    }
    let state = web::AppState {
        leptos_options,
        services,
        jwks: Arc::new(move || identity.jwks()),
    };
    let app = web::router(state);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.addr.to_string(),
            source,
        })?;
    tracing::info!(url = %config.public_url, data_dir = %config.data_dir.display(), "softphone listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|source| StartError::Listen {
        addr: config.addr.to_string(),
        source,
    })
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
