//! The back ends' request metrics (`dependency_request_duration_seconds`, `dependency_errors`):
//! a DynamoDB store made by `DynamoStore::connect` (the SDK's standard chain, here pointed at
//! a stub of DynamoDB's JSON protocol) times each operation by name and counts the service's
//! error answers; a client whose endpoint does not answer counts a transport error; the SQLite
//! store times its queries. Read in the Prometheus text. One test: the recorder is the
//! process's.

use app::api::ports::CallStore;
use app::api::ports::StoreError;
use app::domain::calls::CallRecord;
use axum::http::{HeaderMap, StatusCode};
use server::store::dynamodb::DynamoStore;
use server::store::sqlite::SqliteStore;
use testkit::metrics::sample;

/// DynamoDB's JSON protocol, two operations: `GetItem` finds nothing; `PutItem`'s condition
/// fails.
async fn dynamodb_stub(headers: HeaderMap) -> (StatusCode, String) {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match target {
        "DynamoDB_20120810.GetItem" => (StatusCode::OK, "{}".into()),
        _ => (
            StatusCode::BAD_REQUEST,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#.into(),
        ),
    }
}

#[tokio::test]
async fn back_end_requests_are_timed_by_operation_and_their_failures_counted() {
    let metrics = server::metrics::install(None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stub = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(dynamodb_stub);
        axum::serve(listener, app).await.unwrap();
    });
    // The standard chain, as on AWS: the endpoint, region and credentials from the environment
    // (set before any client reads it; this file's only test).
    for (k, v) in [
        ("AWS_ENDPOINT_URL", format!("http://{stub}")),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_MAX_ATTEMPTS", "1".into()),
    ] {
        std::env::set_var(k, v);
    }
    let store = DynamoStore::connect("softphone").await;
    assert_eq!(store.get_call("u1", "c1").await, Ok(None));
    let call = CallRecord::outbound("c1".into(), "+6581234567".into(), 1);
    assert_eq!(
        store.insert_call("u1", &call).await,
        Err(StoreError::AlreadyExists)
    );

    // Nothing listens on the discard port: no answer at all.
    let closed = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .endpoint_url("http://127.0.0.1:9")
        .interceptor(server::metrics::aws::DependencyMetrics("dynamodb"))
        .build();
    let unreachable = DynamoStore::with_client(aws_sdk_dynamodb::Client::from_conf(closed), "t");
    assert!(matches!(
        unreachable.get_call("u1", "c1").await,
        Err(StoreError::Unavailable(_))
    ));

    let sqlite = SqliteStore::in_memory().await.unwrap();
    assert_eq!(sqlite.get_call("u1", "c1").await, Ok(None));

    let text = metrics.prometheus.render();
    let get = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);
    let duration = "softphone_dependency_request_duration_seconds_count";
    let errors = "softphone_dependency_errors_total";
    let dynamodb = |op| [("dependency", "dynamodb"), ("operation", op)];
    assert_eq!(get(duration, &dynamodb("GetItem")), Some(2.0), "{text}");
    assert_eq!(get(duration, &dynamodb("PutItem")), Some(1.0), "{text}");
    let failed = |op: &str, kind: &str| {
        let labels = [
            ("dependency", "dynamodb"),
            ("operation", op),
            ("kind", kind),
        ];
        get(errors, &labels)
    };
    assert_eq!(failed("PutItem", "service"), Some(1.0), "{text}");
    assert_eq!(failed("GetItem", "transport"), Some(1.0), "{text}");
    // The answered GetItem is no error.
    assert_eq!(failed("GetItem", "service"), None);
    let queries = get(
        duration,
        &[("dependency", "sqlite"), ("operation", "query")],
    );
    assert!(queries.is_some_and(|n| n >= 1.0), "{text}");
    // Seconds, in the histogram's buckets.
    assert!(text.contains("softphone_dependency_request_duration_seconds_bucket{"));
}
