//! A call's own task: its SIP leg, the owner's commands and the SIP leg's replies. Media runs
//! in a shared worker ([`super::media`]); this task tells the worker what the SIP side and the
//! owner change (trunk media, answer, ringback, recording, keys) and closes the media when the
//! call ends. Nothing here runs per packet.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::demux::LegId;
use super::media::{MediaCommand, Seat, ToWorker, WorkerHandle};
use super::sip_leg::{SipLeg, SipOutcome, SipProgress};
use super::{LegCommand, LegEvent};
use crate::tasks::log_joined;

pub(crate) struct Leg {
    pub id: LegId,
    /// Counts the call on its worker while this task runs.
    pub _seat: Seat,
    pub worker: WorkerHandle,
    pub sip: SipLeg,
    pub events: mpsc::UnboundedSender<LegEvent>,
    pub commands: mpsc::UnboundedReceiver<LegCommand>,
    /// Resolves when the worker dropped the call's media (str0m failed).
    pub media_ended: oneshot::Receiver<()>,
    /// Replies, BYE and CANCEL in flight.
    pub tasks: JoinSet<()>,
}

impl Leg {
    fn emit(&self, e: LegEvent) {
        // The owner dropping its receiver means it has finished with the call.
        if self.events.send(e).is_err() {
            tracing::debug!("leg event after the owner left");
        }
    }

    fn media(&self, command: MediaCommand) {
        self.worker.send(ToWorker::Command(self.id, command));
    }

    pub(crate) async fn run(mut self) {
        loop {
            tokio::select! {
                c = self.commands.recv() => match c {
                    Some(LegCommand::Close) | None => break,
                    Some(c) => self.on_command(c),
                },
                p = self.sip.progress() => match p {
                    SipProgress::State(s) => {
                        let outcomes = self.sip.on_state(*s, &mut self.tasks);
                        self.apply(outcomes);
                    }
                    SipProgress::Failed(e) => self.emit(e),
                },
                _ = &mut self.media_ended => break,
                Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => log_joined(done),
            }
        }
        // The recording's last audio goes to its sink before the SIP side is closed.
        self.worker.send(ToWorker::Close(self.id));
        self.sip.close().await;
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
                if let Some(e) = self.sip.end(bye, &mut self.tasks) {
                    self.emit(e);
                }
            }
            LegCommand::Ringback(on) => self.media(MediaCommand::Ringback(on)),
            LegCommand::Record(r) => self.media(MediaCommand::Record(r)),
            LegCommand::Hold(music) => self.media(MediaCommand::Hold(music)),
            LegCommand::Resume => self.media(MediaCommand::Resume),
            LegCommand::Close => {}
        }
    }

    fn apply(&mut self, outcomes: Vec<SipOutcome>) {
        for outcome in outcomes {
            match outcome {
                SipOutcome::Event(e) => self.emit(e),
                SipOutcome::Media(media) => self.media(MediaCommand::TrunkMedia(media)),
                SipOutcome::Answered => self.media(MediaCommand::Answered),
            }
        }
    }
}
