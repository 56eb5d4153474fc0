//! The session's recording controls: start (the gateway's tap, or the provider's own recording
//! delivered into the store), pause, resume, stop, and what the provider reports of its
//! recording (docs/recording.md).

use app::api::live::{LiveRecording, LiveRecordingState, RecordAction, ServerMessage};
use app::domain::call::CallState;
use app::domain::recordings::{Pause, Recording, RecordingMode};

use super::Session;
use crate::calls::media::{Media, RecordStep};
use crate::recordings::delivered::DELIVERY_WAIT;

/// A recording the provider writes into the store itself: its metadata, the pauses on the
/// server's clock, and whether the provider has named its file yet.
pub(super) struct DeliveredRecording {
    recording: Recording,
    pauses: Vec<Pause>,
    named: bool,
    /// When it stopped (or the call ended), if that came before the file was named.
    stopped_at: Option<u64>,
}

impl Session {
    /// The record controls: start (once per call), pause, resume, stop.
    pub(super) async fn record(
        &mut self,
        action: RecordAction,
        media: &Media,
    ) -> Result<(), String> {
        let now = self.now();
        let mut ended_pause = None;
        match (action, self.live.recording.as_mut()) {
            (RecordAction::Start, None) => {
                if !matches!(self.live.state, CallState::Connected { .. }) {
                    return Err("recording starts once the call is answered".into());
                }
                // What the server cannot do first: without a recorder the call's mode is
                // `Never` too, and "off in your settings" would blame the user.
                if self.hub.recorder.is_none() {
                    return Err("recording is not available on this server".into());
                }
                if self.live.recording_mode == RecordingMode::Never {
                    return Err("recording is off in your settings".into());
                }
                let id = if media.records_into_store() {
                    self.start_delivered(media).await?
                } else {
                    self.start_tap(media).await?
                };
                self.record.recording_id = Some(id.clone());
                self.save().await;
                self.live.recording = Some(LiveRecording {
                    id,
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
                    media.record(RecordStep::Pause).await?;
                    r.state = LiveRecordingState::Paused;
                    r.paused_since = Some(now);
                }
            }
            (RecordAction::Resume, Some(r)) => {
                if let Some(since) = r.paused_since {
                    media.record(RecordStep::Resume).await?;
                    r.paused_since = None;
                    r.state = LiveRecordingState::Recording;
                    r.paused_ms += now.saturating_sub(since);
                    ended_pause = Some(since);
                }
            }
            (RecordAction::Stop, Some(r)) => {
                media.record(RecordStep::Stop).await?;
                if let Some(since) = r.paused_since.take() {
                    r.paused_ms += now.saturating_sub(since);
                    ended_pause = Some(since);
                }
                r.state = LiveRecordingState::Stopped;
            }
        }
        if let Some(since) = ended_pause {
            self.delivered_pause_ended(since, now);
        }
        if matches!(action, RecordAction::Stop) {
            self.delivered_stopped(now);
        }
        tracing::info!(call = %self.record.id, action = ?action, "recording control");
        self.hub.publish(&self.owner, &self.live);
        Ok(())
    }

    /// The gateway records: the recorder's writer takes its audio. The recording's id.
    async fn start_tap(&mut self, media: &Media) -> Result<String, String> {
        let recorder = self.hub.recorder.clone().ok_or("no recorder")?;
        let started = recorder
            .start(&self.owner, &self.record.id)
            .await
            .map_err(|e| {
                tracing::error!(call = %self.record.id, error = %e, "recording did not start");
                format!("recording could not start: {e}")
            })?;
        media
            .record(RecordStep::StartTap {
                sink: started.sink,
                notice: recorder.settings.notice.clone(),
                mode: recorder.settings.pause_mode,
            })
            .await?;
        self.recording_done = Some(started.done);
        Ok(started.recording.id)
    }

    /// The provider records into the store; its file is awaited once it stops. The
    /// recording's id.
    async fn start_delivered(&mut self, media: &Media) -> Result<String, String> {
        let recorder = self.hub.recorder.clone().ok_or("no recorder")?;
        let delivery = recorder
            .start_delivered(&self.owner, &self.record.id)
            .await
            .map_err(|e| {
                tracing::error!(call = %self.record.id, error = %e, "recording did not start");
                format!("recording could not start: {e}")
            })?;
        let step = RecordStep::StartDelivered {
            destination: delivery.destination,
            consent_tone: delivery.consent_tone,
        };
        if let Err(e) = media.record(step).await {
            recorder
                .abandon(
                    &self.owner,
                    &delivery.recording,
                    "the provider did not take the start",
                )
                .await;
            return Err(e);
        }
        let id = delivery.recording.id.clone();
        self.delivered = Some(DeliveredRecording {
            recording: delivery.recording,
            pauses: Vec::new(),
            named: false,
            stopped_at: None,
        });
        Ok(id)
    }

    /// A pause of the provider's recording ended: kept for its metadata (paused spans are
    /// silence in the provider's file, so the pause starts where it began on the clock).
    pub(super) fn delivered_pause_ended(&mut self, since: u64, until: u64) {
        if let Some(d) = self.delivered.as_mut() {
            d.pauses.push(Pause {
                offset_ms: since.saturating_sub(d.recording.started_at),
                duration_ms: until.saturating_sub(since),
            });
        }
    }

    /// The provider's recording stopped (or the call ended): its file is awaited once named.
    pub(super) fn delivered_stopped(&mut self, at: u64) {
        if let Some(d) = self.delivered.as_mut() {
            d.stopped_at.get_or_insert(at);
        }
        self.await_delivery_when_ready();
    }

    /// The handler says which file the provider writes.
    pub(super) async fn recording_named(&mut self, location: &str) {
        let (Some(recorder), Some(d)) = (self.hub.recorder.clone(), self.delivered.as_mut()) else {
            tracing::warn!(call = %self.record.id, "a recording started that this call did not ask for");
            return;
        };
        match recorder
            .delivered_to(&self.owner, &mut d.recording, location)
            .await
        {
            Ok(()) => {
                d.named = true;
                self.await_delivery_when_ready();
            }
            Err(e) => {
                tracing::error!(call = %self.record.id, error = %e, "the provider's recording cannot be taken in");
                self.recording_failed(Some(e.to_string())).await;
            }
        }
    }

    /// The provider's recording did not start: the metadata goes, the call screen shows no
    /// recording, and the agent's tabs are told.
    pub(super) async fn recording_failed(&mut self, cause: Option<String>) {
        tracing::error!(call = %self.record.id, cause = cause.as_deref().unwrap_or(""), "the provider's recording failed");
        let Some(failed) = self.delivered.take() else {
            return;
        };
        if let Some(recorder) = &self.hub.recorder {
            recorder
                .abandon(
                    &self.owner,
                    &failed.recording,
                    "the provider could not record",
                )
                .await;
        }
        self.record.recording_id = None;
        self.save().await;
        self.live.recording = None;
        self.hub.publish(&self.owner, &self.live);
        self.hub.tell(
            &self.owner,
            ServerMessage::Error {
                call_id: Some(self.record.id.clone()),
                message: "the recording could not start".into(),
            },
        );
    }

    /// Once the provider's recording has stopped and its file is named, waits for the file.
    fn await_delivery_when_ready(&mut self) {
        let ready = self
            .delivered
            .as_ref()
            .is_some_and(|d| d.named && d.stopped_at.is_some());
        let (true, Some(recorder)) = (ready, self.hub.recorder.clone()) else {
            return;
        };
        if let Some(d) = self.delivered.take() {
            let stopped_at = d.stopped_at.unwrap_or(d.recording.started_at);
            self.recording_done = Some(recorder.await_delivery(
                &self.owner,
                d.recording,
                d.pauses,
                stopped_at,
                DELIVERY_WAIT,
            ));
        }
    }

    /// The call is over and the provider never said which file it writes: nothing will be
    /// taken in.
    pub(super) async fn provider_recording_left_unnamed(&mut self) {
        let Some(unnamed) = self.delivered.take() else {
            return;
        };
        tracing::error!(call = %self.record.id, recording = %unnamed.recording.id, "the provider never named the recording's file");
        if let Some(recorder) = &self.hub.recorder {
            recorder
                .abandon(
                    &self.owner,
                    &unnamed.recording,
                    "the provider never named its file",
                )
                .await;
        }
    }
}
