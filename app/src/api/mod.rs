//! Server functions: the UI's API. They validate, authorise, then call the ports.

pub mod admin;
pub mod auth;
pub mod calls;
pub mod contacts;
mod error;
#[cfg(feature = "ssr")]
pub mod inbound;
pub mod live;
#[cfg(feature = "ssr")]
pub mod metrics;
pub mod network_test;
pub mod numbers;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod push;
pub mod recordings;
mod resource;
pub mod tokens;
pub mod transfer;

pub use error::ApiError;
pub use resource::{api_resource, ApiResource, JsonCodec};

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::ports::{AccessToken, ClientAddr, Principal, Services};
    use super::ApiError;
    use leptos::prelude::*;

    pub fn services() -> Result<Services, ApiError> {
        use_context::<Services>()
            .ok_or_else(|| ApiError::Request("services missing from context".into()))
    }

    fn parts() -> Option<axum::http::request::Parts> {
        use_context::<axum::http::request::Parts>()
    }

    /// The signed-in user, put on the request by the authentication layer.
    pub fn principal() -> Result<Principal, ApiError> {
        parts()
            .and_then(|p| p.extensions.get::<Principal>().cloned())
            .ok_or(ApiError::NotSignedIn)
    }

    /// The access token the request came with (set with the principal).
    pub fn access_token() -> Result<AccessToken, ApiError> {
        parts()
            .and_then(|p| p.extensions.get::<AccessToken>().cloned())
            .ok_or(ApiError::NotSignedIn)
    }

    /// A cookie the request came with.
    pub fn cookie(name: &str) -> Option<String> {
        parts().and_then(|p| crate::cookies::from_headers(&p.headers, name))
    }

    pub fn client_addr() -> ClientAddr {
        parts()
            .and_then(|p| p.extensions.get::<ClientAddr>().copied())
            .unwrap_or(ClientAddr(std::net::IpAddr::from([127, 0, 0, 1])))
    }

    /// Writes an audit entry; a failure is logged, never shown to the user.
    pub async fn audit(services: &Services, owner: &str, action: &str, detail: String) {
        let at = services.clock.now_ms();
        super::ports::write_audit(services.store.as_ref(), owner, at, action, detail).await;
    }

    /// Answers the server function being run with `status` (see `ApiError::http_status`):
    /// Leptos answers every server-function error with 500 otherwise. A plain HTML form post
    /// keeps the redirect back to its page that server functions answer it with.
    pub fn set_error_status(status: u16) {
        use axum::http::{header::ACCEPT, StatusCode};
        let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        let form_post = parts()
            .and_then(|p| p.headers.get(ACCEPT).cloned())
            .and_then(|accept| accept.to_str().ok().map(|a| a.contains("text/html")))
            .unwrap_or(false);
        if let (false, Ok(status)) = (form_post, StatusCode::from_u16(status)) {
            response.set_status(status);
        }
    }

    pub fn set_cookie(value: String) {
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            axum::http::HeaderValue::from_str(&value),
        ) {
            response.append_header(axum::http::header::SET_COOKIE, value);
        }
    }
}
