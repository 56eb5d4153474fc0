//! A local stand-in for the Amazon Chime SDK control plane (docs/chime.md, "The control plane
//! and its stand-in"): `CreateMeeting`, `CreateAttendee`, `DeleteMeeting` (chime-sdk-meetings)
//! and `CreateSipMediaApplicationCall`, `UpdateSipMediaApplicationCall` (chime-sdk-voice) on
//! the REST paths and with the JSON the official SDKs send and read, kept in memory. Both
//! services answer on the same address, so one `AWS_ENDPOINT_URL` reaches them. Each meeting's
//! `SignalingUrl` is served here too ([`signal`]): the real amazon-chime-sdk-js joins it, and
//! its audio is answered by the project's media gateway when one is given ([`start_with_media`]).
//! Each `CreateSipMediaApplicationCall` runs our SIP media application handler in process
//! ([`sma_runtime`]), dialling the PSTN from the meeting's media leg.

mod error;
mod media;
mod meetings;
mod request;
pub mod signal;
mod sma_runtime;
mod state;
mod voice;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use telephony::gateway::Gateway;

pub use error::AwsError;
pub use state::{AttendeeRecord, MeetingRecord, SmaCallRecord};

/// What the stand-in knows beforehand: the account's SIP media applications and phone numbers.
#[derive(Clone, Debug)]
pub struct StandInConfig {
    /// The SIP media applications calls can be placed through; others are not found.
    pub sip_media_applications: Vec<String>,
    /// The account's phone number inventory, which `FromPhoneNumber` must be in; empty: any.
    pub phone_numbers: Vec<String>,
    /// The account id in ARNs.
    pub account_id: String,
    /// The control-plane Region in ARNs.
    pub region: String,
    /// The SIP media application runtime's settings.
    pub runtime: RuntimeConfig,
}

/// How the SIP media application runtime behaves where tests need it bounded.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Pushes the handler's progress to the server, as the Lambda does; `None`: not pushed.
    pub reporter: Option<Arc<sma::report::Reporter>>,
    /// How long `JoinChimeMeeting` waits for the meeting's browser attendee to subscribe.
    pub join_wait: Duration,
    /// Caps `CallAndBridge`'s `CallTimeoutSeconds` (short no-answer tests).
    pub call_timeout_limit: Option<Duration>,
    /// The directory standing in for S3, where `StartCallRecording` writes its WAV files
    /// (`CHIME_STANDIN_S3_DIR`); `None`: recording is refused.
    pub s3_dir: Option<std::path::PathBuf>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            reporter: None,
            join_wait: Duration::from_secs(10),
            call_timeout_limit: None,
            s3_dir: None,
        }
    }
}

impl Default for StandInConfig {
    fn default() -> Self {
        StandInConfig {
            sip_media_applications: Vec::new(),
            phone_numbers: Vec::new(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            runtime: RuntimeConfig::default(),
        }
    }
}

/// The stand-in's state, shared by its handlers and readable by tests.
#[derive(Clone)]
pub struct StandIn {
    inner: Arc<Shared>,
}

struct Shared {
    config: StandInConfig,
    /// `host:port` the stand-in serves on; its media URLs point here.
    addr: SocketAddr,
    /// Answers the meetings' audio; without it SUBSCRIBE is refused.
    gateway: Option<Arc<Gateway>>,
    state: Mutex<state::State>,
}

impl StandIn {
    pub fn new(config: StandInConfig, addr: SocketAddr) -> Self {
        StandIn::with_gateway(config, addr, None)
    }

    pub fn with_gateway(
        config: StandInConfig,
        addr: SocketAddr,
        gateway: Option<Arc<Gateway>>,
    ) -> Self {
        StandIn {
            inner: Arc::new(Shared {
                config,
                addr,
                gateway,
                state: Mutex::new(state::State::default()),
            }),
        }
    }

    pub fn gateway(&self) -> Option<&Arc<Gateway>> {
        self.inner.gateway.as_ref()
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The base URL to give the SDK as its endpoint.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    pub fn meeting(&self, meeting_id: &str) -> Option<MeetingRecord> {
        self.state().meetings.get(meeting_id).cloned()
    }

    pub fn sma_call(&self, transaction_id: &str) -> Option<SmaCallRecord> {
        self.state().calls.get(transaction_id).cloned()
    }

    /// Changes the call's record, if it is still kept.
    pub(crate) fn with_call(&self, transaction_id: &str, change: impl FnOnce(&mut SmaCallRecord)) {
        let mut state = self.state();
        if let Some(call) = state.calls.get_mut(transaction_id) {
            change(call);
        }
        if state
            .calls
            .get(transaction_id)
            .is_some_and(|call| call.ended)
        {
            state.runtimes.remove(transaction_id);
        }
    }

    fn config(&self) -> &StandInConfig {
        &self.inner.config
    }

    fn state(&self) -> MutexGuard<'_, state::State> {
        // A handler that panicked left nothing half-written worth refusing over.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The control-plane routes, every request signed (SigV4) as the SDK signs them, and the
/// meetings' signalling sockets (the browser does not sign).
pub fn router(stand_in: StandIn) -> Router {
    let media = Router::new().route("/control/{meeting_id}", get(signal::control));
    let control = Router::new()
        .route("/meetings", post(meetings::create_meeting))
        .route(
            "/meetings/{meeting_id}",
            axum::routing::delete(meetings::delete_meeting),
        )
        .route(
            "/meetings/{meeting_id}/attendees",
            post(meetings::create_attendee),
        )
        .route(
            "/sip-media-applications/{sma_id}/calls",
            post(voice::create_sma_call),
        )
        .route(
            "/sip-media-applications/{sma_id}/calls/{transaction_id}",
            post(voice::update_sma_call),
        )
        .fallback(error::unknown_operation)
        .method_not_allowed_fallback(error::unknown_operation)
        .layer(axum::middleware::from_fn(request::require_signature));
    media.merge(control).with_state(stand_in)
}

/// A running stand-in: its state, and the task serving it (aborted on drop).
pub struct Running {
    pub stand_in: StandIn,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (port 0: any free port) and serves the stand-in on it, without media.
pub async fn start(config: StandInConfig, addr: SocketAddr) -> std::io::Result<Running> {
    start_with_media(config, addr, None).await
}

/// The same, answering the meetings' audio with `gateway`.
pub async fn start_with_media(
    config: StandInConfig,
    addr: SocketAddr,
    gateway: Option<Arc<Gateway>>,
) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // Calls the gateway takes from its trunk are calls in to the SIP media application.
    let calls_in = gateway.as_ref().and_then(|g| g.take_incoming());
    let stand_in = StandIn::with_gateway(config, listener.local_addr()?, gateway);
    if let Some(calls_in) = calls_in {
        sma_runtime::take_calls_in(stand_in.clone(), calls_in);
    }
    let app = router(stand_in.clone());
    let task = tokio::spawn(async move {
        // Serving only ends with an accept error on a bound socket; nothing to retry.
        let _ = axum::serve(listener, app).await;
    });
    Ok(Running { stand_in, task })
}
