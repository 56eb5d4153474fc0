//! The simulator's SIP side: digest challenges, the calling plan, and one task per call that
//! rings, answers and hangs up as the number's [`Behaviour`] says.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
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

use super::connector::{Admission, ConnectorRefusal};
use super::media::{media, Heard, Voice};
use super::plan::{behaviour_of, check_calling_plan, Behaviour, TONE_HZ};
use super::uac::{place, CallIn, Placement};
use super::{CallInError, MediaNat, SimulatorConfig};
use crate::g711::G711;
use crate::sdes::{self, CryptoAttribute};
use crate::sdp::AudioDescription;
use crate::sip::{source_ip, SipEndpoint};
use crate::srtp::SrtpKeys;
use crate::tasks::{drain, log_joined, spawn_logged};

pub(super) struct Shared {
    pub(super) config: SimulatorConfig,
    pub(super) media_nat: Option<MediaNat>,
    /// `voice-connector` mode's rules and the calls they have counted.
    pub(super) admission: Option<Mutex<Admission>>,
    /// Nonces handed out in challenges, with when.
    pub(super) nonces: Mutex<HashMap<String, Instant>>,
    pub(super) endpoint: Arc<SipEndpoint>,
    pub(super) cancel: CancellationToken,
    /// Where calls in go (the gateway), once the server has said, and whether over TLS.
    pub(super) origination: Mutex<Option<(SocketAddr, bool)>>,
    /// The calls taken (ringing or answered) and not yet over, by the number called (the
    /// latest per number).
    pub(super) called: Mutex<HashMap<String, CalledParty>>,
}

/// A call the simulator took (it rings or was answered), as a test sees it: what the called
/// party heard, whether the caller hung up (CANCEL or BYE), and a way to hang up from its side
/// once answered.
#[derive(Clone)]
pub struct CalledParty {
    heard: Heard,
    hang_up: CancellationToken,
    /// Cancelled once the call is over, whoever ended it.
    over: CancellationToken,
    by_caller: Arc<AtomicBool>,
}

impl CalledParty {
    fn new() -> CalledParty {
        CalledParty {
            heard: Heard::default(),
            hang_up: CancellationToken::new(),
            over: CancellationToken::new(),
            by_caller: Arc::new(AtomicBool::new(false)),
        }
    }

    /// What it heard since the last call (decoded; at most the newest 10 s).
    pub fn take_heard(&self) -> Vec<i16> {
        self.heard.take()
    }

    /// The called party hangs up (BYE), once it has answered.
    pub fn hang_up(&self) {
        self.hang_up.cancel();
    }

    /// Waits until the call is over.
    pub async fn over(&self) {
        self.over.cancelled().await
    }

    /// The caller ended the call (its BYE), rather than the called party.
    pub fn caller_hung_up(&self) -> bool {
        self.by_caller.load(Ordering::Relaxed)
    }
}

const NONCE_LIFETIME: Duration = Duration::from_secs(300);
const MAX_NONCES: usize = 10_000;

impl Shared {
    pub(super) fn set_origination(&self, target: SocketAddr, tls: bool) {
        *self.origination.lock().unwrap_or_else(|p| p.into_inner()) = Some((target, tls));
    }

    pub(super) fn called(&self, number: &str) -> Option<CalledParty> {
        let called = self.called.lock().unwrap_or_else(|p| p.into_inner());
        called.get(number).cloned()
    }

    pub(super) fn call_in(&self, from: &str, to: &str) -> Result<CallIn, CallInError> {
        for number in [from, to] {
            if check_calling_plan(number).is_err() {
                return Err(CallInError::NotInPlan(number.to_string()));
            }
        }
        let (target, tls) = self
            .origination
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ok_or(CallInError::NoOrigination)?;
        Ok(place(Placement {
            endpoint: self.endpoint.clone(),
            media_ip: self.config.media_ip,
            from: from.to_string(),
            to: to.to_string(),
            target,
            tls,
            ring_limit: self.config.timing.call_in_ring_limit,
            stop: self.cancel.child_token(),
        }))
    }

    /// The calling-back number's call back, `after` from now: to the caller's own number,
    /// from the number it called. Logged, not returned: nobody waits for it.
    fn call_back_later(self: &Arc<Self>, customer: String, business: String) {
        let shared = self.clone();
        let after = self.config.timing.call_back_after;
        tokio::spawn(async move {
            tokio::select! {
                _ = shared.cancel.cancelled() => return,
                _ = tokio::time::sleep(after) => {}
            }
            match shared.call_in(&customer, &business) {
                Ok(mut call) => {
                    tracing::info!("simulator: calling back");
                    // Driven to its end (the echo runs inside); nobody reads its events.
                    while call.next().await.is_some() {}
                }
                Err(e) => tracing::info!(error = %e, "simulator: cannot call back"),
            }
        });
    }

    pub(super) async fn handle(self: Arc<Self>, mut tx: Transaction) {
        match tx.original.method {
            Method::Invite => self.invite(tx).await,
            Method::Options => reply(&mut tx, StatusCode::OK).await,
            Method::Ack => {}
            _ => reply(&mut tx, StatusCode::MethodNotAllowed).await,
        }
    }

    /// A call's RTP socket: any port, or behind a NAT the first free one of its range (the NAT
    /// forwards those).
    async fn media_socket(&self) -> std::io::Result<UdpSocket> {
        let ip = self.config.media_ip;
        let Some(nat) = self.media_nat else {
            return UdpSocket::bind((ip, 0)).await;
        };
        let mut last = std::io::Error::other("the NAT's port range is empty");
        for port in nat.ports.0..=nat.ports.1 {
            match UdpSocket::bind((ip, port)).await {
                Ok(socket) => return Ok(socket),
                Err(e) => last = e,
            }
        }
        Err(last)
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

    /// `voice-connector` mode: the source before anything else; once the caller is known, the
    /// calls-per-second limit and the media's encryption.
    fn admit(&self, tx: &Transaction, after_auth: bool) -> Result<(), ConnectorRefusal> {
        let Some(admission) = &self.admission else {
            return Ok(());
        };
        let mut admission = admission.lock().unwrap_or_else(|p| p.into_inner());
        if after_auth {
            admission.count_call(Instant::now())?;
            let profile = media_profile(&tx.original.body).unwrap_or_default();
            return admission.media_allowed(&profile);
        }
        let source = source_ip(&tx.original).ok_or(ConnectorRefusal::SourceNotAllowed)?;
        admission.source_allowed(source)
    }

    async fn invite(self: Arc<Self>, mut tx: Transaction) {
        if let Err(refusal) = self.admit(&tx, false) {
            return refuse(&mut tx, refusal).await;
        }
        if let Err((status, headers)) = self.authenticate(&tx) {
            if status == StatusCode::Forbidden {
                tracing::info!("simulator: INVITE with wrong credentials refused");
            }
            if let Err(e) = tx.reply_with(status, headers, None).await {
                tracing::warn!(error = %e, "simulator: challenge not sent");
            }
            return;
        }
        if let Err(refusal) = self.admit(&tx, true) {
            return refuse(&mut tx, refusal).await;
        }
        let user = tx.original.uri.user().unwrap_or_default().to_string();
        if behaviour_of(&user) == Behaviour::Silent {
            // As a trunk that is down: the INVITE goes unanswered, its retransmissions too.
            tracing::info!("simulator: silent number, the INVITE is not answered");
            return;
        }
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
            Ok(offer) if offer.is_srtp() && !offer.crypto.iter().any(|l| l.is_usable()) => {
                tracing::info!("simulator: RTP/SAVP offer without a usable a=crypto refused");
                reply(&mut tx, StatusCode::NotAcceptableHere).await;
                return;
            }
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
        let caller = from_user(&dialog.initial_request());
        let call = SimCall {
            shared: self.clone(),
            dialog,
            states: state_rx,
            party: CalledParty::new(),
            number: user.clone(),
            answered: false,
        };
        let answered = call.run(behaviour, offer, law).await;
        if behaviour == Behaviour::CallsBack && answered {
            match caller {
                Some(business) => self.call_back_later(user, business),
                None => tracing::info!("simulator: no caller number to call back"),
            }
        }
        self.endpoint.dialogs.remove_dialog(&id);
        drain(&mut transaction).await;
    }
}

struct SimCall {
    shared: Arc<Shared>,
    dialog: rsipstack::dialog::invite_dialog::InviteDialog,
    states: DialogStateReceiver,
    /// Shown to tests ([`Shared::called`]) until the call is over.
    party: CalledParty,
    number: String,
    answered: bool,
}

/// Refuses a call the connector's rules do not take.
async fn refuse(tx: &mut Transaction, refusal: ConnectorRefusal) {
    tracing::info!(?refusal, "simulator: the connector's rules refuse the call");
    let (code, _) = refusal.status();
    let status = StatusCode::from(code);
    let headers = match refusal {
        ConnectorRefusal::OverCpsLimit => vec![Header::Other("Retry-After".into(), "1".into())],
        _ => vec![],
    };
    if let Err(e) = tx.reply_with(status, headers, None).await {
        tracing::warn!(error = %e, "simulator: refusal not sent");
    }
}

/// The user part of a request's From (the caller's number).
fn from_user(request: &rsipstack::sip::Request) -> Option<String> {
    use rsipstack::sip::{HeadersExt, ToTypedHeader};
    let from = request.from_header().ok()?.typed().ok()?;
    from.uri.user().map(str::to_string)
}

/// The profile of the offer's audio m-line (`RTP/AVP`, `RTP/SAVP`…).
fn media_profile(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines()
        .find_map(|line| line.trim_end_matches('\r').strip_prefix("m=audio "))
        .and_then(|m| m.split_whitespace().nth(1))
        .map(str::to_string)
}

/// The caller's key in its answer to a refresh, if it answered `suite`.
fn refreshed_theirs(
    body: &[u8],
    suite: crate::sdes::CryptoSuite,
) -> Option<crate::sdes::MasterKey> {
    let answer = AudioDescription::parse(body).ok()?;
    let line = answer.crypto.into_iter().next()?;
    (line.suite == suite && line.is_usable()).then_some(line.key)
}

/// Answers `tx` with `status`, logging a reply that could not be sent.
async fn reply(tx: &mut Transaction, status: StatusCode) {
    if let Err(e) = tx.reply(status.clone()).await {
        tracing::warn!(error = %e, %status, "simulator: reply not sent");
    }
}

impl SimCall {
    /// Waits `d`; false if the call ended meanwhile: the caller hung up (CANCEL/BYE), or a
    /// test hung up the answered call ([`CalledParty::hang_up`]: our BYE is sent here).
    async fn wait(&mut self, d: Duration) -> bool {
        let deadline = tokio::time::sleep(d);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return true,
                _ = self.shared.cancel.cancelled() => return false,
                _ = self.party.hang_up.cancelled(), if self.answered => {
                    let _ = self.dialog.bye().await;
                    return false;
                }
                s = self.states.recv() => match s {
                    Some(DialogState::Terminated(..)) | None => {
                        self.party.by_caller.store(true, Ordering::Relaxed);
                        return false;
                    }
                    _ => {}
                },
            }
        }
    }

    /// Shows the call to tests until it is over.
    fn show(&self) {
        let mut called = self.shared.called.lock().unwrap_or_else(|p| p.into_inner());
        called.insert(self.number.clone(), self.party.clone());
    }

    /// The call is over: no longer shown (unless a newer call to the number replaced it).
    fn over(&self) {
        self.party.over.cancel();
        let mut called = self.shared.called.lock().unwrap_or_else(|p| p.into_inner());
        if called
            .get(&self.number)
            .is_some_and(|p| p.over.is_cancelled())
        {
            called.remove(&self.number);
        }
    }

    /// Plays the number's part, shown to tests meanwhile; true if the call was answered.
    async fn run(mut self, behaviour: Behaviour, offer: AudioDescription, law: G711) -> bool {
        self.show();
        let answered = self.play(behaviour, offer, law).await;
        self.over();
        answered
    }

    /// Plays the number's part; true if the call was answered.
    async fn play(&mut self, behaviour: Behaviour, offer: AudioDescription, law: G711) -> bool {
        let timing = self.shared.config.timing;
        let _ = self.dialog.ringing(None, None);
        if behaviour == Behaviour::NoAnswer {
            if self.wait(timing.no_answer).await {
                let _ = self
                    .dialog
                    .reject(Some(StatusCode::TemporarilyUnavailable), None);
            }
            return false;
        }
        if !self.wait(timing.ring).await {
            return false;
        }
        let socket = match self.shared.media_socket().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "simulator: no media port");
                let _ = self
                    .dialog
                    .reject(Some(StatusCode::ServerInternalError), None);
                return false;
            }
        };
        let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
        let tele_pt = offer.telephone_event_pt();
        let announced = match self.shared.media_nat {
            Some(nat) => nat.public_ip,
            None => self.shared.config.media_ip,
        };
        let mut answer = AudioDescription::g711(announced, port, &[law], tele_pt);
        // SRTP when the caller offered a line we take (in RTP/SAVP, or best-effort in RTP/AVP).
        let mut keys = None;
        if let Some((theirs, ours)) = sdes::answer(&offer.crypto, &mut rand::rng()) {
            tracing::info!(suite = ours.suite.name(), "simulator: SRTP");
            answer.proto = offer.proto.clone();
            keys = Some(SrtpKeys {
                suite: ours.suite,
                ours: ours.key.clone(),
                theirs: theirs.key,
            });
            answer.crypto = vec![ours];
        }
        let (keys_tx, keys_rx) = tokio::sync::watch::channel(keys);
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
            return false;
        }
        self.answered = true;
        let stop = CancellationToken::new();
        let voice = match behaviour {
            Behaviour::ReadBack => Voice::ReadBack,
            Behaviour::Tone => Voice::Tone(TONE_HZ),
            _ => Voice::Echo,
        };
        // The voice never changes: its sender may go.
        let (_, voice) = tokio::sync::watch::channel(voice);
        let media = tokio::spawn(media(
            socket,
            SocketAddr::new(offer.addr, offer.port),
            law,
            tele_pt,
            voice,
            keys_rx,
            Some(self.party.heard.clone()),
            stop.clone(),
        ));
        let limit = if behaviour == Behaviour::HangsUp {
            timing.hang_up_after
        } else if behaviour == Behaviour::CallsBack {
            timing.call_back_hang_up
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
                // With SRTP each refresh carries a new key of ours (RFC 4568 §7.1.4): the
                // caller must re-key and keep its streams going.
                let mut rekey = keys_tx.borrow().clone();
                if let Some(keys) = rekey.as_mut() {
                    let line = CryptoAttribute::generate(1, keys.suite, &mut rand::rng());
                    keys.ours = line.key.clone();
                    answer.crypto = vec![line];
                }
                let offer = answer.render(session, version).into_bytes();
                let refreshed = self
                    .dialog
                    .reinvite(
                        Some(vec![Header::ContentType("application/sdp".into())]),
                        Some(offer),
                    )
                    .await;
                let ok = matches!(&refreshed, Ok(Some(r)) if r.status_code.code() == 200);
                if let (Ok(Some(response)), Some(keys)) = (&refreshed, rekey.as_mut()) {
                    match refreshed_theirs(&response.body, keys.suite) {
                        Some(theirs) => keys.theirs = theirs,
                        None if ok => {
                            tracing::info!(
                                "simulator: refresh answer without our suite; ending the call"
                            );
                            let _ = self.dialog.bye().await;
                            break;
                        }
                        None => {}
                    }
                }
                if ok && rekey.is_some() {
                    keys_tx.send_replace(rekey);
                }
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
        true
    }
}
