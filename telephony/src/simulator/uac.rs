//! The simulator as the caller: a customer on the telephone network calling one of the
//! business's numbers. The INVITE goes to the origination route (where a Voice Connector sends
//! calls in: the gateway's SIP address), from the customer's number to the dialled one, with a
//! G.711 offer and no credentials (a connector's origination authenticates by its addresses).
//! Once answered the customer's side echoes the audio it gets (or plays a tone when told), so
//! both directions can be heard and measured. The customer gives up (CANCEL) after `ring_limit`, and hangs up when
//! told to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{DialogState, TerminatedReason};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::sip::{Auth, Host, HostWithPort, Scheme, Transport, Uri};
use rsipstack::transport::SipAddr;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::media::{media, Heard, Voice};
use crate::g711::G711;
use crate::sdes;
use crate::sdp::{AudioDescription, Direction, SRTP};
use crate::sip::SipEndpoint;
use crate::srtp::SrtpKeys;
use crate::tasks::log_joined;

/// The payload type the customer's offer gives telephone-event.
const TELEPHONE_EVENT_PT: u8 = 101;

/// What happens to a call the simulator placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallInEvent {
    /// 180 (or 183) from the gateway: an agent's phone is ringing.
    Ringing,
    /// 200 OK: an agent took the call; the echo runs.
    Answered,
    /// A final refusal before an answer.
    Rejected { status: u16 },
    /// The call is over after an answer: `by_caller` when the simulator hung up (or gave up).
    Ended { by_caller: bool },
    /// The gateway's final answer to the customer's hold or resume ([`CallIn::hold`]).
    HoldAnswered { on_hold: bool, status: u16 },
    /// The call could not be placed or carried.
    Failed { detail: String },
}

/// A call the simulator placed toward the gateway.
pub struct CallIn {
    pub events: mpsc::UnboundedReceiver<CallInEvent>,
    hang_up: CancellationToken,
    hold: mpsc::UnboundedSender<bool>,
    heard: Heard,
    voice: watch::Sender<Voice>,
}

impl CallIn {
    /// The customer puts the call on hold (a re-INVITE making the session `sendonly`) or takes
    /// it back (`sendrecv`); [`CallInEvent::HoldAnswered`] says how the gateway took it.
    pub fn hold(&self, on_hold: bool) {
        let _ = self.hold.send(on_hold);
    }

    /// The customer speaks: a steady tone at `freq` Hz instead of the echo, from now on.
    pub fn play_tone(&self, freq: f32) {
        self.voice.send_replace(Voice::Tone(freq));
    }

    /// What the customer heard since the last call (decoded; at most the newest 10 s).
    pub fn take_heard(&self) -> Vec<i16> {
        self.heard.take()
    }

    /// The customer hangs up: CANCEL before an answer, BYE after.
    pub fn hang_up(&self) {
        self.hang_up.cancel();
    }

    /// Waits for the next event (`None` once the call's task has finished).
    pub async fn next(&mut self) -> Option<CallInEvent> {
        self.events.recv().await
    }
}

pub(super) struct Placement {
    pub endpoint: Arc<SipEndpoint>,
    pub media_ip: std::net::IpAddr,
    pub from: String,
    pub to: String,
    pub target: SocketAddr,
    /// Over TLS with an SDES-SRTP offer (an encrypted connector's origination).
    pub tls: bool,
    pub ring_limit: Duration,
    /// Stops the call when the simulator stops.
    pub stop: CancellationToken,
}

/// Places the call; its progress arrives on the returned [`CallIn`].
pub(super) fn place(p: Placement) -> CallIn {
    let (events_tx, events) = mpsc::unbounded_channel();
    let hang_up = CancellationToken::new();
    let (hold, hold_rx) = mpsc::unbounded_channel();
    let heard = Heard::default();
    let (voice, voice_rx) = watch::channel(Voice::Echo);
    let call = CallIn {
        events,
        hang_up: hang_up.clone(),
        hold,
        heard: heard.clone(),
        voice,
    };
    let control = Control {
        hang_up,
        hold: hold_rx,
        heard,
        voice: voice_rx,
    };
    tokio::spawn(async move {
        if let Err(detail) = run(p, &events_tx, control).await {
            tracing::info!(%detail, "simulator: call in failed");
            let _ = events_tx.send(CallInEvent::Failed { detail });
        }
    });
    call
}

fn uri(user: &str, host: HostWithPort) -> Uri {
    Uri {
        scheme: Some(Scheme::Sip),
        auth: Some(Auth {
            user: user.to_string(),
            password: None,
        }),
        host_with_port: host,
        params: vec![],
        headers: vec![],
    }
}

/// What the test (or the HTTP hook) does to a call in while it runs.
struct Control {
    hang_up: CancellationToken,
    hold: mpsc::UnboundedReceiver<bool>,
    heard: Heard,
    voice: watch::Receiver<Voice>,
}

async fn run(
    p: Placement,
    events: &mpsc::UnboundedSender<CallInEvent>,
    control: Control,
) -> Result<(), String> {
    let Control {
        hang_up,
        mut hold,
        heard,
        voice,
    } = control;
    let emit = |e: CallInEvent| {
        let _ = events.send(e);
    };
    let socket = UdpSocket::bind((p.media_ip, 0))
        .await
        .map_err(|e| format!("no media port: {e}"))?;
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    // Moved into the echo task once the call is answered.
    let mut socket = Some(socket);
    let session = u64::from(rand::random::<u32>());
    let mut description = AudioDescription::g711(
        p.media_ip,
        port,
        &[G711::Pcmu, G711::Pcma],
        Some(TELEPHONE_EVENT_PT),
    );
    if p.tls {
        description.proto = SRTP.to_string();
        description.crypto = sdes::offer(&mut rand::rng());
    }
    let offered = description.crypto.clone();
    let offer = description.render(session, 1);
    let mut version = 1;
    let target = HostWithPort {
        host: Host::IpAddr(p.target.ip()),
        port: Some(p.target.port().into()),
    };
    let transport = if p.tls {
        Transport::Tls
    } else {
        Transport::Udp
    };
    let option = InviteOption {
        caller: uri(&p.from, HostWithPort::from(p.endpoint.local)),
        callee: uri(&p.to, target.clone()),
        destination: Some(SipAddr {
            r#type: Some(transport),
            addr: target,
        }),
        contact: p.endpoint.contact(Some(&p.from)),
        content_type: Some("application/sdp".into()),
        offer: Some(offer.into_bytes()),
        call_id: Some(format!("{:032x}@pstn-simulator", rand::random::<u128>())),
        ..Default::default()
    };
    let (states_tx, mut states) = p.endpoint.dialogs.new_dialog_state_channel();
    let (dialog, invite) = p
        .endpoint
        .dialogs
        .do_invite_async(option, states_tx)
        .map_err(|e| format!("INVITE not sent: {e}"))?;
    let ring_limit = tokio::time::sleep(p.ring_limit);
    tokio::pin!(ring_limit);
    let stop_media = CancellationToken::new();
    let mut echo = None;
    let mut answered = false;
    let mut hung_up = false;
    loop {
        tokio::select! {
            _ = p.stop.cancelled(), if !hung_up => {
                hung_up = true;
                end(&dialog, answered).await;
            }
            _ = hang_up.cancelled(), if !hung_up => {
                hung_up = true;
                end(&dialog, answered).await;
            }
            Some(on_hold) = hold.recv(), if answered && !hung_up => {
                description.direction = if on_hold { Direction::SendOnly } else { Direction::SendRecv };
                version += 1;
                let body = description.render(session, version).into_bytes();
                let headers = vec![rsipstack::sip::Header::ContentType("application/sdp".into())];
                let status = match dialog.reinvite(Some(headers), Some(body)).await {
                    Ok(Some(response)) => response.status_code.code(),
                    Ok(None) => 0,
                    Err(e) => {
                        tracing::info!(error = %e, "simulator: hold not sent");
                        0
                    }
                };
                emit(CallInEvent::HoldAnswered { on_hold, status });
            }
            _ = &mut ring_limit, if !answered && !hung_up => {
                tracing::info!("simulator: nobody answered the call in; giving up");
                hung_up = true;
                end(&dialog, false).await;
            }
            state = states.recv() => match state {
                None => break,
                Some(DialogState::Early(_, response)) => {
                    // 183 with SDP: the gateway plays something (a message) before any answer.
                    if !response.body.is_empty() && echo.is_none() {
                        let settled = settle(&p, port, &offered, &response.body)?;
                        description = settled.description.clone();
                        echo = Some(start_media(&mut socket, settled, heard.clone(), voice.clone(), stop_media.clone())?);
                    }
                    emit(CallInEvent::Ringing)
                }
                Some(DialogState::Confirmed(_, response)) if !answered => {
                    answered = true;
                    let settled = settle(&p, port, &offered, &response.body)?;
                    // A later re-offer (hold) names the settled law and key alone.
                    description = settled.description.clone();
                    if echo.is_none() {
                        echo = Some(start_media(&mut socket, settled, heard.clone(), voice.clone(), stop_media.clone())?);
                    }
                    emit(CallInEvent::Answered);
                }
                Some(DialogState::Terminated(id, reason)) => {
                    p.endpoint.dialogs.remove_dialog(&id);
                    emit(terminated(reason, answered, hung_up));
                    break;
                }
                Some(_) => {}
            },
        }
    }
    stop_media.cancel();
    if let Some(echo) = echo {
        log_joined(echo.await);
    }
    invite.abort();
    Ok(())
}

/// What the gateway's SDP (its answer, or its early media's) settled: our description from
/// now on, where to send, the law, telephone-event and the SRTP keys.
struct Settled {
    description: AudioDescription,
    remote: SocketAddr,
    law: G711,
    tele_pt: Option<u8>,
    keys: Option<SrtpKeys>,
}

fn settle(
    p: &Placement,
    port: u16,
    offered: &[sdes::CryptoAttribute],
    body: &[u8],
) -> Result<Settled, String> {
    let answer = AudioDescription::parse(body)
        .map_err(|e| format!("the gateway's answer is not SDP: {e}"))?;
    let law = answer
        .common_g711(&[G711::Pcmu, G711::Pcma])
        .ok_or("the gateway answered without G.711")?;
    let mut description =
        AudioDescription::g711(p.media_ip, port, &[law], Some(TELEPHONE_EVENT_PT));
    let keys = match (p.tls, answer.crypto.first()) {
        (false, _) => None,
        (true, Some(theirs)) => {
            let ours = sdes::accepted(offered, theirs)
                .ok_or("the gateway answered a crypto line we did not offer")?;
            description.crypto = vec![ours.clone()];
            description.proto = SRTP.to_string();
            Some(SrtpKeys {
                suite: ours.suite,
                ours: ours.key.clone(),
                theirs: theirs.key.clone(),
            })
        }
        (true, None) => return Err("the gateway answered SRTP without a key".into()),
    };
    Ok(Settled {
        description,
        remote: SocketAddr::new(answer.addr, answer.port),
        law,
        tele_pt: answer.telephone_event_pt(),
        keys,
    })
}

/// The customer's side of the audio: it echoes what it hears (or speaks as `voice` says), and
/// keeps what it hears for the test.
fn start_media(
    socket: &mut Option<UdpSocket>,
    settled: Settled,
    heard: Heard,
    voice: watch::Receiver<Voice>,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let socket = socket.take().ok_or("media started twice")?;
    let (keys_tx, keys) = watch::channel(settled.keys);
    let Settled {
        remote,
        law,
        tele_pt,
        ..
    } = settled;
    Ok(tokio::spawn(async move {
        media(socket, remote, law, tele_pt, voice, keys, Some(heard), stop).await;
        drop(keys_tx);
    }))
}

/// CANCEL before an answer, BYE after.
async fn end(dialog: &rsipstack::dialog::invite_dialog::InviteDialog, answered: bool) {
    let ended = if answered {
        dialog.bye().await
    } else {
        dialog.cancel().await
    };
    if let Err(e) = ended {
        tracing::info!(error = %e, "simulator: hang-up of the call in not sent");
    }
}

fn terminated(reason: TerminatedReason, answered: bool, hung_up: bool) -> CallInEvent {
    match reason {
        // Our own BYE or CANCEL, whatever the far end answered it with (200, 487).
        _ if hung_up => CallInEvent::Ended { by_caller: true },
        _ if answered => CallInEvent::Ended { by_caller: false },
        other => CallInEvent::Rejected {
            status: crate::gateway::status_of(&other).0,
        },
    }
}
