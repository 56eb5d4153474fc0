//! One call from the browser's offer to its end: the domain state machine (`app::domain::call`)
//! driving a gateway leg, writing the call record and telling the user's tabs as it goes.

use std::sync::Arc;
use std::time::Duration;

use app::api::live::{LiveCall, LiveRecording, LiveRecordingState, RecordAction};
use app::domain::call::{Call, CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::recordings::{Recording, RecordingMode};
use telephony::gateway::{CallLeg, LegCommand, LegEvent, RecordCommand};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::HubInner;

pub(crate) enum SessionCommand {
    Offer {
        connection: u64,
        sdp: String,
        reply: oneshot::Sender<Result<String, String>>,
    },
    Hangup,
    Mute(bool),
    Record {
        action: RecordAction,
        reply: oneshot::Sender<Result<(), String>>,
    },
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
    /// The recording's writer, awaited once the call is over so its end is logged, not lost.
    recording_done: Option<JoinHandle<Option<Recording>>>,
}

impl Session {
    pub fn new(
        hub: Arc<HubInner>,
        owner: String,
        record: CallRecord,
        live: LiveCall,
        commands: mpsc::UnboundedReceiver<SessionCommand>,
    ) -> Self {
        Session {
            hub,
            owner,
            record,
            live,
            commands,
            auto_recorded: false,
            recording_done: None,
        }
    }

    fn now(&self) -> u64 {
        self.hub.clock.now_ms()
    }

    pub async fn run(mut self) {
        let Some(leg) = self.wait_for_offer().await else {
            return;
        };
        self.run_call(leg).await;
        // The leg is gone, so the recording's audio has ended: its writer finishes on its own.
        if let Some(done) = self.recording_done.take() {
            if let Err(e) = done.await {
                tracing::error!(call = %self.record.id, error = %e, "the recording's writer failed; recovered at the next start");
            }
        }
    }

    /// Until the browser's offer arrives: a hang-up or a timeout ends the call before any SIP.
    async fn wait_for_offer(&mut self) -> Option<CallLeg> {
        let deadline = tokio::time::sleep(self.hub.offer_timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => {
                    self.finish(EndReason::Failed, HangupBy::System, Some("the browser sent no audio offer".into())).await;
                    return None;
                }
                c = self.commands.recv() => match c {
                    Some(SessionCommand::Offer { connection, sdp, reply }) => {
                        let Some(gateway) = self.hub.gateway.clone() else {
                            let _ = reply.send(Err("calling is not available on this server".into()));
                            self.finish(EndReason::Failed, HangupBy::System, Some("no gateway".into())).await;
                            return None;
                        };
                        match gateway.open(&self.record.e164, &sdp).await {
                            Ok(leg) => {
                                let _ = reply.send(Ok(leg.answer.clone()));
                                self.live.media_connection = Some(connection);
                                return Some(leg);
                            }
                            Err(e) => {
                                tracing::warn!(call = %self.record.id, error = %e, "browser offer refused");
                                let _ = reply.send(Err(e.to_string()));
                                self.finish(EndReason::Failed, HangupBy::System, Some(e.to_string())).await;
                                return None;
                            }
                        }
                    }
                    Some(SessionCommand::Hangup) | None => {
                        self.finish(EndReason::Cancelled, HangupBy::Agent, None).await;
                        return None;
                    }
                    Some(SessionCommand::Record { reply, .. }) => {
                        let _ = reply.send(Err("recording starts once the call is answered".into()));
                    }
                    Some(SessionCommand::Mute(_) | SessionCommand::ConnectionClosed(_)) => {}
                },
            }
        }
    }

    async fn run_call(&mut self, mut leg: CallLeg) {
        let mut call = Call::new(self.hub.limits);
        call.handle(Input::Dial, self.now());
        self.apply(&mut call, &leg).await;
        while !call.is_over() {
            let wait = call
                .next_deadline()
                .map(|d| Duration::from_millis(d.saturating_sub(self.now())))
                .unwrap_or(Duration::from_secs(3600));
            let input = tokio::select! {
                e = leg.events.recv() => match e {
                    Some(e) => match self.trunk_event(e) {
                        Some(t) => Input::Trunk(t),
                        None => continue,
                    },
                    None => Input::Trunk(TrunkEvent::Failed { detail: "the gateway stopped".into() }),
                },
                c = self.commands.recv() => match c {
                    Some(SessionCommand::Hangup) | None => Input::Hangup,
                    Some(SessionCommand::Mute(m)) => Input::Mute(m),
                    Some(SessionCommand::ConnectionClosed(c)) if Some(c) == self.live.media_connection => {
                        tracing::info!(call = %self.record.id, "the tab holding the call closed");
                        Input::Hangup
                    }
                    Some(SessionCommand::ConnectionClosed(_)) => continue,
                    Some(SessionCommand::Offer { reply, .. }) => {
                        let _ = reply.send(Err("this call already has its audio".into()));
                        continue;
                    }
                    Some(SessionCommand::Record { action, reply }) => {
                        let _ = reply.send(self.record(action, &leg).await);
                        continue;
                    }
                },
                _ = tokio::time::sleep(wait) => Input::Tick,
            };
            call.handle(input, self.now());
            self.apply(&mut call, &leg).await;
        }
        leg.command(LegCommand::Close);
    }

    fn trunk_event(&self, e: LegEvent) -> Option<TrunkEvent> {
        Some(match e {
            LegEvent::Trying => TrunkEvent::Trying,
            LegEvent::Ringing => TrunkEvent::Ringing,
            LegEvent::EarlyMedia => TrunkEvent::EarlyMedia,
            LegEvent::Answered => TrunkEvent::Answered,
            LegEvent::Rejected { status, reason } => TrunkEvent::Rejected { status, reason },
            LegEvent::RemoteBye => TrunkEvent::RemoteBye,
            LegEvent::EndConfirmed => TrunkEvent::EndConfirmed,
            LegEvent::Failed { detail } => TrunkEvent::Failed { detail },
            LegEvent::BrowserLost => TrunkEvent::Failed {
                detail: "lost the browser's audio".into(),
            },
            LegEvent::BrowserConnected => {
                tracing::debug!(call = %self.record.id, "browser media connected");
                return None;
            }
            LegEvent::FirstTrunkAudio => {
                tracing::debug!(call = %self.record.id, "first audio from the trunk");
                return None;
            }
            LegEvent::Dtmf(_) | LegEvent::DigitsSent => return None,
        })
    }

    /// Carries out what the state machine asked for.
    async fn apply(&mut self, call: &mut Call, leg: &CallLeg) {
        for output in call.poll_outputs() {
            match output {
                Output::SendInvite => leg.command(LegCommand::Invite),
                Output::SendCancel => leg.command(LegCommand::Cancel),
                Output::SendBye => leg.command(LegCommand::Bye),
                Output::PlayRingback => leg.command(LegCommand::Ringback(true)),
                Output::StopRingback => leg.command(LegCommand::Ringback(false)),
                // Mute happens in the browser (its track sends silence); hold is not offered.
                Output::SendAudio(_) | Output::SendHold(_) => {}
                Output::Answered { at } => {
                    self.record.answered_at = Some(at);
                    self.live.answered_at = Some(at);
                    self.save().await;
                }
                Output::State(state) => {
                    if state == CallState::Ringing && self.record.ringing_at.is_none() {
                        self.record.ringing_at = Some(self.now());
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
                        if let Err(e) = self.record(RecordAction::Start, leg).await {
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
                            leg.command(LegCommand::Record(RecordCommand::Stop));
                            r.state = LiveRecordingState::Stopped;
                        }
                    }
                    self.end_record(at, reason, by, cause).await;
                }
            }
        }
    }

    /// The record controls: start (once per call), pause, resume, stop.
    async fn record(&mut self, action: RecordAction, leg: &CallLeg) -> Result<(), String> {
        let now = self.now();
        match (action, self.live.recording.as_mut()) {
            (RecordAction::Start, None) => {
                if !matches!(self.live.state, CallState::Connected { .. }) {
                    return Err("recording starts once the call is answered".into());
                }
                if self.live.recording_mode == RecordingMode::Never {
                    return Err("recording is off in your settings".into());
                }
                let Some(recorder) = self.hub.recorder.clone() else {
                    return Err("recording is not available on this server".into());
                };
                let started = recorder
                    .start(&self.owner, &self.record.id)
                    .await
                    .map_err(|e| {
                        tracing::error!(call = %self.record.id, error = %e, "recording did not start");
                        format!("recording could not start: {e}")
                    })?;
                leg.command(LegCommand::Record(RecordCommand::Start {
                    sink: started.sink,
                    notice: recorder.settings.notice.clone(),
                    mode: recorder.settings.pause_mode,
                }));
                self.recording_done = Some(started.done);
                self.record.recording_id = Some(started.recording.id.clone());
                self.save().await;
                self.live.recording = Some(LiveRecording {
                    id: started.recording.id,
                    state: LiveRecordingState::Recording,
                    started_at: now,
                    paused_ms: 0,
                    paused_since: None,
                });
            }
            (RecordAction::Start, Some(_)) => {
                return Err("this call is being recorded or was recorded already".into())
            }
            (_, None) => return Err("this call is not being recorded".into()),
            (_, Some(r)) if r.state == LiveRecordingState::Stopped => {
                return Err("the recording of this call has stopped".into())
            }
            (RecordAction::Pause, Some(r)) => {
                if r.state == LiveRecordingState::Recording {
                    leg.command(LegCommand::Record(RecordCommand::Pause));
                    r.state = LiveRecordingState::Paused;
                    r.paused_since = Some(now);
                }
            }
            (RecordAction::Resume, Some(r)) => {
                if let Some(since) = r.paused_since.take() {
                    leg.command(LegCommand::Record(RecordCommand::Resume));
                    r.state = LiveRecordingState::Recording;
                    r.paused_ms += now.saturating_sub(since);
                }
            }
            (RecordAction::Stop, Some(r)) => {
                leg.command(LegCommand::Record(RecordCommand::Stop));
                if let Some(since) = r.paused_since.take() {
                    r.paused_ms += now.saturating_sub(since);
                }
                r.state = LiveRecordingState::Stopped;
            }
        }
        tracing::info!(call = %self.record.id, action = ?action, "recording control");
        self.hub.publish(&self.owner, &self.live);
        Ok(())
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
        self.hub.call_ended(&self.owner, &self.record.id);
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

    async fn save(&self) {
        if let Err(e) = self.hub.store.update_call(&self.owner, &self.record).await {
            tracing::error!(call = %self.record.id, error = %e, "call record not saved");
        }
    }
}
