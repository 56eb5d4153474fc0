//! The HTTP side: Leptos pages and server functions, the session layer, the live channel,
//! recording audio, JWKS and health; the REST API is nested from `crate::rest`.
//!
//! Server functions answer errors with the status the error names (404 for another user's
//! records, 401, 409, 422, 429…): `app::api::ApiError` sets it through Leptos's
//! `ResponseOptions` as it is sent.

mod bundle;
mod chime_progress;
mod client;
mod csrf;
mod headers;
mod health;
mod live;
mod live_session;
mod recording_audio;
mod request_id;
mod session;
mod simulator;

use std::sync::Arc;

use app::api::ports::Services;
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};

pub use bundle::{configure as configure_bundle, Bundle, BundleError};
pub use chime_progress::{
    router as chime_progress_router, ProgressState as ChimeProgressState,
    RelayTo as ChimeProgressRelay, PATH as CHIME_PROGRESS_PATH,
};
pub use headers::{chime_sources, recording_sources, Policy as SecurityPolicy};
pub use session::{bearer_token, client_from_gateway};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    /// The local identity's signing keys (none with Cognito, whose keys Cognito publishes).
    pub jwks: Option<Arc<dyn Fn() -> JwkSet + Send + Sync>>,
    pub calls: Arc<crate::calls::CallHub>,
    pub public_url: String,
    /// The REST API's request rate per user.
    pub api_limits: crate::config::ApiLimits,
    /// Checks the SIP media application handler's progress pushes (the Chime shapes only).
    pub chime_events_secret: Option<crate::config::Secret<String>>,
    /// The bundle's entry files (hashed names in a release site).
    pub bundle: Bundle,
    /// The proxies whose `X-Forwarded-*` headers are believed (`client.rs`).
    pub trusted_proxies: crate::config::TrustedProxies,
    /// The security headers' settings (the content security policy's sources, HSTS).
    pub security: Arc<SecurityPolicy>,
    /// How often an open live channel checks that its session still stands.
    pub session_recheck: std::time::Duration,
    /// The built-in PSTN simulator, when it is the trunk: calls in on request (`simulator.rs`).
    pub simulator: Option<telephony::simulator::SimulatorCaller>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

async fn server_fn_handler(
    State(state): State<AppState>,
    request: Request<Body>,
) -> impl IntoResponse {
    let services = state.services.clone();
    handle_server_fns_with_context(move || provide_context(services.clone()), request).await
}

async fn jwks(State(state): State<AppState>) -> Response {
    match &state.jwks {
        Some(keys) => Json(keys()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let page_services = state.services.clone();
    let page_security = state.security.clone();
    // Each page's context: the services, and its content security policy with the nonce
    // leptos_axum gave its inline scripts.
    let page_context = move || {
        provide_context(page_services.clone());
        page_security.nonce_for_page();
    };
    let shell_options = state.leptos_options.clone();
    // The Chime shapes take the SIP media application handler's pushes; others have no route.
    let chime =
        match &state.chime_events_secret {
            Some(secret) => chime_progress::router(chime_progress::ProgressState {
                calls: state.calls.clone(),
                secret: secret.clone(),
                clock: state.services.clock.clone(),
                relay: state.services.telephony.server_id().map(|server_id| {
                    chime_progress::RelayTo {
                        store: state.services.store.clone(),
                        server_id,
                    }
                }),
            }),
            None => Router::new(),
        };
    // The bundle's files, sent as their precompressed copies (`.br`, `.gz`, written by
    // scripts/precompress.sh for release sites) when the browser accepts one; as they are
    // otherwise, and always in a debug build, which has no copies.
    let options = &state.leptos_options;
    let pkg_dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let pkg = tower_http::services::ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    // The service worker names the bundle's files, which a release site hashes.
    let sw_template =
        std::fs::read_to_string(std::path::Path::new(&*options.site_root).join("sw.js"));
    let service_worker = match sw_template {
        Ok(template) => {
            // Made once; each answer shares its bytes.
            let body = bytes::Bytes::from(bundle::service_worker(
                &template,
                &state.bundle,
                &options.site_pkg_dir,
            ));
            Router::new().route(
                "/sw.js",
                get(move || {
                    let body = body.clone();
                    async move {
                        (
                            [(axum::http::header::CONTENT_TYPE, "text/javascript")],
                            body,
                        )
                    }
                }),
            )
        }
        Err(_) => Router::new(),
    };
    let simulator = match &state.simulator {
        Some(caller) => Router::new()
            .route(simulator::PATH, axum::routing::post(simulator::call_in))
            .with_state(caller.clone()),
        None => Router::new(),
    };
    Router::new()
        .merge(chime)
        .merge(simulator)
        .merge(service_worker)
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
        .route(app::api::live::PATH, get(live::live))
        .route(
            "/api/recordings/{id}/audio",
            get(recording_audio::recording_audio),
        )
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler).post(server_fn_handler),
        )
        .nest(
            "/api/v1",
            crate::rest::router_with_limits(
                state.services.clone(),
                state.api_limits.burst,
                state.api_limits.per_second,
            ),
        )
        .route("/.well-known/jwks.json", get(jwks))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .leptos_routes_with_context(&state, routes, page_context.clone(), move || {
            app::shell(shell_options.clone())
        })
        // Names the route each matched request took, for the request metrics (outermost).
        .route_layer(middleware::from_fn_with_state(
            crate::metrics::ServerFnRoutes::registered(),
            crate::metrics::name_route,
        ))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, app::shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::authenticate,
        ))
        // Before the session is read: a forged request never reaches the identity provider.
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn_with_state(
            state.security.clone(),
            headers::security_headers,
        ))
        .layer(compression())
        .layer(middleware::from_fn(request_id::request_id))
        .layer(middleware::from_fn(crate::metrics::record_requests))
        .with_state(state)
}

/// Pages, server-function and REST answers compressed per response when the browser accepts
/// it (brotli or gzip). Not the bundle, which comes precompressed (its answers already carry
/// `Content-Encoding`, which the layer leaves alone), and not recordings' audio, which is
/// served in ranges. Quality 1: an answer is compressed on every request, and the brotli
/// crate's quality 4 cost 110–150 µs for a 13 KB page of contacts against 67 µs at 1 (gzip:
/// 34 µs at level 1), for 2 189 bytes against 2 567 (docs/bench.md, "API under load").
fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate};
    use tower_http::compression::{CompressionLayer, CompressionLevel, DefaultPredicate};
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(1))
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("audio/")))
}
