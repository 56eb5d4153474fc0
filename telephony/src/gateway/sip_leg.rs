//! The SIP side of a call leg: the INVITE and its offer, the dialog's states turned into
//! [`LegEvent`]s and trunk media, BYE or CANCEL, and in-dialog re-INVITE/UPDATE answered with
//! our side of the session (SDP version one higher each time, RFC 3264 §8). Replies, BYE and
//! CANCEL run as tasks in the leg's [`JoinSet`], so their failures are logged.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, TerminatedReason, TransactionHandle,
};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, Host, HostWithPort, Param, Scheme, StatusCode, Transport, Uri};
use rsipstack::transport::SipAddr;
use tokio::task::{JoinHandle, JoinSet};

use super::bridge::TrunkMedia;
use super::{LegEvent, TrunkConfig};
use crate::g711::G711;
use crate::sdp::{AudioDescription, Direction};
use crate::sip::SipEndpoint;
use crate::tasks::{redact_numbers, spawn_logged};

/// The payload type we offer telephone-event with on the SIP leg.
const TELEPHONE_EVENT_PT: u8 = 101;

pub(crate) type InviteResult = rsipstack::Result<(
    rsipstack::dialog::DialogId,
    Option<rsipstack::sip::Response>,
)>;

/// What a step of the SIP leg means for the rest of the call, in order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SipOutcome {
    Event(LegEvent),
    /// The trunk's SDP named (new) media.
    Media(TrunkMedia),
    /// The INVITE was answered: audio flows both ways.
    Answered,
}

/// Our side of the SIP leg's session description: one session id, a version that goes up by
/// one with every description we send.
#[derive(Debug)]
pub(crate) struct LocalSession {
    public_ip: IpAddr,
    rtp_port: u16,
    id: u64,
    version: u64,
}

impl LocalSession {
    pub(crate) fn new(public_ip: IpAddr, rtp_port: u16, id: u64) -> LocalSession {
        LocalSession {
            public_ip,
            rtp_port,
            id,
            version: 0,
        }
    }

    pub(crate) fn describe(&mut self, laws: &[G711], direction: Direction) -> String {
        let mut sdp = AudioDescription::g711(
            self.public_ip,
            self.rtp_port,
            laws,
            Some(TELEPHONE_EVENT_PT),
        );
        sdp.direction = direction;
        self.version += 1;
        sdp.render(self.id, self.version)
    }
}

/// The trunk's media from its SDP, or why it cannot carry the call.
pub(crate) fn trunk_media_from(body: &[u8]) -> Result<TrunkMedia, String> {
    let sdp = AudioDescription::parse(body).map_err(|e| format!("trunk SDP: {e}"))?;
    if sdp.is_srtp() {
        return Err("trunk SDP: SRTP (RTP/SAVP), which this gateway does not speak yet".into());
    }
    let law = sdp
        .first_g711()
        .ok_or_else(|| "trunk answered without G.711".to_string())?;
    if sdp.port == 0 || sdp.direction == Direction::Inactive {
        return Err("trunk answered with no audio".into());
    }
    Ok(TrunkMedia {
        remote: SocketAddr::new(sdp.addr, sdp.port),
        law,
        telephone_event_pt: sdp.telephone_event_pt(),
    })
}

/// How we answer a re-INVITE or UPDATE from the trunk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UpdateAnswer {
    /// 200 with our side: these laws in this direction, and the trunk's new media if it offered.
    Accept {
        laws: Vec<G711>,
        direction: Direction,
        media: Option<TrunkMedia>,
    },
    /// 488: no G.711 or no audio in the offer.
    NotAcceptable,
}

/// A session refresh, media change or hold from the trunk; `current` is the law in use.
pub(crate) fn answer_update(body: &[u8], current: G711) -> UpdateAnswer {
    if body.is_empty() {
        // An offer-less re-INVITE: we offer what we have.
        return UpdateAnswer::Accept {
            laws: vec![current],
            direction: Direction::SendRecv,
            media: None,
        };
    }
    let offer = match AudioDescription::parse(body) {
        Ok(offer) if offer.first_g711().is_some() => offer,
        _ => return UpdateAnswer::NotAcceptable,
    };
    let media = match trunk_media_from(body) {
        Ok(media) => media,
        Err(detail) => {
            tracing::warn!(%detail, "session update refused");
            return UpdateAnswer::NotAcceptable;
        }
    };
    let direction = match offer.direction {
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        d => d,
    };
    UpdateAnswer::Accept {
        laws: offer.first_g711().into_iter().collect(),
        direction,
        media: Some(media),
    }
}

/// Where the INVITE goes and who it is from.
pub(crate) struct SipTarget {
    pub endpoint: Arc<SipEndpoint>,
    pub trunk: TrunkConfig,
    /// The target as configured (a host name goes into the Request-URI) and its address.
    pub host: String,
    pub addr: SocketAddr,
    /// Empty until known ([`super::LegCommand::Dial`]).
    pub callee: String,
}

pub(crate) struct SipLeg {
    target: SipTarget,
    browser_law: G711,
    session: LocalSession,
    dialog: Option<InviteDialog>,
    states: Option<DialogStateReceiver>,
    invite: Option<JoinHandle<InviteResult>>,
    /// The law the trunk's media uses, once known.
    trunk_law: Option<G711>,
    answered: bool,
}

impl SipLeg {
    pub(crate) fn new(target: SipTarget, browser_law: G711, session: LocalSession) -> SipLeg {
        SipLeg {
            target,
            browser_law,
            session,
            dialog: None,
            states: None,
            invite: None,
            trunk_law: None,
            answered: false,
        }
    }

    /// The number to call, for a leg opened without one (ignored once the INVITE is out).
    pub(crate) fn set_callee(&mut self, callee: &str) {
        if self.dialog.is_none() {
            self.target.callee = callee.to_string();
        }
    }

    /// Sends the INVITE (once), offering the browser's law first.
    pub(crate) fn invite(&mut self) -> Option<LegEvent> {
        if self.dialog.is_some() {
            return None;
        }
        if self.target.callee.is_empty() {
            return Some(LegEvent::Failed {
                detail: "INVITE not sent: no number to call".into(),
            });
        }
        let other = match self.browser_law {
            G711::Pcmu => G711::Pcma,
            G711::Pcma => G711::Pcmu,
        };
        let offer = self
            .session
            .describe(&[self.browser_law, other], Direction::SendRecv);
        let t = &self.target;
        let host = host_of(&t.host, t.addr);
        let transport = t.trunk.transport.sip();
        let mut callee = sip_uri(&t.callee, host.clone());
        if transport != Transport::Udp {
            callee.params.push(Param::Transport(transport));
        }
        let caller = sip_uri(&t.trunk.caller_id, host);
        let credential = match (&t.trunk.username, &t.trunk.password) {
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
                    host: Host::IpAddr(t.addr.ip()),
                    port: Some(t.addr.port().into()),
                },
            }),
            contact: t.endpoint.contact(Some(&t.trunk.caller_id)),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.into_bytes()),
            credential,
            call_id: Some(format!("{:032x}@softphone", rand::random::<u128>())),
            ..Default::default()
        };
        let (states_tx, states_rx) = t.endpoint.dialogs.new_dialog_state_channel();
        match t.endpoint.dialogs.do_invite_async(opt, states_tx) {
            Ok((dialog, handle)) => {
                self.dialog = Some(dialog);
                self.states = Some(states_rx);
                self.invite = Some(handle);
                None
            }
            Err(e) => Some(LegEvent::Failed {
                detail: format!("INVITE not sent: {}", redact_numbers(&e.to_string())),
            }),
        }
    }

    /// BYE (`bye`) or CANCEL; with nothing sent yet the end is confirmed at once.
    pub(crate) fn end(&mut self, bye: bool, tasks: &mut JoinSet<()>) -> Option<LegEvent> {
        let Some(dialog) = self.dialog.clone() else {
            return Some(LegEvent::EndConfirmed);
        };
        if bye {
            spawn_logged(tasks, "BYE", async move { dialog.bye().await });
        } else {
            spawn_logged(tasks, "CANCEL", async move { dialog.cancel().await });
        }
        None
    }

    /// The dialog's next state, or the INVITE transaction's failure (pending while there is
    /// neither).
    pub(crate) async fn progress(&mut self) -> SipProgress {
        loop {
            tokio::select! {
                state = next_state(&mut self.states) => match state {
                    Some(state) => return SipProgress::State(Box::new(state)),
                    None => self.states = None,
                },
                result = join_invite(&mut self.invite) => {
                    self.invite = None;
                    if let Some(Err(e)) = result {
                        if self.dialog.is_some() && !self.answered {
                            let detail = format!("trunk: {}", redact_numbers(&e.to_string()));
                            return SipProgress::Failed(LegEvent::Failed { detail });
                        }
                    }
                }
            }
        }
    }

    pub(crate) fn on_state(
        &mut self,
        state: DialogState,
        tasks: &mut JoinSet<()>,
    ) -> Vec<SipOutcome> {
        let event = |e| vec![SipOutcome::Event(e)];
        match state {
            DialogState::Trying(_) => event(LegEvent::Trying),
            DialogState::Early(_, resp) => {
                let media = (!resp.body.is_empty())
                    .then(|| trunk_media_from(&resp.body).ok())
                    .flatten();
                match media {
                    Some(media) => {
                        self.trunk_law = Some(media.law);
                        vec![
                            SipOutcome::Media(media),
                            SipOutcome::Event(LegEvent::EarlyMedia),
                        ]
                    }
                    None => event(LegEvent::Ringing),
                }
            }
            DialogState::Confirmed(_, resp) => {
                if self.answered {
                    return vec![]; // a refresh or re-confirmation, not a new answer
                }
                let mut out = Vec::new();
                if !resp.body.is_empty() {
                    match trunk_media_from(&resp.body) {
                        Ok(media) => {
                            self.trunk_law = Some(media.law);
                            out.push(SipOutcome::Media(media));
                        }
                        Err(detail) => return event(LegEvent::Failed { detail }),
                    }
                } else if self.trunk_law.is_none() {
                    return event(LegEvent::Failed {
                        detail: "trunk answered without SDP".into(),
                    });
                }
                self.answered = true;
                out.push(SipOutcome::Answered);
                out.push(SipOutcome::Event(LegEvent::Answered));
                out
            }
            DialogState::Updated(_, request, handle) => {
                self.on_update(&request.body, handle, tasks)
            }
            DialogState::Options(_, _, handle) | DialogState::Info(_, _, handle) => {
                spawn_logged(tasks, "in-dialog reply", async move {
                    handle.reply(StatusCode::OK).await
                });
                vec![]
            }
            DialogState::Terminated(id, reason) => {
                self.target.endpoint.dialogs.remove_dialog(&id);
                let e = match reason {
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
                event(e)
            }
            _ => vec![],
        }
    }

    fn on_update(
        &mut self,
        body: &[u8],
        handle: TransactionHandle,
        tasks: &mut JoinSet<()>,
    ) -> Vec<SipOutcome> {
        let current = self.trunk_law.unwrap_or(self.browser_law);
        match answer_update(body, current) {
            UpdateAnswer::Accept {
                laws,
                direction,
                media,
            } => {
                let body = self.session.describe(&laws, direction).into_bytes();
                spawn_logged(tasks, "session update answer", async move {
                    handle
                        .respond(
                            StatusCode::OK,
                            Some(vec![Header::ContentType("application/sdp".into())]),
                            Some(body),
                        )
                        .await
                });
                match media {
                    Some(media) => {
                        self.trunk_law = Some(media.law);
                        vec![SipOutcome::Media(media)]
                    }
                    None => vec![],
                }
            }
            UpdateAnswer::NotAcceptable => {
                spawn_logged(tasks, "session update refusal", async move {
                    handle.reply(StatusCode::NotAcceptableHere).await
                });
                vec![]
            }
        }
    }

    /// Never leaves the far end up: a leg closed mid-call ends its SIP dialog.
    pub(crate) async fn close(mut self) {
        let Some(dialog) = self.dialog.take() else {
            return;
        };
        let id = dialog.id();
        let ended = if self.answered {
            dialog.bye().await
        } else {
            dialog.cancel().await
        };
        if let Err(e) = ended {
            let what = if self.answered { "BYE" } else { "CANCEL" };
            tracing::warn!(task = what, error = %redact_numbers(&e.to_string()), "failed at close");
        }
        self.target.endpoint.dialogs.remove_dialog(&id);
    }
}

/// What [`SipLeg::progress`] brings.
pub(crate) enum SipProgress {
    /// Boxed: a dialog state carries a whole SIP message.
    State(Box<DialogState>),
    /// The INVITE failed before an answer.
    Failed(LegEvent),
}

async fn next_state(states: &mut Option<DialogStateReceiver>) -> Option<DialogState> {
    match states {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn join_invite(invite: &mut Option<JoinHandle<InviteResult>>) -> Option<InviteResult> {
    match invite {
        Some(handle) => handle.await.ok(),
        None => std::future::pending().await,
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

pub(crate) fn host_of(target_host: &str, addr: SocketAddr) -> HostWithPort {
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

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n\
                         m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

    #[test]
    fn every_description_we_send_has_a_higher_version() {
        let mut s = LocalSession::new("192.0.2.1".parse().unwrap(), 5004, 77);
        let first = s.describe(&[G711::Pcmu, G711::Pcma], Direction::SendRecv);
        let second = s.describe(&[G711::Pcmu], Direction::RecvOnly);
        assert!(first.contains("o=- 77 1 IN IP4 192.0.2.1"), "{first}");
        assert!(second.contains("o=- 77 2 IN IP4 192.0.2.1"), "{second}");
        assert!(second.contains("a=recvonly"), "{second}");
        assert!(first.contains("m=audio 5004 RTP/AVP 0 8 101"), "{first}");
    }

    #[test]
    fn trunk_media_is_its_address_first_law_and_event_type() {
        let media = trunk_media_from(TRUNK.as_bytes()).unwrap();
        assert_eq!(
            media,
            TrunkMedia {
                remote: "10.0.0.9:4000".parse().unwrap(),
                law: G711::Pcma,
                telephone_event_pt: Some(101),
            }
        );
        let rejected = TRUNK.replace("audio 4000", "audio 0");
        assert_eq!(
            trunk_media_from(rejected.as_bytes()),
            Err("trunk answered with no audio".into())
        );
    }

    #[test]
    fn updates_are_answered_with_the_mirrored_direction_or_refused() {
        // No offer: we offer the law in use, sendrecv.
        assert_eq!(
            answer_update(b"", G711::Pcmu),
            UpdateAnswer::Accept {
                laws: vec![G711::Pcmu],
                direction: Direction::SendRecv,
                media: None
            }
        );
        // Hold: sendonly is answered recvonly, with the offer's first law.
        let hold = format!("{TRUNK}a=sendonly\r\n");
        match answer_update(hold.as_bytes(), G711::Pcmu) {
            UpdateAnswer::Accept {
                laws,
                direction,
                media,
            } => {
                assert_eq!(laws, [G711::Pcma]);
                assert_eq!(direction, Direction::RecvOnly);
                assert_eq!(media.map(|m| m.law), Some(G711::Pcma));
            }
            other => panic!("{other:?}"),
        }
        let opus = TRUNK.replace("RTP/AVP 8 0 101", "RTP/AVP 111");
        assert_eq!(
            answer_update(opus.as_bytes(), G711::Pcmu),
            UpdateAnswer::NotAcceptable
        );
        let inactive = format!("{TRUNK}a=inactive\r\n");
        assert_eq!(
            answer_update(inactive.as_bytes(), G711::Pcmu),
            UpdateAnswer::NotAcceptable
        );
    }
}
