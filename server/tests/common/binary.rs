//! The real server binary for tests: started on a free port in its own directory, and plain
//! HTTP/1.0 requests to it (the body ends with the connection).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Server {
    pub child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Starts the server binary on `port` with `data` as its data and working directory, and
/// `env` on top of the test defaults; waits until it answers `/healthz`.
pub async fn start_server(data: &Path, port: u16, env: &[(&str, &str)]) -> Server {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("server.log"))
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        // Its own directory: no .env of the developer's is read.
        .current_dir(data)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "softphone")
        .env("SOFTPHONE_DATA_DIR", data)
        .env("SOFTPHONE_LOG_FORMAT", "text")
        .env("SOFTPHONE_MEDIA_PORTS", "33000-33099")
        .envs(env.iter().copied())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let server = Server { child };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((200, _, _)) = http(port, "GET", "/healthz", None, None).await {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not start: {}",
            std::fs::read_to_string(data.join("server.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One HTTP/1.0 request (the body ends with the connection): status, Set-Cookie values, body.
pub async fn http(
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    json: Option<&Value>,
) -> std::io::Result<(u16, Vec<String>, Vec<u8>)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let body = json.map(|j| j.to_string()).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    if let Some(c) = cookie {
        request.push_str(&format!("Cookie: {c}\r\n"));
    }
    if json.is_some() {
        // As a browser's fetch from our own page sends it: JSON, with the page's Origin.
        request.push_str(&format!(
            "Content-Type: application/json\r\nAccept: application/json\r\nOrigin: http://127.0.0.1:{port}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let cookies = head
        .lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| c.split(';').next().map(str::to_string))
        .collect();
    Ok((status, cookies, response[split + 4..].to_vec()))
}

pub async fn call_api(port: u16, cookie: &str, endpoint: &str, body: Value) -> Value {
    let (status, _, bytes) = http(port, "POST", endpoint, Some(cookie), Some(&body))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(status, 200, "{endpoint}: {text}");
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{endpoint}: {e}: {text}"))
}

/// A live channel, opened as the browser opens it (the session cookie, the app's own Origin).
pub type LiveSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn open_live(port: u16, cookie: &str) -> LiveSocket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{port}/api/live")
        .into_client_request()
        .expect("a WebSocket request");
    let headers = request.headers_mut();
    headers.insert("Cookie", cookie.parse().expect("a cookie header"));
    headers.insert(
        "Origin",
        format!("http://127.0.0.1:{port}")
            .parse()
            .expect("an origin header"),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the live channel opens");
    ws
}

/// The live channel's next text message, as JSON (10 s at most).
pub async fn next_message(ws: &mut LiveSocket) -> Value {
    use futures_util::StreamExt;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the channel open")
            .expect("a readable message");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}
