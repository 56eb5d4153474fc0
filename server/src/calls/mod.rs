//! The call hub: the telephony port. It owns each user's active call and live channel, and runs
//! one session task per call: the domain state machine driving the call's media, either a
//! gateway leg (to the embedded simulator or a Voice Connector) or a Chime SDK meeting bridged to
//! the PSTN by a SIP media application (`media.rs`).

mod bridged;
mod chime_leg;
mod ice;
mod inbound;
mod incoming;
mod media;
pub mod network_test;
mod quality;
mod session;
mod shutdown;
mod transfer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::api::live::{AudioPath, ClientMessage, LiveCall, ServerMessage};
use app::api::ports::{CallOrigin, Clock, Store, Telephony};
use app::domain::call::{CallLimits, CallState};
use app::domain::calls::CallRecord;
use app::domain::recordings::RecordingMode;
use async_trait::async_trait;
use sma::flow::CallProgress;
use telephony::gateway::Gateway;
use tokio::sync::{broadcast, mpsc, oneshot};

pub(crate) use chime_leg::JoinInfo;
pub use ice::{rest_credential, IceServers, TurnRest};
pub(crate) use session::SessionCommand;
pub use shutdown::ENDING_WAIT;

use crate::chime::ChimeControl;

/// Who carries the calls' audio to the telephone network.
#[derive(Clone, Default)]
pub enum Provider {
    /// Calls cannot be placed on this server.
    #[default]
    None,
    /// Our media gateway: the browser's peer connection bridged to a SIP trunk.
    Gateway(Arc<Gateway>),
    /// Amazon Chime SDK PSTN Audio: a meeting per call, bridged by a SIP media application.
    Chime(Arc<ChimeControl>),
}

impl Provider {
    fn audio_path(&self) -> AudioPath {
        match self {
            Provider::Chime(_) => AudioPath::ChimeMeeting,
            Provider::None | Provider::Gateway(_) => AudioPath::Gateway,
        }
    }
}

/// The refusal of an offer (or meeting request) from a tab other than the one that dialled.
pub const NOT_THIS_TABS_CALL: &str =
    "this call was placed in another tab: only that tab can carry its audio";

/// The answer to Answer or Decline on a call that is not ringing for the user (any more).
pub const NO_LONGER_RINGING: &str = "that call is no longer ringing";

/// How long a started call waits for the browser's offer before it ends as failed.
pub const OFFER_TIMEOUT: Duration = Duration::from_secs(20);

pub struct CallHub {
    inner: Arc<HubInner>,
}

pub(crate) struct HubInner {
    pub provider: Provider,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub limits: CallLimits,
    /// Each call's longest duration, as the spend limits admitted it.
    max_durations: Mutex<HashMap<String, u64>>,
    pub offer_timeout: Duration,
    /// Records calls (absent: the record controls say recording is not available).
    pub recorder: Option<Arc<crate::recordings::Recorder>>,
    ice_servers: IceServers,
    users: Mutex<HashMap<String, UserChannel>>,
    next_connection: AtomicU64,
    /// This server's id, written on the calls it carries (`crate::cluster`).
    server_id: std::sync::OnceLock<String>,
    /// Revoked sessions (`Some(sub)`, or `None`: anyone's): each open live channel re-checks
    /// its own session when it hears of one (`web/live.rs`).
    revocations: broadcast::Sender<Option<String>>,
    /// Calls in ringing on this server, by id (`inbound.rs`).
    ringing: Mutex<HashMap<String, inbound::Ringing>>,
    /// Calls in on the Chime path not answered yet, by SIP media application transaction:
    /// told when the handler reports the caller gone (`incoming.rs`).
    chime_calls_in: Mutex<HashMap<String, tokio::sync::watch::Sender<bool>>>,
    /// The configured caller IDs: numbers the business owns even with no entry in the store.
    caller_ids: std::sync::OnceLock<Vec<String>>,
    /// Tells agents of the calls they missed (Web Push), when push is on.
    notifier: std::sync::OnceLock<Arc<dyn app::api::ports::Notifier>>,
    /// What a held caller hears: `SOFTPHONE_HOLD_MUSIC`, or our own tune.
    hold_music: std::sync::OnceLock<Arc<[i16]>>,
    /// What a caller nobody will answer hears before the refusal.
    caller_messages: std::sync::OnceLock<CallerMessages>,
    /// The number policy and spend limits a transfer to a number is admitted under, as a call
    /// dialled is (unset: such transfers are refused).
    dialling: std::sync::OnceLock<DiallingRules>,
    /// Each user's calls sent on to a number that this server still carries (`bridged.rs`).
    transferred: Mutex<HashMap<String, u32>>,
    /// The network tests running (`network_test.rs`).
    network_tests: network_test::NetworkTests,
    /// Set when the server starts shutting down: no new call is taken ([`CallHub::shut_down`]).
    draining: std::sync::atomic::AtomicBool,
    /// Cancelled once the drain is over: every call left is hung up.
    pub(crate) stopping: tokio_util::sync::CancellationToken,
    /// Cancelled once the calls are over: the live channels close, so the tabs reconnect to
    /// another server.
    closing: tokio_util::sync::CancellationToken,
}

/// What [`app::api::calls::ops::Dialling`] needs beyond the store and the clock.
pub(crate) struct DiallingRules {
    pub numbers: Arc<dyn app::domain::numbers::Classifier + Send + Sync>,
    pub spend_policy: app::domain::spend::SpendPolicy,
}

/// The recorded messages for callers nobody will talk to, by why (`SOFTPHONE_CALLER_MESSAGES`:
/// `closed.wav`, `unassigned.wav`, `no-answer.wav`); each one missing is the special
/// information tone (`telephony::tones::special_information_tone`).
#[derive(Clone)]
pub struct CallerMessages {
    closed: Arc<[i16]>,
    unassigned: Arc<[i16]>,
    no_answer: Arc<[i16]>,
}

impl CallerMessages {
    /// The tone for all three.
    pub fn standard() -> CallerMessages {
        let tone: Arc<[i16]> = telephony::tones::special_information_tone().into();
        CallerMessages {
            closed: tone.clone(),
            unassigned: tone.clone(),
            no_answer: tone,
        }
    }

    /// The messages in `dir`; a file there that is not an 8 kHz mono 16-bit WAV of 0.5 s to
    /// 2 min is an error naming it.
    pub fn read(dir: &std::path::Path) -> Result<CallerMessages, String> {
        let mut messages = CallerMessages::standard();
        for (name, slot) in [
            ("closed.wav", &mut messages.closed),
            ("unassigned.wav", &mut messages.unassigned),
            ("no-answer.wav", &mut messages.no_answer),
        ] {
            let path = dir.join(name);
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("{}: {e}", path.display())),
            };
            let samples = telephony::wav::parse_mono_8k(&bytes)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if !(4_000..=120 * 8_000).contains(&samples.len()) {
                return Err(format!(
                    "{}: {:.1} s of audio; a message is 0.5 s to 2 min long",
                    path.display(),
                    samples.len() as f64 / 8_000.0
                ));
            }
            *slot = samples.into();
        }
        Ok(messages)
    }

    pub fn for_kind(&self, kind: app::domain::inbound::MessageKind) -> Arc<[i16]> {
        use app::domain::inbound::MessageKind;
        match kind {
            MessageKind::Closed => self.closed.clone(),
            MessageKind::Unassigned => self.unassigned.clone(),
            MessageKind::NoAnswer => self.no_answer.clone(),
        }
    }
}

struct UserChannel {
    events: broadcast::Sender<ServerMessage>,
    call: Option<ActiveCall>,
    connections: usize,
    /// The e-mail the user's live connections signed in with: how colleagues see them in the
    /// list of agents to transfer a call to.
    email: Option<String>,
}

struct ActiveCall {
    live: LiveCall,
    commands: mpsc::UnboundedSender<SessionCommand>,
    /// The live connection that dialled the call (none for a REST call, which the first tab
    /// to offer takes up): the only one whose offer or meeting request is taken.
    placed_by: Option<u64>,
}

impl CallHub {
    pub fn new(
        provider: Provider,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        ice_servers: impl Into<IceServers>,
        recorder: Option<Arc<crate::recordings::Recorder>>,
    ) -> Self {
        Self::with_limits(
            provider,
            store,
            clock,
            ice_servers,
            recorder,
            CallLimits::default(),
            OFFER_TIMEOUT,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn with_limits(
        provider: Provider,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        ice_servers: impl Into<IceServers>,
        recorder: Option<Arc<crate::recordings::Recorder>>,
        limits: CallLimits,
        offer_timeout: Duration,
    ) -> Self {
        CallHub {
            inner: Arc::new(HubInner {
                provider,
                store,
                clock,
                limits,
                max_durations: Mutex::new(HashMap::new()),
                offer_timeout,
                recorder,
                ice_servers: ice_servers.into(),
                users: Mutex::new(HashMap::new()),
                next_connection: AtomicU64::new(1),
                server_id: std::sync::OnceLock::new(),
                revocations: broadcast::channel(16).0,
                ringing: Mutex::new(HashMap::new()),
                chime_calls_in: Mutex::new(HashMap::new()),
                caller_ids: std::sync::OnceLock::new(),
                notifier: std::sync::OnceLock::new(),
                hold_music: std::sync::OnceLock::new(),
                caller_messages: std::sync::OnceLock::new(),
                dialling: std::sync::OnceLock::new(),
                transferred: Mutex::new(HashMap::new()),
                network_tests: network_test::NetworkTests::default(),
                draining: std::sync::atomic::AtomicBool::new(false),
                stopping: tokio_util::sync::CancellationToken::new(),
                closing: tokio_util::sync::CancellationToken::new(),
            }),
        }
    }

    /// Who carries this server's calls.
    pub fn provider(&self) -> &Provider {
        &self.inner.provider
    }

    /// Names this server on the calls it carries from now on (set once, at start).
    pub fn set_server_id(&self, id: String) {
        let _ = self.inner.server_id.set(id);
    }

    /// Missed calls in are pushed to the agents' devices through `notifier` (set once).
    pub fn set_notifier(&self, notifier: Arc<dyn app::api::ports::Notifier>) {
        let _ = self.inner.notifier.set(notifier);
    }

    /// A held caller hears `music` (8 kHz, looped) instead of our own tune (set once, at
    /// start; empty music is refused by the config).
    pub fn set_hold_music(&self, music: Vec<i16>) {
        let _ = self.inner.hold_music.set(music.into());
    }

    /// Callers nobody will answer hear `messages` before the refusal (set once, at start).
    pub fn set_caller_messages(&self, messages: CallerMessages) {
        let _ = self.inner.caller_messages.set(messages);
    }

    /// A transfer to a number is checked against `numbers` and admitted under `spend_policy`,
    /// as a call dialled is (set once, at start; unset, such transfers are refused).
    pub fn set_dialling(
        &self,
        numbers: Arc<dyn app::domain::numbers::Classifier + Send + Sync>,
        spend_policy: app::domain::spend::SpendPolicy,
    ) {
        let _ = self.inner.dialling.set(DiallingRules {
            numbers,
            spend_policy,
        });
    }

    /// Takes the calls in the gateway hands over (once, at start): they ring the agents the
    /// routing names. `caller_ids`: the configured caller IDs, owned numbers by default.
    pub fn take_calls_in(
        &self,
        calls: mpsc::Receiver<telephony::gateway::IncomingCall>,
        caller_ids: Vec<String>,
    ) {
        self.set_caller_ids(caller_ids);
        inbound::take_calls_in(self.inner.clone(), calls);
    }

    /// The configured caller IDs: numbers the business owns even with no entry in the store
    /// (set once, at start).
    pub fn set_caller_ids(&self, caller_ids: Vec<String>) {
        let _ = self.inner.caller_ids.set(caller_ids);
    }

    /// A new live connection of `owner`: its id, its event stream and its first message.
    pub fn connect(&self, owner: &str) -> (u64, broadcast::Receiver<ServerMessage>, ServerMessage) {
        let connection = self.inner.next_connection.fetch_add(1, Ordering::Relaxed);
        let ringing = self.inner.ringing_for(owner);
        let mut users = self.inner.lock_users();
        let user = users
            .entry(owner.to_string())
            .or_insert_with(UserChannel::new);
        user.connections += 1;
        metrics::gauge!(app::api::metrics::LIVE_CONNECTIONS.name).increment(1.0);
        let hello = ServerMessage::Hello {
            connection,
            call: user.call.as_ref().map(|c| c.live.clone()),
            ice_servers: self.inner.ice_servers_for(owner),
            audio_path: self.inner.provider.audio_path(),
            ringing,
        };
        (connection, user.events.subscribe(), hello)
    }

    /// A new live connection of `owner`, signed in as `email` (see [`CallHub::connect`]).
    pub fn connect_as(
        &self,
        owner: &str,
        email: &str,
    ) -> (u64, broadcast::Receiver<ServerMessage>, ServerMessage) {
        let connected = self.connect(owner);
        if let Some(user) = self.inner.lock_users().get_mut(owner) {
            user.email = Some(email.to_string());
        }
        connected
    }

    /// How often an open live connection is sent new ICE servers ([`CallHub::renewed_ice_servers`]);
    /// `None` when they never change (no TURN server with per-user credentials).
    pub fn renew_ice_servers_every(&self) -> Option<Duration> {
        self.inner.ice_servers.renew_every()
    }

    /// `owner`'s ICE servers with fresh TURN credentials, for an open live connection.
    pub fn renewed_ice_servers(&self, owner: &str) -> ServerMessage {
        ServerMessage::IceServers {
            ice_servers: self.inner.ice_servers_for(owner),
        }
    }

    /// Tells of revoked sessions, for an open live connection to re-check its own.
    pub fn session_revocations(&self) -> broadcast::Receiver<Option<String>> {
        self.inner.revocations.subscribe()
    }

    /// Whether `connection` holds the audio of `owner`'s active call.
    pub fn holds_call_audio(&self, owner: &str, connection: u64) -> bool {
        self.inner
            .lock_users()
            .get(owner)
            .and_then(|u| u.call.as_ref())
            .is_some_and(|c| c.live.media_connection == Some(connection))
    }

    /// A live connection closed; a call whose audio it held ends.
    pub fn disconnect(&self, owner: &str, connection: u64) {
        let mut users = self.inner.lock_users();
        if let Some(user) = users.get_mut(owner) {
            if user.connections > 0 {
                metrics::gauge!(app::api::metrics::LIVE_CONNECTIONS.name).decrement(1.0);
            }
            user.connections = user.connections.saturating_sub(1);
            if let Some(call) = &user.call {
                let _ = call
                    .commands
                    .send(SessionCommand::ConnectionClosed(connection));
            }
            if user.connections == 0 && user.call.is_none() {
                users.remove(owner);
            }
        }
    }

    /// A message from one of `owner`'s connections; the reply (if any) goes to that one only.
    pub async fn handle(
        &self,
        owner: &str,
        connection: u64,
        message: ClientMessage,
    ) -> Option<ServerMessage> {
        let (call_id, command, reply) = match message {
            ClientMessage::Offer { call_id, sdp } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::Offer {
                        connection,
                        sdp,
                        reply: tx,
                    },
                    Some(Reply::Answer(rx)),
                )
            }
            ClientMessage::Join { call_id } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::Join {
                        connection,
                        reply: tx,
                    },
                    Some(Reply::Join(rx)),
                )
            }
            ClientMessage::Digits { call_id, digits } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::Digits { digits, reply: tx },
                    Some(Reply::Done(rx)),
                )
            }
            ClientMessage::Hangup { call_id } => (call_id, SessionCommand::Hangup, None),
            ClientMessage::Decline { call_id, timed_out } => {
                (call_id, SessionCommand::Decline { timed_out }, None)
            }
            ClientMessage::Mute { call_id, muted } => (call_id, SessionCommand::Mute(muted), None),
            ClientMessage::Hold { call_id, on_hold } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::Hold { on_hold, reply: tx },
                    Some(Reply::Done(rx)),
                )
            }
            ClientMessage::Record { call_id, action } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::Record { action, reply: tx },
                    Some(Reply::Done(rx)),
                )
            }
            ClientMessage::Transfer {
                call_id,
                to,
                consult,
            } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::Transfer {
                        to,
                        consult,
                        reply: tx,
                    },
                    Some(Reply::Done(rx)),
                )
            }
            ClientMessage::TransferToNumber {
                call_id,
                number,
                consult,
            } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::TransferToNumber {
                        number,
                        consult,
                        reply: tx,
                    },
                    Some(Reply::Done(rx)),
                )
            }
            ClientMessage::CompleteTransfer { call_id } => {
                let (tx, rx) = oneshot::channel();
                (
                    call_id,
                    SessionCommand::CompleteTransfer { reply: tx },
                    Some(Reply::Done(rx)),
                )
            }
            ClientMessage::AnswerIncoming { call_id } => {
                let (reply, answered) = oneshot::channel();
                let command = inbound::RingCommand::Answer {
                    owner: owner.to_string(),
                    connection,
                    reply,
                };
                let result = if self.inner.ring_command(&call_id, owner, command) {
                    answered.await.unwrap_or(Err(NO_LONGER_RINGING.into()))
                } else {
                    Err(NO_LONGER_RINGING.into())
                };
                // Success shows as the user's call, on every tab.
                return result.err().map(|message| ServerMessage::Error {
                    call_id: Some(call_id),
                    message,
                });
            }
            ClientMessage::CallQuality { call_id, summary } => {
                let kept = quality::keep(self.inner.store.as_ref(), owner, &call_id, &summary);
                return kept.await.err().map(|message| ServerMessage::Error {
                    call_id: Some(call_id),
                    message,
                });
            }
            ClientMessage::DeclineIncoming { call_id } => {
                let command = inbound::RingCommand::Decline {
                    owner: owner.to_string(),
                };
                if self.inner.ring_command(&call_id, owner, command) {
                    return None;
                }
                return Some(ServerMessage::Error {
                    call_id: Some(call_id),
                    message: NO_LONGER_RINGING.into(),
                });
            }
        };
        let audio_request = matches!(
            command,
            SessionCommand::Offer { .. } | SessionCommand::Join { .. }
        );
        let sent = {
            let users = self.inner.lock_users();
            let call = users
                .get(owner)
                .and_then(|u| u.call.as_ref())
                .filter(|c| c.live.id == call_id);
            match call {
                // A tab that did not dial the call may not carry its audio: the call and its
                // tab are left as they were.
                Some(c) if audio_request && c.placed_by.is_some_and(|p| p != connection) => {
                    tracing::warn!(call = %call_id, connection, "audio offer from a tab that did not place the call refused");
                    return Some(ServerMessage::Error {
                        call_id: Some(call_id),
                        message: NOT_THIS_TABS_CALL.into(),
                    });
                }
                Some(c) => c.commands.send(command).is_ok(),
                None => false,
            }
        };
        if !sent {
            return Some(ServerMessage::Error {
                call_id: Some(call_id),
                message: "that call is not active".into(),
            });
        }
        let error = |message: String| ServerMessage::Error {
            call_id: Some(call_id.clone()),
            message,
        };
        let ended = || "the call ended".to_string();
        match reply? {
            Reply::Answer(rx) => Some(match rx.await {
                Ok(Ok(sdp)) => ServerMessage::Answer {
                    call_id: call_id.clone(),
                    sdp,
                },
                Ok(Err(message)) => error(message),
                Err(_) => error(ended()),
            }),
            Reply::Join(rx) => Some(match rx.await {
                Ok(Ok(join)) => ServerMessage::Join {
                    call_id: call_id.clone(),
                    meeting: join.meeting,
                    attendee: join.attendee,
                },
                Ok(Err(message)) => error(message),
                Err(_) => error(ended()),
            }),
            // Success shows in the call's next state, on every tab.
            Reply::Done(rx) => match rx.await {
                Ok(Ok(())) => None,
                Ok(Err(message)) => Some(error(message)),
                Err(_) => Some(error(ended())),
            },
        }
    }

    /// The SIP media application handler's progress for call `call_id`: to its session, or
    /// `false` when no active call has that id (it ended, or is another server's).
    pub fn progress(
        &self,
        call_id: &str,
        transaction_id: &str,
        sequence: u64,
        progress: CallProgress,
    ) -> bool {
        if let CallProgress::Incoming { from, to, .. } = progress {
            return self.chime_call_in(transaction_id, from, to);
        }
        let delivered = !call_id.is_empty() && {
            let users = self.inner.lock_users();
            let call = users
                .values()
                .filter_map(|u| u.call.as_ref())
                .find(|c| c.live.id == call_id);
            call.is_some_and(|c| {
                c.commands
                    .send(SessionCommand::Progress {
                        sequence,
                        progress: progress.clone(),
                    })
                    .is_ok()
            })
        };
        if delivered {
            return true;
        }
        // A call in not answered yet: only its end matters (the caller hung up, or the
        // service gave up on it).
        let calls_in = self.inner.lock_chime_calls_in();
        match calls_in.get(transaction_id) {
            Some(gone) => {
                if matches!(progress, CallProgress::Ended { .. }) {
                    gone.send_replace(true);
                }
                true
            }
            None => false,
        }
    }

    /// Whether `progress` would be applied here: its call is this server's (a session, or a
    /// call in still ringing). A push that is not is relayed to the server whose it is
    /// (`cluster::progress_relay`); a new call in never is (it rings where it lands).
    pub fn holds_chime_call(&self, report: &sma::report::ProgressReport) -> bool {
        if matches!(report.progress, CallProgress::Incoming { .. }) {
            return false;
        }
        let session = !report.call_id.is_empty()
            && self
                .inner
                .lock_users()
                .values()
                .filter_map(|u| u.call.as_ref())
                .any(|c| c.live.id == report.call_id);
        session
            || self
                .inner
                .lock_chime_calls_in()
                .contains_key(&report.transaction_id)
    }

    /// "reachable", "unreachable" or "unknown": the trunk's answer to the last OPTIONS probe;
    /// "none" without a gateway ("chime" when calls go through Chime, which has no trunk).
    pub fn trunk_status(&self) -> &'static str {
        match &self.inner.provider {
            Provider::None => "none",
            Provider::Chime(_) => "chime",
            Provider::Gateway(g) => match g.trunk_reachable() {
                None => "unknown",
                Some(true) => "reachable",
                Some(false) => "unreachable",
            },
        }
    }

    /// The user's active call, if any (for tests and diagnostics).
    pub fn active_call(&self, owner: &str) -> Option<LiveCall> {
        let users = self.inner.lock_users();
        users
            .get(owner)
            .and_then(|u| u.call.as_ref())
            .map(|c| c.live.clone())
    }
}

/// How a call's session starts ([`HubInner::start_session`]).
pub(crate) struct SessionStart {
    /// The live connection that placed or answered the call (the only one whose offer is
    /// taken); none for a REST call, which the first tab to offer takes up.
    pub placed_by: Option<u64>,
    pub from_api: bool,
    /// The longest the call may last (the spend limits' admission, or the server's limit).
    pub max_duration_ms: u64,
    /// A call in the user answered.
    pub incoming: Option<incoming::IncomingLeg>,
    /// A call a colleague handed over to the user (a transfer they answered).
    pub taken: Option<transfer::TakenCall>,
}

/// What a live-channel request waits for from the call's session.
enum Reply {
    Answer(oneshot::Receiver<Result<String, String>>),
    Join(oneshot::Receiver<Result<JoinInfo, String>>),
    Done(oneshot::Receiver<Result<(), String>>),
}

impl UserChannel {
    fn new() -> Self {
        UserChannel {
            events: broadcast::channel(64).0,
            call: None,
            connections: 0,
            email: None,
        }
    }
}

impl HubInner {
    /// `owner`'s ICE servers as of now: TURN credentials are made for the user (their `sub`,
    /// never their e-mail, names them to the TURN server) and expire a TTL from now.
    fn ice_servers_for(&self, owner: &str) -> Vec<app::api::live::IceServer> {
        self.ice_servers.for_user(owner, self.clock.now_ms() / 1000)
    }

    fn lock_users(&self) -> std::sync::MutexGuard<'_, HashMap<String, UserChannel>> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records the call's new shape and tells every tab of its user.
    pub(crate) fn publish(&self, owner: &str, live: &LiveCall) {
        let mut users = self.lock_users();
        let user = users
            .entry(owner.to_string())
            .or_insert_with(UserChannel::new);
        let over = matches!(live.state, CallState::Ended { .. });
        if over {
            if user.call.as_ref().is_some_and(|c| c.live.id == live.id) {
                user.call = None;
            }
        } else if let Some(call) = user.call.as_mut().filter(|c| c.live.id == live.id) {
            call.live = live.clone();
        }
        let _ = user.events.send(ServerMessage::Call { call: live.clone() });
        if over && user.connections == 0 {
            users.remove(owner);
        }
    }

    /// Sends `message` to every tab of `owner` (something they did not ask for just now).
    pub(crate) fn tell(&self, owner: &str, message: ServerMessage) {
        if let Some(user) = self.lock_users().get(owner) {
            let _ = user.events.send(message);
        }
    }

    /// A call's limits: the server's, with the longest duration its admission allows.
    pub(crate) fn caller_message(&self, kind: app::domain::inbound::MessageKind) -> Arc<[i16]> {
        self.caller_messages
            .get_or_init(CallerMessages::standard)
            .for_kind(kind)
    }

    pub(crate) fn hold_music(&self) -> Arc<[i16]> {
        self.hold_music
            .get_or_init(|| telephony::tones::hold_music().into())
            .clone()
    }

    pub(crate) fn limits_for(&self, call_id: &str) -> CallLimits {
        let admitted = self
            .max_durations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call_id)
            .copied();
        CallLimits {
            max_duration_ms: admitted.map_or(self.limits.max_duration_ms, |m| {
                m.min(self.limits.max_duration_ms)
            }),
            ..self.limits
        }
    }

    /// Runs the session of a call the user is on from now: one they placed, or (with
    /// `start.incoming`) one they answered.
    pub(crate) async fn start_session(
        self: &Arc<Self>,
        owner: &str,
        record: CallRecord,
        start: SessionStart,
    ) {
        let SessionStart {
            placed_by,
            from_api,
            max_duration_ms,
            incoming,
            taken,
        } = start;
        {
            let mut calls = self.max_durations.lock().unwrap_or_else(|p| p.into_inner());
            calls.insert(record.id.clone(), max_duration_ms);
            metrics::gauge!(app::api::metrics::CALLS_ACTIVE.name).set(calls.len() as f64);
        }
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let store = &self.store;
        let contact_name = match store.contact_by_number(owner, &record.e164).await {
            Ok(c) => c.map(|c| c.name),
            Err(e) => {
                tracing::warn!(call = %record.id, error = %e, "contact look-up for a call failed");
                None
            }
        };
        let preferences = match store.preferences(owner).await {
            Ok(p) => p,
            Err(e) => {
                // Recording asks, and a REST call is confirmed: the defaults.
                tracing::warn!(call = %record.id, error = %e, "preferences not read: the defaults apply");
                Default::default()
            }
        };
        let recording_mode = if self.recorder.is_none() {
            RecordingMode::Never
        } else {
            preferences.recording
        };
        let live = LiveCall {
            inbound: record.direction == app::domain::calls::Direction::Inbound,
            id: record.id.clone(),
            e164: record.e164.clone(),
            contact_name,
            state: CallState::Idle,
            started_at: record.started_at,
            // Set for a call taken over from a colleague: it was answered before.
            answered_at: record.answered_at,
            media_connection: None,
            from_api,
            confirm: from_api && preferences.confirm_api_calls,
            recording_mode,
            recording: None,
            transfer: None,
            consult_with: None,
        };
        {
            let mut users = self.lock_users();
            let user = users
                .entry(owner.to_string())
                .or_insert_with(UserChannel::new);
            // (A colleague's consultation this user was in ends as its commands' sender goes:
            // they took a call of their own, or after Connect that very call.)
            user.call = Some(ActiveCall {
                live: live.clone(),
                commands,
                placed_by,
            });
        }
        self.publish(owner, &live);
        // Every line of the call's session, and of its gateway leg, names the call (`call`),
        // whoever's request started it (no parent: the call outlives the request).
        let span = tracing::info_span!(parent: None, "call", call = %record.id);
        let session = session::Session::new(
            self.clone(),
            owner.to_string(),
            record,
            live,
            commands_rx,
            incoming,
            taken,
        );
        tokio::spawn(tracing::Instrument::instrument(session.run(), span));
    }

    /// The e-mail `sub`'s live connections signed in with, while they have one open.
    pub(crate) fn email_of(&self, sub: &str) -> Option<String> {
        self.lock_users().get(sub)?.email.clone()
    }

    /// The inbox of the session of `owner`'s call `call_id`, while it is on.
    pub(crate) fn session_commands(
        &self,
        owner: &str,
        call_id: &str,
    ) -> Option<mpsc::UnboundedSender<SessionCommand>> {
        let users = self.lock_users();
        let call = users.get(owner)?.call.as_ref()?;
        (call.live.id == call_id).then(|| call.commands.clone())
    }

    /// Ends the call `owner` is on, if any (they answered a waiting call).
    pub(crate) fn hang_up_current(&self, owner: &str) {
        if let Some(call) = self.lock_users().get(owner).and_then(|u| u.call.as_ref()) {
            let _ = call.commands.send(SessionCommand::Hangup);
        }
    }

    /// `owner` is consulted about a colleague's call (a warm transfer): their tabs show it as a
    /// call of theirs (`live`, `consult_with` set) whose commands go to the colleague's session
    /// (`commands`); the tab that answered (`connection`) carries its audio. `false` when they
    /// are on a call after all.
    pub(crate) fn start_consultation(
        &self,
        owner: &str,
        live: &LiveCall,
        commands: mpsc::UnboundedSender<SessionCommand>,
        connection: u64,
    ) -> bool {
        {
            let mut users = self.lock_users();
            let user = users
                .entry(owner.to_string())
                .or_insert_with(UserChannel::new);
            if user.call.is_some() {
                return false;
            }
            user.call = Some(ActiveCall {
                live: live.clone(),
                commands,
                placed_by: Some(connection),
            });
        }
        self.publish(owner, live);
        true
    }

    /// The call is over (its spend slot is released with its record's update).
    pub(crate) fn call_ended(&self, _owner: &str, call_id: &str) {
        let mut calls = self.max_durations.lock().unwrap_or_else(|p| p.into_inner());
        calls.remove(call_id);
        metrics::gauge!(app::api::metrics::CALLS_ACTIVE.name).set(calls.len() as f64);
    }
}

#[async_trait]
impl Telephony for CallHub {
    fn available(&self) -> bool {
        !matches!(self.inner.provider, Provider::None) && !self.inner.is_draining()
    }

    fn agents_online(&self) -> Vec<app::api::ports::AgentOnline> {
        self.inner
            .lock_users()
            .iter()
            .filter(|(_, u)| u.connections > 0)
            .filter_map(|(sub, u)| {
                Some(app::api::ports::AgentOnline {
                    sub: sub.clone(),
                    email: u.email.clone()?,
                    on_a_call: u.call.is_some(),
                })
            })
            .collect()
    }

    async fn network_test(
        &self,
        owner: &str,
        offer: &str,
    ) -> Result<String, app::api::ports::NetworkTestError> {
        if self.inner.is_draining() {
            return Err(app::api::ports::NetworkTestError::Unavailable);
        }
        self.start_network_test(owner, offer).await
    }

    fn has_live_connection(&self, owner: &str) -> bool {
        self.inner
            .lock_users()
            .get(owner)
            .is_some_and(|u| u.connections > 0)
    }

    fn server_id(&self) -> Option<String> {
        self.inner.server_id.get().cloned()
    }

    fn sessions_revoked(&self, owner: Option<&str>) {
        // No receiver (no open channel) is not an error.
        let _ = self.inner.revocations.send(owner.map(str::to_string));
    }

    fn transferred_calls(&self, owner: &str) -> u32 {
        self.inner.transferred_calls(owner)
    }

    async fn begin(
        &self,
        owner: &str,
        record: CallRecord,
        origin: CallOrigin,
        max_duration_ms: u64,
    ) {
        let placed_by = match origin {
            CallOrigin::App { connection } => Some(connection),
            CallOrigin::Api => None,
        };
        let start = SessionStart {
            placed_by,
            from_api: origin == CallOrigin::Api,
            max_duration_ms,
            incoming: None,
            taken: None,
        };
        self.inner.start_session(owner, record, start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::CallerMessages;
    use app::domain::inbound::MessageKind;

    #[test]
    fn caller_messages_come_from_their_files_and_the_tone_stands_in_for_a_missing_one() {
        let dir = std::env::temp_dir().join(format!("softphone-messages-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let closed = vec![1234i16; 8000];
        std::fs::write(dir.join("closed.wav"), telephony::wav::mono_8k(&closed)).unwrap();
        let messages = CallerMessages::read(&dir).unwrap();
        assert_eq!(&*messages.for_kind(MessageKind::Closed), &closed[..]);
        let tone = telephony::tones::special_information_tone();
        assert_eq!(&*messages.for_kind(MessageKind::Unassigned), &tone[..]);
        assert_eq!(&*messages.for_kind(MessageKind::NoAnswer), &tone[..]);

        // A file that is not a WAV, or far too short, is named.
        std::fs::write(dir.join("no-answer.wav"), b"not a wav").unwrap();
        let e = CallerMessages::read(&dir).err().unwrap();
        assert!(e.contains("no-answer.wav"), "{e}");
        std::fs::write(
            dir.join("no-answer.wav"),
            telephony::wav::mono_8k(&[0; 800]),
        )
        .unwrap();
        let e = CallerMessages::read(&dir).err().unwrap();
        assert!(e.contains("0.1 s") && e.contains("0.5 s to 2 min"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
