//! The HTTP side: Leptos pages and server functions, the authentication layer, JWKS, health.

use std::net::SocketAddr;
use std::sync::Arc;

use app::api::ports::{AccessToken, AuthError, ClientAddr, Principal, Services};
use app::cookies;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRef, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};

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
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Pages and endpoints anyone may reach without signing in.
fn is_public(path: &str) -> bool {
    const EXACT: &[&str] = &[
        "/signin",
        "/signup",
        "/forgot",
        "/healthz",
        "/readyz",
        "/manifest.webmanifest",
        "/sw.js",
        "/offline.html",
        "/favicon.ico",
        "/.well-known/jwks.json",
    ];
    const PREFIXES: &[&str] = &["/pkg/", "/icons/", "/api/auth/", "/api/account"];
    EXACT.contains(&path) || PREFIXES.iter().any(|p| path.starts_with(p))
}

fn is_page_request(method: &Method, headers: &HeaderMap, path: &str) -> bool {
    method == Method::GET
        && !path.starts_with("/api/")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|accept| accept.contains("text/html") || accept.contains("*/*"))
}

fn bearer_or_cookie(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_string());
    }
    cookies::from_headers(headers, cookies::ACCESS)
}

/// Verifies the session on every request: the access token (cookie or `Authorization:
/// Bearer`), refreshed from the refresh cookie when it has expired. Puts [`Principal`] and
/// [`ClientAddr`] on the request. Pages other than the public ones redirect to sign-in.
async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // The REST API takes Bearer tokens only and checks them itself; session cookies (and their
    // refresh) are for the app's pages and server functions.
    if request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    request.extensions_mut().insert(ClientAddr(peer));
    let identity = state.services.identity.clone();
    let secure = state.services.secure_cookies;
    let headers = request.headers().clone();
    let mut set_cookies: Vec<String> = Vec::new();

    let mut principal: Option<(Principal, String)> = None;
    if let Some(token) = bearer_or_cookie(&headers) {
        match identity.verify_access(&token).await {
            Ok(p) => principal = Some((p, token)),
            Err(AuthError::Unavailable(detail)) => {
                tracing::error!(%detail, "identity provider unavailable");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "identity provider unavailable",
                )
                    .into_response();
            }
            Err(e) => tracing::debug!(error = %e, "access token rejected"),
        }
    }
    if principal.is_none() {
        let refresh = cookies::from_headers(&headers, cookies::REFRESH);
        if let Some(refresh) = refresh {
            match identity.refresh(&refresh).await {
                Ok(tokens) => {
                    if let Ok(p) = identity.verify_access(&tokens.access_token).await {
                        set_cookies.push(cookies::token(
                            cookies::ACCESS,
                            &tokens.access_token,
                            tokens.expires_in,
                            secure,
                        ));
                        set_cookies.push(cookies::token(
                            cookies::ID,
                            &tokens.id_token,
                            tokens.expires_in,
                            secure,
                        ));
                        // A client set to rotate refresh tokens hands out a new one.
                        if let Some(refresh) = &tokens.refresh_token {
                            set_cookies.push(cookies::token(
                                cookies::REFRESH,
                                refresh,
                                tokens.refresh_expires_in,
                                secure,
                            ));
                        }
                        principal = Some((p, tokens.access_token));
                    }
                }
                Err(_) => {
                    for name in [cookies::ACCESS, cookies::ID, cookies::REFRESH] {
                        set_cookies.push(cookies::clear(name, secure));
                    }
                }
            }
        }
    }

    let path = request.uri().path().to_string();
    let page = is_page_request(request.method(), &headers, &path);
    let mut response = match &principal {
        None if page && !is_public(&path) => Redirect::to("/signin").into_response(),
        Some(_) if page && matches!(path.as_str(), "/signin" | "/signup") => {
            Redirect::to("/").into_response()
        }
        _ => {
            if let Some((p, token)) = principal {
                request.extensions_mut().insert(p);
                request.extensions_mut().insert(AccessToken(token));
            }
            next.run(request).await
        }
    };
    // Cookies the handler set itself (e.g. a fresh sign-in) win over ours.
    let set_by_handler: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split('=').next().map(str::to_string))
        .collect();
    for cookie in set_cookies {
        let name = cookie.split('=').next().unwrap_or_default();
        if set_by_handler.iter().any(|n| n == name) {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Behind API Gateway (Lambda) there is no socket: the client's address is the source IP
/// API Gateway saw (its request context), never a header a client could write.
pub async fn client_from_gateway(mut request: Request, next: Next) -> Response {
    use lambda_http::request::RequestContext;
    let source_ip = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV1(c)) => c.identity.source_ip.clone(),
        Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source_ip.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    next.run(request).await
}

async fn security_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("microphone=(self), camera=(), geolocation=()"),
    );
    if path == "/sw.js" || path == "/manifest.webmanifest" {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if !path.starts_with("/pkg/") && !path.starts_with("/icons/") {
        // Pages carry the user's data: never from a shared cache.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}

async fn server_fn_handler(
    State(state): State<AppState>,
    request: Request<Body>,
) -> impl IntoResponse {
    let services = state.services.clone();
    handle_server_fns_with_context(move || provide_context(services.clone()), request).await
}

/// Leptos answers every server-function error with 500 (and a `serverfnerror` header); the
/// error itself (JSON `ApiError`) says what it is, so the status is made to say it too (404 for
/// another user's records, 401, 409, 422, 429…). Our UI decodes any 4xx/5xx the same way.
async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.headers().contains_key("serverfnerror") {
        with_error_status(response).await
    } else {
        response
    }
}

async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error too large").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::api::ApiError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether a browser request comes from our own pages: its `Origin` names the host it was sent
/// to (or the configured public URL). Stops other sites from opening the live channel with the
/// user's cookies (cross-site WebSocket hijacking).
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == public_url {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

/// The live channel (`/api/live`): see `app::api::live`.
async fn live(
    State(state): State<AppState>,
    principal: Option<axum::Extension<Principal>>,
    headers: HeaderMap,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    let Some(axum::Extension(me)) = principal else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    if !same_origin(&headers, &state.public_url) {
        tracing::warn!(user = %me.sub, "live channel refused: cross-origin request");
        return (StatusCode::FORBIDDEN, "cross-origin live channel refused").into_response();
    }
    let hub = state.calls.clone();
    ws.max_message_size(app::api::live::MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| live_connection(socket, me, hub))
}

async fn live_connection(
    mut socket: axum::extract::ws::WebSocket,
    me: Principal,
    hub: Arc<crate::calls::CallHub>,
) {
    use app::api::live::{ClientMessage, ServerMessage};
    use axum::extract::ws::Message;
    use tokio::sync::broadcast::error::RecvError;

    async fn send(socket: &mut axum::extract::ws::WebSocket, m: &ServerMessage) -> bool {
        match serde_json::to_string(m) {
            Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
            Err(_) => true,
        }
    }
    let (connection, mut events, hello) = hub.connect(&me.sub);
    let mut ping = tokio::time::interval(std::time::Duration::from_secs(20));
    ping.tick().await;
    if send(&mut socket, &hello).await {
        loop {
            tokio::select! {
                m = socket.recv() => match m {
                    Some(Ok(Message::Text(text))) => {
                        let reply = match serde_json::from_str::<ClientMessage>(&text) {
                            Ok(message) => hub.handle(&me.sub, connection, message).await,
                            Err(e) => Some(ServerMessage::Error {
                                call_id: None,
                                message: format!("not a live-channel message: {e}"),
                            }),
                        };
                        if let Some(reply) = reply {
                            if !send(&mut socket, &reply).await {
                                break;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let e = ServerMessage::Error { call_id: None, message: "the live channel takes JSON text frames".into() };
                        if !send(&mut socket, &e).await {
                            break;
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                },
                e = events.recv() => match e {
                    Ok(m) => {
                        if !send(&mut socket, &m).await {
                            break;
                        }
                    }
                    // Fell behind: the tab reconnects and gets a fresh snapshot.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                },
                _ = ping.tick() => {
                    if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    hub.disconnect(&me.sub, connection);
}

#[derive(serde::Deserialize)]
struct AudioQuery {
    #[serde(default)]
    download: Option<String>,
}

/// A recording's audio, for its owner only (anyone else gets 404, as for a recording that
/// does not exist). Disk: served here with range requests (seeking); S3: a redirect to a
/// presigned GET that expires within 5 minutes.
async fn recording_audio(
    State(state): State<AppState>,
    principal: Option<axum::Extension<Principal>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<AudioQuery>,
    request: Request,
) -> Response {
    use app::api::ports::{Playback, RecordingsError};
    use tower::ServiceExt;
    let Some(axum::Extension(me)) = principal else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    let not_found = || (StatusCode::NOT_FOUND, "no such recording").into_response();
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return not_found();
    }
    let services = &state.services;
    let recording = match services.store.get_recording(&me.sub, &id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "recording metadata unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again shortly").into_response();
        }
    };
    if !recording.is_playable() {
        return (StatusCode::CONFLICT, "the recording is still being made").into_response();
    }
    let download = query.download.is_some();
    let filename = format!(
        "call-recording-{}.wav",
        app::domain::recordings::format_utc(recording.started_at)
            .trim_end_matches(" UTC")
            .replace([' ', ':'], "-")
    );
    let now = services.clock.now_ms();
    let playback = services
        .recordings
        .playback(&recording.key, now, download.then_some(filename.as_str()))
        .await;
    if download {
        let detail = format!("recording {} of call {}", recording.id, recording.call_id);
        app::api::ports::write_audit(
            services.store.as_ref(),
            &me.sub,
            now,
            "recording_downloaded",
            detail,
        )
        .await;
    }
    match playback {
        Ok(Playback::File(path)) => {
            let served = tower_http::services::ServeFile::new(path)
                .oneshot(request)
                .await;
            let mut response = match served {
                Ok(r) => r.map(Body::new),
                Err(e) => match e {},
            };
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(app::domain::recordings::CONTENT_TYPE),
            );
            let disposition = if download { "attachment" } else { "inline" };
            if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{filename}\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Ok(Playback::Url { url, .. }) => match HeaderValue::from_str(&url) {
            Ok(location) => (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response(),
            Err(_) => (StatusCode::BAD_GATEWAY, "bad playback URL").into_response(),
        },
        Err(RecordingsError::NotFound) => {
            // Metadata without audio: recovery should have made this impossible.
            tracing::error!(recording = %recording.id, "recording metadata without audio");
            not_found()
        }
        Err(e) => {
            tracing::error!(recording = %recording.id, error = %e, "recordings store unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "try again shortly").into_response()
        }
    }
}

async fn jwks(State(state): State<AppState>) -> Response {
    match &state.jwks {
        Some(keys) => Json(keys()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// "ok" or "unavailable" for `/readyz`, logging why; an error when the back end is `required`.
fn readiness<E: std::fmt::Display>(
    checked: Result<(), E>,
    what: &str,
    required: bool,
) -> &'static str {
    match checked {
        Ok(()) => "ok",
        Err(e) if required => {
            tracing::error!(error = %e, "{what} not ready");
            "unavailable"
        }
        Err(e) => {
            tracing::warn!(error = %e, "{what} not ready");
            "unavailable"
        }
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    let services = &state.services;
    // The trunk is reported, not required: contacts and Recents work without it.
    let trunk = state.calls.trunk_status();
    // Reported, not required either: calls go on, only recording them fails.
    let recordings = readiness(services.recordings.ping().await, "recordings store", false);
    // Required: without them nobody can sign in, stay signed in or see their data.
    let identity = readiness(services.identity.ping().await, "identity provider", true);
    let store = readiness(services.store.ping().await, "store", true);
    let status = if store == "ok" && identity == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let report = serde_json::json!({
        "store": store,
        "store_kind": services.store.kind(),
        "identity": identity,
        "identity_kind": services.identity.kind(),
        "trunk": trunk,
        "recordings": recordings,
        "recordings_store": services.recordings.kind(),
    });
    (status, Json(report)).into_response()
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let page_services = state.services.clone();
    let shell_options = state.leptos_options.clone();
    Router::new()
        .route(app::api::live::PATH, get(live))
        .route("/api/recordings/{id}/audio", get(recording_audio))
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
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(page_services.clone()),
            move || app::shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(middleware::from_fn(server_fn_error_status))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn server_function_errors_carry_their_own_status() {
        for (body, status) in [
            ("\"NotFound\"", 404),
            ("\"NotSignedIn\"", 401),
            ("{\"TooManyAttempts\":{\"retry_after_secs\":5}}", 429),
            ("\"Unavailable\"", 503),
            ("not an ApiError", 500),
        ] {
            let response = Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from(body))
                .unwrap();
            let mapped = with_error_status(response).await;
            assert_eq!(mapped.status().as_u16(), status, "{body}");
            let bytes = axum::body::to_bytes(mapped.into_body(), 1024)
                .await
                .unwrap();
            assert_eq!(&bytes[..], body.as_bytes(), "the body is kept");
        }
        let ok = Response::builder()
            .status(StatusCode::OK)
            .body(Body::from("\"NotFound\""))
            .unwrap();
        assert_eq!(with_error_status(ok).await.status(), StatusCode::OK);
    }
}
