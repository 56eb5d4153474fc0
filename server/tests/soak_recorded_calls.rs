//! Soak (a benchmark, not part of the test command: `scripts/bench/soak.sh`): the real server
//! binary carries `SOAK_CALLS` recorded calls at once for `SOAK_MINUTES`, each line hanging up
//! after 20–60 s, deleting its recording and calling again. Every 30 s it prints the server's
//! memory (RSS) and open file descriptors; at the end, the growth after the first round.
//! Figures: docs/bench.md, "Soak".

#[path = "common/binary.rs"]
mod binary;
#[path = "common/recorded.rs"]
mod recorded;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use binary::{call_api, free_port, start_server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (RSS in KiB, open file descriptors) of `pid`.
fn usage(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    (rss, fds)
}

/// What the lines counted.
#[derive(Default)]
struct Counts {
    /// Calls ended with a complete recording, deleted afterwards.
    calls: AtomicU64,
    /// Calls that did not connect and record within a minute (each retried after 5 s).
    not_placed: AtomicU64,
    /// Calls that ended without a complete recording.
    not_recorded: AtomicU64,
}

/// One line: calls, hangs up after 20–60 s, checks the recording is complete, deletes it, again
/// until `until`.
async fn line(port: u16, n: u64, until: Instant, counts: Arc<Counts>) {
    let mut round = 0u64;
    let cookie = recorded::sign_up_recording(port, &format!("soak{n}@example.com")).await;
    while Instant::now() < until {
        // A call that does not come up is counted, not fatal: the soak goes on.
        let placing = cookie.clone();
        let placed =
            tokio::spawn(async move { recorded::recorded_call_as(port, &placing).await }).await;
        let Ok((_, call_id, mut ws, _peer)) = placed else {
            counts.not_placed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        };
        let hold = 20 + (n * 7 + round * 13) % 41;
        round += 1;
        tokio::time::sleep(Duration::from_secs(hold)).await;
        let hangup = json!({"type": "hangup", "call_id": call_id});
        let _ = ws.send(Message::Text(hangup.to_string().into())).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while let Ok(Some(Ok(m))) = tokio::time::timeout_at(deadline, ws.next()).await {
            let Message::Text(text) = m else { continue };
            let m: Value = serde_json::from_str(&text).unwrap_or_default();
            if m["type"] == "call" && m["call"]["state"]["Ended"].is_object() {
                break;
            }
        }
        // The recording is stored a moment after the call ends.
        let mut stored = false;
        for _ in 0..50 {
            let call = call_api(port, &cookie, "/api/calls/get", json!({"id": call_id})).await;
            if let Some(id) = call["record"]["recording_id"].as_str() {
                let meta = call_api(port, &cookie, "/api/recordings/get", json!({"id": id})).await;
                if meta["state"] == "complete" {
                    call_api(port, &cookie, "/api/recordings/delete", json!({"id": id})).await;
                    stored = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if stored {
            counts.calls.fetch_add(1, Ordering::Relaxed);
        } else {
            counts.not_recorded.fetch_add(1, Ordering::Relaxed);
            eprintln!("line {n}: call {call_id} has no complete recording");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench/soak.sh"]
async fn soak_recorded_calls() {
    let lines = env_number("SOAK_CALLS", 100);
    let minutes = env_number("SOAK_MINUTES", 30);
    let data = std::env::temp_dir().join(format!("softphone-soak-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let port = free_port();
    let limit = (lines * 2).to_string();
    let env = [
        ("SOFTPHONE_MEDIA_PORTS", "34000-34499"),
        ("SOFTPHONE_SIGNUP_LIMIT_PER_ADDRESS", "100000"),
        ("SOFTPHONE_SIGNUP_LIMIT_GLOBAL", "100000"),
        ("SOFTPHONE_LIMIT_CONCURRENT_CALLS", limit.as_str()),
        ("SOFTPHONE_LIMIT_CALLS_PER_HOUR", "100000"),
        ("SOFTPHONE_LIMIT_NEW_ACCOUNT_DAYS", "0"),
        ("RUST_LOG", "warn"),
    ];
    let server = start_server(&data, port, &env).await;
    let pid = server.child.id();
    let until = Instant::now() + Duration::from_secs(minutes * 60);
    let counts = Arc::new(Counts::default());
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..lines {
        tasks.spawn(line(port, n, until, counts.clone()));
        // Sign-ups one after another: password hashing is the work here.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let started = Instant::now();
    let mut samples = Vec::new();
    println!("minute  calls-ended  rss-KiB  fds");
    while !tasks.is_empty() {
        tokio::select! {
            done = tasks.join_next() => {
                if let Some(Err(e)) = done {
                    panic!("a line failed: {e}");
                }
            }
            _ = tokio::time::sleep(Duration::from_secs(30)) => {
                let (rss, fds) = usage(pid);
                let minute = started.elapsed().as_secs_f64() / 60.0;
                println!("{minute:6.1}  {:11}  {rss:7}  {fds:3}", counts.calls.load(Ordering::Relaxed));
                samples.push((minute, rss, fds));
            }
        }
    }
    // From the first sample after every line has been through a call (the first minute), to
    // the last sample with every line still up.
    let steady: Vec<_> = samples.iter().filter(|s| s.0 >= 1.5).collect();
    if let (Some(first), Some(last)) = (
        steady.first(),
        steady.iter().rev().find(|s| s.0 <= minutes as f64),
    ) {
        println!(
            "soak: {lines} lines, {minutes} min, {} calls recorded, {} not placed, {} without a \
             complete recording; RSS {} → {} KiB ({:+.1} %), fds {} → {}",
            counts.calls.load(Ordering::Relaxed),
            counts.not_placed.load(Ordering::Relaxed),
            counts.not_recorded.load(Ordering::Relaxed),
            first.1,
            last.1,
            (last.1 as f64 / first.1.max(1) as f64 - 1.0) * 100.0,
            first.2,
            last.2
        );
    }
    assert_eq!(
        counts.not_recorded.load(Ordering::Relaxed),
        0,
        "calls without their recording"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
