//! The SIP side of a call leg: the INVITE and its offer, the dialog's states turned into
//! [`LegEvent`]s and trunk media, BYE or CANCEL, and in-dialog re-INVITE/UPDATE answered with
//! our side of the session ([`super::trunk_sdp`] writes and reads the bodies). Replies, BYE and
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
use super::trunk_sdp::{LocalSession, UpdateAnswer};
use super::{LegEvent, TrunkConfig};
use crate::g711::G711;
use crate::sip::SipEndpoint;
use crate::tasks::{redact_numbers, spawn_logged};

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
    /// A call in (we are the UAS): our answer to the trunk's offer, sent on accept.
    inbound: Option<Answering>,
    /// The far end holds us (its last session update was `sendonly` or `inactive`).
    remote_held: bool,
}

/// A call in's answer: the 200's SDP until it is sent.
struct Answering {
    body: Option<Vec<u8>>,
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
            inbound: None,
            remote_held: false,
        }
    }

    /// The SIP side of a call in: the trunk's offer answered now (its media known at once), the
    /// 200 sent on [`SipLeg::accept`].
    pub(crate) fn incoming(
        target: SipTarget,
        browser_law: G711,
        mut session: LocalSession,
        call: &mut super::inbound::IncomingCall,
    ) -> Result<(SipLeg, TrunkMedia), String> {
        let (Some(dialog), Some(states)) = (call.dialog.take(), call.states.take()) else {
            return Err("the call in has ended".into());
        };
        let (body, media) = match session.answer_update(&call.offer, browser_law) {
            UpdateAnswer::Accept {
                body,
                media: Some(media),
                ..
            } => (body, media),
            _ => {
                let _ = dialog.reject(Some(StatusCode::NotAcceptableHere), None);
                target.endpoint.dialogs.remove_dialog(&dialog.id());
                return Err("the trunk's offer cannot be answered".into());
            }
        };
        let leg = SipLeg {
            target,
            browser_law,
            session,
            dialog: Some(dialog),
            states: Some(states),
            invite: None,
            trunk_law: Some(media.law),
            answered: false,
            inbound: Some(Answering {
                body: Some(body.into_bytes()),
            }),
            remote_held: false,
        };
        Ok((leg, media))
    }

    /// A call in: sends the 200 with our answer (once). Nothing for a call out.
    pub(crate) fn accept(&mut self) -> Option<LegEvent> {
        let body = self.inbound.as_mut()?.body.take()?;
        let dialog = self.dialog.as_ref()?;
        let headers = vec![Header::ContentType("application/sdp".into())];
        match dialog.accept(Some(headers), Some(body)) {
            Ok(()) => None,
            Err(e) => Some(LegEvent::Failed {
                detail: format!("200 not sent: {}", redact_numbers(&e.to_string())),
            }),
        }
    }

    /// The call is up: our INVITE was answered, or a call in's 200 was confirmed.
    pub(crate) fn answered(&self) -> bool {
        self.answered
    }

    /// The law the trunk's media uses, once known.
    pub(crate) fn trunk_law(&self) -> Option<G711> {
        self.trunk_law
    }

    /// The 200 has gone out (a call in).
    fn accepted(&self) -> bool {
        self.inbound.as_ref().is_some_and(|a| a.body.is_none())
    }

    /// The number to call, for a leg opened without one (ignored once the INVITE is out).
    pub(crate) fn set_callee(&mut self, callee: &str) {
        if self.dialog.is_none() {
            self.target.callee = callee.to_string();
        }
    }

    /// Sends the INVITE (once), offering the browser's law first.
    pub(crate) fn invite(&mut self) -> Option<LegEvent> {
        if self.dialog.is_some() || self.inbound.is_some() {
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
        let offer = self.session.offer(&[self.browser_law, other]);
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
        if self.inbound.is_some() && !self.accepted() {
            // A call in not answered yet: refused, and that is the end.
            let _ = dialog.reject(Some(StatusCode::TemporarilyUnavailable), None);
            self.target.endpoint.dialogs.remove_dialog(&dialog.id());
            self.dialog = None;
            return Some(LegEvent::EndConfirmed);
        }
        if bye || self.inbound.is_some() {
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
        let inbound = self.inbound.is_some();
        match state {
            // A call in's own progress (our 180, our 200 waiting for its ACK).
            DialogState::Trying(_) | DialogState::Early(..) | DialogState::WaitAck(..)
                if inbound =>
            {
                vec![]
            }
            DialogState::Confirmed(..) if inbound => {
                if self.answered {
                    return vec![];
                }
                self.answered = true;
                if let Some(suite) = self.session.suite() {
                    tracing::info!(suite = suite.name(), "trunk media encrypted (SRTP)");
                }
                vec![SipOutcome::Answered, SipOutcome::Event(LegEvent::Answered)]
            }
            DialogState::Trying(_) => event(LegEvent::Trying),
            DialogState::Early(_, resp) => {
                let media = (!resp.body.is_empty())
                    .then(|| self.session.take_answer(&resp.body).ok())
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
                    match self.session.take_answer(&resp.body) {
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
                if let Some(suite) = self.session.suite() {
                    tracing::info!(suite = suite.name(), "trunk media encrypted (SRTP)");
                }
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
                    // A call in: the caller (the UAC) hung up, or we did.
                    TerminatedReason::UacBye | TerminatedReason::UacCancel if inbound => {
                        LegEvent::RemoteBye
                    }
                    TerminatedReason::UasBye if inbound => LegEvent::EndConfirmed,
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
        match self.session.answer_update(body, current) {
            UpdateAnswer::Accept { body, media, held } => {
                let body = body.into_bytes();
                spawn_logged(tasks, "session update answer", async move {
                    handle
                        .respond(
                            StatusCode::OK,
                            Some(vec![Header::ContentType("application/sdp".into())]),
                            Some(body),
                        )
                        .await
                });
                let mut out = Vec::new();
                if let Some(media) = media {
                    self.trunk_law = Some(media.law);
                    out.push(SipOutcome::Media(media));
                }
                if let Some(held) = held.filter(|h| *h != self.remote_held) {
                    self.remote_held = held;
                    out.push(SipOutcome::Event(LegEvent::RemoteHold(held)));
                }
                out
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
        if self.inbound.is_some() && !self.answered && !self.accepted() {
            let _ = dialog.reject(Some(StatusCode::TemporarilyUnavailable), None);
            self.target.endpoint.dialogs.remove_dialog(&id);
            return;
        }
        let ended = if self.answered || self.inbound.is_some() {
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

pub(crate) fn status_of(reason: &TerminatedReason) -> (u16, String) {
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
