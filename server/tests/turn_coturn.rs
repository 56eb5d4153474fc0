//! An independent TURN server: coturn (Debian `coturn`) with `use-auth-secret` accepts the
//! credentials the real server binary hands a signed-in browser, and refuses an expired one
//! and one made with another secret. coturn's own client (`turnutils_uclient`) allocates relays
//! with them and sends packets through.

#[path = "common/binary.rs"]
mod binary;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use binary::{free_port, http, next_message, open_live, start_server};
use serde_json::json;
use server::calls::TurnRest;
use server::config::Secret;

const SECRET: &str = "5b1e0c9d7a3f46e2b8c4d1a09f7e6c35-coturn";

struct Coturn {
    child: Child,
    port: u16,
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// coturn on a free port, relaying from `relay_ports` (each test its own range, clear of the
/// other tests' media ranges).
fn coturn(relay_ports: (u16, u16)) -> Coturn {
    let port = free_port();
    let child = Command::new("turnserver")
        .args([
            "-n", // no configuration file
            "--use-auth-secret",
            &format!("--static-auth-secret={SECRET}"),
            "--realm=softphone.test",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            &format!("--listening-port={port}"),
            &format!("--min-port={}", relay_ports.0),
            &format!("--max-port={}", relay_ports.1),
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            "--log-file=stdout",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("turnserver runs (Debian package coturn; scripts/setup.sh installs it)");
    // Until it holds its port.
    std::thread::sleep(Duration::from_millis(700));
    Coturn { child, port }
}

/// coturn's client, two of them relaying packets to each other through `port` with these
/// credentials: whether every packet came back.
fn relay_works(port: u16, username: &str, credential: &str) -> bool {
    let output = Command::new("turnutils_uclient")
        .args(["-y", "-n", "3", "-m", "1", "-l", "100"])
        .args(["-u", username, "-w", credential])
        .args(["-p", &port.to_string(), "127.0.0.1"])
        .output()
        .expect("turnutils_uclient runs (Debian package coturn)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    output.status.success() && text.contains("Total lost packets 0 ")
}

/// The TURN entry of the hello a signed-in browser gets from a server using `turn_url`.
async fn turn_entry_from_the_server(turn_url: &str) -> (String, String) {
    let data = std::env::temp_dir().join(format!("softphone-coturn-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let port = free_port();
    let server = start_server(
        &data,
        port,
        &[
            ("SOFTPHONE_TURN_URLS", turn_url),
            ("SOFTPHONE_TURN_SECRET", SECRET),
        ],
    )
    .await;
    let (status, cookies, body) = http(
        port,
        "POST",
        "/api/auth/sign_up",
        None,
        Some(&json!({"email": "relay.user@example.com", "password": "Corr3ct-horse!", "confirm": "Corr3ct-horse!"})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let mut ws = open_live(port, &cookies.join("; ")).await;
    let hello = next_message(&mut ws).await;
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    let turn = &hello["ice_servers"][0];
    assert_eq!(turn["urls"][0], turn_url);
    (
        turn["username"].as_str().unwrap().to_string(),
        turn["credential"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coturn_relays_with_the_credentials_a_browser_is_given() {
    let turn = coturn((35700, 35749));
    let url = format!("turn:127.0.0.1:{}?transport=udp", turn.port);
    let (username, credential) = turn_entry_from_the_server(&url).await;
    assert!(relay_works(turn.port, &username, &credential), "{username}");
    assert!(!relay_works(turn.port, &username, "not-the-credential"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coturn_refuses_expired_credentials_and_another_secret() {
    let turn = coturn((35750, 35799));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let rest = |secret: &str| TurnRest {
        urls: vec![format!("turn:127.0.0.1:{}", turn.port)],
        secret: Secret::new(secret.into()),
        ttl: Duration::from_secs(600),
    };
    let fresh = rest(SECRET).ice_server("user-1", now);
    let fresh_username = fresh.username.unwrap();
    assert!(relay_works(
        turn.port,
        &fresh_username,
        &fresh.credential.unwrap()
    ));
    // Made 11 minutes ago with a 10-minute life: expired a minute ago.
    let expired = rest(SECRET).ice_server("user-1", now - 660);
    assert!(!relay_works(
        turn.port,
        &expired.username.unwrap(),
        &expired.credential.unwrap()
    ));
    let forged = rest("another-secret-of-32-characters-or-more").ice_server("user-1", now);
    assert!(!relay_works(
        turn.port,
        &forged.username.unwrap(),
        &forged.credential.unwrap()
    ));
}
