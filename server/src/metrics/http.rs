//! HTTP requests by route and status class, and their latency. The route is the router's
//! pattern (`/api/v1/contacts/{id}`), or a server function's path, never the raw path: an
//! unknown path is `unmatched`, so no request can add a series.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use app::api::metrics::{HTTP_REQUESTS, HTTP_REQUEST_DURATION};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The pattern every server function is routed under.
const SERVER_FN_PATTERN: &str = "/api/{*fn_name}";

/// The paths of the registered server functions (their route label).
#[derive(Clone, Default)]
pub struct ServerFnRoutes(Arc<HashSet<String>>);

impl ServerFnRoutes {
    pub fn registered() -> ServerFnRoutes {
        ServerFnRoutes(Arc::new(
            leptos::server_fn::axum::server_fn_paths()
                .map(|(path, _)| path.to_string())
                .collect(),
        ))
    }
}

/// Where the inner layer (on the matched routes) leaves the route for the outer one.
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<String>>);

/// The outer layer: counts and times every request, matched or not.
pub async fn record_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let slot = RouteSlot::default();
    let mut request = request;
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    let route = slot.0.get().map_or("unmatched", String::as_str).to_string();
    let status = match response.status().as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    metrics::counter!(HTTP_REQUESTS.name, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION.name, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The inner layer (`route_layer`): names the route the request matched.
pub async fn name_route(
    State(server_fns): State<ServerFnRoutes>,
    request: Request,
    next: Next,
) -> Response {
    if let (Some(slot), Some(matched)) = (
        request.extensions().get::<RouteSlot>(),
        request.extensions().get::<MatchedPath>(),
    ) {
        let path = request.uri().path();
        let route = if matched.as_str() == SERVER_FN_PATTERN && server_fns.0.contains(path) {
            path
        } else {
            matched.as_str()
        };
        let _ = slot.0.set(route.to_string());
    }
    next.run(request).await
}
