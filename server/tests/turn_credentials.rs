//! TURN credentials made per user, through the real server binary and its live channel as a
//! browser opens it: the hello carries the fixed ICE servers and then the TURN server with a
//! user name `<expiry>:<opaque id>` (no e-mail) expiring a TTL from now, whose credential is
//! base64(HMAC-SHA1(secret, user name)); each connection gets a fresh one; the secret reaches
//! neither the browser nor the log. Without the TURN settings the hello is as before.

#[path = "common/binary.rs"]
mod binary;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::Engine as _;
use binary::{free_port, http, next_message, open_live, start_server, Server};
use serde_json::{json, Value};

const SECRET: &str = "a7f3c9e1b5d24680a7f3c9e1b5d24680-turn-secret";
const EMAIL: &str = "turn.agent@example.com";
const STUN: &str = r#"[{"urls":["stun:stun.example.com:3478"]}]"#;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-turn-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A server with `env`, and the session cookie of a new account.
async fn signed_up(env: &[(&str, &str)]) -> (Server, u16, String, PathBuf) {
    let data = temp_dir();
    let port = free_port();
    let server = start_server(&data, port, env).await;
    let (status, cookies, body) = http(
        port,
        "POST",
        "/api/auth/sign_up",
        None,
        Some(&json!({"email": EMAIL, "password": "Corr3ct-horse!", "confirm": "Corr3ct-horse!"})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    (server, port, cookies.join("; "), data)
}

/// The ICE servers of a new live connection's hello.
async fn hello_ice_servers(port: u16, cookie: &str) -> Vec<Value> {
    let mut ws = open_live(port, cookie).await;
    let hello = next_message(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    hello["ice_servers"].as_array().unwrap().clone()
}

/// An independent check of the credential: HMAC-SHA1 keyed with the secret, base64.
fn expected_credential(username: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, SECRET.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, username.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hello_carries_the_users_own_turn_credentials() {
    let (server, port, cookie, data) = signed_up(&[
        ("SOFTPHONE_ICE_SERVERS", STUN),
        (
            "SOFTPHONE_TURN_URLS",
            "turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp",
        ),
        ("SOFTPHONE_TURN_SECRET", SECRET),
        ("SOFTPHONE_TURN_TTL", "900"),
    ])
    .await;

    let before = now_unix();
    let servers = hello_ice_servers(port, &cookie).await;
    let after = now_unix();
    assert_eq!(servers.len(), 2, "{servers:?}");
    assert_eq!(servers[0]["urls"], json!(["stun:stun.example.com:3478"]));
    let turn = &servers[1];
    assert_eq!(
        turn["urls"],
        json!([
            "turn:turn.example.com:3478?transport=udp",
            "turns:turn.example.com:5349?transport=tcp"
        ])
    );
    let username = turn["username"].as_str().unwrap();
    let credential = turn["credential"].as_str().unwrap();
    assert_eq!(credential, expected_credential(username));
    assert_ne!(credential, SECRET);

    let (expiry, id) = username.split_once(':').unwrap();
    let expiry: u64 = expiry.parse().unwrap();
    assert!(
        (before + 900..=after + 900).contains(&expiry),
        "expires {expiry}, now {before}..{after}"
    );
    assert!(!id.is_empty());
    assert!(!id.contains('@') && !id.contains("turn.agent"), "{id}");

    // The same user's next connection: the same id, a later expiry, a new credential.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = hello_ice_servers(port, &cookie).await;
    let username_again = again[1]["username"].as_str().unwrap();
    let (expiry_again, id_again) = username_again.split_once(':').unwrap();
    assert_eq!(id_again, id);
    assert!(expiry_again.parse::<u64>().unwrap() > expiry);
    assert_eq!(
        again[1]["credential"].as_str().unwrap(),
        expected_credential(username_again)
    );

    drop(server);
    let log = std::fs::read_to_string(data.join("server.log")).unwrap();
    assert!(!log.contains(SECRET), "the secret is not logged");
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_turn_settings_the_hello_is_unchanged() {
    let (server, port, cookie, data) = signed_up(&[("SOFTPHONE_ICE_SERVERS", STUN)]).await;
    let servers = hello_ice_servers(port, &cookie).await;
    assert_eq!(
        servers,
        vec![json!({"urls": ["stun:stun.example.com:3478"], "username": null, "credential": null})]
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&data);

    let (server, port, cookie, data) = signed_up(&[]).await;
    assert!(hello_ice_servers(port, &cookie).await.is_empty());
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
