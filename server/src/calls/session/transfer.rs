//! The session's side of a transfer to another agent (docs/telephony.md, "Transfer"): ringing
//! the colleague, what becomes of the call when they do not take it, and the hand-over of its
//! media when they do (the ringing itself: `crate::calls::transfer`).

use app::api::live::{LiveTransfer, TransferState};
use app::domain::call::CallState;
use app::domain::calls::CallRecord;
use app::domain::inbound::Availability;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::{Session, NOT_ANSWERED_TRANSFER};
use crate::calls::media::Media;
use crate::calls::transfer::{TakenCall, TransferOffer};

/// A transfer ringing for another agent.
pub(super) struct PendingTransfer {
    pub(super) to: String,
    /// A warm transfer: their answer starts a consultation.
    pub(super) consult: bool,
    /// Stops the ringing (the agent took the call back, or it ended).
    pub(super) cancel: CancellationToken,
}

impl Drop for PendingTransfer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The agent who answered the call's transfer, on which connection, and their answer's reply.
pub(crate) struct HandingOver {
    pub(super) to: String,
    pub(super) connection: u64,
    pub(super) reply: oneshot::Sender<Result<(), String>>,
    /// After a consultation: the taker's browser is in the call already (moved into its leg).
    pub(super) browser_moved: bool,
}

impl Session {
    /// Whether this call can be transferred at all (to an agent or to a number): an answered
    /// call through the gateway, not already being transferred.
    pub(super) fn can_transfer(&self, media: &Media) -> Result<(), String> {
        if !media.can_hold() {
            return Err("calls on this server cannot be transferred".into());
        }
        if !matches!(self.live.state, CallState::Connected { .. }) {
            return Err(NOT_ANSWERED_TRANSFER.into());
        }
        if self.transfer.is_some() || self.to_number.is_some() || self.consult.is_some() {
            return Err("the call is already being transferred".into());
        }
        Ok(())
    }

    /// Starts a transfer of this call to agent `to`, if it can be: an answered call through
    /// the gateway, not already ringing for someone, to another agent whose app is open and
    /// who is not on a call or in do-not-disturb.
    pub(super) async fn transfer(
        &mut self,
        to: &str,
        consult: bool,
        media: &Media,
    ) -> Result<(), String> {
        self.can_transfer(media)?;
        if to == self.owner {
            return Err("the call is already yours".into());
        }
        match self.hub.availability(to).await {
            Availability::Free => {}
            Availability::Busy => return Err("that agent is on a call".into()),
            Availability::DoNotDisturb => {
                return Err("that agent does not take calls now (do not disturb)".into())
            }
            Availability::Offline => return Err("that agent's app is not open".into()),
        }
        let Some(giver) = self.hub.session_commands(&self.owner, &self.record.id) else {
            return Err("the call ended".into());
        };
        let cancel = CancellationToken::new();
        self.hub.ring_transfer(TransferOffer {
            call_id: self.record.id.clone(),
            to: to.to_string(),
            far_end: self.record.e164.clone(),
            started_at: self.now(),
            giver,
            cancel: cancel.clone(),
            consult,
        });
        tracing::info!(call = %self.record.id, consult, "transfer to another agent");
        self.transfer = Some(PendingTransfer {
            to: to.to_string(),
            consult,
            cancel,
        });
        self.live.transfer = Some(LiveTransfer {
            to: to.to_string(),
            name: self.hub.email_of(to).unwrap_or_default(),
            state: TransferState::Ringing,
            number: false,
            consult,
        });
        Ok(())
    }

    /// The transfer stopped ringing: `state` says why when it did not go through (the call
    /// stays here, held), `None` when this agent took the call back.
    pub(super) fn transfer_over(&mut self, state: Option<TransferState>) {
        let Some(pending) = self.transfer.take() else {
            return;
        };
        tracing::info!(call = %self.record.id, ?state, "transfer not taken");
        let name = self
            .live
            .transfer
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default();
        self.live.transfer = state.map(|state| LiveTransfer {
            to: pending.to.clone(),
            name,
            state,
            number: false,
            consult: pending.consult,
        });
        self.hub.publish(&self.owner, &self.live);
    }

    /// The call ended here as transferred: its media goes to a new session of `to`'s, on the
    /// connection that answered (whose browser is in the call already when `browser_moved`).
    pub(super) async fn hand_over(
        &mut self,
        to: &str,
        connection: u64,
        browser_moved: bool,
        media: Media,
    ) -> Result<(), String> {
        let mut record =
            CallRecord::inbound(self.record.id.clone(), self.record.e164.clone(), self.now());
        record.answered_at = Some(record.started_at);
        record.server = self.hub.server_id.get().cloned();
        record.transferred_from = self.hub.email_of(&self.owner);
        let answered_at = self.record.answered_at.unwrap_or(record.started_at);
        let connected_on = browser_moved.then_some(connection);
        let taken = TakenCall {
            media,
            answered_at,
            connected_on,
        };
        tracing::info!(call = %self.record.id, "call handed over");
        self.hub.take_over(to, connection, record, taken).await
    }
}
