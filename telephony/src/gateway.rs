//! The media gateway: one browser leg (str0m: ICE-lite, DTLS-SRTP, G.711 + telephone-event) and
//! one SIP leg (rsipstack UAC + our RTP) per call, relaying G.711 frames without transcoding.
//!
//! The gateway does what it is told: the call's state machine (in the app's domain) decides when
//! to INVITE, CANCEL or BYE and when to play ringback; the gateway reports what happens on both
//! legs as [`LegEvent`]s.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, TerminatedReason, TransactionHandle,
};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Host, HostWithPort, Param, Scheme, Transport, Uri};
use rsipstack::transport::SipAddr;
use str0m::change::SdpOffer;
use str0m::crypto::dtls::DtlsCert;
use str0m::format::{Codec, CodecExtra, FormatParams};
use str0m::media::{Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::g711::G711;
use crate::recording::{PauseMode, RecordedAudio, RecordingTap};
use crate::rtp::{self, EventReport, RtpSender};
use crate::sdp::{AudioDescription, Direction};
use crate::sip::{SipEndpoint, SipError};
use crate::tones::{dtmf_digit, ToneGenerator, FRAME_SAMPLES};

/// The payload type we offer telephone-event with on the SIP leg.
const TELEPHONE_EVENT_PT: u8 = 101;

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

/// Where calls go: the PSTN simulator, or an Amazon Chime SDK Voice Connector.
#[derive(Clone, Debug)]
pub struct TrunkConfig {
    /// `host:port`; a host name is resolved for every call (Voice Connector addresses change).
    pub target: String,
    pub transport: TrunkTransport,
    /// Digest credentials, if the trunk asks for them.
    pub username: Option<String>,
    pub password: Option<String>,
    /// The caller ID sent in From, in E.164.
    pub caller_id: String,
}

#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// The address the media sockets bind to.
    pub bind_ip: IpAddr,
    /// The address browsers and the trunk are told to send media to (ICE candidate, SDP).
    pub public_ip: IpAddr,
    /// The UDP port range for media (two ports per call).
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
    #[error("the trunk address {0} cannot be resolved")]
    TrunkUnresolvable(String),
    #[error(transparent)]
    Sip(#[from] SipError),
}

/// What the call's owner tells the leg to do.
#[derive(Clone, Debug)]
pub enum LegCommand {
    Invite,
    Cancel,
    Bye,
    Ringback(bool),
    Record(RecordCommand),
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
}

/// A call's two legs, running in their own task.
pub struct CallLeg {
    /// The SDP answer for the browser.
    pub answer: String,
    pub events: mpsc::UnboundedReceiver<LegEvent>,
    commands: mpsc::UnboundedSender<LegCommand>,
}

impl CallLeg {
    pub fn command(&self, command: LegCommand) {
        let _ = self.commands.send(command);
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
        let _ = self.0.send(command);
    }
}

pub struct Gateway {
    config: GatewayConfig,
    sip: Arc<SipEndpoint>,
    dtls_cert: DtlsCert,
    next_port: AtomicU32,
    /// The last OPTIONS probe got an answer (None before the first probe).
    trunk_reachable: std::sync::Mutex<Option<bool>>,
}

impl Gateway {
    pub async fn start(config: GatewayConfig) -> Result<Arc<Gateway>, GatewayError> {
        install_crypto();
        let tcp = config.trunk.transport == TrunkTransport::Tcp;
        let tls = match &config.trunk.transport {
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
        let (sip, mut requests) =
            SipEndpoint::bind_with_tls(config.sip_addr, tcp, tls, "softphone-gateway").await?;
        // Requests outside a dialog: answer OPTIONS (keepalive probes), refuse calls in.
        tokio::spawn(async move {
            while let Some(mut tx) = requests.recv().await {
                let status = match tx.original.method {
                    rsipstack::sip::Method::Options => rsipstack::sip::StatusCode::OK,
                    rsipstack::sip::Method::Ack => continue,
                    _ => rsipstack::sip::StatusCode::TemporarilyUnavailable,
                };
                let _ = tx.reply(status).await;
            }
        });
        let dtls_cert = str0m::crypto::from_feature_flags()
            .dtls_provider
            .generate_certificate()
            .ok_or_else(|| GatewayError::Sip(SipError::Stack("no DTLS certificate".into())))?;
        let first = config.media.port_min as u32;
        let gateway = Arc::new(Gateway {
            next_port: AtomicU32::new(first),
            config,
            sip,
            dtls_cert,
            trunk_reachable: std::sync::Mutex::new(None),
        });
        gateway.clone().keep_alive(KEEPALIVE_EVERY);
        Ok(gateway)
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
    /// gateway runs.
    fn keep_alive(self: Arc<Self>, every: Duration) {
        let weak = Arc::downgrade(&self);
        drop(self);
        tokio::spawn(async move {
            loop {
                let Some(gateway) = weak.upgrade() else {
                    return;
                };
                gateway.probe_trunk().await;
                drop(gateway);
                tokio::time::sleep(every).await;
            }
        });
    }

    pub fn sip_addr(&self) -> SocketAddr {
        self.sip.local
    }

    pub fn stop(&self) {
        self.sip.stop();
    }

    /// Binds a UDP socket on the next free port of the media range.
    async fn media_socket(&self) -> Result<UdpSocket, GatewayError> {
        let m = &self.config.media;
        let (lo, hi) = (m.port_min as u32, m.port_max as u32);
        let span = hi.saturating_sub(lo) + 1;
        for _ in 0..span {
            let n = self.next_port.fetch_add(1, Ordering::Relaxed);
            let port = lo + (n.wrapping_sub(lo)) % span;
            if let Ok(socket) = UdpSocket::bind((m.bind_ip, port as u16)).await {
                return Ok(socket);
            }
        }
        Err(GatewayError::NoMediaPort(m.port_min, m.port_max))
    }

    /// Answers the browser's offer and prepares the SIP leg to `callee` (E.164). Nothing is
    /// sent to the trunk until [`LegCommand::Invite`].
    pub async fn open(&self, callee: &str, browser_offer: &str) -> Result<CallLeg, GatewayError> {
        let offer = SdpOffer::from_sdp_string(browser_offer)
            .map_err(|e| GatewayError::BadOffer(e.to_string()))?;
        let web_socket = self.media_socket().await?;
        let rtp_socket = self.media_socket().await?;
        let web_port = web_socket.local_addr().map(|a| a.port()).unwrap_or(0);
        let public = SocketAddr::new(self.config.media.public_ip, web_port);

        let mut rtc = g711_rtc_config()
            .set_ice_lite(true)
            .set_dtls_cert(self.dtls_cert.clone())
            .build(Instant::now());
        let candidate = Candidate::host(public, "udp")
            .map_err(|e| GatewayError::BadOffer(format!("candidate: {e}")))?;
        rtc.add_local_candidate(candidate);
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

        let (target_host, target_addr) = self.resolve_trunk().await?;
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let leg = Leg {
            rtc,
            mid,
            browser_law: law,
            browser_pt: pt,
            web_socket,
            rtp_socket,
            loopback_only: self.config.media.loopback_only,
            events: events_tx,
            commands: commands_rx,
            sip: self.sip.clone(),
            trunk: self.config.trunk.clone(),
            target_host,
            target_addr,
            public_ip: self.config.media.public_ip,
            callee: callee.to_string(),
            dialog: None,
            dialog_states: None,
            invite: None,
            trunk_media: None,
            trunk_sender: RtpSender::new(rand::random(), rand::random()),
            trunk_ts_base: rand::random(),
            browser_clock: OutClock::default(),
            ringback: None,
            recording: None,
            epoch: Instant::now(),
            last_dtmf_ts: None,
            dtmf_end_seen: None,
            sent_first_audio: false,
            answered: false,
            local_session: rand::random::<u32>() as u64,
            local_version: 0,
        };
        tokio::spawn(leg.run());
        let answer = answer.to_sdp_string();
        Ok(CallLeg {
            answer,
            events: events_rx,
            commands: commands_tx,
        })
    }

    async fn resolve_trunk(&self) -> Result<(String, SocketAddr), GatewayError> {
        let target = &self.config.trunk.target;
        if let Ok(addr) = target.parse::<SocketAddr>() {
            return Ok((addr.to_string(), addr));
        }
        let addr = tokio::net::lookup_host(target.as_str())
            .await
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| GatewayError::TrunkUnresolvable(target.clone()))?;
        Ok((target.clone(), addr))
    }
}

/// A WebRTC endpoint that speaks only what the telephone network carries: PCMU, PCMA and
/// telephone-event/8000 (the payload type the browser offers wins; 126 is Chromium's).
pub(crate) fn g711_rtc_config() -> RtcConfig {
    let mut config = RtcConfig::new()
        .clear_codecs()
        .enable_pcmu(true, false)
        .enable_pcma(true, false);
    config.codec_config().add_config(
        Pt::from(126),
        None,
        Codec::Tele,
        Frequency::EIGHT_KHZ,
        None,
        FormatParams::default(),
    );
    config
}

pub(crate) fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        str0m::crypto::from_feature_flags().install_process_default();
    });
}

/// The trunk's media as its SDP describes it.
struct TrunkMedia {
    remote: SocketAddr,
    law: G711,
    tele_pt: Option<u8>,
}

/// Timestamps toward the browser: continuous across ringback and trunk audio.
#[derive(Default)]
struct OutClock {
    now: u64,
    last_source: Option<u32>,
}

impl OutClock {
    /// Advances by the source's own timestamp step when it is plausible, by the frame length
    /// otherwise (first packet, a new source, a jump).
    fn advance(&mut self, source_ts: Option<u32>, samples: u64) -> u64 {
        let step = match (source_ts, self.last_source) {
            (Some(ts), Some(last)) => {
                let d = ts.wrapping_sub(last) as i32;
                if d > 0 && d < 16_000 {
                    d as u64
                } else {
                    samples
                }
            }
            _ => samples,
        };
        self.last_source = source_ts;
        self.now += step;
        self.now
    }
}

/// Ringback (ITU-T E.180) with the callee country's cadence.
struct Ringback {
    tone: ToneGenerator,
    /// (on, off) pairs in 20 ms frames.
    cadence: &'static [(u32, u32)],
    position: u32,
}

impl Ringback {
    fn for_number(e164: &str) -> Ringback {
        // Singapore: 425 Hz, 0.4 on 0.2 off 0.4 on 2 off. Panama: 425 Hz, 1 on 4 off.
        const SG: &[(u32, u32)] = &[(20, 10), (20, 100)];
        const PA: &[(u32, u32)] = &[(50, 200)];
        let cadence = if e164.starts_with("+65") { SG } else { PA };
        Ringback {
            tone: ToneGenerator::new(&[425.0], 0.2),
            cadence,
            position: 0,
        }
    }

    fn frame(&mut self) -> [i16; FRAME_SAMPLES] {
        let period: u32 = self.cadence.iter().map(|(a, b)| a + b).sum();
        let mut p = self.position % period;
        self.position += 1;
        let mut on = false;
        for (a, b) in self.cadence {
            if p < *a {
                on = true;
                break;
            }
            p -= a;
            if p < *b {
                break;
            }
            p -= b;
        }
        let tone = self.tone.frame();
        if on {
            tone
        } else {
            [0; FRAME_SAMPLES]
        }
    }
}

type InviteResult = rsipstack::Result<(
    rsipstack::dialog::DialogId,
    Option<rsipstack::sip::Response>,
)>;

struct Leg {
    rtc: Rtc,
    mid: Mid,
    browser_law: G711,
    browser_pt: Pt,
    web_socket: UdpSocket,
    rtp_socket: UdpSocket,
    loopback_only: bool,
    events: mpsc::UnboundedSender<LegEvent>,
    commands: mpsc::UnboundedReceiver<LegCommand>,
    sip: Arc<SipEndpoint>,
    trunk: TrunkConfig,
    target_host: String,
    target_addr: SocketAddr,
    public_ip: IpAddr,
    callee: String,
    dialog: Option<InviteDialog>,
    dialog_states: Option<DialogStateReceiver>,
    invite: Option<tokio::task::JoinHandle<InviteResult>>,
    trunk_media: Option<TrunkMedia>,
    trunk_sender: RtpSender,
    trunk_ts_base: u32,
    browser_clock: OutClock,
    ringback: Option<Ringback>,
    recording: Option<Recording>,
    /// The origin of the recording tap's clock.
    epoch: Instant,
    last_dtmf_ts: Option<u64>,
    dtmf_end_seen: Option<u64>,
    sent_first_audio: bool,
    answered: bool,
    /// Our SDP session id and version on the SIP leg.
    local_session: u64,
    local_version: u64,
}

/// A recording in progress: the tap and where its audio goes.
struct Recording {
    tap: RecordingTap,
    sink: mpsc::UnboundedSender<RecordedAudio>,
}

impl Recording {
    /// Hands the recorder what is due by `now`.
    fn poll(&mut self, now: Duration) {
        let audio = self.tap.poll(now);
        send_all(&self.sink, audio);
    }

    /// Hands the recorder the last audio; dropping the sink tells it the recording ended.
    fn stop(self, now: Duration) {
        send_all(&self.sink, self.tap.stop(now));
    }
}

fn send_all(sink: &mpsc::UnboundedSender<RecordedAudio>, audio: Vec<RecordedAudio>) {
    for a in audio {
        let _ = sink.send(a);
    }
}

impl Leg {
    fn emit(&self, e: LegEvent) {
        let _ = self.events.send(e);
    }

    async fn run(mut self) {
        let mut web_buf = vec![0u8; 2000];
        let mut rtp_buf = vec![0u8; 2000];
        let mut ringback_tick = tokio::time::interval(Duration::from_millis(20));
        ringback_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut record_tick = tokio::time::interval(Duration::from_millis(20));
        record_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut immediate = 0;
        loop {
            let timeout = match self.drain() {
                Ok(t) => t,
                Err(detail) => {
                    self.emit(LegEvent::Failed { detail });
                    break;
                }
            };
            // str0m sends freshly written media on its next timeout, which is usually "now":
            // feed it at once instead of through the timer wheel (1 ms granularity), a few
            // times in a row at most so a timeout that never moves cannot spin.
            if timeout <= Instant::now() && immediate < 4 {
                immediate += 1;
                let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                continue;
            }
            immediate = 0;
            let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(timeout));
            tokio::select! {
                r = self.web_socket.recv_from(&mut web_buf) => {
                    let Ok((n, source)) = r else { break };
                    if self.loopback_only && !source.ip().is_loopback() {
                        continue;
                    }
                    let Ok(destination) = self.web_socket.local_addr() else { break };
                    let Ok(contents) = web_buf[..n].try_into() else { continue };
                    let input = Input::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp,
                        source,
                        destination,
                        contents,
                    });
                    if self.rtc.accepts(&input) {
                        let _ = self.rtc.handle_input(input);
                    }
                }
                r = self.rtp_socket.recv_from(&mut rtp_buf) => {
                    let Ok((n, source)) = r else { break };
                    self.on_trunk_rtp(&rtp_buf[..n], source);
                }
                _ = sleep => {
                    let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                }
                _ = ringback_tick.tick(), if self.ringback.is_some() => {
                    self.write_ringback();
                }
                _ = record_tick.tick(), if self.recording.is_some() => {
                    let now = self.epoch.elapsed();
                    if let Some(r) = self.recording.as_mut() {
                        r.poll(now);
                    }
                }
                c = self.commands.recv() => match c {
                    Some(LegCommand::Close) | None => break,
                    Some(c) => self.on_command(c).await,
                },
                s = recv_state(&mut self.dialog_states) => match s {
                    Some(s) => self.on_dialog_state(s),
                    None => self.dialog_states = None,
                },
                r = join_invite(&mut self.invite) => {
                    self.invite = None;
                    self.on_invite_done(r);
                }
            }
        }
        self.stop_recording();
        self.rtc.disconnect();
        // Never leave the far end up: a leg closed mid-call ends its SIP dialog.
        if let Some(dialog) = self.dialog.take() {
            let id = dialog.id();
            if self.answered {
                let _ = dialog.bye().await;
            } else {
                let _ = dialog.cancel().await;
            }
            self.sip.dialogs.remove_dialog(&id);
        }
    }

    /// Runs str0m until it wants to wait; returns when it next needs time.
    fn drain(&mut self) -> Result<Instant, String> {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => return Ok(t),
                Ok(Output::Transmit(t)) => {
                    let _ = self.web_socket.try_send_to(&t.contents, t.destination);
                }
                Ok(Output::Event(e)) => self.on_rtc_event(e),
                Err(e) => return Err(format!("browser media: {e}")),
            }
        }
    }

    fn on_rtc_event(&mut self, e: Event) {
        match e {
            Event::Connected => self.emit(LegEvent::BrowserConnected),
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.emit(LegEvent::BrowserLost)
            }
            Event::MediaData(d) => {
                if let CodecExtra::Tele(t) = d.codec_extra {
                    self.relay_dtmf(d.time, t);
                    return;
                }
                let Some(law) = G711::from_payload_type(*d.pt) else {
                    // A dynamic type: match by the negotiated codec.
                    let law = match d.params.spec().codec {
                        Codec::PCMU => G711::Pcmu,
                        Codec::PCMA => G711::Pcma,
                        _ => return,
                    };
                    return self.relay_audio(d.time, law, &d.data);
                };
                self.relay_audio(d.time, law, &d.data);
            }
            _ => {}
        }
    }

    /// Browser audio → trunk, same law when both legs agree (the usual case).
    fn relay_audio(&mut self, time: MediaTime, law: G711, data: &[u8]) {
        let Some(media) = &self.trunk_media else {
            return;
        };
        if !self.answered {
            // Before the answer only early media flows, toward the browser.
            return;
        }
        let (remote, trunk_law) = (media.remote, media.law);
        let payload = match self.recording.as_mut() {
            Some(r) => {
                let mut pcm: Vec<i16> = data.iter().map(|&b| law.decode(b)).collect();
                if r.tap.agent(&mut pcm) {
                    // The consent notice is mixed in: what goes out is the new audio.
                    pcm.iter().map(|&s| trunk_law.encode(s)).collect()
                } else {
                    law.convert(trunk_law, data)
                }
            }
            None => law.convert(trunk_law, data),
        };
        let ts = self
            .trunk_sender
            .timestamp_for(to_8khz(time), self.trunk_ts_base);
        let packet = self
            .trunk_sender
            .packet(trunk_law.payload_type(), false, ts, &payload);
        let _ = self.rtp_socket.try_send_to(packet, remote);
    }

    /// A browser telephone-event packet → the same report to the trunk (RFC 4733).
    fn relay_dtmf(&mut self, time: MediaTime, t: str0m::media::TelephoneEvent) {
        let start = to_8khz(time);
        let new_event = self.last_dtmf_ts != Some(start);
        if new_event {
            self.last_dtmf_ts = Some(start);
        }
        // The end report is sent three times; the key counts once.
        if t.end && self.dtmf_end_seen != Some(start) {
            self.dtmf_end_seen = Some(start);
            if let Some(digit) = dtmf_digit(t.event) {
                self.emit(LegEvent::Dtmf(digit));
            }
        }
        let Some(media) = &self.trunk_media else {
            return;
        };
        let Some(pt) = media.tele_pt else { return };
        let remote = media.remote;
        let report = EventReport::from_duration(t.event, t.end, t.volume, t.duration);
        let ts = self.trunk_sender.timestamp_for(start, self.trunk_ts_base);
        let packet = self
            .trunk_sender
            .packet(pt, new_event, ts, &report.to_bytes());
        let _ = self.rtp_socket.try_send_to(packet, remote);
    }

    fn on_trunk_rtp(&mut self, buf: &[u8], source: SocketAddr) {
        let Some(media) = self.trunk_media.as_ref() else {
            return;
        };
        // Only the address the trunk's SDP names may feed the call: anything else on the same
        // host could otherwise hijack or inject audio.
        if source != media.remote {
            return;
        }
        let Ok(packet) = rtp::parse(buf) else { return };
        let Some(law) = G711::from_payload_type(packet.header.payload_type) else {
            return; // telephone-event or comfort noise from the trunk: not relayed
        };
        if law != media.law {
            return;
        }
        // Trunk audio replaces our ringback.
        self.ringback = None;
        let mut payload = None;
        if let Some(r) = self.recording.as_mut() {
            let mut pcm: Vec<i16> = packet.payload.iter().map(|&b| law.decode(b)).collect();
            r.tap.called_party(&pcm);
            // The agent hears the consent notice too, while it plays.
            if r.tap.agent_hears(&mut pcm) {
                let to = self.browser_law;
                payload = Some(pcm.iter().map(|&s| to.encode(s)).collect::<Vec<u8>>());
            }
        }
        let payload = payload.unwrap_or_else(|| law.convert(self.browser_law, packet.payload));
        let t = self
            .browser_clock
            .advance(Some(packet.header.timestamp), payload.len() as u64);
        self.write_browser(t, &payload);
        if !self.sent_first_audio {
            self.sent_first_audio = true;
            self.emit(LegEvent::FirstTrunkAudio);
        }
    }

    fn write_ringback(&mut self) {
        let Some(rb) = self.ringback.as_mut() else {
            return;
        };
        let frame = rb.frame();
        let payload: Vec<u8> = frame.iter().map(|&s| self.browser_law.encode(s)).collect();
        let t = self.browser_clock.advance(None, FRAME_SAMPLES as u64);
        self.write_browser(t, &payload);
    }

    fn write_browser(&mut self, t: u64, payload: &[u8]) {
        let pt = self.browser_pt;
        if let Some(w) = self.rtc.writer(self.mid) {
            let _ = w.write(
                pt,
                Instant::now(),
                MediaTime::new(t, Frequency::EIGHT_KHZ),
                payload.to_vec(),
            );
        }
    }

    async fn on_command(&mut self, c: LegCommand) {
        match c {
            LegCommand::Invite => self.invite(),
            LegCommand::Cancel | LegCommand::Bye => {
                let Some(dialog) = self.dialog.clone() else {
                    // Nothing was sent: the end is confirmed at once.
                    self.emit(LegEvent::EndConfirmed);
                    return;
                };
                let bye = matches!(c, LegCommand::Bye);
                tokio::spawn(async move {
                    let _ = if bye {
                        dialog.bye().await
                    } else {
                        dialog.cancel().await
                    };
                });
            }
            LegCommand::Ringback(on) => {
                self.ringback = on.then(|| Ringback::for_number(&self.callee));
            }
            LegCommand::Record(r) => self.on_record(r),
            LegCommand::Close => {}
        }
    }

    fn on_record(&mut self, command: RecordCommand) {
        let now = self.epoch.elapsed();
        match command {
            RecordCommand::Start { sink, notice, mode } => {
                if self.recording.is_none() {
                    self.recording = Some(Recording {
                        tap: RecordingTap::new(now, mode, notice.to_vec()),
                        sink,
                    });
                }
            }
            RecordCommand::Pause => {
                if let Some(r) = self.recording.as_mut() {
                    r.tap.pause(now);
                }
            }
            RecordCommand::Resume => {
                if let Some(r) = self.recording.as_mut() {
                    r.tap.resume(now);
                }
            }
            RecordCommand::Stop => self.stop_recording(),
        }
    }

    fn stop_recording(&mut self) {
        if let Some(r) = self.recording.take() {
            r.stop(self.epoch.elapsed());
        }
    }

    fn invite(&mut self) {
        if self.dialog.is_some() {
            return;
        }
        let other = match self.browser_law {
            G711::Pcmu => G711::Pcma,
            G711::Pcma => G711::Pcmu,
        };
        let offer = self.local_sdp(&[self.browser_law, other], Direction::SendRecv);
        let host = host_of(&self.target_host, self.target_addr);
        let transport = self.trunk.transport.sip();
        let mut callee = sip_uri(&self.callee, host.clone());
        if transport != Transport::Udp {
            callee.params.push(Param::Transport(transport));
        }
        let caller = sip_uri(&self.trunk.caller_id, host);
        let credential = match (&self.trunk.username, &self.trunk.password) {
            (Some(u), Some(p)) => Some(Credential {
                username: u.clone(),
                password: p.clone(),
                realm: None,
                auth_username: None,
            }),
            _ => None,
        };
        let opt = InviteOption {
            caller,
            callee,
            destination: Some(SipAddr {
                r#type: Some(transport),
                addr: HostWithPort {
                    host: Host::IpAddr(self.target_addr.ip()),
                    port: Some(self.target_addr.port().into()),
                },
            }),
            contact: self.sip.contact(Some(&self.trunk.caller_id)),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.into_bytes()),
            credential,
            call_id: Some(format!("{:032x}@softphone", rand::random::<u128>())),
            ..Default::default()
        };
        let (states_tx, states_rx) = self.sip.dialogs.new_dialog_state_channel();
        match self.sip.dialogs.do_invite_async(opt, states_tx) {
            Ok((dialog, handle)) => {
                self.dialog = Some(dialog);
                self.dialog_states = Some(states_rx);
                self.invite = Some(handle);
            }
            Err(e) => self.emit(LegEvent::Failed {
                detail: format!("INVITE not sent: {e}"),
            }),
        }
    }

    /// Our side of the SIP leg's session, its version one higher each time (RFC 3264 §8).
    fn local_sdp(&mut self, laws: &[G711], direction: Direction) -> String {
        let rtp_port = self.rtp_socket.local_addr().map(|a| a.port()).unwrap_or(0);
        let mut sdp =
            AudioDescription::g711(self.public_ip, rtp_port, laws, Some(TELEPHONE_EVENT_PT));
        sdp.direction = direction;
        self.local_version += 1;
        sdp.render(self.local_session, self.local_version)
    }

    /// A re-INVITE or UPDATE from the trunk (session refresh, media change, hold): take its
    /// offer, if any, and answer with our side of the session.
    fn on_session_update(&mut self, request: &rsipstack::sip::Request, handle: TransactionHandle) {
        use rsipstack::sip::{Header, StatusCode};
        let (laws, direction) = if request.body.is_empty() {
            // An offer-less re-INVITE: we offer what we have.
            let law = self
                .trunk_media
                .as_ref()
                .map(|m| m.law)
                .unwrap_or(self.browser_law);
            (vec![law], Direction::SendRecv)
        } else {
            match AudioDescription::parse(&request.body) {
                Ok(offer) if offer.first_g711().is_some() => {
                    if let Err(detail) = self.set_trunk_media(&request.body) {
                        tracing::warn!(%detail, "session update refused");
                        tokio::spawn(
                            async move { handle.reply(StatusCode::NotAcceptableHere).await },
                        );
                        return;
                    }
                    let direction = match offer.direction {
                        Direction::SendOnly => Direction::RecvOnly,
                        Direction::RecvOnly => Direction::SendOnly,
                        d => d,
                    };
                    (offer.first_g711().into_iter().collect(), direction)
                }
                _ => {
                    tokio::spawn(async move { handle.reply(StatusCode::NotAcceptableHere).await });
                    return;
                }
            }
        };
        let body = self.local_sdp(&laws, direction).into_bytes();
        tokio::spawn(async move {
            let _ = handle
                .respond(
                    StatusCode::OK,
                    Some(vec![Header::ContentType("application/sdp".into())]),
                    Some(body),
                )
                .await;
        });
    }

    fn set_trunk_media(&mut self, body: &[u8]) -> Result<(), String> {
        let sdp = AudioDescription::parse(body).map_err(|e| format!("trunk SDP: {e}"))?;
        let law = sdp
            .first_g711()
            .ok_or_else(|| "trunk answered without G.711".to_string())?;
        if sdp.port == 0 || sdp.direction == Direction::Inactive {
            return Err("trunk answered with no audio".into());
        }
        self.trunk_media = Some(TrunkMedia {
            remote: SocketAddr::new(sdp.addr, sdp.port),
            law,
            tele_pt: sdp.telephone_event_pt(),
        });
        Ok(())
    }

    fn on_dialog_state(&mut self, s: DialogState) {
        match s {
            DialogState::Trying(_) => self.emit(LegEvent::Trying),
            DialogState::Early(_, resp) => {
                if !resp.body.is_empty() && self.set_trunk_media(&resp.body).is_ok() {
                    self.emit(LegEvent::EarlyMedia);
                } else {
                    self.emit(LegEvent::Ringing);
                }
            }
            DialogState::Confirmed(_, resp) => {
                if self.answered {
                    return; // a refresh or re-confirmation, not a new answer
                }
                if !resp.body.is_empty() {
                    if let Err(detail) = self.set_trunk_media(&resp.body) {
                        self.emit(LegEvent::Failed { detail });
                        return;
                    }
                } else if self.trunk_media.is_none() {
                    self.emit(LegEvent::Failed {
                        detail: "trunk answered without SDP".into(),
                    });
                    return;
                }
                self.answered = true;
                self.ringback = None;
                self.emit(LegEvent::Answered);
            }
            DialogState::Updated(_, request, handle) => self.on_session_update(&request, handle),
            DialogState::Options(_, _, handle) | DialogState::Info(_, _, handle) => {
                tokio::spawn(async move { handle.reply(rsipstack::sip::StatusCode::OK).await });
            }
            DialogState::Terminated(id, reason) => {
                self.sip.dialogs.remove_dialog(&id);
                let event = match reason {
                    TerminatedReason::UacBye | TerminatedReason::UacCancel => {
                        LegEvent::EndConfirmed
                    }
                    TerminatedReason::UasBye => LegEvent::RemoteBye,
                    other => {
                        let (status, reason) = status_of(&other);
                        LegEvent::Rejected { status, reason }
                    }
                };
                self.dialog = None;
                self.emit(event);
            }
            _ => {}
        }
    }

    fn on_invite_done(&mut self, r: Option<InviteResult>) {
        match r {
            Some(Err(e)) if self.dialog.is_some() && !self.answered => {
                self.emit(LegEvent::Failed {
                    detail: format!("trunk: {e}"),
                });
            }
            _ => {}
        }
    }
}

fn status_of(reason: &TerminatedReason) -> (u16, String) {
    match reason {
        TerminatedReason::Timeout => (408, "Request Timeout".into()),
        TerminatedReason::UacBusy | TerminatedReason::UasBusy => (486, "Busy Here".into()),
        TerminatedReason::UasDecline => (603, "Decline".into()),
        TerminatedReason::ProxyAuthRequired => (407, "Proxy Authentication Required".into()),
        TerminatedReason::ProxyError(s)
        | TerminatedReason::UacOther(s)
        | TerminatedReason::UasOther(s) => (s.code(), s.to_string()),
        TerminatedReason::UacCancel => (487, "Request Terminated".into()),
        TerminatedReason::UacBye | TerminatedReason::UasBye => (200, "OK".into()),
    }
}

fn host_of(target_host: &str, addr: SocketAddr) -> HostWithPort {
    // A Voice Connector's Request-URI carries its host name; an address target its address.
    let host = match target_host.rsplit_once(':') {
        Some((h, _)) if h.parse::<IpAddr>().is_err() && !h.is_empty() => {
            Host::Domain(h.to_string().into())
        }
        _ => Host::IpAddr(addr.ip()),
    };
    HostWithPort {
        host,
        port: Some(addr.port().into()),
    }
}

fn sip_uri(user: &str, host: HostWithPort) -> Uri {
    Uri {
        scheme: Some(Scheme::Sip),
        auth: Some(rsipstack::sip::Auth {
            user: user.to_string(),
            password: None,
        }),
        host_with_port: host,
        params: vec![],
        headers: vec![],
    }
}

fn to_8khz(t: MediaTime) -> u64 {
    if t.denom() == 8000 {
        t.numer()
    } else {
        t.numer() * 8000 / t.denom().max(1) as u64
    }
}

async fn recv_state(states: &mut Option<DialogStateReceiver>) -> Option<DialogState> {
    match states {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn join_invite(
    invite: &mut Option<tokio::task::JoinHandle<InviteResult>>,
) -> Option<InviteResult> {
    match invite {
        Some(h) => h.await.ok(),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_frames(mut rb: Ringback, frames: usize) -> Vec<bool> {
        (0..frames)
            .map(|_| rb.frame().iter().any(|&s| s != 0))
            .collect()
    }

    #[test]
    fn ringback_follows_the_country_cadence() {
        // Singapore: 0.4 s on, 0.2 off, 0.4 on, 2.0 off (20 ms frames), then again.
        let sg = on_frames(Ringback::for_number("+6560000001"), 300);
        let expect_sg = |i: usize| matches!(i % 150, 0..=19 | 30..=49);
        assert!(sg.iter().enumerate().all(|(i, &on)| on == expect_sg(i)));
        // Panama: 1 s on, 4 s off.
        let pa = on_frames(Ringback::for_number("+5072000001"), 500);
        assert!(pa.iter().enumerate().all(|(i, &on)| on == (i % 250 < 50)));
    }

    #[test]
    fn the_browser_clock_is_continuous_across_sources_and_jumps() {
        let mut c = OutClock::default();
        // Ringback frames (no source clock), then trunk audio with its own timestamps.
        assert_eq!(c.advance(None, 160), 160);
        assert_eq!(c.advance(None, 160), 320);
        assert_eq!(c.advance(Some(1_000_000), 160), 480);
        // A 40 ms gap in the trunk's timestamps shows.
        assert_eq!(c.advance(Some(1_000_320), 160), 800);
        // A wild jump or a step backwards advances by one frame, never backwards.
        assert_eq!(c.advance(Some(5), 160), 960);
        assert_eq!(c.advance(Some(3), 160), 1120);
    }
}
