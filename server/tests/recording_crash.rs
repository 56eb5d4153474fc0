//! Crash safety: the real server binary records a call (a str0m peer plays the browser), is
//! killed with SIGKILL mid-recording, and started again on the same data directory. The
//! partial recording is then a valid, playable WAV with its metadata marked interrupted, the
//! call is closed as interrupted, and nothing is left in the spool.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use telephony::peer::{BrowserPeer, PeerCommand, Source};
use telephony::tones::tone_purity;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

async fn start_server(data: &Path, port: u16) -> Server {
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
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One HTTP/1.0 request (the body ends with the connection): status, Set-Cookie values, body.
async fn http(
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
        request.push_str(&format!(
            "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n",
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

async fn call_api(port: u16, cookie: &str, endpoint: &str, body: Value) -> Value {
    let (status, _, bytes) = http(port, "POST", endpoint, Some(cookie), Some(&body))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(status, 200, "{endpoint}: {text}");
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{endpoint}: {e}: {text}"))
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_mid_recording_leaves_a_playable_interrupted_recording() {
    let data = temp_dir();
    let port = free_port();
    let server = start_server(&data, port).await;

    // Sign up (the session cookies come back), record every call, call the echo number.
    let (status, cookies, body) = http(
        port,
        "POST",
        "/api/auth/sign_up",
        None,
        Some(&json!({"email": "crash@example.com", "password": "Corr3ct-horse!", "confirm": "Corr3ct-horse!"})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cookie = cookies.join("; ");
    call_api(
        port,
        &cookie,
        "/api/preferences/recording",
        json!({"mode": "always"}),
    )
    .await;
    let ticket = call_api(
        port,
        &cookie,
        "/api/calls/start",
        json!({"input": "+6560000001", "default_country": null}),
    )
    .await;
    let call_id = ticket["call_id"].as_str().unwrap().to_string();

    // The live channel, as the browser opens it; our peer makes the offer.
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
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    let offer = json!({"type": "offer", "call_id": call_id, "sdp": peer.offer});
    ws.send(Message::Text(offer.to_string().into()))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut answered = false;
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the call was never recorded")
            .unwrap()
            .unwrap();
        let Message::Text(text) = m else { continue };
        let m: Value = serde_json::from_str(&text).unwrap();
        match m["type"].as_str() {
            Some("answer") => {
                peer.accept_answer(m["sdp"].as_str().unwrap().to_string());
                peer.command(PeerCommand::Source(Source::Tone(1000.0)));
                answered = true;
            }
            Some("call") if m["call"]["recording"]["state"] == "recording" => break,
            Some("error") => panic!("{m}"),
            _ => {}
        }
    }
    assert!(answered);
    // 3.5 s recorded (the file holds every whole second), then the process dies without any
    // chance to clean up.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    drop(server); // SIGKILL
    drop(ws);
    drop(peer);

    let server = start_server(&data, port).await;
    let call = call_api(port, &cookie, "/api/calls/get", json!({"id": call_id})).await;
    assert_eq!(call["record"]["end_reason"], "interrupted", "{call}");
    let recording_id = call["record"]["recording_id"]
        .as_str()
        .expect("the call keeps its recording")
        .to_string();
    let meta = call_api(
        port,
        &cookie,
        "/api/recordings/get",
        json!({"id": recording_id}),
    )
    .await;
    assert_eq!(meta["state"], "interrupted", "{meta}");
    let duration = meta["duration_ms"].as_u64().unwrap();
    assert!(
        (1500..=4000).contains(&duration),
        "kept up to the crash: {duration} ms"
    );

    // Playable: a valid header whose sizes match the file, the tone on both sides.
    let (status, _, wav) = http(
        port,
        "GET",
        &format!("/api/recordings/{recording_id}/audio"),
        Some(&cookie),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(meta["bytes"].as_u64(), Some(wav.len() as u64));
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(
        u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize,
        wav.len() - 8
    );
    assert_eq!(
        u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize,
        wav.len() - 44
    );
    assert_eq!(u16::from_le_bytes(wav[22..24].try_into().unwrap()), 2);
    let frames: Vec<(i16, i16)> = wav[44..]
        .chunks_exact(4)
        .map(|f| {
            (
                i16::from_le_bytes([f[0], f[1]]),
                i16::from_le_bytes([f[2], f[3]]),
            )
        })
        .collect();
    assert_eq!(frames.len() as u64 * 1000 / 8000, duration);
    let mid = &frames[8000..16000.min(frames.len())];
    let left: Vec<i16> = mid.iter().map(|f| f.0).collect();
    let right: Vec<i16> = mid.iter().map(|f| f.1).collect();
    assert!(tone_purity(&right, 1000.0) > 0.8, "the agent's tone");
    assert!(tone_purity(&left, 1000.0) > 0.8, "the echo");

    // Nothing left behind in the spool.
    let spool = data.join("recordings").join(".spool");
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 0);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
