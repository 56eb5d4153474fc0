//! Crash safety: the real server binary records a call (a str0m peer plays the browser), is
//! killed with SIGKILL mid-recording, and started again on the same data directory. The
//! partial recording is then a valid, playable WAV with its metadata marked interrupted, the
//! call is closed as interrupted, nothing is left in the spool, and every folder and file the
//! server wrote is its user's alone (0700, 0600).

#[path = "common/binary.rs"]
mod binary;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use binary::{call_api, free_port, http, open_live, start_server, LiveSocket};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use telephony::tones::tone_purity;
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use tokio_tungstenite::tungstenite::Message;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
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
    let server = start_server(&data, port, &[]).await;

    let (cookie, call_id, ws, peer) = recorded_call(port, "crash@example.com".into()).await;
    // 3.5 s recorded (the file holds every whole second), then the process dies without any
    // chance to clean up.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    drop(server); // SIGKILL
    drop(ws);
    drop(peer);

    let server = start_server(&data, port, &[]).await;
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
    let frames = playable(port, &cookie, &recording_id, &meta).await;
    let mid = &frames[8000..16000.min(frames.len())];
    let left: Vec<i16> = mid.iter().map(|f| f.0).collect();
    let right: Vec<i16> = mid.iter().map(|f| f.1).collect();
    assert!(tone_purity(&right, 1000.0) > 0.8, "the agent's tone");
    assert!(tone_purity(&left, 1000.0) > 0.8, "the echo");

    // Nothing left behind in the spool.
    let spool = data.join("recordings").join(".spool");
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 0);

    // Everything the server wrote is its user's alone, though the test made the data folder
    // with the usual umask (0755): folders 0700, files 0600.
    let mut files = Vec::new();
    let mut folders = vec![data.clone()];
    while let Some(folder) = folders.pop() {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name() != Some("server.log".as_ref()) {
                files.push(path); // (the test itself writes the log)
            }
        }
    }
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    for expected in ["softphone.sqlite3", ".wav"] {
        assert!(
            files
                .iter()
                .any(|f| f.to_string_lossy().ends_with(expected)),
            "no {expected} among {files:?}"
        );
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}

/// Signs `email` up, sets recording to "always" and calls the echo number over the live
/// channel with a str0m peer sending a 1 kHz tone; returns once the recording runs.
async fn recorded_call(port: u16, email: String) -> (String, String, LiveSocket, BrowserPeer) {
    let (status, cookies, body) = http(
        port,
        "POST",
        "/api/auth/sign_up",
        None,
        Some(&json!({"email": email, "password": "Corr3ct-horse!", "confirm": "Corr3ct-horse!"})),
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
    let mut ws = open_live(port, &cookie).await;
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    let offer = json!({"type": "offer", "call_id": call_id, "sdp": peer.offer});
    ws.send(Message::Text(offer.to_string().into()))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
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
    (cookie, call_id, ws, peer)
}

/// Fetches a recording's audio as its owner plays it and checks it is a WAV file a player
/// takes: the header's sizes match the file and the metadata, stereo, as long as the metadata
/// says. Returns its frames (left: the far end, right: the agent).
async fn playable(port: u16, cookie: &str, recording_id: &str, meta: &Value) -> Vec<(i16, i16)> {
    let (status, _, wav) = http(
        port,
        "GET",
        &format!("/api/recordings/{recording_id}/audio"),
        Some(cookie),
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
    assert_eq!(
        Some(frames.len() as u64 * 1000 / 8000),
        meta["duration_ms"].as_u64()
    );
    frames
}

/// 50 calls recording at once when the process is killed: at the restart every call and every
/// recording is closed as interrupted, every recording plays, and nothing is left over (no
/// spool file, no audio file without its recording).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_during_fifty_recorded_calls_loses_none() {
    const CALLS: usize = 50;
    let data = temp_dir();
    let port = free_port();
    let env = [
        ("SOFTPHONE_MEDIA_PORTS", "33200-33299"),
        ("SOFTPHONE_SIGNUP_LIMIT_PER_ADDRESS", "1000"),
        ("SOFTPHONE_SIGNUP_LIMIT_GLOBAL", "1000"),
        ("SOFTPHONE_LIMIT_CONCURRENT_CALLS", "100"),
    ];
    let server = start_server(&data, port, &env).await;
    let calls = futures_util::future::join_all(
        (0..CALLS).map(|i| recorded_call(port, format!("agent{i}@example.com"))),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(server); // SIGKILL, every call up and recording
    let calls: Vec<(String, String)> = calls
        .into_iter()
        .map(|(cookie, call_id, _ws, _peer)| (cookie, call_id))
        .collect();

    let server = start_server(&data, port, &env).await;
    for (cookie, call_id) in &calls {
        let call = call_api(port, cookie, "/api/calls/get", json!({"id": call_id})).await;
        assert_eq!(call["record"]["end_reason"], "interrupted", "{call}");
        let recording_id = call["record"]["recording_id"]
            .as_str()
            .unwrap_or_else(|| panic!("the call keeps its recording: {call}"));
        let meta = call_api(
            port,
            cookie,
            "/api/recordings/get",
            json!({"id": recording_id}),
        )
        .await;
        assert_eq!(meta["state"], "interrupted", "{meta}");
        assert!(
            meta["duration_ms"].as_u64().is_some_and(|d| d >= 1000),
            "kept up to the kill: {meta}"
        );
        playable(port, cookie, recording_id, &meta).await;
    }
    let recordings = data.join("recordings");
    assert_eq!(
        std::fs::read_dir(recordings.join(".spool"))
            .unwrap()
            .count(),
        0,
        "no spool file left"
    );
    let mut audio = 0;
    let mut folders = vec![recordings];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "wav") {
                audio += 1;
            }
        }
    }
    assert_eq!(audio, CALLS, "one audio file per recording, no orphan");
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
