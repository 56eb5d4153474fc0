//! A call's own task: its SIP leg, the owner's commands and the SIP leg's replies. Media runs
//! in a shared worker ([`super::media`]); this task tells the worker what the SIP side and the
//! owner change (trunk media, answer, ringback, recording, keys) and closes the media when the
//! call ends. Nothing here runs per packet.
//!
//! A blind transfer to a number is a second SIP leg in this same task (the target's), its
//! media on the same worker: dialled on [`LegCommand::TransferToNumber`], given up after its
//! ring time, and once answered the two trunks are joined. From then on either side hanging
//! up ends the other with a BYE and the task ends, whether or not the owner still listens.
//! A warm transfer (`consult`) stops at the answer with the agent talking to the target, and
//! joins on [`LegCommand::CompleteTransfer`]; [`LegCommand::CancelTransfer`], the target's
//! hang-up or the customer's end the consultation instead.

use std::ops::ControlFlow;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::bridge::TargetStream;
use super::demux::LegId;
use super::media::{MediaCommand, Seat, TargetSide, ToWorker, WorkerHandle};
use super::sip_leg::{SipLeg, SipOutcome, SipProgress};
use super::{Dialler, LegCommand, LegEvent, TransferEvent, TransferFailure, TransferParty};
use crate::tasks::{log_joined, redact_numbers};

pub(crate) struct Leg {
    id: LegId,
    /// Counts the call on its worker while this task runs.
    _seat: Seat,
    worker: WorkerHandle,
    sip: SipLeg,
    events: mpsc::UnboundedSender<LegEvent>,
    commands: mpsc::UnboundedReceiver<LegCommand>,
    /// Resolves when the worker dropped the call's media (str0m failed).
    media_ended: oneshot::Receiver<()>,
    /// Replies, BYE and CANCEL in flight.
    tasks: JoinSet<()>,
    /// Places a transfer's call.
    dialler: Dialler,
    transfer: Option<Transfer>,
    /// The owner dropped its handle after the call was joined to a transfer's target: the
    /// call runs on until a side hangs up.
    owner_gone: bool,
    /// Another agent's browser is consulted ([`LegCommand::ConsultingBrowser`]).
    browser_consult: bool,
}

/// A transfer to a number under way.
struct Transfer {
    sip: SipLeg,
    /// When it stops ringing (until the answer).
    deadline: Option<Instant>,
    /// The trunk answered something (100, 18x): a silent one is unreachable, not unanswered.
    heard: bool,
    rang: bool,
    /// A warm transfer: the answer starts a consultation rather than the join.
    consult: bool,
    /// The target answered a warm transfer and the agent talks with it.
    consulting: bool,
    joined: bool,
}

impl Leg {
    pub(crate) fn new(
        id: LegId,
        worker: WorkerHandle,
        sip: SipLeg,
        events: mpsc::UnboundedSender<LegEvent>,
        commands: mpsc::UnboundedReceiver<LegCommand>,
        media_ended: oneshot::Receiver<()>,
        dialler: Dialler,
    ) -> Leg {
        Leg {
            id,
            _seat: worker.seat(),
            worker,
            sip,
            events,
            commands,
            media_ended,
            tasks: JoinSet::new(),
            dialler,
            transfer: None,
            owner_gone: false,
            browser_consult: false,
        }
    }

    fn emit(&self, e: LegEvent) {
        // The owner dropping its receiver means it has finished with the call.
        if self.events.send(e).is_err() {
            tracing::debug!("leg event after the owner left");
        }
    }

    fn media(&self, command: MediaCommand) {
        self.worker.send(ToWorker::Command(self.id, command));
    }

    /// The call is trunk to trunk (a transfer's target answered).
    fn joined(&self) -> bool {
        self.transfer.as_ref().is_some_and(|t| t.joined)
    }

    /// The agent talks with a warm transfer's target.
    fn consulting(&self) -> bool {
        self.transfer.as_ref().is_some_and(|t| t.consulting)
    }

    pub(crate) async fn run(mut self) {
        tracing::debug!(leg = self.id, "gateway leg opened");
        loop {
            let ring_until = self.transfer.as_ref().and_then(|t| t.deadline);
            let flow = tokio::select! {
                c = self.commands.recv(), if !self.owner_gone => match c {
                    Some(LegCommand::Close) => ControlFlow::Break(()),
                    // A joined call no longer needs its owner: it ends when a side hangs up.
                    None if self.joined() => {
                        self.owner_gone = true;
                        ControlFlow::Continue(())
                    }
                    None => ControlFlow::Break(()),
                    Some(LegCommand::TransferToNumber { callee, ring_timeout, consult }) => {
                        self.transfer_to(&callee, ring_timeout, consult).await;
                        ControlFlow::Continue(())
                    }
                    Some(c) => {
                        self.on_command(c);
                        ControlFlow::Continue(())
                    }
                },
                p = self.sip.progress() => match p {
                    SipProgress::State(s) => {
                        let outcomes = self.sip.on_state(*s, &mut self.tasks);
                        self.apply(outcomes)
                    }
                    SipProgress::Failed(e) => {
                        self.emit(e);
                        ControlFlow::Continue(())
                    }
                },
                p = target_progress(&mut self.transfer) => self.on_target(p),
                _ = sleep_until(ring_until) => {
                    let heard = self.transfer.as_ref().is_some_and(|t| t.heard);
                    let reason = if heard {
                        TransferFailure::NoAnswer
                    } else {
                        TransferFailure::Unreachable
                    };
                    self.transfer_failed(reason, None);
                    ControlFlow::Continue(())
                }
                _ = &mut self.media_ended => ControlFlow::Break(()),
                Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => {
                    log_joined(done);
                    ControlFlow::Continue(())
                }
            };
            if flow.is_break() {
                break;
            }
        }
        // The recording's last audio goes to its sink before the SIP side is closed. Neither
        // trunk is left up: each gets its BYE (or CANCEL) if it still needs one.
        self.worker.send(ToWorker::Close(self.id));
        let target = self.transfer.take().map(|t| t.sip);
        let customer = self.sip;
        tokio::join!(customer.close(), async {
            if let Some(target) = target {
                target.close().await;
            }
        });
        tracing::debug!(leg = self.id, "gateway leg closed");
        crate::tasks::drain(&mut self.tasks).await;
    }

    fn on_command(&mut self, c: LegCommand) {
        match c {
            LegCommand::Invite => {
                if let Some(e) = self.sip.invite() {
                    self.emit(e);
                }
            }
            LegCommand::Accept => {
                if let Some(e) = self.sip.accept() {
                    self.emit(e);
                }
            }
            LegCommand::Dial { callee } => {
                self.sip.set_callee(&callee);
                self.media(MediaCommand::Callee(callee));
                if let Some(e) = self.sip.invite() {
                    self.emit(e);
                }
            }
            LegCommand::SendDigits { digits, tone } => {
                self.media(MediaCommand::SendDigits { digits, tone })
            }
            LegCommand::Cancel | LegCommand::Bye => {
                let bye = matches!(c, LegCommand::Bye);
                self.browser_consult_over();
                if self.joined() {
                    // The owner ends a transferred call (its duration limit): both trunks.
                    if let Some(t) = self.transfer.as_mut() {
                        if let Some(e) = t.sip.end(true, &mut self.tasks) {
                            tracing::debug!(?e, "transfer target already gone");
                        }
                    }
                } else if self.consulting() {
                    // Hanging up while consulting: the target is hung up on too.
                    self.consultation_over(None);
                } else if self.transfer.is_some() {
                    // Hanging up while the transfer rings: it stops, and the call ends.
                    self.transfer_failed(TransferFailure::Cancelled, None);
                }
                if let Some(e) = self.sip.end(bye, &mut self.tasks) {
                    self.emit(e);
                }
            }
            LegCommand::Ringback(on) => self.media(MediaCommand::Ringback(on)),
            LegCommand::Record(r) => self.media(MediaCommand::Record(r)),
            LegCommand::Hold(music) => self.media(MediaCommand::Hold(music)),
            LegCommand::Resume => self.media(MediaCommand::Resume),
            LegCommand::ConsultingBrowser => {
                if self.transfer.is_some() {
                    // The owner consults one at a time; this one is not followed.
                    tracing::warn!(leg = self.id, "a browser consulted during a transfer");
                }
                self.browser_consult = true;
            }
            LegCommand::CancelTransfer if self.browser_consult => self.browser_consult_over(),
            LegCommand::CancelTransfer => {
                if self.consulting() {
                    self.consultation_over(None);
                } else if self.transfer.is_some() && !self.joined() {
                    self.transfer_failed(TransferFailure::Cancelled, None);
                }
            }
            LegCommand::CompleteTransfer => {
                let Some(t) = self.transfer.as_mut().filter(|t| t.consulting) else {
                    tracing::debug!(leg = self.id, "no consultation to complete");
                    return;
                };
                t.consulting = false;
                t.joined = true;
                tracing::info!(
                    leg = self.id,
                    "consultation completed: the call is trunk to trunk"
                );
                self.media(MediaCommand::TargetAnswered);
                self.emit(LegEvent::Transfer(TransferEvent::Answered));
            }
            // Taken by the run loop.
            LegCommand::TransferToNumber { .. } | LegCommand::Close => {}
        }
    }

    /// A consulted browser's link goes: the browser is back with the customer (still held).
    fn browser_consult_over(&mut self) {
        if std::mem::take(&mut self.browser_consult) {
            tracing::info!(leg = self.id, "browser consultation over");
            self.media(MediaCommand::TargetGone);
        }
    }

    /// Dials the transfer's target (the number is the owner's, already allowed; never logged).
    async fn transfer_to(&mut self, callee: &str, ring_timeout: Duration, consult: bool) {
        let not_now = |e: &Self| {
            e.emit(LegEvent::Transfer(TransferEvent::Failed {
                reason: TransferFailure::NotNow,
                status: None,
            }))
        };
        if self.transfer.is_some() || !self.sip.answered() {
            return not_now(self);
        }
        // The customer's law first: no transcoding when the target takes it.
        let Some(law) = self.sip.trunk_law() else {
            return not_now(self);
        };
        let (mut sip, socket) = match self.dialler.leg(callee, law).await {
            Ok(leg) => leg,
            Err(e) => {
                tracing::warn!(error = %e, "transfer not dialled");
                self.emit(LegEvent::Transfer(TransferEvent::Failed {
                    reason: TransferFailure::Unreachable,
                    status: None,
                }));
                return;
            }
        };
        let stream = TargetStream {
            ssrc: rand::random(),
            first_sequence: rand::random(),
            first_timestamp: rand::random(),
        };
        self.media(MediaCommand::TargetDialled(Box::new(TargetSide {
            socket,
            stream,
        })));
        if let Some(e) = sip.invite() {
            tracing::warn!(?e, "transfer INVITE not sent");
            self.media(MediaCommand::TargetGone);
            self.emit(LegEvent::Transfer(TransferEvent::Failed {
                reason: TransferFailure::Unreachable,
                status: None,
            }));
            return;
        }
        tracing::info!(leg = self.id, consult, "transfer to a number: dialling");
        self.transfer = Some(Transfer {
            sip,
            deadline: Some(Instant::now() + ring_timeout),
            heard: false,
            rang: false,
            consult,
            consulting: false,
            joined: false,
        });
    }

    /// The transfer did not happen: the target's call is ended (CANCEL) in the background and
    /// the call goes on as it was.
    fn transfer_failed(&mut self, reason: TransferFailure, status: Option<u16>) {
        if let Some(t) = self.transfer.take() {
            // Its dialog is removed once the CANCEL (or a late answer's BYE) is done.
            self.tasks.spawn(t.sip.close());
        }
        tracing::info!(
            leg = self.id,
            ?reason,
            ?status,
            "transfer to a number failed"
        );
        self.media(MediaCommand::TargetGone);
        self.emit(LegEvent::Transfer(TransferEvent::Failed { reason, status }));
    }

    /// The consultation is over without a transfer: the target is hung up on (BYE) unless it
    /// hung up itself, and the browser is back with the customer (still held).
    fn consultation_over(&mut self, hung_up: Option<TransferParty>) {
        if let Some(t) = self.transfer.take() {
            if hung_up != Some(TransferParty::Target) {
                self.tasks.spawn(t.sip.close());
            }
        }
        tracing::info!(leg = self.id, ?hung_up, "consultation over");
        self.media(MediaCommand::TargetGone);
        self.emit(LegEvent::Transfer(TransferEvent::ConsultEnded { hung_up }));
    }

    fn on_target(&mut self, p: SipProgress) -> ControlFlow<()> {
        match p {
            SipProgress::State(s) => {
                let Some(t) = self.transfer.as_mut() else {
                    return ControlFlow::Continue(());
                };
                let outcomes = t.sip.on_state(*s, &mut self.tasks);
                for outcome in outcomes {
                    self.on_target_outcome(outcome)?;
                }
                ControlFlow::Continue(())
            }
            // The INVITE failed before an answer (transport, no response).
            SipProgress::Failed(_) if !self.joined() && !self.consulting() => {
                self.transfer_failed(TransferFailure::Unreachable, None);
                ControlFlow::Continue(())
            }
            SipProgress::Failed(_) => ControlFlow::Continue(()),
        }
    }

    fn on_target_outcome(&mut self, outcome: SipOutcome) -> ControlFlow<()> {
        let joined = self.joined();
        let consulting = self.consulting();
        let Some(t) = self.transfer.as_mut() else {
            return ControlFlow::Continue(());
        };
        match outcome {
            SipOutcome::Media(media) => self.media(MediaCommand::TargetMedia(media)),
            SipOutcome::Answered if t.consult => {
                t.consulting = true;
                t.deadline = None;
                tracing::info!(leg = self.id, "transfer answered: consulting");
                self.media(MediaCommand::TargetConsulted);
            }
            SipOutcome::Answered => {
                t.joined = true;
                t.deadline = None;
                tracing::info!(
                    leg = self.id,
                    "transfer answered: the call is trunk to trunk"
                );
                self.media(MediaCommand::TargetAnswered);
            }
            SipOutcome::Event(LegEvent::Trying) => t.heard = true,
            SipOutcome::Event(LegEvent::Ringing | LegEvent::EarlyMedia) => {
                t.heard = true;
                if !std::mem::replace(&mut t.rang, true) {
                    self.emit(LegEvent::Transfer(TransferEvent::Ringing));
                }
            }
            SipOutcome::Event(LegEvent::Answered) if t.consult => {
                self.emit(LegEvent::Transfer(TransferEvent::Consulting))
            }
            SipOutcome::Event(LegEvent::Answered) => {
                self.emit(LegEvent::Transfer(TransferEvent::Answered))
            }
            // The target hung up while consulting: the agent is back with the customer.
            SipOutcome::Event(LegEvent::RemoteBye | LegEvent::Rejected { .. }) if consulting => {
                self.consultation_over(Some(TransferParty::Target));
            }
            // The target hung up (or its dialog ended otherwise) after the answer: the customer
            // gets its BYE as the task ends.
            SipOutcome::Event(LegEvent::RemoteBye | LegEvent::Rejected { .. }) if joined => {
                self.emit(LegEvent::Transfer(TransferEvent::Ended {
                    hung_up: TransferParty::Target,
                }));
                return ControlFlow::Break(());
            }
            SipOutcome::Event(LegEvent::Rejected { status, .. }) => {
                // Its dialog is over already: nothing to cancel.
                self.transfer = None;
                self.media(MediaCommand::TargetGone);
                let reason = TransferFailure::of_status(status);
                tracing::info!(
                    leg = self.id,
                    ?reason,
                    status,
                    "transfer to a number failed"
                );
                self.emit(LegEvent::Transfer(TransferEvent::Failed {
                    reason,
                    status: Some(status),
                }));
            }
            SipOutcome::Event(LegEvent::Failed { detail }) if !joined && !consulting => {
                // An answer we cannot use (no or bad SDP).
                let detail = redact_numbers(&detail);
                tracing::warn!(%detail, "transfer target's answer unusable");
                self.transfer_failed(TransferFailure::Refused, None);
            }
            // Our own BYE confirmed, the target holding us, anything of no consequence.
            SipOutcome::Event(_) => {}
        }
        ControlFlow::Continue(())
    }

    fn apply(&mut self, outcomes: Vec<SipOutcome>) -> ControlFlow<()> {
        for outcome in outcomes {
            match outcome {
                // The customer hung up a transferred call: the target gets its BYE as the task
                // ends.
                SipOutcome::Event(LegEvent::RemoteBye) if self.joined() => {
                    self.emit(LegEvent::Transfer(TransferEvent::Ended {
                        hung_up: TransferParty::Customer,
                    }));
                    return ControlFlow::Break(());
                }
                // The customer hung up while the agent consulted: the target is hung up on too,
                // and the call ends.
                SipOutcome::Event(LegEvent::RemoteBye) if self.consulting() => {
                    self.consultation_over(Some(TransferParty::Customer));
                    self.emit(LegEvent::RemoteBye);
                }
                SipOutcome::Event(LegEvent::RemoteBye) if self.browser_consult => {
                    self.browser_consult_over();
                    self.emit(LegEvent::RemoteBye);
                }
                // The customer hung up while the transfer rang: nobody is left to transfer.
                SipOutcome::Event(LegEvent::RemoteBye) if self.transfer.is_some() => {
                    self.transfer_failed(TransferFailure::Cancelled, None);
                    self.emit(LegEvent::RemoteBye);
                }
                SipOutcome::Event(e) => self.emit(e),
                SipOutcome::Media(media) => self.media(MediaCommand::TrunkMedia(media)),
                SipOutcome::Answered => self.media(MediaCommand::Answered),
            }
        }
        ControlFlow::Continue(())
    }
}

/// The transfer target's next SIP step (pending while there is no transfer).
async fn target_progress(transfer: &mut Option<Transfer>) -> SipProgress {
    match transfer {
        Some(t) => t.sip.progress().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
