//! Crash safety under load: the real server binary is killed (SIGKILL) while 50 calls record
//! at once (str0m peers play the browsers). Its own test binary, so that no other test's calls
//! share the two cores with these 50.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/recorded.rs"]
mod recorded;

use std::path::PathBuf;
use std::time::Duration;

use binary::{call_api, free_port, start_server};
use recorded::{playable, recorded_call};
use serde_json::json;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
