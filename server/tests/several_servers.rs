//! Several servers on one DynamoDB (moto), and on one SQLite file: three real server processes behind a round-robin
//! TCP front (a tiny proxy here), each holding one user's live channel (a str0m peer plays the
//! browser). Calls are placed through the front with the REST click-to-dial, so most land on a
//! server other than the one with the user's app open and go through the store to it. One
//! server is killed with SIGKILL mid-call: another closes its call as interrupted within the
//! lease, the other calls go on, and the global concurrent-call limit holds across the three
//! (the freed slot is freed once).
//!
//! The calls are placed one after another: moto's `TransactWriteItems` is not atomic under
//! concurrent requests (docs/testing.md), so concurrent admissions are checked on SQLite (the
//! conformance suite); here the limit is checked across servers, sequentially.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/moto.rs"]
mod moto;

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use binary::{free_port, http, open_live, start_server, LiveSocket, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const PASSWORD: &str = "Corr3ct-horse!";
/// The lease in the test (the least the server takes): renewed and swept every second.
const LEASE: Duration = Duration::from_secs(3);
/// The global concurrent-call limit across the three servers.
const GLOBAL_CAP: usize = 3;
/// One scenario at a time: the timings hold on a 2-core machine, and the media ports are free.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A round-robin front: each connection goes to the next server that accepts it. Records the
/// server each connection went to.
struct Front {
    port: u16,
    chosen: Arc<Mutex<Vec<usize>>>,
}

async fn front(backends: Vec<u16>) -> Front {
    let listener = tokio::net::TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let chosen = Arc::new(Mutex::new(Vec::new()));
    let log = chosen.clone();
    tokio::spawn(async move {
        let mut next = 0usize;
        while let Ok((mut client, _)) = listener.accept().await {
            let mut backend = None;
            for _ in 0..backends.len() {
                let i = next % backends.len();
                next += 1;
                if let Ok(s) = tokio::net::TcpStream::connect((LOOPBACK, backends[i])).await {
                    backend = Some((i, s));
                    break;
                }
            }
            let Some((i, mut server)) = backend else {
                continue;
            };
            log.lock().unwrap().push(i);
            tokio::spawn(async move {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    Front { port, chosen }
}

impl Front {
    fn last(&self) -> usize {
        *self.chosen.lock().unwrap().last().expect("a connection")
    }
}

/// A REST request with a Bearer token: status and JSON body.
async fn rest(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect((LOOPBACK, port))
        .await
        .unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = serde_json::from_slice(&response[split + 4..]).unwrap_or(Value::Null);
    (status, json)
}

struct User {
    token: String,
    cookie: String,
}

async fn sign_up(port: u16, email: &str) -> User {
    let (status, cookies, body) = http(
        port,
        "POST",
        "/api/auth/sign_up",
        None,
        Some(&json!({"email": email, "password": PASSWORD, "confirm": PASSWORD})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let token = cookies
        .iter()
        .find_map(|c| c.strip_prefix("sp_access="))
        .expect("the access cookie")
        .to_string();
    User {
        token,
        cookie: cookies.join("; "),
    }
}

/// An app open on server `want` (reconnecting through the front until it lands there).
async fn app_on(front: &Front, user: &User, want: usize) -> LiveSocket {
    for _ in 0..12 {
        let ws = open_live(front.port, &user.cookie).await;
        if front.last() == want {
            return ws;
        }
        drop(ws);
    }
    panic!("the front never reached server {want}");
}

/// Places a call with the REST click-to-dial through the front and takes it up in the app:
/// the offer from a str0m peer, the answer back, the call connected to the echo number.
async fn call_through_front(
    front: &Front,
    user: &User,
    ws: &mut LiveSocket,
    holder: usize,
) -> (String, BrowserPeer) {
    let asked = Instant::now();
    let (status, placed) = rest(
        front.port,
        "POST",
        "/api/v1/calls",
        &user.token,
        Some(json!({"number": "+6560000001"})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    // The figure in docs/bench.md ("Several servers").
    let through = front.last();
    eprintln!(
        "click-to-dial answered in {:?} ({})",
        asked.elapsed(),
        if through == holder {
            "on the server with the app"
        } else {
            "relayed through the store"
        }
    );
    let call_id = placed["id"].as_str().unwrap().to_string();
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    let offer = json!({"type": "offer", "call_id": call_id, "sdp": peer.offer});
    ws.send(Message::Text(offer.to_string().into()))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the call never connected")
            .unwrap()
            .unwrap();
        let Message::Text(text) = m else { continue };
        let m: Value = serde_json::from_str(&text).unwrap();
        match m["type"].as_str() {
            Some("answer") => {
                peer.accept_answer(m["sdp"].as_str().unwrap().to_string());
                peer.command(PeerCommand::Source(Source::Tone(1000.0)));
            }
            Some("call") if m["call"]["state"].get("Connected").is_some() => break,
            Some("call") if m["call"]["state"].get("Ended").is_some() => panic!("{m}"),
            Some("error") => panic!("{m}"),
            _ => {}
        }
    }
    (call_id, peer)
}

async fn call_record(front: &Front, user: &User, id: &str) -> Value {
    let (status, call) = rest(
        front.port,
        "GET",
        &format!("/api/v1/calls/{id}"),
        &user.token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{call}");
    call
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("softphone-cluster-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The signing key of the first server, for the others (one identity across the front).
fn share_key(from: &Path, to: &Path) {
    let key = Path::new("identity").join("signing-key.pk8");
    std::fs::create_dir_all(to.join("identity")).unwrap();
    std::fs::copy(from.join(&key), to.join(&key)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_dynamodb_a_killed_servers_calls_are_closed_by_another_and_the_limit_holds() {
    let moto = moto::moto();
    let table = format!("cluster-{}", uuid::Uuid::new_v4().simple());
    server::store::DynamoStore::with_client(moto::dynamodb_client(&moto.endpoint), &table)
        .create_table()
        .await
        .unwrap();
    let store = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("SOFTPHONE_STORE", "dynamodb"),
        ("SOFTPHONE_DYNAMODB_TABLE", table.as_str()),
    ];
    let dirs: Vec<PathBuf> = (0..3).map(|i| temp_dir(&format!("s{i}"))).collect();
    three_servers_one_killed(&store, dirs).await;
}

/// The same on one SQLite file: three processes on one data folder (the file, the signing key
/// and the recordings' spool shared), each with its own server id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_one_sqlite_file_a_killed_servers_calls_are_closed_by_another_and_the_limit_holds() {
    let dir = temp_dir("sqlite");
    three_servers_one_killed(&[], vec![dir; 3]).await;
}

/// The last lines of the servers' logs, for a failure's message.
fn log_tail(dirs: &[PathBuf]) -> String {
    let mut unique = dirs.to_vec();
    unique.dedup();
    let mut out = String::new();
    for dir in &unique {
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        for line in &lines[lines.len().saturating_sub(60)..] {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Three servers with `store` (each in its folder of `dirs`) behind the front; see the top.
async fn three_servers_one_killed(store: &[(&str, &str)], dirs: Vec<PathBuf>) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let front = front(ports.clone()).await;
    let public_url = format!("http://127.0.0.1:{}", front.port);
    let lease = LEASE.as_secs().to_string();
    let cap = GLOBAL_CAP.to_string();
    let mut servers: Vec<Option<Server>> = Vec::new();
    for (i, (dir, port)) in dirs.iter().zip(&ports).enumerate() {
        if i > 0 && dir != &dirs[0] {
            share_key(&dirs[0], dir);
        }
        let id = format!("server-{i}");
        let media = format!("{}-{}", 34000 + i * 100, 34099 + i * 100);
        servers.push(Some(
            start_server(
                dir,
                *port,
                &[
                    ("SOFTPHONE_PUBLIC_URL", public_url.as_str()),
                    ("SOFTPHONE_SERVER_ID", &id),
                    ("SOFTPHONE_SERVER_LEASE_SECS", &lease),
                    ("SOFTPHONE_LIMIT_CONCURRENT_CALLS", &cap),
                    ("SOFTPHONE_SIGNUP_LIMIT_PER_ADDRESS", "100"),
                    ("SOFTPHONE_MEDIA_PORTS", &media),
                ]
                .into_iter()
                .chain(store.iter().copied())
                .collect::<Vec<_>>(),
            )
            .await,
        ));
    }

    // One user per server, each with the app open on it, and a call placed through the front.
    let users: Vec<User> = {
        let mut users = Vec::new();
        for i in 0..5 {
            users.push(sign_up(front.port, &format!("agent{i}@example.com")).await);
        }
        users
    };
    let mut apps = Vec::new();
    let mut calls = Vec::new();
    for (server, user) in users.iter().take(3).enumerate() {
        let mut ws = app_on(&front, user, server).await;
        let (call_id, peer) = call_through_front(&front, user, &mut ws, server).await;
        apps.push(ws);
        calls.push((call_id, peer));
    }
    let relayed = front.chosen.lock().unwrap().len();
    assert!(
        relayed > 6,
        "the front spread the requests: {relayed} connections"
    );

    // The limit holds across the three: a fourth call (its app open on server 1) is refused.
    let mut fourth_app = app_on(&front, &users[3], 1).await;
    let (status, refused) = rest(
        front.port,
        "POST",
        "/api/v1/calls",
        &users[3].token,
        Some(json!({"number": "+6560000001"})),
    )
    .await;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["code"], "ServiceBusy", "{refused}");

    // Server 0 dies mid-call.
    let killed_at = Instant::now();
    drop(servers[0].take()); // SIGKILL
    let (dead_call, _dead_peer) = &calls[0];
    let closed = loop {
        let call = call_record(&front, &users[0], dead_call).await;
        if call["end_reason"] == "interrupted" {
            break call;
        }
        assert_eq!(call["ended_at"], Value::Null, "{call}");
        assert!(
            killed_at.elapsed() < LEASE + Duration::from_secs(4),
            "the dead server's call still open after {:?}: {call}",
            killed_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let waited = killed_at.elapsed();
    eprintln!("the dead server's call closed {waited:?} after the kill");
    assert!(
        waited < LEASE + Duration::from_secs(3),
        "closed within the lease and a sweep: {waited:?}"
    );
    assert_eq!(closed["hangup_by"], "system", "{closed}");

    // The others' calls go on.
    for (i, (id, _)) in calls.iter().enumerate().skip(1) {
        let call = call_record(&front, &users[i], id).await;
        assert_eq!(call["ended_at"], Value::Null, "{call}");
        assert!(call["answered_at"].is_u64(), "{call}");
    }

    // Its slot was freed once: the fourth call now fits, and a fifth does not.
    let (fourth, _fourth_peer) = call_through_front(&front, &users[3], &mut fourth_app, 1).await;
    let _fifth_app = app_on(&front, &users[4], 2).await;
    let (status, refused) = rest(
        front.port,
        "POST",
        "/api/v1/calls",
        &users[4].token,
        Some(json!({"number": "+6560000001"})),
    )
    .await;
    assert_eq!(
        status,
        503,
        "one slot freed, not two: {refused} (the request went through server {})\nthe servers' log:\n{}",
        front.last(),
        log_tail(&dirs)
    );
    let call = call_record(&front, &users[3], &fourth).await;
    assert_eq!(call["ended_at"], Value::Null, "{call}");

    drop(apps);
    drop(servers);
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
