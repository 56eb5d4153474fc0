//! The session's side of a blind transfer to a phone number (docs/telephony.md, "Transfer"):
//! the number is checked and the second call admitted as a call dialled is (the number policy,
//! the spend limits, the audit), the far end is held while the gateway rings the number, and
//! the answer ends the call here as transferred and hands the joined call to
//! `crate::calls::bridged`; busy, no answer or a refusal leave the call held with the reason.
//! The second call has a record of its own: an outbound call of the agent's, so its minutes are
//! billed and counted.
//!
//! A warm transfer (`consult`) is admitted the same way; its answer shows `consulting` (the
//! agent talks with the number, the far end on hold) until the agent completes it (then as a
//! blind transfer's answer) or returns to the far end with Resume (the number is hung up on
//! and the second call's record ends `completed`, the call going on here).

use app::api::calls::ops::{admit, checked_number, Dialling};
use app::api::live::{LiveTransfer, TransferState};
use app::api::ApiError;
use app::domain::call::{CallState, HangupBy, Input};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::numbers::format_e164;
use telephony::gateway::{TransferEvent, TransferFailure, TransferParty};

use super::Session;
use crate::calls::bridged::Bridged;
use crate::calls::media::Media;
use crate::calls::transfer::TRANSFER_RING;

/// The second call of a transfer to a number, from its admission to its answer or failure.
pub(super) struct NumberTransfer {
    record: CallRecord,
    max_duration_ms: u64,
    /// The agent took the call back while it rang (or consulted): its end is not shown.
    cancelled: bool,
    answered: bool,
    /// The agent talks with the number (answered, not yet completed).
    consulting: bool,
}

impl Session {
    /// Checks and admits a transfer of this call to `number`; `Ok` with the E.164 to dial once
    /// the far end is held. Refusals of the policy and the spend limits are audited as for a
    /// call dialled (`call_refused`).
    pub(super) async fn transfer_to_number(
        &mut self,
        number: &str,
        consult: bool,
        media: &Media,
    ) -> Result<String, String> {
        self.can_transfer(media)?;
        let hub = self.hub.clone();
        let Some(rules) = hub.dialling.get() else {
            return Err("calls cannot be transferred to a number on this server".into());
        };
        let dialling = Dialling {
            store: hub.store.as_ref(),
            numbers: rules.numbers.as_ref(),
            clock: hub.clock.as_ref(),
            spend_policy: rules.spend_policy,
        };
        let owner = self.owner.clone();
        // Only a number with its country code: there is no country to assume here.
        let dialable = checked_number(&dialling, &owner, number, None)
            .await
            .map_err(refusal)?;
        let e164 = dialable.e164().to_string();
        let record = CallRecord {
            server: hub.server_id.get().cloned(),
            ..CallRecord::outbound(uuid::Uuid::new_v4().to_string(), e164.clone(), self.now())
        };
        // The agent's own call is still up while the number rings (and so are the calls they
        // sent on earlier): the second call must not be refused for that.
        let allowance = hub.transferred_calls(&owner).saturating_add(1);
        let admission = admit(&dialling, &owner, &record, allowance)
            .await
            .map_err(refusal)?;
        let at = self.now();
        app::api::ports::write_audit(
            hub.store.as_ref(),
            &owner,
            at,
            "call_started",
            record.id.clone(),
        )
        .await;
        let detail = format!("call {} to a number: call {}", self.record.id, record.id);
        app::api::ports::write_audit(hub.store.as_ref(), &owner, at, "transfer", detail).await;
        tracing::info!(call = %self.record.id, second = %record.id, country = dialable.country().iso(), consult, "transfer to a number");
        let name = match hub.store.contact_by_number(&owner, &e164).await {
            Ok(Some(contact)) => contact.name,
            Ok(None) => format_e164(&e164),
            Err(e) => {
                tracing::warn!(call = %self.record.id, error = %e, "contact look-up failed");
                format_e164(&e164)
            }
        };
        self.to_number = Some(NumberTransfer {
            record,
            max_duration_ms: admission.max_duration_ms,
            cancelled: false,
            answered: false,
            consulting: false,
        });
        self.live.transfer = Some(LiveTransfer {
            to: e164.clone(),
            name,
            state: TransferState::Ringing,
            number: true,
            consult,
        });
        Ok(e164)
    }

    /// Dials the number admitted (the far end is held by now).
    pub(super) fn dial_transfer(&self, e164: &str, consult: bool, media: &Media) {
        if !media.transfer_to_number(e164, TRANSFER_RING, consult) {
            tracing::error!(call = %self.record.id, "transfer to a number on media that cannot");
        }
    }

    /// The agent took the call back: a number still ringing is cancelled, one being consulted
    /// is hung up on (its failure or the consultation's end then ends the second call's
    /// record).
    pub(super) fn cancel_number_transfer(&mut self, media: &Media) {
        if let Some(t) = self
            .to_number
            .as_mut()
            .filter(|t| !t.answered || t.consulting)
        {
            t.cancelled = true;
            media.cancel_transfer();
        }
    }

    /// The agent connects the far end with the number they consult (its answer then ends the
    /// call here, as a blind transfer's does).
    pub(super) fn complete_number_transfer(&mut self, media: &Media) -> Result<(), String> {
        match self.to_number.as_ref() {
            Some(t) if t.consulting && !t.cancelled => {
                tracing::info!(call = %self.record.id, "consultation completed");
                media.complete_transfer();
                Ok(())
            }
            _ => Err("no number is being consulted on this call".into()),
        }
    }

    /// How the transfer to a number goes; `Some` when the call ends here (the number answered).
    pub(super) async fn number_transfer_event(&mut self, event: TransferEvent) -> Option<Input> {
        let Some(t) = self.to_number.as_mut() else {
            tracing::warn!(call = %self.record.id, ?event, "transfer event with no transfer");
            return None;
        };
        match event {
            TransferEvent::Ringing => {
                t.record.ringing_at = Some(self.hub.clock.now_ms());
                self.save_second().await;
                None
            }
            TransferEvent::Consulting => {
                t.answered = true;
                t.consulting = true;
                // Billed from the number's answer, consulted or not.
                t.record.answered_at = Some(self.hub.clock.now_ms());
                let shown = !t.cancelled;
                self.save_second().await;
                if shown && matches!(self.live.state, CallState::Connected { .. }) {
                    tracing::info!(call = %self.record.id, "transfer to a number: consulting");
                    if let Some(shown) = self.live.transfer.as_mut() {
                        shown.state = TransferState::Consulting;
                    }
                    self.hub.publish(&self.owner, &self.live);
                }
                None
            }
            TransferEvent::ConsultEnded { hung_up } => {
                let now = self.hub.clock.now_ms();
                let by = match hung_up {
                    None => HangupBy::Agent,
                    Some(TransferParty::Target) => HangupBy::Remote,
                    // The far end left, so the number was hung up on.
                    Some(TransferParty::Customer) => HangupBy::System,
                };
                tracing::info!(call = %self.record.id, ?hung_up, "consultation over");
                t.record.ended_at = Some(now);
                t.record.end_reason = Some(EndReason::Completed);
                t.record.hangup_by = Some(by.as_str().to_string());
                let shown = !t.cancelled && hung_up == Some(TransferParty::Target);
                self.save_second().await;
                self.to_number = None;
                if shown {
                    if let Some(t) = self.live.transfer.as_mut() {
                        t.state = TransferState::HungUp;
                    }
                    self.hub.publish(&self.owner, &self.live);
                }
                None
            }
            TransferEvent::Answered => {
                t.answered = true;
                t.consulting = false;
                // A consultation's number was answered (and billed) before.
                t.record.answered_at.get_or_insert(self.hub.clock.now_ms());
                let e164 = t.record.e164.clone();
                self.save_second().await;
                // The gateway joined the far end and the number and let the browser go: the
                // call is over for this agent, even if they had just taken it back.
                if !matches!(self.live.state, CallState::Connected { .. }) {
                    return None;
                }
                tracing::info!(call = %self.record.id, "transfer to a number answered");
                self.record.transferred_to = Some(e164);
                if let Some(shown) = self.live.transfer.as_mut() {
                    shown.state = TransferState::Answered;
                }
                Some(Input::HandedOver)
            }
            TransferEvent::Failed { reason, status } => {
                let (end, shown) = failure(reason, status);
                let cancelled = t.cancelled || reason == TransferFailure::Cancelled;
                tracing::info!(call = %self.record.id, ?reason, "transfer to a number not made");
                let now = self.hub.clock.now_ms();
                t.record.ended_at = Some(now);
                t.record.end_reason = Some(end);
                t.record.hangup_by = Some(
                    if cancelled {
                        HangupBy::Agent
                    } else {
                        HangupBy::Remote
                    }
                    .as_str()
                    .to_string(),
                );
                t.record.sip_cause = status.map(|s| s.to_string());
                self.save_second().await;
                self.to_number = None;
                if !cancelled {
                    if let Some(t) = self.live.transfer.as_mut() {
                        t.state = shown;
                    }
                    self.hub.publish(&self.owner, &self.live);
                }
                None
            }
            TransferEvent::Ended { .. } => None,
        }
    }

    /// The call is over here: an answered transfer goes on in a task of its own (`None`: the
    /// media went with it); one that had not been answered ends with the call (its record
    /// too), and the media is the session's to close.
    pub(super) async fn number_transfer_after(&mut self, media: Media) -> Option<Media> {
        let Some(mut t) = self.to_number.take() else {
            return Some(media);
        };
        let handed = self.record.end_reason == Some(EndReason::Transferred);
        match media {
            Media::Gateway(leg) if t.answered && handed => {
                self.hub.run_bridged(Bridged {
                    owner: self.owner.clone(),
                    record: t.record,
                    leg,
                    max_duration_ms: t.max_duration_ms,
                });
                None
            }
            media => {
                // Hung up as it rang (our BYE cancelled it), or as it was answered (a BYE to
                // both).
                let now = self.hub.clock.now_ms();
                t.record.ended_at = Some(now);
                let reason = if t.answered {
                    EndReason::Completed
                } else {
                    EndReason::Cancelled
                };
                t.record.end_reason = Some(reason);
                t.record.hangup_by = Some(HangupBy::Agent.as_str().to_string());
                self.to_number = Some(t);
                self.save_second().await;
                self.to_number = None;
                Some(media)
            }
        }
    }

    /// Writes the second call's record as it is now.
    async fn save_second(&self) {
        let Some(t) = &self.to_number else {
            return;
        };
        if let Err(e) = self.hub.store.update_call(&self.owner, &t.record).await {
            tracing::warn!(call = %t.record.id, error = %e, "the transfer's call record not saved");
        }
    }
}

/// The agent's message for a refused transfer (no number in it: the agent typed it).
fn refusal(e: ApiError) -> String {
    match e {
        ApiError::NumberRefused(reason) => {
            format!("this number cannot be dialled ({})", reason.as_str())
        }
        e => e.to_string(),
    }
}

/// The second call's end reason and what the agent's tabs show, for a failure.
fn failure(reason: TransferFailure, status: Option<u16>) -> (EndReason, TransferState) {
    match reason {
        TransferFailure::Busy => (EndReason::Busy, TransferState::Busy),
        TransferFailure::NoAnswer => (EndReason::NoAnswer, TransferState::NoAnswer),
        TransferFailure::Refused if matches!(status, Some(404 | 484 | 604)) => {
            (EndReason::NotFound, TransferState::Refused)
        }
        TransferFailure::Refused => (EndReason::Refused, TransferState::Refused),
        TransferFailure::Cancelled => (EndReason::Cancelled, TransferState::NoAnswer),
        TransferFailure::Unreachable | TransferFailure::NotNow => {
            (EndReason::Failed, TransferState::Unreachable)
        }
    }
}
