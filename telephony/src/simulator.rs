//! The built-in PSTN simulator: a SIP UAS that behaves like an Amazon Chime SDK Voice Connector
//! and the telephone network behind it. It demands digest credentials, accepts only E.164
//! numbers in its calling plan (+507 Panama, +65 Singapore, no premium ranges) and only G.711,
//! rings, and then acts by number: echo, DTMF read-back, busy, no answer, not found, or answer
//! and hang up. The numbers are in [`TEST_NUMBERS`] (and the README).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsipstack::dialog::authenticate::verify_digest;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::sip::typed::Authorization;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use tokio::net::UdpSocket;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::g711::G711;
use crate::rtp::{self, EventReport, RtpSender};
use crate::sdp::AudioDescription;
use crate::sip::{SipEndpoint, SipError};
use crate::tasks::{drain, log_joined, spawn_logged};
use crate::tones::{dtmf_digit, dtmf_freqs, ToneGenerator, FRAME_SAMPLES};

/// What a number does when called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Rings, answers and sends your audio straight back.
    Echo,
    /// Rings, answers, plays a short greeting, then plays back every DTMF key you press.
    ReadBack,
    /// 486 Busy Here at once.
    Busy,
    /// Rings until the network gives up (480 Temporarily Unavailable).
    NoAnswer,
    /// 404 Not Found: the number is not assigned.
    NotFound,
    /// Rings, answers (echo), then hangs up on its own.
    HangsUp,
    /// Rings, answers (echo) and refreshes the session with a re-INVITE; a refresh that is
    /// not answered with 200 ends the call (BYE), as a carrier's session timer would.
    Refreshes,
}

/// The test numbers, in E.164. Any other number inside the calling plan behaves like `Echo`.
pub const TEST_NUMBERS: &[(&str, Behaviour)] = &[
    ("+6560000001", Behaviour::Echo),
    ("+6560000002", Behaviour::ReadBack),
    ("+6560000003", Behaviour::Busy),
    ("+6560000004", Behaviour::NoAnswer),
    ("+6560000005", Behaviour::NotFound),
    ("+6560000006", Behaviour::HangsUp),
    ("+6560000007", Behaviour::Refreshes),
    ("+5072000001", Behaviour::Echo),
    ("+5072000002", Behaviour::ReadBack),
    ("+5072000003", Behaviour::Busy),
    ("+5072000004", Behaviour::NoAnswer),
    ("+5072000005", Behaviour::NotFound),
    ("+5072000006", Behaviour::HangsUp),
    ("+5072000007", Behaviour::Refreshes),
];

pub fn behaviour_of(e164: &str) -> Behaviour {
    TEST_NUMBERS
        .iter()
        .find(|(n, _)| *n == e164)
        .map(|(_, b)| *b)
        .unwrap_or(Behaviour::Echo)
}

/// Why the simulated carrier refuses a destination before ringing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanRefusal {
    /// Not `+` and 8–15 digits (a Voice Connector takes E.164 only).
    NotE164,
    /// The country is not in the calling plan.
    OutsideCallingPlan,
    /// Premium-rate ranges are barred.
    Premium,
}

impl PlanRefusal {
    fn status(self) -> (StatusCode, &'static str) {
        match self {
            PlanRefusal::NotE164 => (StatusCode::AddressIncomplete, "Request-URI is not E.164"),
            PlanRefusal::OutsideCallingPlan => {
                (StatusCode::Forbidden, "Destination not in the calling plan")
            }
            PlanRefusal::Premium => (StatusCode::Forbidden, "Premium-rate destination barred"),
        }
    }
}

/// The calling plan: Panama and Singapore, premium ranges barred.
pub fn check_calling_plan(user: &str) -> Result<(), PlanRefusal> {
    let digits = user.strip_prefix('+').ok_or(PlanRefusal::NotE164)?;
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PlanRefusal::NotE164);
    }
    const PA_PREMIUM: [&str; 8] = ["822", "855", "860", "877", "878", "886", "900", "981"];
    if let Some(national) = digits.strip_prefix("507") {
        if PA_PREMIUM.iter().any(|p| national.starts_with(p)) {
            return Err(PlanRefusal::Premium);
        }
        return Ok(());
    }
    if let Some(national) = digits.strip_prefix("65") {
        if national.starts_with("1900") {
            return Err(PlanRefusal::Premium);
        }
        return Ok(());
    }
    Err(PlanRefusal::OutsideCallingPlan)
}

/// How long things take on the simulated network.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// From INVITE to answer on numbers that answer.
    pub ring: Duration,
    /// How long the no-answer number rings before the network gives up (480).
    pub no_answer: Duration,
    /// How long the hang-up number stays connected.
    pub hang_up_after: Duration,
    /// How often the refreshing number re-INVITEs.
    pub refresh_every: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ring: Duration::from_millis(2500),
            no_answer: Duration::from_secs(30),
            hang_up_after: Duration::from_secs(5),
            refresh_every: Duration::from_secs(15),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// Where it listens for SIP (UDP and TCP).
    pub sip_addr: SocketAddr,
    /// The address its RTP sockets bind to and its SDP announces.
    pub media_ip: IpAddr,
    pub realm: String,
    pub username: String,
    pub password: String,
    pub timing: Timing,
    /// Also take SIP over TLS: (address, certificate chain PEM, key PEM).
    pub tls: Option<(SocketAddr, Vec<u8>, Vec<u8>)>,
}

pub struct PstnSimulator {
    endpoint: Arc<SipEndpoint>,
    cancel: CancellationToken,
}

impl PstnSimulator {
    pub async fn start(config: SimulatorConfig) -> Result<PstnSimulator, SipError> {
        let tls = config
            .tls
            .clone()
            .map(|(addr, cert_pem, key_pem)| crate::sip::SipTls::Server {
                addr,
                cert_pem,
                key_pem,
            });
        let (endpoint, mut requests) =
            SipEndpoint::bind_with_tls(config.sip_addr, true, tls, "softphone-pstn-simulator")
                .await?;
        let cancel = CancellationToken::new();
        let state = Arc::new(Shared {
            config,
            nonces: Mutex::new(HashMap::new()),
            endpoint: endpoint.clone(),
            cancel: cancel.clone(),
        });
        let stop = cancel.clone();
        tokio::spawn(async move {
            // One task per request (a call lasts as long as its task); stopping waits for them.
            let mut calls = JoinSet::new();
            loop {
                let tx = tokio::select! {
                    _ = stop.cancelled() => break,
                    Some(done) = calls.join_next(), if !calls.is_empty() => {
                        log_joined(done);
                        continue;
                    }
                    tx = requests.recv() => match tx { Some(tx) => tx, None => break },
                };
                let state = state.clone();
                calls.spawn(async move { state.handle(tx).await });
            }
            drain(&mut calls).await;
        });
        tracing::info!(addr = %endpoint.local, "PSTN simulator listening");
        Ok(PstnSimulator { endpoint, cancel })
    }

    /// The SIP address the gateway's trunk should point at.
    pub fn sip_addr(&self) -> SocketAddr {
        self.endpoint.local
    }

    pub fn stop(&self) {
        self.cancel.cancel();
        self.endpoint.stop();
    }
}

impl Drop for PstnSimulator {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Shared {
    config: SimulatorConfig,
    /// Nonces handed out in challenges, with when.
    nonces: Mutex<HashMap<String, Instant>>,
    endpoint: Arc<SipEndpoint>,
    cancel: CancellationToken,
}

const NONCE_LIFETIME: Duration = Duration::from_secs(300);
const MAX_NONCES: usize = 10_000;

impl Shared {
    async fn handle(self: Arc<Self>, mut tx: Transaction) {
        match tx.original.method {
            Method::Invite => self.invite(tx).await,
            Method::Options => reply(&mut tx, StatusCode::OK).await,
            Method::Ack => {}
            _ => reply(&mut tx, StatusCode::MethodNotAllowed).await,
        }
    }

    fn new_nonce(&self) -> String {
        let nonce = format!("{:032x}", rand::random::<u128>());
        let mut nonces = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        nonces.retain(|_, at| now.duration_since(*at) < NONCE_LIFETIME);
        if nonces.len() < MAX_NONCES {
            nonces.insert(nonce.clone(), now);
        }
        nonce
    }

    fn nonce_is_fresh(&self, nonce: &str) -> bool {
        let nonces = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
        nonces
            .get(nonce)
            .is_some_and(|at| at.elapsed() < NONCE_LIFETIME)
    }

    /// `Ok` when the request carries valid credentials; otherwise the response to send.
    fn authenticate(&self, tx: &Transaction) -> Result<(), (StatusCode, Vec<Header>)> {
        let raw = tx.original.headers.iter().find_map(|h| match h {
            Header::Authorization(a) => Some(a.value().to_string()),
            _ => None,
        });
        let challenge = |stale: bool| {
            let value = format!(
                "Digest realm=\"{}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"{}",
                self.config.realm,
                self.new_nonce(),
                if stale { ", stale=true" } else { "" }
            );
            (
                StatusCode::Unauthorized,
                vec![Header::WwwAuthenticate(value.into())],
            )
        };
        let Some(raw) = raw else {
            return Err(challenge(false));
        };
        let Ok(auth) = Authorization::parse(&raw) else {
            return Err((StatusCode::BadRequest, vec![]));
        };
        if !self.nonce_is_fresh(&auth.nonce) {
            return Err(challenge(true));
        }
        let ok = auth.username == self.config.username
            && auth.realm == self.config.realm
            && verify_digest(&auth, &self.config.password, &Method::Invite, &raw);
        if ok {
            Ok(())
        } else {
            Err((StatusCode::Forbidden, vec![]))
        }
    }

    async fn invite(self: Arc<Self>, mut tx: Transaction) {
        if let Err((status, headers)) = self.authenticate(&tx) {
            if status == StatusCode::Forbidden {
                tracing::info!("simulator: INVITE with wrong credentials refused");
            }
            if let Err(e) = tx.reply_with(status, headers, None).await {
                tracing::warn!(error = %e, "simulator: challenge not sent");
            }
            return;
        }
        let user = tx.original.uri.user().unwrap_or_default().to_string();
        if let Err(refusal) = check_calling_plan(&user) {
            let (status, reason) = refusal.status();
            tracing::info!(?refusal, "simulator: destination refused");
            let reason =
                Header::Other("Reason".into(), format!("Q.850;cause=21;text=\"{reason}\""));
            if let Err(e) = tx.reply_with(status, vec![reason], None).await {
                tracing::warn!(error = %e, "simulator: refusal not sent");
            }
            return;
        }
        let offer = match AudioDescription::parse(&tx.original.body) {
            Ok(offer) => offer,
            Err(e) => {
                tracing::info!(error = %e, "simulator: unusable SDP offer");
                reply(&mut tx, StatusCode::NotAcceptableHere).await;
                return;
            }
        };
        let Some(law) = offer.common_g711(&[G711::Pcmu, G711::Pcma]) else {
            tracing::info!("simulator: offer without G.711 refused");
            reply(&mut tx, StatusCode::NotAcceptableHere).await;
            return;
        };
        let behaviour = behaviour_of(&user);
        match behaviour {
            Behaviour::Busy => {
                reply(&mut tx, StatusCode::BusyHere).await;
                return;
            }
            Behaviour::NotFound => {
                reply(&mut tx, StatusCode::NotFound).await;
                return;
            }
            _ => {}
        }
        let (state_tx, state_rx) = self.endpoint.dialogs.new_dialog_state_channel();
        let contact = self.endpoint.contact(None);
        let dialog = match self.endpoint.dialogs.get_or_create_server_invite(
            &tx,
            state_tx,
            None,
            Some(contact),
        ) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "simulator: cannot create dialog");
                reply(&mut tx, StatusCode::ServerInternalError).await;
                return;
            }
        };
        let id = dialog.id();
        let mut handled = dialog.clone();
        let mut transaction = JoinSet::new();
        spawn_logged(&mut transaction, "simulator INVITE", async move {
            handled.handle(&mut tx).await
        });
        let call = SimCall {
            shared: self.clone(),
            dialog,
            states: state_rx,
        };
        call.run(behaviour, offer, law).await;
        self.endpoint.dialogs.remove_dialog(&id);
        drain(&mut transaction).await;
    }
}

struct SimCall {
    shared: Arc<Shared>,
    dialog: rsipstack::dialog::invite_dialog::InviteDialog,
    states: DialogStateReceiver,
}

/// Answers `tx` with `status`, logging a reply that could not be sent.
async fn reply(tx: &mut Transaction, status: StatusCode) {
    if let Err(e) = tx.reply(status.clone()).await {
        tracing::warn!(error = %e, %status, "simulator: reply not sent");
    }
}

impl SimCall {
    /// Waits `d`; false if the caller hung up (CANCEL/BYE) meanwhile.
    async fn wait(&mut self, d: Duration) -> bool {
        let deadline = tokio::time::sleep(d);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return true,
                _ = self.shared.cancel.cancelled() => return false,
                s = self.states.recv() => match s {
                    Some(DialogState::Terminated(..)) | None => return false,
                    _ => {}
                },
            }
        }
    }

    async fn run(mut self, behaviour: Behaviour, offer: AudioDescription, law: G711) {
        let timing = self.shared.config.timing;
        let _ = self.dialog.ringing(None, None);
        if behaviour == Behaviour::NoAnswer {
            if self.wait(timing.no_answer).await {
                let _ = self
                    .dialog
                    .reject(Some(StatusCode::TemporarilyUnavailable), None);
            }
            return;
        }
        if !self.wait(timing.ring).await {
            return;
        }
        let socket = match UdpSocket::bind((self.shared.config.media_ip, 0)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "simulator: no media port");
                let _ = self
                    .dialog
                    .reject(Some(StatusCode::ServerInternalError), None);
                return;
            }
        };
        let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
        let tele_pt = offer.telephone_event_pt();
        let answer = AudioDescription::g711(self.shared.config.media_ip, port, &[law], tele_pt);
        let session = rand::random::<u32>() as u64;
        let body = answer.render(session, 1).into_bytes();
        if self
            .dialog
            .accept(
                Some(vec![Header::ContentType("application/sdp".into())]),
                Some(body),
            )
            .is_err()
        {
            return;
        }
        let stop = CancellationToken::new();
        let media = tokio::spawn(media(
            socket,
            SocketAddr::new(offer.addr, offer.port),
            law,
            tele_pt,
            behaviour == Behaviour::ReadBack,
            stop.clone(),
        ));
        let hang_up = behaviour == Behaviour::HangsUp;
        let limit = if hang_up {
            timing.hang_up_after
        } else {
            // A runaway guard: the simulated network ends any call after 4 hours.
            Duration::from_secs(4 * 3600)
        };
        if behaviour == Behaviour::Refreshes {
            let mut version = 1;
            loop {
                if !self.wait(timing.refresh_every).await {
                    break;
                }
                version += 1;
                let offer = answer.render(session, version).into_bytes();
                let refreshed = self
                    .dialog
                    .reinvite(
                        Some(vec![Header::ContentType("application/sdp".into())]),
                        Some(offer),
                    )
                    .await;
                let ok = matches!(&refreshed, Ok(Some(r)) if r.status_code.code() == 200);
                if !ok {
                    tracing::info!("simulator: session refresh failed; ending the call");
                    let _ = self.dialog.bye().await;
                    break;
                }
            }
        } else if self.wait(limit).await {
            let _ = self.dialog.bye().await;
        }
        stop.cancel();
        log_joined(media.await);
    }
}

/// The far end's audio: echo, or greeting + DTMF read-back, paced at 20 ms.
async fn media(
    socket: UdpSocket,
    remote: SocketAddr,
    law: G711,
    tele_pt: Option<u8>,
    read_back: bool,
    stop: CancellationToken,
) {
    let mut sender = RtpSender::new(rand::random(), rand::random());
    let mut queue: std::collections::VecDeque<[i16; FRAME_SAMPLES]> = Default::default();
    if read_back {
        queue.extend(greeting());
    }
    let mut last_event_ts: Option<u32> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut timestamp: u32 = rand::random();
    let mut buf = [0u8; 1500];
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick(), if read_back => {
                let frame = queue.pop_front().unwrap_or([0; FRAME_SAMPLES]);
                let payload: Vec<u8> = frame.iter().map(|&s| law.encode(s)).collect();
                timestamp = timestamp.wrapping_add(FRAME_SAMPLES as u32);
                let packet = sender.packet(law.payload_type(), false, timestamp, &payload);
                let _ = socket.send_to(packet, remote).await;
            }
            r = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { break };
                // Only the address the caller's SDP names (no latching: nobody else on the
                // host may inject audio).
                if from != remote {
                    continue;
                }
                let Ok(packet) = rtp::parse(&buf[..n]) else { continue };
                let pt = packet.header.payload_type;
                if Some(pt) == tele_pt {
                    if let Some(report) = EventReport::parse(packet.payload) {
                        if report.end && last_event_ts != Some(packet.header.timestamp) {
                            last_event_ts = Some(packet.header.timestamp);
                            if read_back {
                                if let Some(digit) = dtmf_digit(report.event) {
                                    queue.extend(key_tone(digit));
                                }
                            }
                        }
                    }
                    continue;
                }
                if read_back || pt != law.payload_type() {
                    continue;
                }
                let ts = sender.timestamp_for(packet.header.timestamp as u64, timestamp);
                let out = sender.packet(pt, packet.header.marker, ts, packet.payload);
                let _ = socket.send_to(out, remote).await;
            }
        }
    }
}

/// A short two-note chime (about 0.6 s), then a little silence.
fn greeting() -> Vec<[i16; FRAME_SAMPLES]> {
    let mut frames = Vec::new();
    for (freq, count) in [(660.0, 12), (880.0, 12)] {
        let mut g = ToneGenerator::new(&[freq], 0.25);
        frames.extend((0..count).map(|_| g.frame()));
    }
    frames.extend((0..10).map(|_| [0; FRAME_SAMPLES]));
    frames
}

/// One key as its dual tone: 120 ms on, 80 ms off.
fn key_tone(digit: char) -> Vec<[i16; FRAME_SAMPLES]> {
    let Some((lo, hi)) = dtmf_freqs(digit) else {
        return Vec::new();
    };
    let mut g = ToneGenerator::new(&[lo, hi], 0.25);
    let mut frames: Vec<_> = (0..6).map(|_| g.frame()).collect();
    frames.extend((0..4).map(|_| [0; FRAME_SAMPLES]));
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_plan() {
        assert_eq!(check_calling_plan("+6560000001"), Ok(()));
        assert_eq!(check_calling_plan("+50761234567"), Ok(()));
        assert_eq!(
            check_calling_plan("+14155550100"),
            Err(PlanRefusal::OutsideCallingPlan)
        );
        assert_eq!(
            check_calling_plan("+6519001234567"),
            Err(PlanRefusal::Premium)
        );
        assert_eq!(check_calling_plan("+5079001234"), Err(PlanRefusal::Premium));
        assert_eq!(check_calling_plan("6560000001"), Err(PlanRefusal::NotE164));
        assert_eq!(check_calling_plan("+65"), Err(PlanRefusal::NotE164));
        assert_eq!(check_calling_plan("+65abc00001"), Err(PlanRefusal::NotE164));
        assert_eq!(check_calling_plan(""), Err(PlanRefusal::NotE164));
    }

    #[test]
    fn test_numbers_are_unique_and_in_plan() {
        let mut seen = std::collections::HashSet::new();
        for (n, _) in TEST_NUMBERS {
            assert!(seen.insert(*n));
            assert_eq!(check_calling_plan(n), Ok(()), "{n}");
        }
        assert_eq!(behaviour_of("+6560000003"), Behaviour::Busy);
        assert_eq!(behaviour_of("+6591234567"), Behaviour::Echo);
    }

    #[test]
    fn read_back_tones_are_the_keys() {
        let mut d = crate::tones::DtmfDetector::new();
        let mut got = Vec::new();
        for digit in ['1', '5', '#'] {
            for f in key_tone(digit) {
                got.extend(d.push(&f));
            }
        }
        assert_eq!(got, vec!['1', '5', '#']);
    }
}
