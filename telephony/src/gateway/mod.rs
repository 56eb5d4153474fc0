//! The media gateway: one browser leg (str0m: ICE-lite, DTLS-SRTP, G.711 + telephone-event) and
//! one SIP leg (rsipstack UAC + our RTP) per call, relaying G.711 frames without transcoding.
//!
//! The gateway does what it is told: the call's state machine (in the app's domain) decides when
//! to INVITE, CANCEL or BYE and when to play ringback; the gateway reports what happens on both
//! legs as [`LegEvent`]s.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rsipstack::sip::{Host, HostWithPort, Scheme, Transport, Uri};
use rsipstack::transport::SipAddr;
use str0m::change::SdpOffer;
use str0m::crypto::dtls::DtlsCert;
use str0m::format::Codec;
use str0m::media::{MediaKind, Mid};
use str0m::Candidate;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

use crate::g711::G711;
use crate::recording::{PauseMode, RecordedAudio};
use crate::sip::{SipEndpoint, SipError};
use crate::tasks::redact_numbers;

mod announce;
mod batch_io;
pub mod bridge;
mod demux;
pub mod digits;
#[doc(hidden)]
pub mod fuzzing;
pub mod inbound;
mod join;
mod leg;
mod media;
mod playout;
mod rtc_config;
mod sip_leg;
mod slot;
mod trunk_sdp;

use bridge::{Bridge, BridgeConfig};
use demux::LegId;
pub use inbound::{CallerGone, InboundConfig, InboundTls, IncomingCall};
use leg::Leg;
use media::{
    pick_worker, start_workers, trunk_socket, BrowserSide, MediaCommand, MediaLeg, ToWorker,
    WorkerHandle,
};
pub use rtc_config::g711_rtc_config;
use rtc_config::gateway_rtc_config;
pub(crate) use sip_leg::status_of;
use sip_leg::{host_of, SipLeg, SipTarget};
use trunk_sdp::LocalSession;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrunkTransport {
    Udp,
    Tcp,
    /// SIP over TLS (a Voice Connector with encryption on: port 5061), verifying the trunk's
    /// certificate against these trust anchors (PEM).
    Tls {
        ca_pem: Vec<u8>,
    },
}

impl TrunkTransport {
    fn sip(&self) -> Transport {
        match self {
            TrunkTransport::Udp => Transport::Udp,
            TrunkTransport::Tcp => Transport::Tcp,
            TrunkTransport::Tls { .. } => Transport::Tls,
        }
    }
}

/// Whether the trunk's media is encrypted: SDES-SRTP (RFC 4568 `a=crypto`, RFC 3711), what a
/// Voice Connector with encryption on demands (with SIP over TLS, so the keys travel
/// encrypted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrunkSrtp {
    /// Offer `RTP/SAVP` only; a call the trunk answers with plain RTP fails.
    Required,
    /// Offer `RTP/AVP` with `a=crypto` lines: SRTP if the trunk takes a line, plain RTP if not.
    Optional,
    /// Plain RTP; an SRTP answer fails the call.
    Off,
}

/// Where calls go: the PSTN simulator, or an Amazon Chime SDK Voice Connector.
#[derive(Clone)]
pub struct TrunkConfig {
    /// `host:port`; a host name is resolved for every call (Voice Connector addresses change).
    pub target: String,
    pub transport: TrunkTransport,
    /// Digest credentials, if the trunk asks for them.
    pub username: Option<String>,
    pub password: Option<String>,
    /// The caller ID sent in From, in E.164.
    pub caller_id: String,
    pub srtp: TrunkSrtp,
}

/// By hand so the password never reaches a log line: it prints as `<redacted>`.
impl fmt::Debug for TrunkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrunkConfig")
            .field("target", &self.target)
            .field("transport", &self.transport)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("caller_id", &self.caller_id)
            .field("srtp", &self.srtp)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// The address the media sockets bind to.
    pub bind_ip: IpAddr,
    /// The address browsers and the trunk are told to send media to (ICE candidate, SDP).
    pub public_ip: IpAddr,
    /// The UDP port range for media: one port per media worker (one per core) toward browsers,
    /// shared by all of its calls, and one per call toward the trunk.
    pub port_min: u16,
    pub port_max: u16,
    /// Ignore media from anywhere but 127.0.0.0/8 (tests and benchmarks on loopback: browsers
    /// also try their external addresses).
    pub loopback_only: bool,
}

#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Where the SIP leg listens (UDP and TCP).
    pub sip_addr: SocketAddr,
    pub trunk: TrunkConfig,
    pub media: MediaConfig,
    /// Calls in from the trunk ([`Gateway::take_incoming`]); `None`: every INVITE is refused.
    pub inbound: Option<InboundConfig>,
}

/// How often the gateway probes the trunk with OPTIONS.
pub const KEEPALIVE_EVERY: Duration = Duration::from_secs(30);
/// How long a probe may take before the trunk counts as unreachable.
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the browser's offer is not valid SDP: {0}")]
    BadOffer(String),
    #[error("the browser offered no audio")]
    NoAudio,
    #[error("the browser offered neither PCMU nor PCMA")]
    NoCommonCodec,
    #[error("no free media port in {0}-{1}")]
    NoMediaPort(u16, u16),
    #[error("a media worker cannot start: {0}")]
    MediaWorker(String),
    #[error("the caller's offer cannot be answered: {0}")]
    TrunkOffer(String),
    #[error("the trunk address {0} cannot be resolved")]
    TrunkUnresolvable(String),
    #[error(transparent)]
    Sip(#[from] SipError),
}

/// What the call's owner tells the leg to do.
#[derive(Clone, Debug)]
pub enum LegCommand {
    /// INVITE the callee given when the leg was opened.
    Invite,
    /// A call in: answer the caller (200 OK with our side of the session).
    Accept,
    /// INVITE `callee` (E.164): for a leg opened without one ([`LegOptions`]).
    Dial {
        callee: String,
    },
    /// Keys the gateway sends to the trunk on its own (a SIP media application's `SendDigits`:
    /// `0-9*#A-D`, `,` a half-second pause), each `tone` long.
    SendDigits {
        digits: String,
        tone: Duration,
    },
    Cancel,
    Bye,
    Ringback(bool),
    Record(RecordCommand),
    /// The agent holds the call: the caller hears this music (8 kHz, looped) and the agent
    /// hears nothing; the SIP session is left as it is (we play the music, as a PBX does).
    Hold(Arc<[i16]>),
    /// The agent takes the held call back.
    Resume,
    /// A blind transfer of the answered call to `callee` (E.164, already allowed by the
    /// owner's policy: the gateway only dials it): a second SIP call to the trunk from the same
    /// media worker, with no browser. While it rings the call goes on as it is (the owner holds
    /// it first, so the customer hears the music). Answered within `ring_timeout`, the customer
    /// and the target are joined and the browser side is released; otherwise the second call
    /// is cancelled and the call goes on as before. Progress comes as [`LegEvent::Transfer`].
    ///
    /// With `consult` (a warm transfer) the answer does not join them: the agent talks with
    /// the target ([`TransferEvent::Consulting`]) while the customer goes on hearing the music,
    /// until [`LegCommand::CompleteTransfer`] joins them or [`LegCommand::CancelTransfer`]
    /// takes the agent back to the customer.
    TransferToNumber {
        callee: String,
        ring_timeout: Duration,
        consult: bool,
    },
    /// Stops a transfer that still rings (CANCEL): [`TransferFailure::Cancelled`]; during a
    /// consultation, hangs up on the target (BYE): [`TransferEvent::ConsultEnded`], the browser
    /// back with the customer (still held: the owner resumes).
    CancelTransfer,
    /// Ends a consultation by joining the customer and the target, exactly as a blind
    /// transfer's answer does ([`TransferEvent::Answered`], the browser released). Ignored
    /// unless the agent is consulting.
    CompleteTransfer,
    /// Another agent's browser is consulted ([`Gateway::consult_browser`]): the browser talks
    /// with it while the customer hears the music. [`LegCommand::CancelTransfer`] ends that
    /// (the browser back with the customer, still held); so does a hang-up.
    ConsultingBrowser,
    /// Tear everything down now (the owner has finished with the call).
    Close,
}

/// Recording of the call's audio (see [`crate::recording`]).
#[derive(Clone, Debug)]
pub enum RecordCommand {
    /// Starts recording into `sink`, playing `notice` to the called party first. Ignored while
    /// a recording runs.
    Start {
        sink: mpsc::UnboundedSender<RecordedAudio>,
        notice: Arc<[i16]>,
        mode: PauseMode,
    },
    Pause,
    Resume,
    /// Ends the recording (the call goes on); the sink closes once the last audio is in it.
    Stop,
}

/// What happened on either leg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LegEvent {
    /// 100 Trying.
    Trying,
    /// 180 (or 183 without SDP): the far end is alerting; we play ringback.
    Ringing,
    /// 18x with SDP: the network's own tones now reach the browser.
    EarlyMedia,
    /// 200 OK to the INVITE.
    Answered,
    /// A final failure response to the INVITE.
    Rejected {
        status: u16,
        reason: String,
    },
    RemoteBye,
    /// The far end confirmed our BYE or CANCEL.
    EndConfirmed,
    /// The SIP leg cannot continue (transport error, no SDP answer…).
    Failed {
        detail: String,
    },
    /// ICE and DTLS are up with the browser.
    BrowserConnected,
    /// ICE lost the browser.
    BrowserLost,
    /// The first audio frame from the trunk was sent to the browser.
    FirstTrunkAudio,
    /// A DTMF key the browser sent (relayed to the trunk as RFC 4733).
    Dtmf(char),
    /// The last key of [`LegCommand::SendDigits`] has been sent.
    DigitsSent,
    /// The far end put us on hold (`true`: its re-INVITE or UPDATE made the session
    /// `sendonly` or `inactive`) or took us off it.
    RemoteHold(bool),
    /// How a transfer to a number ([`LegCommand::TransferToNumber`]) goes. After
    /// [`TransferEvent::Answered`] the leg reports nothing of the browser any more, and only
    /// [`TransferEvent::Ended`] (or, after the owner's `Bye`, [`LegEvent::EndConfirmed`]) ends it.
    Transfer(TransferEvent),
    /// How the trunk's audio has arrived so far (loss and jitter, RFC 3550): every
    /// [`RECEPTION_REPORT_EVERY`] packets from the trunk: the phone network's side of the
    /// call's quality (docs/quality.md).
    TrunkReception(crate::reception::ReceptionSummary),
}

/// Trunk packets between two [`LegEvent::TrunkReception`] reports (1 s of G.711): the call's
/// owner keeps the latest and stores it at the end, so at most the call's last second is
/// missing from what is kept. An event a second per call, and no write until the end.
pub const RECEPTION_REPORT_EVERY: u64 = 50;

/// The progress of a blind transfer to a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferEvent {
    /// The target's phone rings (180/183; reported once). The customer hears what it heard.
    Ringing,
    /// The target answered: the customer and the target hear each other; the browser side is
    /// released (it hears nothing more, and its silence or loss no longer ends the call). For
    /// a consultation this comes at [`LegCommand::CompleteTransfer`].
    Answered,
    /// A consultation's target answered: the browser and the target hear each other, the
    /// customer hears the music and neither of them.
    Consulting,
    /// A consultation is over without a transfer: the target's call has ended (our BYE after
    /// [`LegCommand::CancelTransfer`] or the owner's hang-up: `hung_up` is `None`; the target
    /// hung up; or the customer did, and [`LegEvent::RemoteBye`] follows). The browser is back
    /// with the customer, who is still held.
    ConsultEnded { hung_up: Option<TransferParty> },
    /// The transfer did not happen; the call goes on exactly as before (still held if it was).
    /// `status` is the target's final SIP response, when there was one.
    Failed {
        reason: TransferFailure,
        status: Option<u16>,
    },
    /// After the answer: one side hung up, the other was sent a BYE, and the leg has ended
    /// (its events stop here).
    Ended { hung_up: TransferParty },
}

/// Why a transfer to a number did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferFailure {
    /// 486 or 600.
    Busy,
    /// Nobody answered within the ring time (our CANCEL), or the network said so (480, 408).
    NoAnswer,
    /// Any other final response (404, 403, 503…; the status is in the event).
    Refused,
    /// No answer at all from the trunk, or it could not be reached.
    Unreachable,
    /// The owner stopped it ([`LegCommand::CancelTransfer`], or a hang-up while it rang).
    Cancelled,
    /// Not possible now: the call is not answered yet, or a transfer is already under way or
    /// done.
    NotNow,
}

impl TransferFailure {
    /// The reason a final response to the target's INVITE gives.
    pub fn of_status(status: u16) -> TransferFailure {
        match status {
            486 | 600 => TransferFailure::Busy,
            480 | 408 => TransferFailure::NoAnswer,
            _ => TransferFailure::Refused,
        }
    }
}

/// Who hung up a transferred call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferParty {
    /// The party of the original call (the customer).
    Customer,
    /// The number the call was transferred to.
    Target,
}

/// How a leg is opened.
#[derive(Clone, Debug, Default)]
pub struct LegOptions {
    /// The number to call (E.164); `None`: given later with [`LegCommand::Dial`].
    pub callee: Option<String>,
    /// Silence to the browser while neither ringback nor trunk audio flows (a Chime meeting's
    /// media is never quiet: its client reports a poor connection otherwise).
    pub idle_silence: bool,
}

/// What the SIP side of a new leg does.
enum SipSide<'a> {
    /// Calls `callee` (empty: given later).
    Call { callee: String },
    /// Answers this call in.
    Answer(&'a mut IncomingCall),
}

/// A call's two legs, running in their own task.
pub struct CallLeg {
    /// The SDP answer for the browser.
    pub answer: String,
    pub events: mpsc::UnboundedReceiver<LegEvent>,
    commands: mpsc::UnboundedSender<LegCommand>,
    /// Where its media runs, for [`Gateway::new_browser`]: the worker, the call's number there
    /// and the browser-facing address.
    id: LegId,
    worker: WorkerHandle,
    candidate: SocketAddr,
    /// Where its trunk socket takes RTP (a consulted browser's leg is reached there).
    trunk_addr: SocketAddr,
}

impl CallLeg {
    pub fn command(&self, command: LegCommand) {
        send_command(&self.commands, command);
    }

    /// A handle that can only send commands (for another task).
    pub fn commander(&self) -> LegCommander {
        LegCommander(self.commands.clone())
    }
}

#[derive(Clone)]
pub struct LegCommander(mpsc::UnboundedSender<LegCommand>);

impl LegCommander {
    pub fn command(&self, command: LegCommand) {
        send_command(&self.0, command);
    }
}

fn send_command(leg: &mpsc::UnboundedSender<LegCommand>, command: LegCommand) {
    // A leg that has ended needs nothing more (its owner hears why through its events).
    if leg.send(command).is_err() {
        tracing::debug!("command for a leg that has ended");
    }
}

pub struct Gateway {
    config: GatewayConfig,
    sip: Arc<SipEndpoint>,
    dtls_cert: DtlsCert,
    /// The media workers; calls fill one before the next (`pick_worker`).
    workers: Vec<WorkerHandle>,
    next_leg: AtomicU64,
    /// Where the search for the next call's trunk port starts (shared with the calls' tasks,
    /// which open one more for a transfer to a number).
    next_port: Arc<AtomicU32>,
    /// The last OPTIONS probe got an answer (None before the first probe).
    trunk_reachable: std::sync::Mutex<Option<bool>>,
    /// The call legs, the keepalive and the out-of-dialog responder.
    tasks: TaskTracker,
    /// Calls in, for the owner to take once ([`Gateway::take_incoming`]).
    incoming: std::sync::Mutex<Option<mpsc::Receiver<IncomingCall>>>,
}

impl Gateway {
    pub async fn start(config: GatewayConfig) -> Result<Arc<Gateway>, GatewayError> {
        install_crypto();
        let tcp = config.trunk.transport == TrunkTransport::Tcp;
        let client = match &config.trunk.transport {
            TrunkTransport::Tls { ca_pem } => Some(crate::sip::SipTls::Client {
                ca_pem: ca_pem.clone(),
                // A host name is what the certificate names; an address is verified as such.
                server_name: config
                    .trunk
                    .target
                    .rsplit_once(':')
                    .map(|(h, _)| h.to_string())
                    .filter(|h| h.parse::<IpAddr>().is_err()),
            }),
            _ => None,
        };
        let server = config
            .inbound
            .as_ref()
            .and_then(|inbound| inbound.tls.clone())
            .map(|tls| crate::sip::SipTls::Server {
                addr: tls.addr,
                cert_pem: tls.cert_pem,
                key_pem: tls.key_pem,
            });
        let tls = client.into_iter().chain(server).collect();
        let (sip, mut requests) = SipEndpoint::bind_with_tls(
            config.sip_addr,
            tcp,
            tls,
            Some(config.media.public_ip),
            "softphone-gateway",
        )
        .await?;
        let tasks = TaskTracker::new();
        let (incoming_tx, incoming_rx) = mpsc::channel(inbound::INCOMING_QUEUE);
        // Requests outside a dialog: answer OPTIONS (keepalive probes); calls in are checked
        // and go to the owner when the gateway takes them, else they are refused.
        let (endpoint, inbound, srtp, spawner) = (
            sip.clone(),
            config.inbound.clone(),
            config.trunk.srtp,
            tasks.clone(),
        );
        tasks.spawn(async move {
            while let Some(mut tx) = requests.recv().await {
                let status = match (&tx.original.method, &inbound) {
                    (rsipstack::sip::Method::Options, _) => rsipstack::sip::StatusCode::OK,
                    (rsipstack::sip::Method::Ack, _) => continue,
                    (rsipstack::sip::Method::Invite, Some(inbound)) => {
                        inbound::take(tx, inbound, srtp, &endpoint, &incoming_tx, &spawner);
                        continue;
                    }
                    _ => rsipstack::sip::StatusCode::TemporarilyUnavailable,
                };
                if let Err(e) = tx.reply(status).await {
                    let error = redact_numbers(&e.to_string());
                    tracing::warn!(%error, "out-of-dialog reply failed");
                }
            }
        });
        let dtls_cert = str0m::crypto::from_feature_flags()
            .dtls_provider
            .generate_certificate()
            .ok_or_else(|| GatewayError::Sip(SipError::Stack("no DTLS certificate".into())))?;
        let workers = start_workers(&config.media)?;
        let gateway = Arc::new(Gateway {
            workers,
            next_leg: AtomicU64::new(0),
            next_port: Arc::new(AtomicU32::new(0)),
            config,
            sip,
            dtls_cert,
            trunk_reachable: std::sync::Mutex::new(None),
            tasks,
            incoming: std::sync::Mutex::new(Some(incoming_rx)),
        });
        gateway.clone().keep_alive(KEEPALIVE_EVERY);
        Ok(gateway)
    }

    /// The calls in (once: the owner keeps the receiver). Empty unless the gateway was
    /// configured to take them ([`GatewayConfig::inbound`]).
    pub fn take_incoming(&self) -> Option<mpsc::Receiver<IncomingCall>> {
        self.incoming
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Whether the trunk answered the last OPTIONS probe (`None` before the first one).
    pub fn trunk_reachable(&self) -> Option<bool> {
        *self
            .trunk_reachable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Probes the trunk now, records and returns whether it answered.
    pub async fn probe_trunk(&self) -> bool {
        let up = match self.resolve_trunk().await {
            Ok((host, addr)) => {
                let uri = Uri {
                    scheme: Some(Scheme::Sip),
                    auth: None,
                    host_with_port: host_of(&host, addr),
                    params: vec![],
                    headers: vec![],
                };
                let destination = SipAddr {
                    r#type: Some(self.config.trunk.transport.sip()),
                    addr: HostWithPort {
                        host: Host::IpAddr(addr.ip()),
                        port: Some(addr.port().into()),
                    },
                };
                let probe = self
                    .sip
                    .ping(uri, destination, &self.config.trunk.caller_id);
                matches!(
                    tokio::time::timeout(KEEPALIVE_TIMEOUT, probe).await,
                    Ok(Ok(_))
                )
            }
            Err(_) => false,
        };
        let before = self
            .trunk_reachable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(up);
        if before != Some(up) {
            if up {
                tracing::info!(trunk = %self.config.trunk.target, "trunk answers OPTIONS");
            } else {
                tracing::warn!(trunk = %self.config.trunk.target, "trunk does not answer OPTIONS: calls will fail");
            }
        }
        up
    }

    /// OPTIONS to the trunk every `every` (the Voice Connector keepalive), for as long as the
    /// gateway runs and is not stopped.
    fn keep_alive(self: Arc<Self>, every: Duration) {
        let weak = Arc::downgrade(&self);
        let tasks = self.tasks.clone();
        drop(self);
        tasks.spawn(async move {
            loop {
                let Some(gateway) = weak.upgrade() else {
                    return;
                };
                if gateway.tasks.is_closed() {
                    return; // stopped: its endpoint answers nothing any more
                }
                gateway.probe_trunk().await;
                drop(gateway);
                tokio::time::sleep(every).await;
            }
        });
    }

    pub fn sip_addr(&self) -> SocketAddr {
        self.sip.local
    }

    /// Replaces the certificate of the TLS listener for calls in (a renewed one: the operator
    /// sends the server SIGHUP). Calls in progress are not touched; a chain or key that does
    /// not parse is refused and the old one stays.
    pub fn reload_inbound_tls(
        &self,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<(), crate::sip::SipError> {
        self.sip.reload_tls(cert_pem, key_pem)
    }

    /// Stops the SIP endpoint; the keepalive ends at its next turn.
    pub fn stop(&self) {
        self.sip.stop();
        self.tasks.close();
    }

    /// Answers the browser's offer and prepares the SIP leg to `callee` (E.164). Nothing is
    /// sent to the trunk until [`LegCommand::Invite`].
    pub async fn open(&self, callee: &str, browser_offer: &str) -> Result<CallLeg, GatewayError> {
        let options = LegOptions {
            callee: Some(callee.to_string()),
            idle_silence: false,
        };
        self.open_with(options, browser_offer).await
    }

    /// Answers the browser's offer with the leg `options` describe.
    pub async fn open_with(
        &self,
        options: LegOptions,
        browser_offer: &str,
    ) -> Result<CallLeg, GatewayError> {
        let callee = options.callee.unwrap_or_default();
        let side = SipSide::Call { callee };
        self.open_leg(side, options.idle_silence, false, browser_offer, None)
            .await
    }

    /// Answers a call in with the browser offer of the agent who took it: the browser leg as
    /// for a call out, and the SIP side answering the trunk's offer. The 200 goes to the
    /// caller on [`LegCommand::Accept`] (once the browser's audio is up); until then the caller
    /// hears it ring. On an error the call in is left as it was (the owner may ring on).
    pub async fn answer(
        &self,
        call: &mut IncomingCall,
        browser_offer: &str,
    ) -> Result<CallLeg, GatewayError> {
        self.open_leg(SipSide::Answer(call), false, false, browser_offer, None)
            .await
    }

    /// Moves the call's browser side to another browser (a transfer to another agent): its
    /// offer is answered and the call's audio flows with it from then on; the browser that had
    /// the call hears nothing more and its peer connection is dropped. The SIP side, the
    /// recording and any hold go on as they were. Returns the SDP answer for the new browser.
    pub fn new_browser(&self, leg: &CallLeg, browser_offer: &str) -> Result<String, GatewayError> {
        let (side, answer) = self.browser_side(leg.candidate, false, browser_offer)?;
        leg.worker.send(ToWorker::Command(
            leg.id,
            MediaCommand::NewBrowser(Box::new(side)),
        ));
        Ok(answer)
    }

    /// Consults another agent's browser during a call (a warm transfer to an agent): its
    /// offer is answered by a leg of its own on the call's media worker, with no SIP side, and
    /// that leg's RTP is linked to the call as a consultation's target is (plain RTP on the
    /// media address). The call's browser and the consulted one hear each other; the customer
    /// hears what it heard (the owner holds it first: the music). The owner ends it with
    /// [`LegCommand::CancelTransfer`] (dropping the returned leg), or hands the call to the
    /// consulted browser with [`Gateway::take_consulted_browser`]. Returns the consulted
    /// browser's leg: its answer, and its events (its audio connecting or lost).
    pub async fn consult_browser(
        &self,
        leg: &CallLeg,
        browser_offer: &str,
    ) -> Result<CallLeg, GatewayError> {
        let side = SipSide::Call {
            callee: String::new(),
        };
        let consulted = self
            .open_leg(side, false, false, browser_offer, Some(&leg.worker))
            .await?;
        let link = trunk_socket(&self.config.media, &self.next_port)?;
        let link_addr = reachable(&link);
        let law = G711::Pcmu;
        let plain = |remote| bridge::TrunkMedia {
            remote,
            law,
            telephone_event_pt: None,
            keys: None,
        };
        let to = |id, command| ToWorker::Command(id, command);
        consulted
            .worker
            .send(to(consulted.id, MediaCommand::TrunkMedia(plain(link_addr))));
        consulted
            .worker
            .send(to(consulted.id, MediaCommand::Answered));
        let stream = bridge::TargetStream {
            ssrc: rand::random(),
            first_sequence: rand::random(),
            first_timestamp: rand::random(),
        };
        leg.worker.send(to(
            leg.id,
            MediaCommand::TargetDialled(Box::new(media::TargetSide {
                socket: link,
                stream,
            })),
        ));
        leg.worker.send(to(
            leg.id,
            MediaCommand::TargetMedia(plain(consulted.trunk_addr)),
        ));
        leg.worker.send(to(leg.id, MediaCommand::TargetConsulted));
        leg.command(LegCommand::ConsultingBrowser);
        Ok(consulted)
    }

    /// Ends the consultation by giving the call to the consulted browser: its peer connection
    /// moves into the call's leg as is (no new offer, no gap), the call's old browser is out,
    /// and the consulted leg is gone. The customer is still held: the owner resumes.
    pub fn take_consulted_browser(&self, leg: &CallLeg, consulted: CallLeg) {
        leg.command(LegCommand::CancelTransfer);
        leg.worker
            .send(ToWorker::Command(leg.id, MediaCommand::TargetGone));
        leg.worker.send(ToWorker::MoveBrowser {
            from: consulted.id,
            to: leg.id,
        });
    }

    /// A network test (docs/quality.md, "Pre-call check"): the browser's audio comes straight
    /// back to it, nothing goes to the trunk and no call is placed. The session ends when the
    /// returned leg is dropped (or the browser goes). Its receiver reports go every second,
    /// not every five, so a test of a few seconds reads the round trip and the loss on the way
    /// in from them.
    pub async fn echo_test(&self, browser_offer: &str) -> Result<CallLeg, GatewayError> {
        let side = SipSide::Call {
            callee: String::new(),
        };
        self.open_leg(side, false, true, browser_offer, None).await
    }

    /// The browser's side of a call from its offer (ICE-lite on `public`, our DTLS
    /// certificate, its audio m-line and G.711), and the SDP answer.
    fn browser_side(
        &self,
        public: SocketAddr,
        echo: bool,
        browser_offer: &str,
    ) -> Result<(BrowserSide, String), GatewayError> {
        let offer = SdpOffer::from_sdp_string(browser_offer)
            .map_err(|e| GatewayError::BadOffer(e.to_string()))?;
        let config = if echo {
            gateway_rtc_config().set_rtcp_report_interval_audio(Duration::from_secs(1))
        } else {
            gateway_rtc_config()
        };
        let mut rtc = config
            .set_ice_lite(true)
            .set_dtls_cert(self.dtls_cert.clone())
            .build(Instant::now());
        let candidate = Candidate::host(public, "udp")
            .map_err(|e| GatewayError::BadOffer(format!("candidate: {e}")))?;
        rtc.add_local_candidate(candidate);
        let ufrag = rtc.direct_api().local_ice_credentials().ufrag;
        let mids: Vec<Mid> = offer.media_lines.iter().map(|m| m.mid()).collect();
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| GatewayError::BadOffer(e.to_string()))?;
        // The browser's audio m-line (str0m answers any others as rejected).
        let mid = mids.into_iter().find(|mid| {
            rtc.media(*mid)
                .is_some_and(|m| m.kind() == MediaKind::Audio)
        });
        let mid = mid.ok_or(GatewayError::NoAudio)?;
        let (law, pt) = {
            let writer = rtc.writer(mid).ok_or(GatewayError::NoAudio)?;
            let found = writer.payload_params().find_map(|p| match p.spec().codec {
                Codec::PCMU => Some((G711::Pcmu, p.pt())),
                Codec::PCMA => Some((G711::Pcma, p.pt())),
                _ => None,
            });
            found.ok_or(GatewayError::NoCommonCodec)?
        };
        let side = BrowserSide {
            rtc,
            mid,
            pt,
            ufrag,
            law,
        };
        Ok((side, answer.to_sdp_string()))
    }

    async fn open_leg(
        &self,
        side: SipSide<'_>,
        idle_silence: bool,
        echo: bool,
        browser_offer: &str,
        on_worker: Option<&WorkerHandle>,
    ) -> Result<CallLeg, GatewayError> {
        let id = self.next_leg.fetch_add(1, Ordering::Relaxed);
        let worker = match on_worker {
            Some(worker) => worker,
            None => pick_worker(&self.workers)
                .ok_or(GatewayError::MediaWorker("no media worker".into()))?,
        };
        let public = SocketAddr::new(self.config.media.public_ip, worker.browser_port);
        let (browser, answer) = self.browser_side(public, echo, browser_offer)?;
        let BrowserSide {
            rtc,
            mid,
            pt,
            ufrag,
            law,
        } = browser;

        let trunk = trunk_socket(&self.config.media, &self.next_port)?;
        let trunk_port = trunk.local_addr().map_or(0, |a| a.port());
        let trunk_addr = reachable(&trunk);
        let session = LocalSession::new(
            self.config.media.public_ip,
            trunk_port,
            rand::random::<u32>() as u64,
            self.config.trunk.srtp,
            &mut rand::rng(),
        );
        let (sip, first_media, callee) = match side {
            SipSide::Call { callee } => {
                let (host, addr) = self.resolve_trunk().await?;
                let target = SipTarget {
                    endpoint: self.sip.clone(),
                    trunk: self.config.trunk.clone(),
                    host,
                    addr,
                    callee: callee.clone(),
                };
                (SipLeg::new(target, law, session), None, callee)
            }
            SipSide::Answer(call) => {
                // The caller's side is the dialog's; the target is never INVITEd.
                let addr = SocketAddr::new(call.source, 5060);
                let target = SipTarget {
                    endpoint: self.sip.clone(),
                    trunk: self.config.trunk.clone(),
                    host: addr.to_string(),
                    addr,
                    callee: String::new(),
                };
                let (leg, media) = SipLeg::incoming(target, law, session, call)
                    .map_err(GatewayError::TrunkOffer)?;
                // The ringback cadence, should one play, is the caller's country's.
                let caller = call.from.clone().unwrap_or_default();
                (leg, Some(media), caller)
            }
        };
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let (ended_tx, ended_rx) = oneshot::channel();
        let now = Instant::now();
        let bridge = Bridge::new(
            BridgeConfig {
                browser_law: law,
                callee,
                idle_silence,
                trunk_ssrc: rand::random(),
                trunk_first_sequence: rand::random(),
                trunk_first_timestamp: rand::random(),
            },
            now,
        );
        let media = MediaLeg {
            rtc,
            mid,
            pt,
            ufrag,
            candidate: public,
            bridge,
            trunk,
            target: None,
            echo,
            span: tracing::Span::current(),
            events: events_tx.clone(),
            _ended: ended_tx,
        };
        worker.send(ToWorker::Open(id, Box::new(media)));
        if let Some(first) = first_media {
            worker.send(ToWorker::Command(id, MediaCommand::TrunkMedia(first)));
        }
        let dialler = Dialler {
            endpoint: self.sip.clone(),
            trunk: self.config.trunk.clone(),
            media: self.config.media.clone(),
            next_port: self.next_port.clone(),
        };
        let leg = Leg::new(
            id,
            worker.clone(),
            sip,
            events_tx,
            commands_rx,
            ended_rx,
            dialler,
        );
        // Its lines in the caller's span: the call's, for a call's leg.
        self.tasks.spawn(tracing::Instrument::instrument(
            leg.run(),
            tracing::Span::current(),
        ));
        Ok(CallLeg {
            answer,
            events: events_rx,
            commands: commands_tx,
            id,
            worker: worker.clone(),
            candidate: public,
            trunk_addr,
        })
    }

    async fn resolve_trunk(&self) -> Result<(String, SocketAddr), GatewayError> {
        resolve(&self.config.trunk.target).await
    }
}

/// Where a socket of ours takes datagrams: its bound address, loopback when it is bound to
/// every address.
fn reachable(socket: &mio::net::UdpSocket) -> SocketAddr {
    let addr = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
    if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::IpAddr::from([127, 0, 0, 1]), addr.port())
    } else {
        addr
    }
}

/// The trunk's target as configured and its address (a host name is looked up each time: Voice
/// Connector addresses change).
async fn resolve(target: &str) -> Result<(String, SocketAddr), GatewayError> {
    if let Ok(addr) = target.parse::<SocketAddr>() {
        return Ok((addr.to_string(), addr));
    }
    let addr = tokio::net::lookup_host(target)
        .await
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| GatewayError::TrunkUnresolvable(target.to_string()))?;
    Ok((target.to_string(), addr))
}

/// What a call's task needs to place a call of its own to the trunk (a transfer to a number).
#[derive(Clone)]
pub(crate) struct Dialler {
    endpoint: Arc<SipEndpoint>,
    trunk: TrunkConfig,
    media: MediaConfig,
    next_port: Arc<AtomicU32>,
}

impl Dialler {
    /// A SIP leg to `callee` offering `law` first, and its media socket; nothing is sent yet.
    pub(crate) async fn leg(
        &self,
        callee: &str,
        law: G711,
    ) -> Result<(SipLeg, mio::net::UdpSocket), GatewayError> {
        let socket = trunk_socket(&self.media, &self.next_port)?;
        let port = socket.local_addr().map_or(0, |a| a.port());
        let session = LocalSession::new(
            self.media.public_ip,
            port,
            rand::random::<u32>() as u64,
            self.trunk.srtp,
            &mut rand::rng(),
        );
        let (host, addr) = resolve(&self.trunk.target).await?;
        let target = SipTarget {
            endpoint: self.endpoint.clone(),
            trunk: self.trunk.clone(),
            host,
            addr,
            callee: callee.to_string(),
        };
        Ok((SipLeg::new(target, law, session), socket))
    }
}

/// Installs str0m's crypto provider once per process (the gateway and the test peer need it).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        str0m::crypto::from_feature_flags().install_process_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_trunk_password() {
        let trunk = TrunkConfig {
            target: "vc.example:5061".into(),
            transport: TrunkTransport::Udp,
            username: Some("alice".into()),
            password: Some("hunter2".into()),
            caller_id: "+15550100".into(),
            srtp: TrunkSrtp::Off,
        };
        let printed = format!("{trunk:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
        assert!(printed.contains("alice"), "{printed}");
    }
}
