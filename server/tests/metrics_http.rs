//! The HTTP metrics and request ids of the real server binary: each answer counted under its
//! route's pattern (a REST path with an id, a server function's path, `unmatched` for paths no
//! route has) and status class, refused sign-ins and the API errors they answer counted, every
//! answer carrying an `x-request-id`; and a metrics address that cannot be listened on stops
//! the start with the variable's name.

#[path = "common/binary.rs"]
mod binary;

use binary::{free_port, http, start_server};
use serde_json::json;
use testkit::metrics::sample;

/// The raw answer's header block.
async fn head(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    text.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_counted_by_route_and_status_and_carry_a_request_id() {
    let dir = std::env::temp_dir().join(format!("softphone-metrics-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let _server = start_server(&dir, port, &[("SOFTPHONE_METRICS_ADDR", &metrics_addr)]).await;

    for _ in 0..3 {
        assert_eq!(
            http(port, "GET", "/healthz", None, None).await.unwrap().0,
            200
        );
    }
    let (status, _, _) = http(port, "GET", "/api/v1/contacts/c-123", None, None)
        .await
        .unwrap();
    assert_eq!(status, 401);
    // A page no route has: the app's fallback sends a signed-out visitor to sign in.
    let (status, _, _) = http(port, "GET", "/no/such/thing-4711", None, None)
        .await
        .unwrap();
    assert_eq!(status, 303);
    // A server function that does not exist: under the pattern, not its path.
    let (status, _, _) = http(port, "POST", "/api/no_such_fn_4711", None, Some(&json!({})))
        .await
        .unwrap();
    assert!(status >= 400, "{status}");
    let wrong = json!({"email": "nobody@example.com", "password": "Wr0ng-password!"});
    let (status, _, _) = http(port, "POST", "/api/auth/sign_in", None, Some(&wrong))
        .await
        .unwrap();
    assert_eq!(status, 401);

    let h = head(port, "/healthz").await;
    let id = h
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap_or_else(|| panic!("no request id: {h}"));
    assert_eq!(id.len(), 36, "{id}");

    let (status, _, body) = http(metrics_port, "GET", "/metrics", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    let requests = |route, status| {
        sample(
            &text,
            "softphone_http_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    // The answers before the scrape (the last /healthz counted once its answer is sent).
    assert!(
        requests("/healthz", "2xx").is_some_and(|n| n >= 3.0),
        "{text}"
    );
    assert_eq!(
        requests("/api/v1/contacts/{id}", "4xx"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(requests("/api/auth/sign_in", "4xx"), Some(1.0), "{text}");
    assert!(
        requests("unmatched", "3xx").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(text.contains("route=\"/api/{*fn_name}\""), "{text}");
    assert!(
        !text.contains("4711") && !text.contains("c-123"),
        "a raw path in {text}"
    );
    assert!(
        sample(
            &text,
            "softphone_http_request_duration_seconds_count",
            &[("route", "/api/auth/sign_in")]
        ) == Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "softphone_sign_ins_total", &[("outcome", "refused")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "softphone_api_errors_total",
            &[("error", "InvalidCredentials")]
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains("nobody@example.com"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_metrics_address_that_cannot_be_used_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("softphone-metrics-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(&dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("LEPTOS_OUTPUT_NAME", "softphone")
        .env("SOFTPHONE_DATA_DIR", &dir)
        .env("SOFTPHONE_LOG_FORMAT", "text")
        .env("SOFTPHONE_MEDIA_PORTS", "33100-33119")
        .env("SOFTPHONE_METRICS_ADDR", &addr)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains(&format!("SOFTPHONE_METRICS_ADDR={addr}")),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
