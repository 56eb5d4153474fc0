//! Server functions answer errors with the status the error names (set through Leptos's
//! `ResponseOptions`, not Leptos's blanket 500), with the `ApiError` as the body, through the
//! real server binary: 401 without a session, 400 for a malformed call, 404 for what is not the
//! caller's, 409, 422, and 200 when all is well. A refused number is audited.

#[path = "common/binary.rs"]
mod binary;

use app::api::ports::AuditStore;
use binary::{free_port, http, start_server};
use serde_json::{json, Value};

const PASSWORD: &str = "Corr3ct-horse!";

/// Status and JSON body of one server-function call.
async fn call(port: u16, cookie: Option<&str>, endpoint: &str, body: Value) -> (u16, Value) {
    let (status, _, bytes) = http(port, "POST", endpoint, cookie, Some(&body))
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_function_errors_carry_their_own_status() {
    let data = std::env::temp_dir().join(format!("softphone-status-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let port = free_port();
    let server = start_server(&data, port, &[]).await;
    let account = json!({"email": "status@example.com", "password": PASSWORD, "confirm": PASSWORD});

    let list = json!({"search": "", "favourites_only": false, "cursor": null});
    assert_eq!(
        call(port, None, "/api/contacts/list", list.clone()).await,
        (401, json!("NotSignedIn"))
    );

    let (status, cookies, body) = http(port, "POST", "/api/auth/sign_up", None, Some(&account))
        .await
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cookie = cookies.join("; ");
    let me = Some(cookie.as_str());

    let (status, page) = call(port, me, "/api/contacts/list", list).await;
    assert_eq!(status, 200, "{page}");
    // A taken email: the very status and body a new one got (no enumeration), and, with
    // another password, no session.
    let other = json!({"email": "status@example.com", "password": "0ther-Horse!", "confirm": "0ther-Horse!"});
    let (status, again_cookies, again) =
        http(port, "POST", "/api/auth/sign_up", None, Some(&other))
            .await
            .unwrap();
    assert_eq!((status, again.clone()), (200, body.clone()));
    assert_eq!(
        serde_json::from_slice::<Value>(&again).unwrap(),
        json!("SignIn")
    );
    assert!(
        !again_cookies
            .iter()
            .any(|c| c.starts_with(app::cookies::ACCESS)),
        "{again_cookies:?}"
    );
    let (status, error) = call(
        port,
        None,
        "/api/auth/sign_in",
        json!({"email": "status@example.com", "password": "Wr0ng-horse!"}),
    )
    .await;
    assert_eq!((status, &error), (401, &json!("InvalidCredentials")));
    assert_eq!(
        call(port, me, "/api/calls/get", json!({"id": "no-such-call"})).await,
        (404, json!("NotFound"))
    );
    // Who a call could be transferred to is for an agent on a call only.
    assert_eq!(
        call(port, me, "/api/calls/transfer_targets", json!({})).await,
        (409, json!("NotOnACall"))
    );
    let (status, error) = call(port, me, "/api/calls/get", json!({})).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["Request"].is_string(), "{error}");
    let (status, error) = call(
        port,
        me,
        "/api/calls/start",
        json!({"input": "+65 1900 123 4567", "default_country": null, "connection": 1}),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error, json!({"NumberRefused": "premium_rate"}));

    // The refusal is in the caller's audit trail, as for a call placed through the REST API.
    drop(server);
    let store = server::store::SqliteStore::open(&data.join("softphone.sqlite3"))
        .await
        .unwrap();
    let trail = store.list_audit(&sub_of(&cookie), 10).await.unwrap();
    let refused = trail
        .iter()
        .find(|e| e.action == "call_refused")
        .expect("call_refused audited");
    assert_eq!(refused.detail, "premium_rate");
    drop(store);
    let _ = std::fs::remove_dir_all(&data);
}

/// The user (`sub`) of a session: the access token's claims.
fn sub_of(cookie: &str) -> String {
    use base64::Engine;
    let token = cookie
        .split("; ")
        .find_map(|c| {
            c.strip_prefix(app::cookies::ACCESS)
                .and_then(|c| c.strip_prefix('='))
        })
        .expect("an access cookie");
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&claims).unwrap();
    claims["sub"].as_str().unwrap().to_string()
}
