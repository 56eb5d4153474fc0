//! One call from the browser's offer (or its request to join the call's Chime meeting) to its
//! end: the domain state machine (`app::domain::call`) driving the call's media
//! ([`super::media::Media`]), writing the call record and telling the user's tabs as it goes.

use std::sync::Arc;
use std::time::Duration;

use app::api::live::{LiveCall, LiveRecordingState, RecordAction, TransferState};
use app::api::metrics;
use app::domain::call::{Call, CallState, HangupBy, Input, Output, TrunkEvent, SHUTDOWN_CAUSE};
use app::domain::calls::{CallRecord, Direction, EndReason};
use app::domain::recordings::{Recording, RecordingMode};
use sma::flow::CallProgress;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::chime_leg::{ChimeLeg, JoinInfo, LegProgress};
use super::incoming::{caller_gone, IncomingLeg};
use super::media::{Media, MediaCommand, MediaEvent, RecordStep};
use super::transfer::TakenCall;
use super::{HubInner, Provider};

mod consult;
mod recording;
mod saving;
mod to_number;
mod transfer;

pub(super) use saving::save_record;

use recording::DeliveredRecording;
use to_number::NumberTransfer;
use transfer::{HandingOver, PendingTransfer};

/// The refusal of hold before the answer (or after the end).
const NOT_ANSWERED_HOLD: &str = "a call can be held once it is answered";
/// The refusal of a transfer before the answer (or after the end).
const NOT_ANSWERED_TRANSFER: &str = "a call can be transferred once it is answered";

pub(crate) enum SessionCommand {
    Offer {
        connection: u64,
        sdp: String,
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// The tab asks for the call's Chime meeting.
    Join {
        connection: u64,
        reply: oneshot::Sender<Result<JoinInfo, String>>,
    },
    /// Keys for the called party, where the media carries no DTMF (Chime).
    Digits {
        digits: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The SIP media application handler's progress for this call.
    Progress {
        sequence: u64,
        progress: CallProgress,
    },
    Hangup,
    /// A REST call waiting for the agent's confirmation was not taken up.
    Decline {
        timed_out: bool,
    },
    Mute(bool),
    /// The agent holds the call (`true`) or takes it back.
    Hold {
        on_hold: bool,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Record {
        action: RecordAction,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The agent hands the call to agent `to` (docs/telephony.md, "Transfer"), or with
    /// `consult` talks with them first.
    Transfer {
        to: String,
        consult: bool,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// `to` answered a consultation on `connection`: their tab's offer follows.
    ConsultAnswered {
        to: String,
        connection: u64,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The agent sends the call on to a phone number, or with `consult` talks with it first
    /// (docs/telephony.md, "Transfer").
    TransferToNumber {
        number: String,
        consult: bool,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The agent connects the far end with the number consulted.
    CompleteTransfer {
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// `to` answered the transfer on `connection`: the call becomes theirs. The reply says
    /// whether it did.
    HandOver {
        to: String,
        connection: u64,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The transfer did not go through: the call stays with this agent, held.
    TransferEnded(TransferState),
    ConnectionClosed(u64),
}

pub(crate) struct Session {
    hub: Arc<HubInner>,
    owner: String,
    record: CallRecord,
    live: LiveCall,
    commands: mpsc::UnboundedReceiver<SessionCommand>,
    /// The "always" preference's automatic start was made (once, even if it failed).
    auto_recorded: bool,
    /// The recording's writer (or the wait for the provider's file), awaited once the call is
    /// over so its end is logged, not lost.
    recording_done: Option<JoinHandle<Option<Recording>>>,
    /// A recording the provider makes (Chime), until its file is awaited.
    delivered: Option<DeliveredRecording>,
    /// A call in, until the agent's offer (or meeting request) answers it (dropped
    /// unanswered: the caller gets 480).
    incoming: Option<IncomingLeg>,
    /// A call a colleague handed over, until this agent's offer takes its media (dropped
    /// untaken, the far end is hung up on).
    taken: Option<TakenCall>,
    /// When a taken call was first answered (its duration limit counts from then).
    taken_answered_at: Option<u64>,
    transfer: Option<PendingTransfer>,
    /// A transfer to a phone number, from its admission until it is answered or fails.
    to_number: Option<NumberTransfer>,
    /// Once the call ended here, its media goes to the agent who answered its transfer.
    handing_over: Option<HandingOver>,
    /// A colleague consulted about the call (a warm transfer to an agent).
    consult: Option<consult::Consultation>,
    /// While the store does not take the record: its latest version, for the retries
    /// (`saving.rs`).
    retrying: Option<tokio::sync::watch::Sender<CallRecord>>,
    /// When the call went out to the trunk, until it rang or was answered (its post-dial
    /// delay is then counted).
    invited_at: Option<u64>,
    /// The gateway's latest report of how the trunk's audio arrives, kept with the call's
    /// quality at its end (docs/quality.md).
    trunk_reception: Option<telephony::reception::ReceptionSummary>,
}

impl Session {
    pub fn new(
        hub: Arc<HubInner>,
        owner: String,
        record: CallRecord,
        live: LiveCall,
        commands: mpsc::UnboundedReceiver<SessionCommand>,
        incoming: Option<IncomingLeg>,
        taken: Option<TakenCall>,
    ) -> Self {
        Session {
            hub,
            owner,
            record,
            live,
            commands,
            auto_recorded: false,
            recording_done: None,
            delivered: None,
            incoming,
            taken_answered_at: taken.as_ref().map(|t| t.answered_at),
            taken,
            transfer: None,
            to_number: None,
            handing_over: None,
            consult: None,
            retrying: None,
            invited_at: None,
            trunk_reception: None,
        }
    }

    fn inbound(&self) -> bool {
        self.record.direction == Direction::Inbound
    }

    fn now(&self) -> u64 {
        self.hub.clock.now_ms()
    }

    pub async fn run(mut self) {
        // A call taken after a consultation: the taker's browser is in it already.
        if let Some(connection) = self.taken.as_ref().and_then(|t| t.connected_on) {
            if let Some(taken) = self.taken.take() {
                self.live.media_connection = Some(connection);
                self.run_call(taken.media).await;
                return;
            }
        }
        let Some(media) = self.wait_for_media().await else {
            return;
        };
        let Some(media) = self.wait_for_browser_audio(media).await else {
            return;
        };
        self.run_call(media).await;
        // The leg is gone, so the recording's audio has ended: its writer finishes on its own.
        if let Some(done) = self.recording_done.take() {
            if let Err(e) = done.await {
                tracing::error!(call = %self.record.id, error = %e, "the recording's writer failed; recovered at the next start");
            }
        }
    }

    /// Until the browser's offer (or its request to join the meeting) arrives: a hang-up or a
    /// timeout ends the call before anything reaches the provider.
    async fn wait_for_media(&mut self) -> Option<Media> {
        // A call the agent confirms first waits for that too.
        let confirming = if self.live.confirm {
            Duration::from_millis(app::api::live::CONFIRM_WINDOW_MS)
        } else {
            Duration::ZERO
        };
        let deadline = tokio::time::sleep(self.hub.offer_timeout + confirming);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = caller_gone(&mut self.incoming) => {
                    self.finish(EndReason::Missed, HangupBy::Remote, Some("the caller hung up".into())).await;
                    return None;
                }
                _ = self.hub.stopping.cancelled() => {
                    self.finish(EndReason::Interrupted, HangupBy::System, Some(SHUTDOWN_CAUSE.into())).await;
                    return None;
                }
                _ = &mut deadline => {
                    let cause = match self.hub.provider {
                        Provider::Chime(_) => "the browser did not ask for the call's meeting",
                        _ => "the browser sent no audio offer",
                    };
                    self.finish(EndReason::Failed, HangupBy::System, Some(cause.into())).await;
                    return None;
                }
                c = self.commands.recv() => match c {
                    Some(SessionCommand::Offer { connection, sdp, reply }) => {
                        let Provider::Gateway(gateway) = self.hub.provider.clone() else {
                            let _ = reply.send(Err(self.wrong_path("an audio offer")));
                            continue;
                        };
                        let opened = match (self.taken.take(), self.incoming.as_mut()) {
                            // This browser takes the call's browser side.
                            (Some(TakenCall { media: Media::Gateway(leg), .. }), _) => {
                                gateway.new_browser(&leg, &sdp).map(|answer| {
                                    let mut leg = leg;
                                    leg.answer = answer;
                                    leg
                                })
                            }
                            (Some(TakenCall { media: Media::Chime(_), .. }), _) => {
                                let _ = reply.send(Err(self.wrong_path("an audio offer")));
                                self.finish(EndReason::Failed, HangupBy::System, Some("a Chime call cannot be transferred".into())).await;
                                return None;
                            }
                            (None, Some(IncomingLeg::Gateway(call))) => gateway.answer(call, &sdp).await,
                            (None, Some(IncomingLeg::Chime(_))) => {
                                let _ = reply.send(Err(self.wrong_path("an audio offer")));
                                continue;
                            }
                            (None, None) => gateway.open(&self.record.e164, &sdp).await,
                        };
                        match opened {
                            Ok(leg) => {
                                let _ = reply.send(Ok(leg.answer.clone()));
                                self.live.media_connection = Some(connection);
                                return Some(Media::Gateway(leg));
                            }
                            Err(e) => {
                                tracing::warn!(call = %self.record.id, error = %e, "browser offer refused");
                                let _ = reply.send(Err(e.to_string()));
                                self.finish(EndReason::Failed, HangupBy::System, Some(e.to_string())).await;
                                return None;
                            }
                        }
                    }
                    Some(SessionCommand::Join { connection, reply }) => {
                        let Provider::Chime(control) = self.hub.provider.clone() else {
                            let _ = reply.send(Err(self.wrong_path("a meeting to join")));
                            continue;
                        };
                        match ChimeLeg::open(control, &self.record.id, &self.record.e164).await {
                            Ok((mut leg, join)) => {
                                // A call in: the meeting is the one its caller joins.
                                match self.incoming.take() {
                                    Some(IncomingLeg::Chime(call)) => leg.answers(call.take()),
                                    other => self.incoming = other,
                                }
                                let _ = reply.send(Ok(join));
                                self.live.media_connection = Some(connection);
                                return Some(Media::Chime(Box::new(leg)));
                            }
                            Err(e) => {
                                tracing::error!(call = %self.record.id, error = %e, "the call's meeting was not created");
                                let _ = reply.send(Err("the call's meeting could not be created".into()));
                                self.finish(EndReason::Failed, HangupBy::System, Some(e.to_string())).await;
                                return None;
                            }
                        }
                    }
                    Some(SessionCommand::Hangup) | None => {
                        self.finish(EndReason::Cancelled, HangupBy::Agent, None).await;
                        return None;
                    }
                    Some(SessionCommand::Decline { timed_out }) => {
                        let cause = if timed_out {
                            "not confirmed in the app in time"
                        } else {
                            "declined in the app"
                        };
                        self.finish(EndReason::Cancelled, HangupBy::Agent, Some(cause.into())).await;
                        return None;
                    }
                    Some(SessionCommand::Record { reply, .. }) => {
                        let _ = reply.send(Err("recording starts once the call is answered".into()));
                    }
                    Some(SessionCommand::Digits { reply, .. }) => {
                        let _ = reply.send(Err("keys can be sent once the call is answered".into()));
                    }
                    Some(SessionCommand::Hold { reply, .. }) => {
                        let _ = reply.send(Err(NOT_ANSWERED_HOLD.into()));
                    }
                    Some(SessionCommand::Transfer { reply, .. }) => {
                        let _ = reply.send(Err(NOT_ANSWERED_TRANSFER.into()));
                    }
                    Some(SessionCommand::TransferToNumber { reply, .. } | SessionCommand::CompleteTransfer { reply }) => {
                        let _ = reply.send(Err(NOT_ANSWERED_TRANSFER.into()));
                    }
                    Some(SessionCommand::HandOver { reply, .. } | SessionCommand::ConsultAnswered { reply, .. }) => {
                        let _ = reply.send(Err(NOT_ANSWERED_TRANSFER.into()));
                    }
                    Some(SessionCommand::TransferEnded(_)) => {}
                    Some(SessionCommand::Progress { .. }) => {
                        tracing::warn!(call = %self.record.id, "progress before the call was placed, ignored");
                    }
                    Some(SessionCommand::Mute(_) | SessionCommand::ConnectionClosed(_)) => {}
                },
            }
        }
    }

    /// Until the browser's audio connects (nothing reaches the trunk before it); `None` when
    /// the call ended instead: a hang-up, the tab closing, a media failure or the timeout.
    async fn wait_for_browser_audio(&mut self, mut media: Media) -> Option<Media> {
        let deadline = tokio::time::sleep(self.hub.offer_timeout);
        tokio::pin!(deadline);
        let (reason, by, cause) = loop {
            tokio::select! {
                connected = media.browser_connected() => match connected {
                    Ok(()) => return Some(media),
                    Err(detail) => break (EndReason::Failed, HangupBy::System, Some(detail)),
                },
                _ = self.hub.stopping.cancelled() => {
                    break (EndReason::Interrupted, HangupBy::System, Some(SHUTDOWN_CAUSE.to_string()));
                }
                _ = &mut deadline => {
                    let cause = "the browser's audio did not connect";
                    tracing::warn!(call = %self.record.id, "{cause}; the call was not placed");
                    break (EndReason::Failed, HangupBy::System, Some(cause.to_string()));
                }
                c = self.commands.recv() => match c {
                    Some(SessionCommand::Hangup) | None => break (EndReason::Cancelled, HangupBy::Agent, None),
                    Some(SessionCommand::ConnectionClosed(c)) if Some(c) == self.live.media_connection => {
                        break (EndReason::Cancelled, HangupBy::Agent, None);
                    }
                    Some(SessionCommand::Offer { reply, .. }) => {
                        let _ = reply.send(Err("this call already has its audio".into()));
                    }
                    Some(SessionCommand::Join { reply, .. }) => {
                        let _ = reply.send(Err("this call already has its audio".into()));
                    }
                    Some(SessionCommand::Record { reply, .. }) => {
                        let _ = reply.send(Err("recording starts once the call is answered".into()));
                    }
                    Some(SessionCommand::Digits { reply, .. }) => {
                        let _ = reply.send(Err("keys can be sent once the call is answered".into()));
                    }
                    Some(SessionCommand::Hold { reply, .. }) => {
                        let _ = reply.send(Err(NOT_ANSWERED_HOLD.into()));
                    }
                    Some(SessionCommand::Transfer { reply, .. } | SessionCommand::TransferToNumber { reply, .. } | SessionCommand::CompleteTransfer { reply } | SessionCommand::HandOver { reply, .. } | SessionCommand::ConsultAnswered { reply, .. }) => {
                        let _ = reply.send(Err(NOT_ANSWERED_TRANSFER.into()));
                    }
                    Some(_) => {}
                },
            }
        };
        media.close().await;
        self.finish(reason, by, cause).await;
        None
    }

    /// The refusal of a request for the other audio path than this server's.
    fn wrong_path(&self, what: &str) -> String {
        tracing::warn!(call = %self.record.id, what, "a request for the other audio path");
        format!("this server does not take {what}: reload the page")
    }

    async fn run_call(&mut self, mut media: Media) {
        let limits = self.hub.limits_for(&self.record.id);
        let mut call = match self.taken_answered_at {
            // A call handed over: this agent's audio is up, so the far end comes off hold.
            Some(answered_at) => {
                let mut call = Call::taken_over(limits, answered_at);
                self.live.state = call.state().clone();
                self.input(&mut call, &mut media, Input::Hold(false)).await;
                call
            }
            None => {
                let mut call = Call::new(limits);
                self.input(&mut call, &mut media, Input::Dial).await;
                call
            }
        };
        // A number to dial once the far end is held (a transfer to a number), and whether to
        // consult it.
        let mut dial_after: Option<(String, bool)> = None;
        // The server's shutdown was passed to the state machine (once).
        let mut shut_down = false;
        while !call.is_over() {
            let wait = call
                .next_deadline()
                .map(|d| Duration::from_millis(d.saturating_sub(self.now())))
                .unwrap_or(Duration::from_secs(3600));
            let input = tokio::select! {
                e = media.next_event(&self.record.id) => match e {
                    Some(MediaEvent::Trunk(event)) => Input::Trunk(event),
                    Some(MediaEvent::Transfer(event)) => match self.number_transfer_event(event).await {
                        Some(input) => input,
                        None => continue,
                    },
                    Some(MediaEvent::TrunkReception(reception)) => {
                        self.trunk_reception = Some(reception);
                        continue;
                    }
                    None => Input::Trunk(TrunkEvent::Failed { detail: "the gateway stopped".into() }),
                },
                c = self.commands.recv() => match c {
                    Some(SessionCommand::Hangup) | None => Input::Hangup,
                    Some(SessionCommand::Mute(m)) => Input::Mute(m),
                    Some(SessionCommand::Hold { on_hold, reply }) => {
                        let refused = if !media.can_hold() {
                            Some("calls on this server cannot be held")
                        } else if !matches!(self.live.state, CallState::Connected { .. }) {
                            Some(NOT_ANSWERED_HOLD)
                        } else {
                            None
                        };
                        let _ = reply.send(refused.map_or(Ok(()), |r| Err(r.to_string())));
                        if refused.is_some() {
                            continue;
                        }
                        if !on_hold {
                            // Taken back: a transfer ringing for another agent or a number
                            // stops, a consultation ends, and one that did not go through is
                            // no longer shown.
                            self.transfer_over(None);
                            self.cancel_number_transfer(&media);
                            self.end_consultation(&media, None);
                            if self.live.transfer.take().is_some() {
                                self.hub.publish(&self.owner, &self.live);
                            }
                        }
                        Input::Hold(on_hold)
                    }
                    Some(SessionCommand::Transfer { to, consult, reply }) => {
                        let started = self.transfer(&to, consult, &media).await;
                        let ok = started.is_ok();
                        let _ = reply.send(started);
                        if !ok {
                            continue;
                        }
                        // The far end is held while it rings (the hold shows the transfer too).
                        if matches!(self.live.state, CallState::Connected { on_hold: true, .. }) {
                            self.hub.publish(&self.owner, &self.live);
                            continue;
                        }
                        Input::Hold(true)
                    }
                    Some(SessionCommand::TransferToNumber { number, consult, reply }) => {
                        let started = self.transfer_to_number(&number, consult, &media).await;
                        let e164 = match started {
                            Ok(e164) => {
                                let _ = reply.send(Ok(()));
                                e164
                            }
                            Err(e) => {
                                let _ = reply.send(Err(e));
                                continue;
                            }
                        };
                        // The far end is held first (music while the number rings).
                        if matches!(self.live.state, CallState::Connected { on_hold: true, .. }) {
                            self.dial_transfer(&e164, consult, &media);
                            self.hub.publish(&self.owner, &self.live);
                            continue;
                        }
                        dial_after = Some((e164, consult));
                        Input::Hold(true)
                    }
                    Some(SessionCommand::CompleteTransfer { reply }) if self.consult.is_some() => {
                        match self.connect_consulted(&media) {
                            Ok(()) => {
                                let _ = reply.send(Ok(()));
                                Input::HandedOver
                            }
                            Err(e) => {
                                let _ = reply.send(Err(e));
                                continue;
                            }
                        }
                    }
                    Some(SessionCommand::CompleteTransfer { reply }) => {
                        let _ = reply.send(self.complete_number_transfer(&media));
                        continue;
                    }
                    Some(SessionCommand::ConsultAnswered { to, connection, reply }) => {
                        self.consultation_answered(to, connection, reply);
                        self.hub.publish(&self.owner, &self.live);
                        continue;
                    }
                    Some(SessionCommand::HandOver { to, connection, reply }) => {
                        // Not once the call is ending here (hung up as they answered).
                        let connected = matches!(self.live.state, CallState::Connected { .. });
                        if connected && self.transfer.as_ref().is_some_and(|t| t.to == to) {
                            self.transfer = None;
                            self.live.transfer = None;
                            // Written as the call ends here, transferred.
                            self.record.transferred_to = self.hub.email_of(&to);
                            self.handing_over = Some(HandingOver { to, connection, reply, browser_moved: false });
                            Input::HandedOver
                        } else {
                            let _ = reply.send(Err("the call is no longer being transferred".into()));
                            continue;
                        }
                    }
                    Some(SessionCommand::TransferEnded(state)) => {
                        self.transfer_over(Some(state));
                        continue;
                    }
                    Some(SessionCommand::ConnectionClosed(c)) if Some(c) == self.live.media_connection => {
                        tracing::info!(call = %self.record.id, "the tab holding the call closed");
                        Input::Hangup
                    }
                    Some(SessionCommand::ConnectionClosed(_)) => continue,
                    // Another tab took the call up: a late decline changes nothing.
                    Some(SessionCommand::Decline { .. }) => continue,
                    Some(SessionCommand::Offer { reply, .. }) => {
                        let _ = reply.send(Err("this call already has its audio".into()));
                        continue;
                    }
                    Some(SessionCommand::Join { reply, .. }) => {
                        let _ = reply.send(Err("this call already has its audio".into()));
                        continue;
                    }
                    Some(SessionCommand::Record { action, reply }) => {
                        let _ = reply.send(self.record(action, &media).await);
                        continue;
                    }
                    Some(SessionCommand::Digits { digits, reply }) => {
                        let _ = reply.send(self.digits(&digits, &media).await);
                        continue;
                    }
                    Some(SessionCommand::Progress { sequence, progress }) => {
                        let Media::Chime(leg) = &mut media else {
                            tracing::warn!(call = %self.record.id, "progress for a gateway call, ignored");
                            continue;
                        };
                        match leg.progress(sequence, progress) {
                            Some(LegProgress::Trunk(event)) => Input::Trunk(event),
                            Some(LegProgress::RecordingStarted { location }) => {
                                self.recording_named(&location).await;
                                continue;
                            }
                            Some(LegProgress::RecordingFailed { cause }) => {
                                self.recording_failed(cause).await;
                                continue;
                            }
                            None => continue,
                        }
                    }
                },
                event = consult::next(&mut self.consult) => {
                    self.consultation_event(event, &media).await;
                    continue;
                }
                _ = self.hub.stopping.cancelled(), if !shut_down => {
                    shut_down = true;
                    tracing::info!(call = %self.record.id, "hung up: the server is shutting down");
                    Input::Shutdown
                }
                _ = tokio::time::sleep(wait) => Input::Tick,
            };
            self.input(&mut call, &mut media, input).await;
            if let Some((e164, consult)) = dial_after.take() {
                self.dial_transfer(&e164, consult, &media);
            }
        }
        self.transfer = None;
        // The call ended while a colleague was consulted: their side ends too.
        if let Some(consult) = self.consult.take() {
            self.consultation_closed(consult);
        }
        let Some(media) = self.number_transfer_after(media).await else {
            return;
        };
        if let Some(HandingOver {
            to,
            connection,
            reply,
            browser_moved,
        }) = self.handing_over.take()
        {
            let _ = reply.send(self.hand_over(&to, connection, browser_moved, media).await);
            return;
        }
        media.close().await;
        self.provider_recording_left_unnamed().await;
    }

    /// Feeds the state machine and carries out what it asks, including what a failed command
    /// amounts to.
    async fn input(&mut self, call: &mut Call, media: &mut Media, input: Input) {
        let mut next = Some(input);
        while let Some(input) = next.take() {
            call.handle(input, self.now());
            if let Some(outcome) = self.apply(call, media).await {
                next = Some(Input::Trunk(outcome));
            }
        }
    }

    /// Keys typed during the call, where the media carries none (Chime: `SendDigits`).
    async fn digits(&self, digits: &str, media: &Media) -> Result<(), String> {
        let Media::Chime(leg) = media else {
            return Err("keys travel in this call's audio".into());
        };
        if !app::api::live::valid_digits(digits) {
            return Err("keys are 0-9, * and #, at most 50 at a time".into());
        }
        if !matches!(self.live.state, CallState::Connected { .. }) {
            return Err("keys can be sent once the call is answered".into());
        }
        leg.digits(digits).await.map_err(|e| {
            tracing::warn!(call = %self.record.id, error = %e, "keys not sent");
            "the keys could not be sent".to_string()
        })
    }

    /// Carries out what the state machine asked for; what a command amounted to (a failure,
    /// Chime's acceptance of the call) comes back as a trunk event (the rest of the outputs are
    /// still carried out).
    async fn apply(&mut self, call: &mut Call, media: &mut Media) -> Option<TrunkEvent> {
        let mut outcome = None;
        for output in call.poll_outputs() {
            let command = match output {
                Output::SendInvite if self.inbound() => Some(MediaCommand::Accept),
                Output::SendInvite => Some(MediaCommand::Invite),
                Output::SendCancel => Some(MediaCommand::Cancel),
                Output::SendBye => Some(MediaCommand::Bye),
                Output::PlayRingback => Some(MediaCommand::Ringback(true)),
                Output::StopRingback => Some(MediaCommand::Ringback(false)),
                _ => None,
            };
            if let Some(command) = command {
                let event = media.command(command).await;
                if matches!(event, Some(TrunkEvent::Failed { .. })) {
                    tracing::warn!(call = %self.record.id, ?command, "media command failed");
                }
                if let Some(event) = event {
                    outcome.get_or_insert(event);
                }
                if matches!(command, MediaCommand::Invite | MediaCommand::Accept) {
                    if command == MediaCommand::Invite {
                        self.invited_at = Some(self.now());
                    }
                    // (A call in through the gateway has none.)
                    if let Some(id) = media.provider_call_id() {
                        // Kept so the call can still be acted on (hung up) by its id.
                        self.record.provider_call_id = Some(id.to_string());
                        self.save().await;
                    }
                }
                continue;
            }
            match output {
                Output::SendInvite
                | Output::SendCancel
                | Output::SendBye
                | Output::PlayRingback
                | Output::StopRingback => {}
                // Mute happens in the browser (its track sends silence); on hold the gateway
                // cuts the agent's audio itself.
                Output::SendAudio(_) => {}
                Output::SendHold(on_hold) => {
                    tracing::info!(call = %self.record.id, on_hold, "hold");
                    media.hold(on_hold, self.hub.hold_music());
                }
                Output::Answered { at } => {
                    self.record.answered_at = Some(at);
                    self.live.answered_at = Some(at);
                    self.post_dial_delay(at);
                    metrics::call_answered(self.record.direction, &self.record.e164);
                    self.save().await;
                }
                Output::State(state) => {
                    if state == CallState::Ringing && self.record.ringing_at.is_none() {
                        let at = self.now();
                        self.record.ringing_at = Some(at);
                        self.post_dial_delay(at);
                        self.save().await;
                    }
                    if !matches!(state, CallState::Ended { .. }) {
                        self.live.state = state;
                        self.hub.publish(&self.owner, &self.live);
                    }
                    // "Always": recording starts with the answer.
                    let connected = matches!(self.live.state, CallState::Connected { .. });
                    if connected
                        && self.live.recording_mode == RecordingMode::Always
                        && !self.auto_recorded
                    {
                        self.auto_recorded = true;
                        if let Err(e) = self.record(RecordAction::Start, media).await {
                            tracing::error!(call = %self.record.id, error = %e, "automatic recording did not start");
                        }
                    }
                }
                Output::Ended {
                    at,
                    reason,
                    by,
                    cause,
                } => {
                    if let Some(r) = self.live.recording.as_mut() {
                        if r.state != LiveRecordingState::Stopped {
                            // The provider's recording stops with the call by itself.
                            if !media.records_into_store() {
                                let _ = media.record(RecordStep::Stop).await;
                            }
                            r.state = LiveRecordingState::Stopped;
                            if let Some(since) = r.paused_since.take() {
                                self.delivered_pause_ended(since, at);
                            }
                            self.delivered_stopped(at);
                        }
                    }
                    self.end_record(at, reason, by, cause).await;
                }
            }
        }
        outcome
    }

    /// The post-dial delay, once: from the INVITE to the far end's first sign (ringing, or an
    /// answer without one).
    fn post_dial_delay(&mut self, at: u64) {
        if let Some(invited_at) = self.invited_at.take() {
            let secs = at.saturating_sub(invited_at) as f64 / 1000.0;
            metrics::post_dial_delay(&self.record.e164, secs);
        }
    }

    /// Ends a call that never reached the state machine (no offer, refused offer).
    async fn finish(&mut self, reason: EndReason, by: HangupBy, cause: Option<String>) {
        let at = self.now();
        self.end_record(at, reason, by, cause).await;
    }

    async fn end_record(
        &mut self,
        at: u64,
        reason: EndReason,
        by: HangupBy,
        cause: Option<String>,
    ) {
        self.record.ended_at = Some(at);
        self.record.end_reason = Some(reason);
        self.record.hangup_by = Some(by.as_str().to_string());
        self.record.sip_cause = cause.clone();
        self.save().await;
        if let Some(reception) = self.trunk_reception.take() {
            super::quality::keep_trunk_reception(
                self.hub.store.as_ref(),
                &self.owner,
                &self.record.id,
                reception,
            )
            .await;
        }
        self.hub.call_ended(&self.owner, &self.record.id);
        metrics::call_ended(self.record.direction, &self.record.e164, reason);
        tracing::info!(
            call = %self.record.id,
            reason = reason.as_str(),
            by = by.as_str(),
            cause = cause.as_deref().unwrap_or(""),
            duration_ms = self.record.duration_ms().unwrap_or(0),
            "call ended"
        );
        self.live.state = CallState::Ended { reason, by, cause };
        self.hub.publish(&self.owner, &self.live);
    }
}
