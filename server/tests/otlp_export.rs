//! Trace export over OTLP (docs/operating.md, "Traces"): spans closed under the OTLP layer
//! reach a stub collector as OTLP/HTTP JSON at `/v1/traces`: the service's name, each span's
//! name, kind, fields as attributes and times; a child in its parent's trace, a span with no
//! parent (a call) in a trace of its own. An endpoint that is not an http(s) URL is refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_the_collector_as_otlp_json() {
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let store = received.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
                let store = store.clone();
                async move {
                    let json = headers
                        .get("content-type")
                        .is_some_and(|v| v == "application/json");
                    assert!(json, "{headers:?}");
                    store
                        .lock()
                        .unwrap()
                        .push((uri.path().to_string(), serde_json::from_str(&body).unwrap()));
                    "{}"
                }
            },
        );
        axum::serve(listener, app).await.unwrap();
    });

    let layer = server::otlp::layer(&format!("http://{addr}/")).unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let request = tracing::info_span!("request", request_id = "req-1");
        let _in_request = request.enter();
        let call = tracing::info_span!("call", call = "call-1");
        drop(call.enter());
        drop(call);
        drop(tracing::info_span!(parent: None, "call", call = "call-2"));
    });
    // The layer is gone with its subscriber: the export thread sends what it has.
    let mut waited = 0;
    while received.lock().unwrap().is_empty() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let (path, body) = &bodies[0];
    assert_eq!(path, "/v1/traces");
    let resource = &body["resourceSpans"][0];
    assert!(resource["resource"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["key"] == "service.name" && a["value"]["stringValue"] == "softphone"));
    let spans = resource["scopeSpans"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 3, "{body}");
    let attribute = |span: &Value, key: &str| {
        span["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"]["stringValue"].clone())
    };
    let find = |name: &str, key: &str, value: &str| {
        spans
            .iter()
            .find(|s| s["name"] == name && attribute(s, key) == Some(Value::from(value)))
            .unwrap_or_else(|| panic!("no {name} {value}: {body}"))
    };
    let request = find("request", "request_id", "req-1");
    let child = find("call", "call", "call-1");
    let lone = find("call", "call", "call-2");
    assert_eq!(request["kind"], 2, "a request is a server span");
    assert_eq!(child["kind"], 1);
    for span in [request, child, lone] {
        assert_eq!(span["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(span["spanId"].as_str().unwrap().len(), 16);
        let time = |k: &str| span[k].as_str().unwrap().parse::<u128>().unwrap();
        assert!(time("endTimeUnixNano") >= time("startTimeUnixNano"));
    }
    assert_eq!(child["traceId"], request["traceId"]);
    assert_eq!(child["parentSpanId"], request["spanId"]);
    assert!(request.get("parentSpanId").is_none());
    assert!(lone.get("parentSpanId").is_none());
    assert_ne!(lone["traceId"], request["traceId"]);

    for bad in ["not a url", "ftp://collector:4318"] {
        assert!(server::otlp::layer(bad).is_err(), "{bad}");
    }
}
