//! A warm transfer to another agent (docs/telephony.md, "Warm transfer to an agent"): the
//! colleague answered a consultation ringing for them. From then until it ends they have this
//! call on their tabs too (`consult_with`: who consults them), and their tab's commands come
//! here, to the giving agent's session: its offer is answered by a leg of its own linked to the
//! call (`Gateway::consult_browser`), so the two agents talk while the far end hears the music.
//! Connect moves the colleague's peer connection into the call (no new offer) and hands the
//! call over as a blind transfer's answer does; Return to customer, the colleague hanging up or
//! their tab closing ends the consultation and the call stays here, held.

use app::api::live::{LiveCall, LiveTransfer, TransferState};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use telephony::gateway::{CallLeg, LegCommand, LegEvent};
use tokio::sync::{mpsc, oneshot};

use super::{Session, SessionCommand};
use crate::calls::media::Media;
use crate::calls::Provider;

/// The refusal of what a consulted colleague cannot do to the call.
const NOT_DURING_CONSULTATION: &str =
    "the call is still your colleague's: it cannot be changed during a consultation";

/// The consultation under way.
pub(super) struct Consultation {
    pub(super) to: String,
    /// How the colleague is named (their e-mail).
    pub(super) name: String,
    /// The colleague's tab that answered (its offer is the only one taken).
    pub(super) connection: u64,
    /// What the colleague's tabs ask of the call.
    pub(super) commands: mpsc::UnboundedReceiver<SessionCommand>,
    /// The colleague's browser leg, once its offer is answered.
    pub(super) leg: Option<CallLeg>,
    /// The colleague's view of the call.
    pub(super) live: LiveCall,
}

/// What happened in a consultation.
pub(super) enum ConsultEvent {
    Command(Option<SessionCommand>),
    Leg(Option<LegEvent>),
}

/// The consultation's next event; never without one.
pub(super) async fn next(consult: &mut Option<Consultation>) -> ConsultEvent {
    let Some(c) = consult.as_mut() else {
        return std::future::pending().await;
    };
    match c.leg.as_mut() {
        Some(leg) => tokio::select! {
            command = c.commands.recv() => ConsultEvent::Command(command),
            event = leg.events.recv() => ConsultEvent::Leg(event),
        },
        None => ConsultEvent::Command(c.commands.recv().await),
    }
}

impl Session {
    /// `to` answered the consultation on `connection`: their tabs get the call, the agents
    /// talk once their offer is answered.
    pub(super) fn consultation_answered(
        &mut self,
        to: String,
        connection: u64,
        reply: oneshot::Sender<Result<(), String>>,
    ) {
        let connected = matches!(self.live.state, CallState::Connected { .. });
        let ringing = self
            .transfer
            .as_ref()
            .is_some_and(|t| t.to == to && t.consult);
        if !connected || !ringing {
            let _ = reply.send(Err("the call is no longer being transferred".into()));
            return;
        }
        self.transfer = None;
        let now = self.now();
        let live = LiveCall {
            id: self.record.id.clone(),
            e164: self.record.e164.clone(),
            inbound: self.live.inbound,
            contact_name: None,
            state: CallState::Connected {
                muted: false,
                on_hold: false,
                held_by_far_end: false,
            },
            started_at: now,
            answered_at: Some(now),
            media_connection: Some(connection),
            from_api: false,
            confirm: false,
            // The call is still the colleague's: nothing to record on this side.
            recording_mode: app::domain::recordings::RecordingMode::Never,
            recording: None,
            transfer: None,
            consult_with: Some(self.hub.email_of(&self.owner).unwrap_or_default()),
        };
        let (commands_tx, commands) = mpsc::unbounded_channel();
        if !self
            .hub
            .start_consultation(&to, &live, commands_tx, connection)
        {
            let _ = reply.send(Err("you are on a call".into()));
            self.transfer_over(Some(TransferState::Declined));
            return;
        }
        tracing::info!(call = %self.record.id, "consultation answered");
        self.consult = Some(Consultation {
            name: self.hub.email_of(&to).unwrap_or_default(),
            to,
            connection,
            commands,
            leg: None,
            live,
        });
        let _ = reply.send(Ok(()));
    }

    /// One consultation event; the call's state does not change (the far end stays held).
    pub(super) async fn consultation_event(&mut self, event: ConsultEvent, media: &Media) {
        match event {
            ConsultEvent::Command(Some(SessionCommand::Offer {
                connection,
                sdp,
                reply,
            })) => {
                let answer = self.consulted_offer(connection, &sdp, media).await;
                let failed = answer.is_err();
                let _ = reply.send(answer);
                if failed {
                    self.end_consultation(media, Some(TransferState::HungUp));
                }
            }
            ConsultEvent::Command(Some(SessionCommand::Mute(_))) => {}
            ConsultEvent::Command(Some(SessionCommand::ConnectionClosed(c)))
                if self.consult.as_ref().is_some_and(|k| k.connection != c) => {}
            // The colleague hung up, their tab closed, or their channel is gone.
            ConsultEvent::Command(
                None | Some(SessionCommand::Hangup | SessionCommand::ConnectionClosed(_)),
            ) => {
                tracing::info!(call = %self.record.id, "the consulted colleague left");
                self.end_consultation(media, Some(TransferState::HungUp));
            }
            ConsultEvent::Command(Some(other)) => refuse(other),
            ConsultEvent::Leg(Some(LegEvent::BrowserConnected)) => {
                if let Some(t) = self.live.transfer.as_mut() {
                    t.state = TransferState::Consulting;
                }
                self.hub.publish(&self.owner, &self.live);
            }
            ConsultEvent::Leg(Some(LegEvent::BrowserLost | LegEvent::Failed { .. }) | None) => {
                tracing::info!(call = %self.record.id, "the consulted colleague's audio was lost");
                self.end_consultation(media, Some(TransferState::HungUp));
            }
            ConsultEvent::Leg(Some(_)) => {}
        }
    }

    async fn consulted_offer(
        &mut self,
        connection: u64,
        sdp: &str,
        media: &Media,
    ) -> Result<String, String> {
        let Some(consult) = self.consult.as_mut() else {
            return Err("the consultation is over".into());
        };
        if connection != consult.connection {
            return Err(crate::calls::NOT_THIS_TABS_CALL.into());
        }
        if consult.leg.is_some() {
            return Err("this call already has its audio".into());
        }
        let (Provider::Gateway(gateway), Media::Gateway(leg)) = (&self.hub.provider, media) else {
            return Err("calls on this server cannot be transferred".into());
        };
        let consulted = gateway.consult_browser(leg, sdp).await.map_err(|e| {
            tracing::warn!(call = %self.record.id, error = %e, "the colleague's offer was refused");
            e.to_string()
        })?;
        let answer = consulted.answer.clone();
        consult.leg = Some(consulted);
        Ok(answer)
    }

    /// Ends the consultation without a transfer: the link goes, the colleague's tabs see their
    /// side end, and this agent's show `state` (`None`: nothing, they took the call back).
    pub(super) fn end_consultation(&mut self, media: &Media, state: Option<TransferState>) {
        let Some(consult) = self.consult.take() else {
            return;
        };
        if let Media::Gateway(leg) = media {
            leg.command(LegCommand::CancelTransfer);
        }
        let (to, name) = (consult.to.clone(), consult.name.clone());
        self.consultation_closed(consult);
        self.live.transfer = state.map(|state| LiveTransfer {
            to,
            name,
            state,
            number: false,
            consult: true,
        });
        self.hub.publish(&self.owner, &self.live);
    }

    /// Connect: the colleague's browser moves into the call, which is handed over to them as
    /// a blind transfer's answer hands it (the caller comes off hold in their session).
    pub(super) fn connect_consulted(&mut self, media: &Media) -> Result<(), String> {
        let talking = self
            .live
            .transfer
            .as_ref()
            .is_some_and(|t| t.state == TransferState::Consulting);
        let (Provider::Gateway(gateway), Media::Gateway(leg)) = (&self.hub.provider, media) else {
            return Err("calls on this server cannot be transferred".into());
        };
        let Some(consult) = self.consult.take_if(|c| talking && c.leg.is_some()) else {
            return Err("the colleague is not on the line yet".into());
        };
        let Consultation {
            to,
            name,
            connection,
            leg: consulted,
            ..
        } = consult;
        if let Some(consulted) = consulted {
            gateway.take_consulted_browser(leg, consulted);
        }
        tracing::info!(call = %self.record.id, "consultation completed: the call is handed over");
        self.record.transferred_to = Some(name.clone());
        self.live.transfer = Some(LiveTransfer {
            to: to.clone(),
            name,
            state: TransferState::Answered,
            number: false,
            consult: true,
        });
        // Nobody waits for this answer: the colleague answered long ago.
        let (reply, _) = oneshot::channel();
        self.handing_over = Some(super::transfer::HandingOver {
            to,
            connection,
            reply,
            browser_moved: true,
        });
        Ok(())
    }

    /// The colleague's side of the call ends on their tabs (the call stays this agent's, or
    /// has ended); its leg goes with it.
    pub(super) fn consultation_closed(&self, consult: Consultation) {
        let mut live = consult.live;
        live.state = CallState::Ended {
            reason: EndReason::Completed,
            by: HangupBy::Agent,
            cause: Some("the consultation ended".into()),
        };
        self.hub.publish(&consult.to, &live);
    }
}

/// The refusal of anything else a consulted colleague's tab asks.
fn refuse(command: SessionCommand) {
    let reply = match command {
        SessionCommand::Hold { reply, .. }
        | SessionCommand::Record { reply, .. }
        | SessionCommand::Transfer { reply, .. }
        | SessionCommand::TransferToNumber { reply, .. }
        | SessionCommand::CompleteTransfer { reply }
        | SessionCommand::Digits { reply, .. }
        | SessionCommand::HandOver { reply, .. }
        | SessionCommand::ConsultAnswered { reply, .. } => reply,
        SessionCommand::Join { reply, .. } => {
            let _ = reply.send(Err(NOT_DURING_CONSULTATION.into()));
            return;
        }
        _ => return,
    };
    let _ = reply.send(Err(NOT_DURING_CONSULTATION.into()));
}
