//! Who is asking: the session (access token from a cookie or `Authorization: Bearer`, refreshed
//! from the refresh cookie when it has expired), the client's address, and which pages need a
//! session at all.

use std::net::{IpAddr, SocketAddr};

use app::api::ports::{AccessToken, AuthError, ClientAddr, Principal};
use app::cookies;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;

/// Pages and endpoints anyone may reach without signing in (and every static file).
fn is_public(path: &str) -> bool {
    const EXACT: &[&str] = &[
        "/signin",
        "/signup",
        "/forgot",
        "/healthz",
        "/readyz",
        "/.well-known/jwks.json",
        // The SIP media application handler's pushes: signed, checked by their handler.
        "/api/chime/progress",
    ];
    const PREFIXES: &[&str] = &["/api/auth/", "/api/account"];
    is_static_file(path) || EXACT.contains(&path) || PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Files that are the same for everyone (the bundle, the Chime SDK's bundle, icons, sounds, the
/// worker, the manifest):
/// their requests neither need a session nor touch it. A worker's or a preload's fetch made
/// while the access token is being renewed elsewhere must not spend the refresh token, nor
/// clear the session's cookies when it carries a stale one.
fn is_static_file(path: &str) -> bool {
    const EXACT: &[&str] = &[
        "/manifest.webmanifest",
        "/sw.js",
        "/offline.html",
        "/favicon.ico",
    ];
    const PREFIXES: &[&str] = &["/pkg/", "/icons/", "/chime/", "/sounds/"];
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

/// The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 9110 §11.1); none
/// for another scheme or an empty token. The one parser for the app's session and the REST API.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The session's access token: `Authorization: Bearer` first, else the access cookie.
fn access_token(headers: &HeaderMap) -> Option<String> {
    bearer_token(headers)
        .map(str::to_string)
        .or_else(|| cookies::from_headers(headers, cookies::ACCESS))
}

/// Verifies the session on every request: the access token (cookie or `Authorization:
/// Bearer`), refreshed from the refresh cookie when it has expired. Puts [`Principal`] and
/// [`ClientAddr`] on the request. Pages other than the public ones redirect to sign-in.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // The REST API takes Bearer tokens only and checks them itself; session cookies (and their
    // refresh) are for the app's pages and server functions.
    if request.uri().path().starts_with("/api/v1/") || is_static_file(request.uri().path()) {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let client = super::client::client_ip(peer, request.headers(), &state.trusted_proxies);
    request.extensions_mut().insert(ClientAddr(client));
    let identity = state.services.identity.clone();
    let secure = state.services.secure_cookies;
    let headers = request.headers().clone();
    let mut set_cookies: Vec<String> = Vec::new();

    let mut principal: Option<(Principal, String)> = None;
    if let Some(token) = access_token(&headers) {
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
/// API Gateway saw (its request context), never a header a client could write. It stands for
/// the socket peer, so `X-Forwarded-For` counts only if that address is a trusted proxy.
pub async fn client_from_gateway(mut request: Request, next: Next) -> Response {
    use lambda_http::request::RequestContext;
    let source_ip = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV1(c)) => c.identity.source_ip.clone(),
        Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source_ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_tokens_are_read_in_any_case_and_nothing_else_is() {
        for (value, token) in [
            ("Bearer abc.def", Some("abc.def")),
            ("bearer abc.def", Some("abc.def")),
            ("BEARER  abc.def ", Some("abc.def")),
            ("Bearer ", None),
            ("Bearer", None),
            ("Basic dXNlcjpwdw==", None),
            ("abc.def", None),
        ] {
            assert_eq!(bearer_token(&with_authorization(value)), token, "{value:?}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn a_bearer_token_wins_over_the_access_cookie() {
        let mut headers = with_authorization("Bearer from-header");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("sp_access=from-cookie"),
        );
        assert_eq!(access_token(&headers).as_deref(), Some("from-header"));
        headers.remove(header::AUTHORIZATION);
        assert_eq!(access_token(&headers).as_deref(), Some("from-cookie"));
    }
}
