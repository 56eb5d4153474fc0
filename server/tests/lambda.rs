//! The server binary as an AWS Lambda function: started with the Lambda runtime API present
//! (here a stand-in for it, speaking the runtime API's HTTP protocol), it takes API Gateway
//! events (a recorded REST API proxy event, varied per request) through the same router and
//! answers them: sign-up sets the session cookies, the REST API answers with a Bearer token and
//! refuses without one, and the client's address is the one API Gateway saw; answers come
//! compressed (as binary, base64) when the event's client accepts it.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use app::api::ports::AuditStore;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Mutex};

const EVENT: &str = include_str!("fixtures/apigw-rest-proxy-event.json");

/// What the function sent back for one invocation: its response, or an error it reported.
type Outcome = Result<Value, Value>;

#[derive(Clone)]
struct RuntimeApi {
    events: Arc<Mutex<mpsc::Receiver<(String, Value)>>>,
    outcomes: mpsc::Sender<(String, Outcome)>,
}

async fn next(State(api): State<RuntimeApi>) -> (HeaderMap, Json<Value>) {
    // Long-polls like the real runtime API: answers when there is an event.
    let (id, event) = api
        .events
        .lock()
        .await
        .recv()
        .await
        .expect("the test ended");
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    headers.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_str(&id).unwrap(),
    );
    headers.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from(deadline as u64),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:ap-southeast-1:123456789012:function:softphone"),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static("Root=1-5e66d96f-7491f09xmpl79d18acf3d050"),
    );
    (headers, Json(event))
}

/// The runtime client posts JSON without saying so; read it as such.
fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
}

async fn respond(
    State(api): State<RuntimeApi>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> &'static str {
    api.outcomes.send((id, Ok(json_of(&body)))).await.unwrap();
    "accepted"
}

async fn fail(
    State(api): State<RuntimeApi>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> &'static str {
    api.outcomes.send((id, Err(json_of(&body)))).await.unwrap();
    "accepted"
}

async fn init_failed(State(api): State<RuntimeApi>, body: axum::body::Bytes) -> &'static str {
    api.outcomes
        .send(("init".into(), Err(json_of(&body))))
        .await
        .unwrap();
    "accepted"
}

struct Function {
    child: Child,
    events: mpsc::Sender<(String, Value)>,
    outcomes: mpsc::Receiver<(String, Outcome)>,
    count: usize,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Function {
    /// Sends one API Gateway event made from the recorded one, and returns the response.
    async fn invoke(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Value {
        let mut event: Value = serde_json::from_str(EVENT).unwrap();
        event["httpMethod"] = json!(method);
        event["requestContext"]["httpMethod"] = json!(method);
        event["path"] = json!(path);
        event["requestContext"]["path"] = json!(format!("/prod{path}"));
        event["pathParameters"]["proxy"] = json!(path.trim_start_matches('/'));
        for (name, value) in headers {
            event["headers"][*name] = json!(value);
            event["multiValueHeaders"][*name] = json!([value]);
        }
        if let Some(body) = body {
            event["body"] = json!(body.to_string());
            event["headers"]["Content-Type"] = json!("application/json");
            event["multiValueHeaders"]["Content-Type"] = json!(["application/json"]);
        }
        self.count += 1;
        let id = format!("request-{}", self.count);
        self.events.send((id.clone(), event)).await.unwrap();
        let (answered, outcome) =
            tokio::time::timeout(Duration::from_secs(30), self.outcomes.recv())
                .await
                .expect("the function did not answer within 30 s")
                .unwrap();
        assert_eq!(answered, id);
        outcome.unwrap_or_else(|e| panic!("the function reported an error: {e}"))
    }
}

async fn start_function(data: &std::path::Path) -> Function {
    let (event_tx, event_rx) = mpsc::channel(1);
    let (outcome_tx, outcome_rx) = mpsc::channel(1);
    let api = RuntimeApi {
        events: Arc::new(Mutex::new(event_rx)),
        outcomes: outcome_tx,
    };
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
        .route("/2018-06-01/runtime/init/error", post(init_failed))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime_api = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let log = std::fs::File::create(data.join("function.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(data)
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "softphone")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("LEPTOS_OUTPUT_NAME", "softphone")
        .env("SOFTPHONE_DATA_DIR", data)
        .env(
            "SOFTPHONE_PUBLIC_URL",
            "https://wt6mne2s9k.execute-api.ap-southeast-1.amazonaws.com",
        )
        .env("SOFTPHONE_LOG_FORMAT", "text")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    Function {
        child,
        events: event_tx,
        outcomes: outcome_rx,
        count: 0,
    }
}

fn cookie(response: &Value, name: &str) -> Option<String> {
    response["multiValueHeaders"]["set-cookie"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|c| c.split(';').next())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c[name.len() + 1..].to_string())
}

/// A response header's value (API Gateway's `headers` or `multiValueHeaders`, any case).
fn header(response: &Value, name: &str) -> Option<String> {
    for field in ["headers", "multiValueHeaders"] {
        if let Some(map) = response[field].as_object() {
            for (key, value) in map {
                if key.eq_ignore_ascii_case(name) {
                    let value = value.as_array().and_then(|v| v.first()).unwrap_or(value);
                    return value.as_str().map(str::to_string);
                }
            }
        }
    }
    None
}

/// The body as the browser reads it: API Gateway turns a base64 body back into bytes (the
/// template's `BinaryMediaTypes: ["*/*"]`), then the browser undoes its `Content-Encoding`.
fn body(response: &Value) -> Value {
    use base64::Engine;
    use std::io::Read;
    let text = response["body"].as_str().unwrap_or("null");
    let bytes = if response["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("a base64 body")
    } else {
        text.as_bytes().to_vec()
    };
    let mut decoded = Vec::new();
    match header(response, "content-encoding").as_deref() {
        Some("br") => {
            brotli::Decompressor::new(&bytes[..], 4096)
                .read_to_end(&mut decoded)
                .expect("a brotli body");
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut decoded)
                .expect("a gzip body");
        }
        _ => decoded = bytes,
    }
    serde_json::from_slice(&decoded).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gateway_events_run_through_the_same_router() {
    let data = std::env::temp_dir().join(format!("softphone-lambda-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let mut function = start_function(&data).await;

    let ready = function.invoke("GET", "/readyz", &[], None).await;
    assert_eq!(ready["statusCode"], 200, "{ready}");
    assert_eq!(body(&ready)["store"], "ok");
    // The recorded event's browser accepts brotli: the answer is compressed, as binary.
    assert_eq!(header(&ready, "content-encoding").as_deref(), Some("br"));
    assert_eq!(ready["isBase64Encoded"], true, "{ready}");

    let account = json!({"email": "lambda@example.com", "password": "Corr3ct-horse!", "confirm": "Corr3ct-horse!"});
    // From another site: refused before anything is done (docs/security.md).
    let forged = function
        .invoke(
            "POST",
            "/api/auth/sign_up",
            &[
                ("Accept", "application/json"),
                ("Origin", "https://evil.example"),
            ],
            Some(account.clone()),
        )
        .await;
    assert_eq!(forged["statusCode"], 403, "{forged}");
    // From our own page, as API Gateway's host names it.
    let signed_up = function
        .invoke(
            "POST",
            "/api/auth/sign_up",
            &[
                ("Accept", "application/json"),
                (
                    "Origin",
                    "https://wt6mne2s9k.execute-api.ap-southeast-1.amazonaws.com",
                ),
            ],
            Some(account),
        )
        .await;
    assert_eq!(signed_up["statusCode"], 200, "{signed_up}");
    let token = cookie(&signed_up, "sp_access").expect("the session cookie comes back");

    let me = function
        .invoke(
            "GET",
            "/api/v1/me",
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
    assert_eq!(me["statusCode"], 200, "{me}");
    let me = body(&me);
    assert_eq!(me["email"], "lambda@example.com");

    let refused = function.invoke("GET", "/api/v1/me", &[], None).await;
    assert_eq!(refused["statusCode"], 401, "{refused}");
    assert_eq!(body(&refused)["code"], "NotSignedIn");
    let headers = refused["multiValueHeaders"].to_string().to_lowercase();
    assert!(headers.contains("application/problem+json"), "{headers}");
    assert!(headers.contains("www-authenticate"), "{headers}");

    // The sign-up's sign-in was audited with the address API Gateway saw, not a header's.
    let store = server::store::SqliteStore::open(&data.join("softphone.sqlite3"))
        .await
        .unwrap();
    let trail = store
        .list_audit(me["sub"].as_str().unwrap(), 10)
        .await
        .unwrap();
    let sign_in = trail
        .iter()
        .find(|e| e.action == "sign_in")
        .expect("sign_in audited");
    assert_eq!(sign_in.detail, "203.0.113.7");
    drop(function);
    let _ = std::fs::remove_dir_all(&data);
}
