//! The SIP media application runtime's scenarios: the PSTN simulator and a gateway toward it, a
//! test endpoint that receives the runtime's progress pushes (each checked with
//! `sma::report::verify`), the stand-in with a meeting, a str0m peer joined through the
//! signalling as the browser, and the call created and updated over the REST API as the
//! server does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chime_standin::{Running, RuntimeConfig, StandInConfig};
use sma::report::{now_ms, verify, Reporter, SIGNATURE_HEADER};
use testkit::peer::BrowserPeer;
use testkit::rig::{rig, Rig, LOOPBACK};

use super::*;

pub const SMA_ID: &str = "0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11";
pub const CALLER_ID: &str = "+6531590000";
pub const BRIDGE_NUMBER: &str = "+17035550122";
const SECRET: &str = "the-stand-in-tests-events-secret-0123456789";

/// The pushes received, verified: (sequence, the `progress` object).
#[derive(Clone, Default)]
pub struct Pushes(Arc<Mutex<Vec<(u64, serde_json::Value)>>>);

impl Pushes {
    /// `state` and, when ended, `reason` of each push, in arrival order; the sequences rise.
    pub fn states(&self) -> Vec<String> {
        let pushes = self.0.lock().expect("lock").clone();
        let sequences: Vec<u64> = pushes.iter().map(|(s, _)| *s).collect();
        assert!(
            sequences.windows(2).all(|w| w[0] < w[1]),
            "pushed in order: {sequences:?}"
        );
        pushes
            .iter()
            .map(|(_, progress)| match progress["reason"].as_str() {
                Some(reason) => format!("ended {reason}"),
                None => progress["state"].as_str().unwrap_or("?").to_string(),
            })
            .collect()
    }
}

async fn receive(State(pushes): State<Pushes>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if verify(SECRET.as_bytes(), signature, &body, now_ms(), 60_000).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(report) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    assert_eq!(report["call_id"], "call-under-test", "{report}");
    let sequence = report["sequence"].as_u64().expect("a sequence");
    pushes
        .0
        .lock()
        .expect("lock")
        .push((sequence, report["progress"].clone()));
    StatusCode::NO_CONTENT
}

/// Everything one scenario needs, running.
pub struct Scenario {
    pub rig: Rig,
    pub running: Running,
    pub pushes: Pushes,
    pub peer: BrowserPeer,
    pub meeting_id: String,
    /// The phone leg's attendee's join token (the SMA joins with it).
    pub phone_token: String,
    /// Kept open: the browser's session (none when the browser does not join).
    pub socket: Option<Socket>,
}

/// How a scenario is set up.
pub struct Options {
    pub call_timeout_limit: Option<Duration>,
    pub s3_dir: Option<std::path::PathBuf>,
    /// Whether the browser joins the meeting's audio.
    pub browser: bool,
    pub join_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            call_timeout_limit: None,
            s3_dir: None,
            browser: true,
            join_wait: Duration::from_secs(5),
        }
    }
}

impl Scenario {
    /// Starts it all; `call_timeout_limit` caps `CallTimeoutSeconds`.
    pub async fn start(call_timeout_limit: Option<Duration>) -> Scenario {
        Scenario::start_with(Options {
            call_timeout_limit,
            ..Options::default()
        })
        .await
    }

    /// The same, recording under `s3_dir`.
    pub async fn start_recording_to(
        call_timeout_limit: Option<Duration>,
        s3_dir: Option<std::path::PathBuf>,
    ) -> Scenario {
        Scenario::start_with(Options {
            call_timeout_limit,
            s3_dir,
            ..Options::default()
        })
        .await
    }

    pub async fn start_with(options: Options) -> Scenario {
        let pushes = Pushes::default();
        let app = axum::Router::new()
            .route("/api/chime/progress", axum::routing::post(receive))
            .with_state(pushes.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let events_url = format!(
            "http://{}/api/chime/progress",
            listener.local_addr().expect("an address")
        );
        tokio::spawn(async move { axum::serve(listener, app).await });

        let rig = rig().await;
        let reporter = Reporter::new(&events_url, SECRET.as_bytes()).expect("a reporter");
        let running = chime_standin::start_with_media(
            StandInConfig {
                sip_media_applications: vec![SMA_ID.into()],
                runtime: RuntimeConfig {
                    reporter: Some(Arc::new(reporter)),
                    join_wait: options.join_wait,
                    call_timeout_limit: options.call_timeout_limit,
                    s3_dir: options.s3_dir,
                },
                ..StandInConfig::default()
            },
            "127.0.0.1:0".parse().expect("address"),
            Some(rig.gateway.clone()),
        )
        .await
        .expect("stand-in starts");
        let addr = running.stand_in.addr();
        let (meeting, agent) = meeting_and_attendee(addr).await;
        let meeting_id = meeting["Meeting"]["MeetingId"]
            .as_str()
            .expect("an id")
            .to_string();
        let (status, phone) = request(
            addr,
            "POST",
            &format!("/meetings/{meeting_id}/attendees"),
            r#"{"ExternalUserId":"phone-leg"}"#,
        )
        .await;
        assert_eq!(status, 200, "{phone}");
        let phone_token = phone["Attendee"]["JoinToken"]
            .as_str()
            .expect("a token")
            .to_string();

        // The browser: signalling, then its audio answered by the gateway.
        let (peer, socket) = if options.browser {
            let joined = join_meeting(&meeting.to_string(), &agent.to_string())
                .await
                .expect("the browser joins");
            (joined.peer, Some(joined.socket))
        } else {
            let peer = BrowserPeer::new(LOOPBACK, true).await.expect("a peer");
            (peer, None)
        };
        Scenario {
            rig,
            running,
            pushes,
            peer,
            meeting_id,
            phone_token,
            socket,
        }
    }

    /// `CreateSipMediaApplicationCall` to the bridge number for `target`: the transaction id.
    pub async fn call(&self, target: &str) -> String {
        let body = serde_json::json!({
            "FromPhoneNumber": CALLER_ID,
            "ToPhoneNumber": BRIDGE_NUMBER,
            "ArgumentsMap": {
                "MeetingId": self.meeting_id,
                "JoinToken": self.phone_token,
                "Target": target,
                "CallId": "call-under-test",
                "CallerId": CALLER_ID,
            }
        });
        let (status, answer) = request(
            self.running.stand_in.addr(),
            "POST",
            &format!("/sip-media-applications/{SMA_ID}/calls"),
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
        answer["SipMediaApplicationCall"]["TransactionId"]
            .as_str()
            .expect("a transaction id")
            .to_string()
    }

    /// `UpdateSipMediaApplicationCall` with these arguments.
    pub async fn update(&self, transaction_id: &str, arguments: serde_json::Value) {
        let body = serde_json::json!({ "Arguments": arguments });
        let (status, answer) = request(
            self.running.stand_in.addr(),
            "POST",
            &format!("/sip-media-applications/{SMA_ID}/calls/{transaction_id}"),
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 202, "{answer}");
    }

    /// The events the handler saw so far.
    pub fn events(&self, transaction_id: &str) -> Vec<String> {
        self.running
            .stand_in
            .sma_call(transaction_id)
            .expect("the call")
            .events
    }

    /// Waits (at most `within`) until the handler has seen `event`.
    pub async fn until_event(&self, transaction_id: &str, event: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while !self.events(transaction_id).iter().any(|e| e == event) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {event}; saw {:?}",
                self.events(transaction_id)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (at most `within`) until both legs are gone; the events the handler saw.
    pub async fn until_ended(&self, transaction_id: &str, within: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let call = self
                .running
                .stand_in
                .sma_call(transaction_id)
                .expect("the call");
            if call.ended {
                return call.events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not ended; saw {:?}",
                call.events
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The events every call starts with, up to the bridge attempt.
pub const PLACED: [&str; 4] = [
    "NEW_OUTBOUND_CALL",
    "RINGING LEG-A",
    "CALL_ANSWERED",
    "ACTION_SUCCESSFUL JoinChimeMeeting",
];

/// `PLACED` and then `rest`.
pub fn placed_then(rest: &[&str]) -> Vec<String> {
    PLACED
        .iter()
        .chain(rest.iter())
        .map(|e| e.to_string())
        .collect()
}
