//! Crash safety: the real server binary records a call (a str0m peer plays the browser), is
//! killed with SIGKILL mid-recording, and started again on the same data directory. The
//! partial recording is then a valid, playable WAV with its metadata marked interrupted, the
//! call is closed as interrupted, nothing is left in the spool, and every folder and file the
//! server wrote is its user's alone (0700, 0600).

#[path = "common/binary.rs"]
mod binary;
#[path = "common/recorded.rs"]
mod recorded;

use std::path::PathBuf;
use std::time::Duration;

use binary::{call_api, free_port, start_server};
use recorded::{playable, recorded_call};

use serde_json::json;
use telephony::tones::tone_purity;

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
