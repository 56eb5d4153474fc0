//! A call the agent sent on to a phone number, once the number answered (docs/telephony.md,
//! "Transfer"): the customer and the number talk through the gateway leg with no browser and
//! no session. This task owns the leg until one side hangs up, so the second call's record
//! (an outbound call of the agent's, billed and counted in their spend limits) gets its end
//! and duration, and the duration the spend limits admitted it for still applies (a BYE to both).

use std::sync::Arc;
use std::time::Duration;

use app::domain::call::{HangupBy, SHUTDOWN_CAUSE};
use app::domain::calls::{CallRecord, EndReason};
use telephony::gateway::{CallLeg, LegCommand, LegEvent, TransferEvent};

use super::HubInner;

/// How long the leg has to confirm our BYE (at the duration limit) before it is torn down.
const BYE_GRACE: Duration = Duration::from_secs(10);

/// The joined call: the leg, and the second call's record (answered) and its limit.
pub(crate) struct Bridged {
    pub owner: String,
    pub record: CallRecord,
    pub leg: CallLeg,
    pub max_duration_ms: u64,
}

impl HubInner {
    /// Runs a joined call in a task of its own until it ends.
    pub(crate) fn run_bridged(self: &Arc<Self>, bridged: Bridged) {
        self.count_transferred(&bridged.owner, true);
        tokio::spawn(run(self.clone(), bridged));
    }

    /// How many of `owner`'s calls sent on to a number still run here.
    pub(crate) fn transferred_calls(&self, owner: &str) -> u32 {
        self.transferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(owner)
            .copied()
            .unwrap_or(0)
    }

    fn count_transferred(&self, owner: &str, up: bool) {
        let mut counts = self.transferred.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(owner.to_string()).or_insert(0);
        *count = if up {
            count.saturating_add(1)
        } else {
            count.saturating_sub(1)
        };
        if *count == 0 {
            counts.remove(owner);
        }
    }
}

async fn run(hub: Arc<HubInner>, bridged: Bridged) {
    let Bridged {
        owner,
        mut record,
        mut leg,
        max_duration_ms,
    } = bridged;
    let answered_at = record.answered_at.unwrap_or(record.started_at);
    let until_limit = (answered_at + max_duration_ms).saturating_sub(hub.clock.now_ms());
    let limit = tokio::time::sleep(Duration::from_millis(until_limit));
    tokio::pin!(limit);
    // Why we hung up (BYE to both), once we have.
    let mut ending: Option<(EndReason, HangupBy, Option<String>)> = None;
    let (reason, by, cause) = loop {
        let bye_sent = ending.is_some();
        let grace = if bye_sent {
            BYE_GRACE
        } else {
            Duration::MAX / 4
        };
        tokio::select! {
            event = leg.events.recv() => match event {
                Some(LegEvent::Transfer(TransferEvent::Ended { hung_up })) if !bye_sent => {
                    tracing::info!(call = %record.id, ?hung_up, "transferred call over");
                    break (EndReason::Completed, HangupBy::Remote, None);
                }
                Some(LegEvent::EndConfirmed | LegEvent::Transfer(TransferEvent::Ended { .. })) if bye_sent => {
                    break ending.take().unwrap_or((EndReason::Completed, HangupBy::System, None));
                }
                Some(LegEvent::Failed { detail }) => {
                    tracing::warn!(call = %record.id, error = %detail, "transferred call failed");
                    break (EndReason::Failed, HangupBy::System, Some(detail));
                }
                Some(_) => continue,
                // The leg's task is gone: nothing carries the call any more.
                None => break ending.take().unwrap_or((EndReason::Completed, HangupBy::Remote, None)),
            },
            _ = &mut limit, if !bye_sent => {
                tracing::info!(call = %record.id, "transferred call at its longest duration: hung up");
                leg.command(LegCommand::Bye);
                ending = Some((EndReason::Completed, HangupBy::System, Some(LIMIT.to_string())));
            }
            _ = hub.stopping.cancelled(), if !bye_sent => {
                tracing::info!(call = %record.id, "transferred call hung up: the server is shutting down");
                leg.command(LegCommand::Bye);
                ending = Some((EndReason::Interrupted, HangupBy::System, Some(SHUTDOWN_CAUSE.to_string())));
            }
            _ = tokio::time::sleep(grace), if bye_sent => {
                leg.command(LegCommand::Close);
                break ending.take().unwrap_or((EndReason::Completed, HangupBy::System, None));
            }
        }
    };
    record.ended_at = Some(hub.clock.now_ms());
    record.end_reason = Some(reason);
    record.hangup_by = Some(by.as_str().to_string());
    record.sip_cause = cause;
    hub.count_transferred(&owner, false);
    // Retried while the store is down, as a session's writes are: the end is kept as it
    // happened (if this server stops first, its lease closes the call as interrupted).
    super::session::save_record(&mut None, &hub.store, &owner, &record).await;
    tracing::info!(
        call = %record.id,
        reason = reason.as_str(),
        duration_ms = record.duration_ms().unwrap_or(0),
        "transferred call ended"
    );
}

/// Why a transferred call the limit ended shows so in its record.
const LIMIT: &str = "the call's longest duration";
