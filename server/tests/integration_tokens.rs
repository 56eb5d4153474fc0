//! Integration tokens and playback auditing against the real server binary
//! (`docs/security.md`, "Web and sessions" and "Audit"): a token made with the Settings server
//! function reaches the REST API within its scopes only (403 naming the missing scope), never
//! the admin endpoints nor the app's server functions, is kept only as its hash, and stops
//! working the moment it is revoked; every playback of a recording (inline, download, with a
//! token) leaves an audit entry.

#[path = "common/binary.rs"]
mod binary;

use app::api::ports::{AuditStore, RecordingMetadataStore, TokenStore};
use app::domain::recordings::{ConsentNotice, Recording, RecordingState};
use binary::{call_api, free_port, http, start_server};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "Corr3ct-horse!";

/// One HTTP/1.0 request with `Authorization: Bearer <token>` (and a JSON body if given), from
/// our own origin:
/// status and body.
async fn bearer(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let body = body.map(|b| b.to_string());
    let mut request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
    );
    // Our own Origin, so that the cross-site guard is never what refuses a server function.
    request.push_str(&format!("Origin: http://127.0.0.1:{port}\r\n"));
    if let Some(b) = &body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body.as_deref().unwrap_or_default());
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response[split + 4..].to_vec())
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn temp_dir() -> std::path::PathBuf {
    let data = std::env::temp_dir().join(format!("softphone-pat-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    data
}

async fn make_token(port: u16, cookie: &str, name: &str, scopes: &[&str]) -> Value {
    call_api(
        port,
        cookie,
        "/api/tokens/create",
        json!({"request": {"name": name, "scopes": scopes, "lifetime": "Days30"}}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reaches_its_scopes_only_and_dies_when_revoked_and_playback_is_audited() {
    let data = temp_dir();
    let port = free_port();
    let server = start_server(&data, port, &[]).await;
    let (status, cookies, body) = http(
        port,
        "POST",
        "/api/auth/sign_up",
        None,
        Some(&json!({"email": "crm@example.com", "password": PASSWORD, "confirm": PASSWORD})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cookie = cookies.join("; ");

    let made = make_token(port, &cookie, "CRM", &["contacts:read", "recordings:read"]).await;
    let secret = made["secret"].as_str().unwrap().to_string();
    let id = made["info"]["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("sp_pat_"), "{made}");
    assert_eq!(
        made["info"]["scopes"],
        json!(["contacts:read", "recordings:read"])
    );

    // Within its scopes.
    let (status, body) = bearer(port, "GET", "/api/v1/contacts", &secret, None).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, body) = bearer(port, "GET", "/api/v1/me", &secret, None).await;
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["email"], "crm@example.com");
    assert_eq!(json_of(&body)["roles"], json!([]));
    // Outside them: 403 naming the scope.
    let contact = json!({"name": "Ana", "numbers": [{"number": "+507 6123-4567"}]});
    let (status, body) = bearer(port, "POST", "/api/v1/contacts", &secret, Some(&contact)).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    let problem = json_of(&body);
    assert_eq!(problem["code"], "MissingScope", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("contacts:write"),
        "{problem}"
    );
    let (status, body) = bearer(port, "GET", "/api/v1/calls", &secret, None).await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("calls:read"));
    // Never the admin endpoints, never the app's server functions.
    let (status, body) = bearer(port, "GET", "/api/v1/admin/limits/x", &secret, None).await;
    assert_eq!(status, 403);
    assert_eq!(json_of(&body)["code"], "SessionRequired");
    let (status, _) = bearer(port, "POST", "/api/tokens/list", &secret, Some(&json!({}))).await;
    assert_eq!(status, 401, "a token is not a session");
    // A token of the right shape that was never made.
    let forged = format!("sp_pat_{}", "A".repeat(43));
    let (status, _) = bearer(port, "GET", "/api/v1/contacts", &forged, None).await;
    assert_eq!(status, 401);

    // The list shows it without its secret, with its last use.
    let listed = call_api(port, &cookie, "/api/tokens/list", json!({})).await;
    assert_eq!(listed[0]["name"], "CRM");
    assert!(listed[0]["last_used_at"].is_u64(), "{listed}");
    assert!(!listed.to_string().contains(&secret[7..]), "{listed}");

    // A recording of the user's, on disk, played three ways: each is audited.
    let store = server::store::SqliteStore::open(&data.join("softphone.sqlite3"))
        .await
        .unwrap();
    let sub = listed_owner(&store, &secret).await;
    let recording = Recording {
        id: "rec-1".into(),
        call_id: "call-1".into(),
        started_at: 2_000,
        ended_at: Some(62_000),
        duration_ms: 60_000,
        bytes: 48,
        sha256: None,
        format: app::domain::recordings::FORMAT.into(),
        consent: ConsentNotice::Tone,
        pause_mode: "silence".into(),
        pauses: vec![],
        location: "disk".into(),
        key: Recording::key_for("rec-1", 2_000),
        retain_until: u64::MAX / 2,
        state: RecordingState::Complete,
        upload_id: None,
        waveform: vec![],
    };
    store.insert_recording(&sub, &recording).await.unwrap();
    let file = data.join("recordings").join(&recording.key);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, [b"RIFF".as_slice(), &[0u8; 44]].concat()).unwrap();
    let audio = "/api/recordings/rec-1/audio";
    let (status, _, _) = http(port, "GET", audio, Some(&cookie), None).await.unwrap();
    assert_eq!(status, 200);
    let (status, _, _) = http(
        port,
        "GET",
        &format!("{audio}?download=1"),
        Some(&cookie),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let (status, body) = bearer(port, "GET", audio, &secret, None).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(&body[..4], b"RIFF");
    // A token without `recordings:read` plays nothing (and leaves no entry).
    let contacts_only = make_token(port, &cookie, "Contacts", &["contacts:read"]).await;
    let other = contacts_only["secret"].as_str().unwrap();
    let (status, body) = bearer(port, "GET", audio, other, None).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));

    let trail: Vec<(String, String)> = store
        .list_audit(&sub, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect();
    let count = |action: &str| trail.iter().filter(|(a, _)| a == action).count();
    assert_eq!(count("recording_played"), 2, "{trail:?}");
    assert_eq!(count("recording_downloaded"), 1, "{trail:?}");
    assert!(
        trail
            .iter()
            .filter(|(a, _)| a.starts_with("recording_"))
            .all(|(_, d)| d.contains("recording rec-1 of call call-1")),
        "{trail:?}"
    );
    assert_eq!(count("token_created"), 2, "{trail:?}");

    // Revoked: refused from the next request on.
    call_api(port, &cookie, "/api/tokens/revoke", json!({"id": id})).await;
    let (status, _) = bearer(port, "GET", "/api/v1/contacts", &secret, None).await;
    assert_eq!(status, 401);
    let (status, _) = bearer(port, "GET", audio, &secret, None).await;
    assert_eq!(status, 401);
    let trail = store.list_audit(&sub, 50).await.unwrap();
    assert_eq!(trail[0].action, "token_revoked", "{trail:?}");

    // At rest only hashes: no secret in the database files.
    drop(server);
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("softphone.sqlite3"))
        {
            let bytes = std::fs::read(&path).unwrap();
            for token in [secret.as_str(), other] {
                assert!(
                    !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                    "{} holds a token",
                    path.display()
                );
            }
        }
    }
    let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
    assert!(!log.contains(&secret[7..]), "a token in the log");
    let _ = std::fs::remove_dir_all(&data);
}

/// The owner of a token, found as the REST API finds it (by the hash of the secret).
async fn listed_owner(store: &server::store::SqliteStore, secret: &str) -> String {
    store
        .token_by_hash(&app::api::tokens::ops::hash(secret))
        .await
        .unwrap()
        .expect("the token is found by its hash")
        .owner
}
