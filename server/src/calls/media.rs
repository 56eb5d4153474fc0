//! What a call session drives: the media gateway's leg (the browser's peer connection bridged to
//! a SIP trunk), or a Chime SDK meeting bridged to the PSTN by a SIP media application. The
//! session's state machine is the same for both; this is where their commands and events differ.

use std::sync::Arc;

use app::domain::call::TrunkEvent;
use telephony::gateway::{CallLeg, LegCommand, LegEvent, RecordCommand, TransferEvent};
use telephony::recording::{PauseMode, RecordedAudio};
use tokio::sync::mpsc;

use super::chime_leg::ChimeLeg;
use crate::chime::CallUpdate;

pub(crate) enum Media {
    Gateway(CallLeg),
    /// Boxed: the meeting, its seats and the clients are much larger than a gateway leg's
    /// channels.
    Chime(Box<ChimeLeg>),
}

/// A step of the call's recording.
pub(crate) enum RecordStep {
    /// The gateway records: its tap sends the audio to `sink`, after playing `notice`.
    StartTap {
        sink: mpsc::UnboundedSender<RecordedAudio>,
        notice: Arc<[i16]>,
        mode: PauseMode,
    },
    /// The provider records into the store's `destination` (`bucket/prefix`), after playing
    /// the notice at `consent_tone` (`bucket/key`).
    StartDelivered {
        destination: String,
        consent_tone: String,
    },
    Pause,
    Resume,
    Stop,
}

/// What the state machine asks of the media.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MediaCommand {
    Invite,
    /// A call in: answer the caller (what `Invite` is to a call out).
    Accept,
    Cancel,
    Bye,
    Ringback(bool),
}

/// What the media reports: an event for the state machine, or how a transfer to a number goes
/// (the session's, `session/transfer.rs`).
pub(crate) enum MediaEvent {
    Trunk(TrunkEvent),
    Transfer(TransferEvent),
    /// How the trunk's audio has arrived so far (the gateway's periodic report).
    TrunkReception(telephony::reception::ReceptionSummary),
}

impl Media {
    /// The next trunk event; `None` when the media is gone (the call fails). Gateway events the
    /// state machine does not need are logged here and skipped. A Chime call's progress comes
    /// through the hub instead, so this waits for it only for a call in's early hang-up.
    pub async fn next_event(&mut self, call_id: &str) -> Option<MediaEvent> {
        let leg = match self {
            Media::Gateway(leg) => leg,
            // Only a call in's caller hanging up before the handler knew our call id comes
            // this way.
            Media::Chime(leg) => {
                leg.caller_gone().await;
                return Some(MediaEvent::Trunk(TrunkEvent::Ended {
                    reason: app::domain::calls::EndReason::Missed,
                    cause: Some("the caller hung up".into()),
                }));
            }
        };
        loop {
            let event = match leg.events.recv().await? {
                LegEvent::Trying => TrunkEvent::Trying,
                LegEvent::Ringing => TrunkEvent::Ringing,
                LegEvent::EarlyMedia => TrunkEvent::EarlyMedia,
                LegEvent::Answered => TrunkEvent::Answered,
                LegEvent::Rejected { status, reason } => TrunkEvent::Rejected { status, reason },
                LegEvent::RemoteBye => TrunkEvent::RemoteBye,
                LegEvent::EndConfirmed => TrunkEvent::EndConfirmed,
                LegEvent::Failed { detail } => TrunkEvent::Failed { detail },
                LegEvent::RemoteHold(held) => TrunkEvent::FarEndHold(held),
                LegEvent::BrowserLost => TrunkEvent::Failed {
                    detail: "lost the browser's audio".into(),
                },
                LegEvent::BrowserConnected => {
                    tracing::debug!(call = %call_id, "browser media connected");
                    continue;
                }
                LegEvent::FirstTrunkAudio => {
                    tracing::debug!(call = %call_id, "first audio from the trunk");
                    continue;
                }
                LegEvent::Transfer(t) => return Some(MediaEvent::Transfer(t)),
                LegEvent::TrunkReception(r) => return Some(MediaEvent::TrunkReception(r)),
                LegEvent::Dtmf(_) | LegEvent::DigitsSent => continue,
            };
            return Some(MediaEvent::Trunk(event));
        }
    }

    /// Until the browser's audio is up (ICE and DTLS connected), so nothing is sent to the
    /// trunk for a client that never brings real media: a script cannot hold PSTN calls
    /// without a browser behind them. A Chime call's browser joins its meeting itself.
    pub async fn browser_connected(&mut self) -> Result<(), String> {
        let Media::Gateway(leg) = self else {
            return Ok(());
        };
        loop {
            match leg.events.recv().await {
                Some(LegEvent::BrowserConnected) => return Ok(()),
                Some(LegEvent::BrowserLost) => return Err("lost the browser's audio".into()),
                Some(LegEvent::Failed { detail }) => return Err(detail),
                Some(_) => continue,
                None => return Err("the gateway stopped".into()),
            }
        }
    }

    /// Carries out a command; what it amounts to for the call comes back as a trunk event: a
    /// failure, or Chime's acceptance of the call (its answer to our INVITE, as a SIP trunk's
    /// 100 Trying is: the trunk is there).
    pub async fn command(&mut self, command: MediaCommand) -> Option<TrunkEvent> {
        match self {
            Media::Gateway(leg) => {
                leg.command(match command {
                    MediaCommand::Invite => LegCommand::Invite,
                    MediaCommand::Accept => LegCommand::Accept,
                    MediaCommand::Cancel => LegCommand::Cancel,
                    MediaCommand::Bye => LegCommand::Bye,
                    MediaCommand::Ringback(on) => LegCommand::Ringback(on),
                });
                None
            }
            Media::Chime(leg) => {
                let result = match command {
                    MediaCommand::Invite => match leg.invite().await {
                        Ok(()) => return Some(TrunkEvent::Trying),
                        Err(e) => Err(e),
                    },
                    // The caller joins the meeting; its answer comes as the handler's progress.
                    MediaCommand::Accept => leg.accept().await,
                    MediaCommand::Cancel | MediaCommand::Bye => leg.hang_up().await,
                    // The SIP media application plays the ringback into the meeting.
                    MediaCommand::Ringback(_) => Ok(()),
                };
                result.err().map(|e| TrunkEvent::Failed {
                    detail: e.to_string(),
                })
            }
        }
    }

    /// Whether the agent can hold the call: the gateway plays the music; a SIP media
    /// application has no hold that keeps the meeting (docs/telephony.md, "Hold").
    pub fn can_hold(&self) -> bool {
        matches!(self, Media::Gateway(_))
    }

    /// Holds the call, the caller hearing `music` (looped), or takes it back.
    pub fn hold(&self, on_hold: bool, music: Arc<[i16]>) {
        if let Media::Gateway(leg) = self {
            leg.command(if on_hold {
                LegCommand::Hold(music)
            } else {
                LegCommand::Resume
            });
        }
    }

    /// Dials `callee` (E.164) for a blind transfer (or, with `consult`, a warm one), ringing at
    /// most `ring_timeout`; progress comes as [`MediaEvent::Transfer`]. `false` where the media
    /// cannot (Chime).
    pub fn transfer_to_number(
        &self,
        callee: &str,
        ring_timeout: std::time::Duration,
        consult: bool,
    ) -> bool {
        let Media::Gateway(leg) = self else {
            return false;
        };
        leg.command(LegCommand::TransferToNumber {
            callee: callee.to_string(),
            ring_timeout,
            consult,
        });
        true
    }

    /// Stops a transfer to a number that still rings, or hangs up on the number consulted.
    pub fn cancel_transfer(&self) {
        if let Media::Gateway(leg) = self {
            leg.command(LegCommand::CancelTransfer);
        }
    }

    /// Joins the far end with the number consulted.
    pub fn complete_transfer(&self) {
        if let Media::Gateway(leg) = self {
            leg.command(LegCommand::CompleteTransfer);
        }
    }

    /// Whether the provider records the call and writes the file into the store itself
    /// (Chime), rather than the gateway's tap sending the audio to the server. Such a
    /// recording also stops by itself when the call ends.
    pub fn records_into_store(&self) -> bool {
        matches!(self, Media::Chime(_))
    }

    /// Carries out a recording step; the start must be the kind [`Media::records_into_store`]
    /// says.
    pub async fn record(&self, step: RecordStep) -> Result<(), String> {
        match self {
            Media::Gateway(leg) => {
                let command = match step {
                    RecordStep::StartTap { sink, notice, mode } => {
                        RecordCommand::Start { sink, notice, mode }
                    }
                    RecordStep::StartDelivered { .. } => {
                        return Err("this call is recorded by the server".into())
                    }
                    RecordStep::Pause => RecordCommand::Pause,
                    RecordStep::Resume => RecordCommand::Resume,
                    RecordStep::Stop => RecordCommand::Stop,
                };
                leg.command(LegCommand::Record(command));
                Ok(())
            }
            Media::Chime(leg) => {
                let update = match step {
                    RecordStep::StartTap { .. } => {
                        return Err("this call is recorded by Chime".into())
                    }
                    RecordStep::StartDelivered {
                        destination,
                        consent_tone,
                    } => CallUpdate::RecordStart {
                        destination,
                        consent_tone: Some(consent_tone),
                    },
                    RecordStep::Pause => CallUpdate::RecordPause,
                    RecordStep::Resume => CallUpdate::RecordResume,
                    RecordStep::Stop => CallUpdate::RecordStop,
                };
                leg.record(&update).await.map_err(|e| {
                    tracing::warn!(error = %e, "recording update not taken");
                    "the recording could not be changed: try again".to_string()
                })
            }
        }
    }

    /// The provider's own id for the call, once it has one (Chime: the SMA transaction).
    pub fn provider_call_id(&self) -> Option<&str> {
        match self {
            Media::Gateway(_) => None,
            Media::Chime(leg) => leg.transaction_id(),
        }
    }

    /// Ends the media for good: the gateway's leg closes, the Chime meeting is deleted.
    pub async fn close(self) {
        match self {
            Media::Gateway(leg) => leg.command(LegCommand::Close),
            Media::Chime(leg) => leg.close().await,
        }
    }
}
