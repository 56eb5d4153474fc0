//! Attacks on the HTTP front, against the real server binary (`docs/security.md`, "Web and
//! sessions"): cross-site form posts to every server function (enumerated from Leptos's
//! registry, so a new one cannot be forgotten) are refused with 403 and change nothing, while
//! the app's own JSON requests go through; pages carry the security headers, with a content
//! security policy whose nonce is the one on the page's inline scripts; a forged
//! `X-Forwarded-For` is ignored from an untrusted peer and read from a trusted proxy; a live
//! channel held with a stolen session closes when the victim signs out everywhere.

#[path = "common/binary.rs"]
mod binary;

use app::api::ports::AuditStore;
use binary::{free_port, next_message, open_live, start_server};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "Corr3ct-horse!";

struct Answer {
    status: u16,
    /// The header block, lower-cased names as the server sent them.
    head: String,
    cookies: Vec<String>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.0 request with exactly these headers (besides Host and Content-Length).
async fn send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
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
    let cookies = head
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("set-cookie")
                .then(|| v.trim().split(';').next().map(str::to_string))
                .flatten()
        })
        .collect();
    Answer {
        status,
        head,
        cookies,
        body: response[split + 4..].to_vec(),
    }
}

/// A server function call as our own page sends it.
async fn ours(port: u16, cookie: &str, path: &str, body: &Value) -> Answer {
    let origin = format!("http://127.0.0.1:{port}");
    send(
        port,
        "POST",
        path,
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            ("Cookie", cookie),
        ],
        &body.to_string(),
    )
    .await
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let data = std::env::temp_dir().join(format!("softphone-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    data
}

/// Every server function Leptos registered, as (path, method).
fn server_functions() -> Vec<(String, String)> {
    // Linking the app's server functions in: each registers itself when its crate is linked.
    let _ = app::api::auth::sign_in;
    let mut paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    paths.sort();
    paths
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_to_every_server_function_are_refused() {
    let functions = server_functions();
    // The registry is the list: at least the ones the app is known to have.
    for known in [
        "/api/auth/sign_in",
        "/api/auth/sign_up",
        "/api/contacts/save",
        "/api/calls/start",
    ] {
        assert!(
            functions.iter().any(|(p, _)| p == known),
            "{known} is not in the registry: {functions:?}"
        );
    }
    assert!(functions.len() >= 20, "{functions:?}");

    let data = temp_dir("attacks-csrf");
    let port = free_port();
    let server = start_server(&data, port, &[]).await;
    let account = json!({"email": "victim@example.com", "password": PASSWORD, "confirm": PASSWORD});
    let signed_up = ours(port, "", "/api/auth/sign_up", &account).await;
    assert_eq!(signed_up.status, 200, "{:?}", signed_up.json());
    let cookie = signed_up.cookies.join("; ");

    let evil = "https://evil.example";
    let forms: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "text/plain, foreign Origin",
            vec![("Content-Type", "text/plain"), ("Origin", evil)],
        ),
        (
            "urlencoded, foreign Origin",
            vec![
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", evil),
            ],
        ),
        (
            "text/plain, no Origin, Sec-Fetch-Site: cross-site",
            vec![
                ("Content-Type", "text/plain"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        ),
        (
            "urlencoded, our Origin (a form on a page of ours without JavaScript)",
            vec![
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "http://127.0.0.1:0"),
            ],
        ),
        (
            "JSON from a sibling subdomain",
            vec![
                ("Content-Type", "application/json"),
                ("Sec-Fetch-Site", "same-site"),
            ],
        ),
    ];
    let ours_origin = format!("http://127.0.0.1:{port}");
    for (path, method) in &functions {
        assert_eq!(method, "POST", "{path}: every server function takes POST");
        let name = path.trim_start_matches("/api/");
        // A body each function would take, as JSON and as a form.
        let json_body = json!({"email": "attacker@example.com", "password": PASSWORD, "confirm": PASSWORD,
            "contact": null, "id": "x", "search": ""});
        for (what, headers) in &forms {
            let mut headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| {
                    (
                        *n,
                        if *v == "http://127.0.0.1:0" {
                            ours_origin.as_str()
                        } else {
                            *v
                        },
                    )
                })
                .collect();
            headers.push(("Cookie", &cookie));
            let body = if what.starts_with("urlencoded") {
                format!("email=attacker%40example.com&password={PASSWORD}&confirm={PASSWORD}")
            } else {
                json_body.to_string()
            };
            let answer = send(port, "POST", path, &headers, &body).await;
            assert_eq!(
                answer.status,
                403,
                "{name}, {what}: {:?}",
                String::from_utf8_lossy(&answer.body)
            );
            let error = answer.json();
            assert!(
                error["Request"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("cross-site request refused")),
                "{name}, {what}: {error}"
            );
        }
        // The same with JSON from our own page goes through (whatever the function then says
        // of the body); signing out is tried last, on a session of its own.
        if name != "auth/sign_out" {
            let body = json!({"email": "ours@example.com", "password": PASSWORD, "confirm": PASSWORD,
                "contact": null, "id": "x", "search": ""});
            let answer = ours(port, &cookie, path, &body).await;
            // Administration functions refuse this agent, but only after the request got
            // past the cross-site guard: their 403 says so.
            if answer.status == 403 {
                assert_eq!(answer.json(), json!("AdminOnly"), "{name}");
            }
        }
    }

    // Nothing was done: the forged sign-ups made no account (login CSRF), a forged sign-in sets
    // no cookie, and the victim's session is still open.
    let sign_in = json!({"email": "attacker@example.com", "password": PASSWORD});
    let forged = send(
        port,
        "POST",
        "/api/auth/sign_in",
        &[("Content-Type", "text/plain"), ("Origin", evil)],
        &sign_in.to_string(),
    )
    .await;
    assert_eq!(forged.status, 403);
    assert!(forged.cookies.is_empty(), "{}", forged.head);
    let answer = ours(port, "", "/api/auth/sign_in", &sign_in).await;
    assert_eq!(
        (answer.status, answer.json()),
        (401, json!("InvalidCredentials"))
    );
    let ours_in = ours(
        port,
        "",
        "/api/auth/sign_in",
        &json!({"email": "ours@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        ours_in.status,
        200,
        "the same-origin JSON sign-up worked: {:?}",
        ours_in.json()
    );
    let list = json!({"search": "", "favourites_only": false, "cursor": null});
    let page = ours(port, &cookie, "/api/contacts/list", &list).await;
    assert_eq!(page.status, 200, "{:?}", page.json());
    let other = ours_in.cookies.join("; ");
    let out = ours(port, &other, "/api/auth/sign_out", &json!({})).await;
    assert_eq!(out.status, 200, "{:?}", out.json());

    // The refusals are logged with the path and the reason, never the body's e-mail.
    drop(server);
    let log = std::fs::read_to_string(data.join("server.log")).unwrap();
    assert!(log.contains("cross-site request refused"), "{log}");
    assert!(
        !log.contains("attacker@example.com"),
        "an e-mail in the log"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_security_headers() {
    let data = temp_dir("attacks-headers");
    let port = free_port();
    let server = start_server(&data, port, &[]).await;
    let page = send(port, "GET", "/signin", &[("Accept", "text/html")], "").await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    for part in [
        "script-src 'self' 'wasm-unsafe-eval' 'nonce-",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    let scripts = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!scripts.contains("unsafe-inline"), "{csp}");
    // Every inline script of the page carries the nonce the header allows.
    let nonce = scripts
        .split_whitespace()
        .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .expect("a nonce");
    let html = String::from_utf8_lossy(&page.body);
    let inline: Vec<&str> = html
        .split("<script")
        .skip(1)
        .filter(|s| !s.contains(" src="))
        .collect();
    assert!(!inline.is_empty(), "Leptos writes inline scripts");
    for script in &inline {
        let tag = script.split('>').next().unwrap_or_default();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "<script{tag}> without the nonce"
        );
    }
    // A fresh nonce per page.
    let again = send(port, "GET", "/signin", &[("Accept", "text/html")], "").await;
    assert_ne!(again.header("content-security-policy"), Some(csp.clone()));
    assert_eq!(
        page.header("cross-origin-opener-policy").as_deref(),
        Some("same-origin")
    );
    assert_eq!(
        page.header("permissions-policy").as_deref(),
        Some("microphone=(self), camera=(), geolocation=()")
    );
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        page.header("referrer-policy").as_deref(),
        Some("same-origin")
    );
    // Plain http: no HSTS (a browser ignores it there, and it would pin a test host).
    assert_eq!(page.header("strict-transport-security"), None);
    // Other answers carry the policy too, without a nonce.
    let health = send(port, "GET", "/healthz", &[], "").await;
    let csp = health.header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
        "{csp}"
    );
    drop(server);

    // Served over HTTPS (the public URL) HSTS is on every answer.
    let port = free_port();
    let _server = start_server(
        &data,
        port,
        &[("SOFTPHONE_PUBLIC_URL", "https://phone.example.com")],
    )
    .await;
    let page = send(port, "GET", "/signin", &[("Accept", "text/html")], "").await;
    assert_eq!(
        page.header("strict-transport-security").as_deref(),
        Some("max-age=31536000")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("connect-src 'self' wss://phone.example.com;"),
        "{csp}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// The address the server audited for the latest sign-in of the account with this cookie.
async fn audited_sign_in(data: &std::path::Path, sub: &str) -> String {
    let store = server::store::SqliteStore::open(&data.join("softphone.sqlite3"))
        .await
        .unwrap();
    let trail = store.list_audit(sub, 20).await.unwrap();
    trail
        .iter()
        .find(|e| e.action == "sign_in")
        .expect("sign_in audited")
        .detail
        .clone()
}

async fn sign_up_from(port: u16, email: &str, forwarded: &str) -> String {
    let origin = format!("http://127.0.0.1:{port}");
    let answer = send(
        port,
        "POST",
        "/api/auth/sign_up",
        &[
            ("Content-Type", "application/json"),
            ("Origin", &origin),
            ("X-Forwarded-For", forwarded),
            ("X-Forwarded-Proto", "https"),
        ],
        &json!({"email": email, "password": PASSWORD, "confirm": PASSWORD}).to_string(),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let access = answer
        .cookies
        .iter()
        .find_map(|c| c.strip_prefix("sp_access="))
        .expect("the access cookie")
        .to_string();
    let me = send(
        port,
        "GET",
        "/api/v1/me",
        &[("Authorization", &format!("Bearer {access}"))],
        "",
    )
    .await;
    me.json()["sub"].as_str().expect("a sub").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_read_from_trusted_proxies_only() {
    // No trusted proxy (the default): the socket peer is the client, whatever the header says.
    let data = temp_dir("attacks-xff");
    let port = free_port();
    let server = start_server(&data, port, &[]).await;
    let sub = sign_up_from(port, "direct@example.com", "198.51.100.7").await;
    let page = send(
        port,
        "GET",
        "/signin",
        &[("X-Forwarded-Proto", "https")],
        "",
    )
    .await;
    assert_eq!(
        page.header("strict-transport-security"),
        None,
        "a client's own X-Forwarded-Proto"
    );
    drop(server);
    assert_eq!(audited_sign_in(&data, &sub).await, "127.0.0.1");
    let _ = std::fs::remove_dir_all(&data);

    // Behind a trusted proxy (127.0.0.1 here): the right-most address it did not add itself;
    // the client's own forged entry on the left is not believed.
    let data = temp_dir("attacks-xff-proxy");
    let port = free_port();
    let server = start_server(&data, port, &[("SOFTPHONE_TRUSTED_PROXIES", "127.0.0.0/8")]).await;
    let sub = sign_up_from(port, "proxied@example.com", "203.0.113.1, 198.51.100.7").await;
    let page = send(
        port,
        "GET",
        "/signin",
        &[("X-Forwarded-Proto", "https")],
        "",
    )
    .await;
    assert_eq!(
        page.header("strict-transport-security").as_deref(),
        Some("max-age=31536000")
    );
    drop(server);
    assert_eq!(audited_sign_in(&data, &sub).await, "198.51.100.7");
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_revoked_while_its_live_channel_is_open_closes_it() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let data = temp_dir("attacks-live");
    let port = free_port();
    let _server = start_server(&data, port, &[]).await;
    let account = json!({"email": "stolen@example.com", "password": PASSWORD, "confirm": PASSWORD});
    let victim = ours(port, "", "/api/auth/sign_up", &account).await;
    assert_eq!(victim.status, 200, "{:?}", victim.json());
    // The attacker holds a copy of another of the victim's sessions and keeps its channel open.
    let sign_in = json!({"email": "stolen@example.com", "password": PASSWORD});
    let stolen = ours(port, "", "/api/auth/sign_in", &sign_in).await;
    assert_eq!(stolen.status, 200);
    let mut ws = open_live(port, &stolen.cookies.join("; ")).await;
    assert_eq!(next_message(&mut ws).await["type"], "hello");

    // The victim signs out everywhere: the attacker's channel closes at once (the periodic
    // check, 30 s by default, is not what does it).
    let out = ours(
        port,
        &victim.cookies.join("; "),
        "/api/auth/sign_out",
        &json!({}),
    )
    .await;
    assert_eq!(out.status, 200, "{:?}", out.json());
    let started = std::time::Instant::now();
    let frame = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("the channel was still open 5 s after the sign-out")
        {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("closed without a close frame: {other:?}"),
        }
    };
    let frame = frame.expect("a close code");
    assert_eq!(u16::from(frame.code), 4401, "{}", frame.reason);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&data);
}
