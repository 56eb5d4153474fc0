//! Every log line of a call's session and of its gateway leg names the call (`call` in its
//! span, docs/operating.md "Logs"): a call through the hub, the gateway and the simulator,
//! logged as the server logs (JSON) at debug, then each line from those parts read back. One
//! test: the subscriber is the process's.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::*;
use serde_json::Value;

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether the line was written in the call `id`'s span.
fn names_call(line: &Value, id: &str) -> bool {
    line["span"]["call"] == id
        || line["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(|s| s["call"] == id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_s_session_and_gateway_lines_name_it() {
    let lines = Lines::default();
    let writer = lines.clone();
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(server::log_filter(Some(
            "info,server::calls=debug,telephony::gateway=debug",
        )))
        .with_writer(move || writer.clone())
        .init();

    let rig = rig((32300, 32319), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "log-call", "+6560000001").await;
    let _peer = offer(&rig, &tab, "log-call").await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&rig, &tab, hangup("log-call")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let parsed: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let of = |prefix: &str| -> Vec<&Value> {
        parsed
            .iter()
            .filter(|l| l["target"].as_str().is_some_and(|t| t.starts_with(prefix)))
            .collect()
    };
    // The leg's own task and its SIP side: the gateway's lines about this call.
    let gateway: Vec<&Value> = ["telephony::gateway::leg", "telephony::gateway::sip_leg"]
        .iter()
        .flat_map(|p| of(p))
        .collect();
    let session = of("server::calls::session");
    assert!(!gateway.is_empty(), "no gateway line to check:\n{text}");
    assert!(!session.is_empty(), "no session line to check:\n{text}");
    for line in gateway.iter().chain(&session) {
        assert!(names_call(line, "log-call"), "{line}");
    }
}
