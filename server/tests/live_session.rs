//! The live channel lives no longer than its session (docs/security.md, "Web and sessions"),
//! against the real server binary: signing out everywhere and a password reset close every
//! open channel of the account at once; a sign-out made by another server process on the same
//! store closes them at the next periodic check; and at its access token's expiry a channel
//! checks its session in the store: it stays open while the session stands and closes if it
//! is gone. An administrator disabling the account closes its channels at once too.

#[path = "common/binary.rs"]
mod binary;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use app::api::ports::AccountStore;
use binary::{call_api, free_port, http, next_message, open_live, start_server, LiveSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "Corr3ct-horse!";
/// The close code the app reads as "signed out" (`app::api::live::SESSION_ENDED`).
const SESSION_ENDED: u16 = 4401;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let data = std::env::temp_dir().join(format!("softphone-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    data
}

/// Signs up (or, if `sign_up` is false, signs in) and returns the session's cookie header.
async fn session(port: u16, email: &str, sign_up: bool) -> String {
    let (path, body) = if sign_up {
        (
            "/api/auth/sign_up",
            json!({"email": email, "password": PASSWORD, "confirm": PASSWORD}),
        )
    } else {
        (
            "/api/auth/sign_in",
            json!({"email": email, "password": PASSWORD}),
        )
    };
    let (status, cookies, body) = http(port, "POST", path, None, Some(&body)).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    cookies
        .into_iter()
        .filter(|c| c.starts_with("sp_access=") || c.starts_with("sp_refresh="))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A live channel that has had its hello.
async fn channel(port: u16, cookie: &str) -> LiveSocket {
    let mut ws = open_live(port, cookie).await;
    let hello = next_message(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    ws
}

/// Waits at most `within` for the server to close `ws`: its close code and reason, and when.
async fn closed_within(ws: &mut LiveSocket, within: Duration) -> (u16, String, Duration) {
    let started = Instant::now();
    loop {
        let next = tokio::time::timeout_at((started + within).into(), ws.next())
            .await
            .unwrap_or_else(|_| panic!("the channel was still open after {within:?}"));
        match next {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (
                    frame.code.into(),
                    frame.reason.to_string(),
                    started.elapsed(),
                )
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                panic!("closed without a code after {:?}", started.elapsed())
            }
            Some(Ok(_)) => continue,
        }
    }
}

/// The channel still answers (`for_` long): a frame that is not JSON gets its error reply.
async fn still_open(ws: &mut LiveSocket, for_: Duration) {
    let until = Instant::now() + for_;
    while Instant::now() < until {
        ws.send(Message::Text("not json".into())).await.unwrap();
        let reply = next_message(ws).await;
        assert_eq!(reply["type"], "error", "{reply}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The HTTP status that refuses a live channel asked for with `cookie`.
async fn refused_live(port: u16, cookie: &str) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{port}/api/live")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Cookie", cookie.parse().unwrap());
    request.headers_mut().insert(
        "Origin",
        format!("http://127.0.0.1:{port}").parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("refused without an HTTP answer: {e}"),
        Ok(_) => panic!("the live channel opened"),
    }
}

/// The account's sessions revoked straight in the store, as another server process on the
/// same database does when the user signs out there.
async fn revoke_elsewhere(data: &Path, email: &str) {
    let store = server::store::SqliteStore::open(&data.join("softphone.sqlite3"))
        .await
        .unwrap();
    let user = store.user_by_email(email).await.unwrap().unwrap();
    assert!(store.revoke_sessions(&user.sub).await.unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_closes_every_open_channel_at_once() {
    let data = temp_dir("live-sign-out");
    let port = free_port();
    // The periodic check is far off: only the sign-out's own notice can close the channels.
    let _server = start_server(&data, port, &[("SOFTPHONE_SESSION_RECHECK_SECS", "600")]).await;
    let email = "out@example.com";
    let laptop = session(port, email, true).await;
    let phone = session(port, email, false).await;
    let other_user = session(port, "bystander@example.com", true).await;
    let mut on_laptop = channel(port, &laptop).await;
    let mut on_phone = channel(port, &phone).await;
    let mut bystander = channel(port, &other_user).await;
    still_open(&mut on_phone, Duration::from_millis(500)).await;

    call_api(port, &laptop, "/api/auth/sign_out", json!({})).await;
    for ws in [&mut on_laptop, &mut on_phone] {
        let (code, reason, after) = closed_within(ws, Duration::from_secs(3)).await;
        assert_eq!(code, SESSION_ENDED, "{reason}");
        assert!(reason.contains("session ended"), "{reason}");
        assert!(after < Duration::from_secs(3), "{after:?}");
    }
    // Another user's channel is not touched, and the signed-out cookie opens no new one.
    still_open(&mut bystander, Duration::from_millis(500)).await;
    assert_eq!(refused_live(port, &phone).await, 401);
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_closes_the_accounts_open_channels() {
    let data = temp_dir("live-reset");
    let port = free_port();
    let _server = start_server(&data, port, &[("SOFTPHONE_SESSION_RECHECK_SECS", "600")]).await;
    let email = "reset@example.com";
    let cookie = session(port, email, true).await;
    let mut ws = channel(port, &cookie).await;
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(&data)
        .args(["users", "reset-link", email])
        .env("SOFTPHONE_DATA_DIR", &data)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    let code = printed
        .split("#code=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no link in {printed}"))
        .to_string();
    let new_password = "N3w-horse-battery!";
    call_api(
        port,
        "",
        "/api/auth/reset_password",
        json!({"email": email, "code": code, "password": new_password, "confirm": new_password}),
    )
    .await;
    let (code, reason, _) = closed_within(&mut ws, Duration::from_secs(3)).await;
    assert_eq!(code, SESSION_ENDED, "{reason}");
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_on_another_server_closes_the_channel_at_the_next_check() {
    let data = temp_dir("live-elsewhere");
    let port = free_port();
    let _server = start_server(&data, port, &[("SOFTPHONE_SESSION_RECHECK_SECS", "1")]).await;
    let email = "elsewhere@example.com";
    let cookie = session(port, email, true).await;
    let mut ws = channel(port, &cookie).await;
    // Checked every second, and still standing.
    still_open(&mut ws, Duration::from_millis(2500)).await;
    revoke_elsewhere(&data, email).await;
    let (code, reason, after) = closed_within(&mut ws, Duration::from_secs(3)).await;
    assert_eq!(code, SESSION_ENDED, "{reason}");
    assert!(after <= Duration::from_millis(2500), "{after:?}");
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_its_tokens_expiry_a_channel_checks_its_session_in_the_store() {
    let data = temp_dir("live-expiry");
    let port = free_port();
    // Access tokens of 8 s, and no periodic check to speak of: only the expiry's check runs.
    let _server = start_server(
        &data,
        port,
        &[
            ("SOFTPHONE_ACCESS_TOKEN_SECS", "8"),
            ("SOFTPHONE_SESSION_RECHECK_SECS", "600"),
        ],
    )
    .await;
    // A session that stands: the channel outlives its token (a call is not cut at the hour).
    let staying = session(port, "stays@example.com", true).await;
    let mut ws_staying = channel(port, &staying).await;
    let email = "expires@example.com";
    let cookie = session(port, email, true).await;
    let mut ws = channel(port, &cookie).await;
    let opened = Instant::now();
    // Revoked where this server does not hear of it: only the expiry's check can see it.
    revoke_elsewhere(&data, email).await;
    still_open(&mut ws, Duration::from_secs(1)).await;
    let (code, reason, _) = closed_within(&mut ws, Duration::from_secs(15)).await;
    assert_eq!(code, SESSION_ENDED, "{reason}");
    let at = opened.elapsed();
    // Closed by the check at the token's expiry (8 s after it was made), not before.
    assert!(
        at >= Duration::from_secs(2) && at < Duration::from_secs(10),
        "closed after {at:?}"
    );
    still_open(&mut ws_staying, Duration::from_secs(2)).await;
    let _ = std::fs::remove_dir_all(&data);
}

/// A REST request with `Authorization: Bearer <token>` (the app's access token): status and
/// body as JSON.
async fn bearer(port: u16, method: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, serde_json::from_str(body).unwrap_or_default())
}

/// The access token in a session's cookie header.
fn access_token(cookie: &str) -> &str {
    cookie
        .split("; ")
        .find_map(|c| c.strip_prefix("sp_access="))
        .expect("an access cookie")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_disabling_the_account_closes_its_open_channels_at_once() {
    let data = temp_dir("live-disable");
    let port = free_port();
    // The periodic check is far off: only the disable's own notice can close the channel.
    let _server = start_server(&data, port, &[("SOFTPHONE_SESSION_RECHECK_SECS", "600")]).await;
    let email = "disabled@example.com";
    let cookie = session(port, email, true).await;
    let mut ws = channel(port, &cookie).await;
    let bystander = session(port, "bystander@example.com", true).await;
    let mut ws_bystander = channel(port, &bystander).await;
    // An administrator: the operator grants the role, the next sign-in's token carries it.
    session(port, "root@example.com", true).await;
    let granted = Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(&data)
        .args(["users", "grant-admin", "root@example.com"])
        .env("SOFTPHONE_DATA_DIR", &data)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(granted.status.success(), "{granted:?}");
    let root = session(port, "root@example.com", false).await;
    let (status, me) = bearer(port, "GET", "/api/v1/me", access_token(&cookie)).await;
    assert_eq!(status, 200, "{me}");
    let sub = me["sub"].as_str().unwrap().to_string();

    let (status, body) = bearer(
        port,
        "POST",
        &format!("/api/v1/admin/users/{sub}/disable"),
        access_token(&root),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (code, reason, after) = closed_within(&mut ws, Duration::from_secs(3)).await;
    assert_eq!(code, SESSION_ENDED, "{reason}");
    assert!(after < Duration::from_secs(3), "{after:?}");
    // Another user's channel is not touched; the disabled account opens no new one, and its
    // sign-in is refused with the reason.
    still_open(&mut ws_bystander, Duration::from_millis(500)).await;
    assert_eq!(refused_live(port, &cookie).await, 401);
    let (status, _, body) = http(
        port,
        "POST",
        "/api/auth/sign_in",
        None,
        Some(&json!({"email": email, "password": PASSWORD})),
    )
    .await
    .unwrap();
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("AccountDisabled"),
        "{}",
        String::from_utf8_lossy(&body)
    );

    // Enabled again: signing in works and opens a channel.
    let (status, body) = bearer(
        port,
        "POST",
        &format!("/api/v1/admin/users/{sub}/enable"),
        access_token(&root),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let back = session(port, email, false).await;
    let mut ws = channel(port, &back).await;
    still_open(&mut ws, Duration::from_millis(500)).await;
    let _ = std::fs::remove_dir_all(&data);
}
