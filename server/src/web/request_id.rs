//! A request id on every request: the `x-request-id` the client (or the proxy in front) sent,
//! when it is a plausible id, else a new one; answered in the same header, and a field of every
//! log line written while the request is handled (the `request` span), so one failing request
//! can be found in the log from what the user or the load balancer saw.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// An id from outside is kept only if it is short and plain (letters, digits, `-`, `_`, `.`):
/// it goes into logs.
fn plausible(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| plausible(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).ok();
    if let Some(value) = &value {
        request.headers_mut().insert(HEADER, value.clone());
    }
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;
    if let Some(value) = value {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn id_of(sent: Option<&str>) -> (String, String) {
        let app = Router::new()
            .route(
                "/",
                get(|r: Request| async move {
                    r.headers()[HEADER].to_str().unwrap_or_default().to_string()
                }),
            )
            .layer(axum::middleware::from_fn(request_id));
        let mut request = Request::builder().uri("/");
        if let Some(sent) = sent {
            request = request.header(HEADER, sent);
        }
        let response = app
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let answered = response.headers()[HEADER].to_str().unwrap().to_string();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        (answered, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn each_request_gets_an_id_that_the_handler_sees_and_the_answer_carries() {
        let (a, seen) = id_of(None).await;
        assert_eq!(a, seen);
        assert_eq!(a.len(), 36, "a UUID: {a}");
        let (b, _) = id_of(None).await;
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_plain_id_from_the_proxy_is_kept_and_anything_else_replaced() {
        let (kept, _) = id_of(Some("Root=1-67891233-abcdef012345678912345678")).await;
        assert_ne!(
            kept, "Root=1-67891233-abcdef012345678912345678",
            "'=' is not plain"
        );
        let (kept, _) = id_of(Some("lb-7f3a9c2e1d")).await;
        assert_eq!(kept, "lb-7f3a9c2e1d");
        for bad in [
            "short",
            "has space in it",
            "<script>alert(1)</script>",
            &"x".repeat(65),
        ] {
            let (replaced, _) = id_of(Some(bad)).await;
            assert_ne!(replaced, bad);
            assert_eq!(replaced.len(), 36);
        }
    }
}
