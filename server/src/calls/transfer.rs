//! Blind transfer to another agent (docs/telephony.md, "Transfer"). The giving agent's session
//! holds the far end (music) and rings the taking agent here: their tabs show the call as a
//! colleague's hand-over, with Answer and Decline. An answer goes back to the giver's session,
//! which ends the call for its agent as transferred and hands the call's media to a new session
//! of the taker's ([`HubInner::take_over`]); the taker's browser then takes the gateway leg's
//! browser side (`Gateway::new_browser`) and the far end is taken off hold. A decline, no
//! answer within [`TRANSFER_RING`] or the taker's app closing leaves the call with the giver,
//! still held, and says so on their tabs. The giver resuming or hanging up stops the ringing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use app::api::live::{IncomingCall, IncomingEnd, ServerMessage, TransferState};
use app::domain::calls::CallRecord;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::inbound::{RingCommand, Ringing};
use super::media::Media;
use super::session::SessionCommand;
use super::{HubInner, SessionStart};

/// How long a transfer rings for the agent it goes to before it stays with the giver.
pub const TRANSFER_RING: Duration = Duration::from_secs(30);

/// A transfer the giver's session asked for.
pub(crate) struct TransferOffer {
    pub call_id: String,
    /// The agent it goes to.
    pub to: String,
    /// The far end's number (empty: withheld) and the contact name the taker has for it.
    pub far_end: String,
    pub started_at: u64,
    /// The giver's session: the taker's answer or refusal goes there.
    pub giver: mpsc::UnboundedSender<SessionCommand>,
    /// Cancelled by the giver (they took the call back, or it ended).
    pub cancel: CancellationToken,
    /// A warm transfer: the answer starts a consultation with the giver.
    pub consult: bool,
}

/// A call an agent took over: the gateway leg and when the call was first answered.
pub(crate) struct TakenCall {
    pub media: Media,
    pub answered_at: u64,
    /// After a consultation: the taker's browser is in the call already, on this connection
    /// (its peer connection moved into the call's leg), so no offer is waited for.
    pub connected_on: Option<u64>,
}

impl HubInner {
    /// Rings `offer.to` for the giver's call, in a task of its own.
    pub(crate) fn ring_transfer(self: &Arc<Self>, offer: TransferOffer) {
        tokio::spawn(ring(self.clone(), offer));
    }

    /// `to` answered a transfer on `connection`: the call's new session, theirs, with the
    /// media the giver's session handed over. A call they were on ends first. (Boxed: a
    /// session starts the next one here, and a future cannot contain itself.)
    pub(crate) fn take_over(
        self: &Arc<Self>,
        to: &str,
        connection: u64,
        record: CallRecord,
        taken: TakenCall,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> {
        let (hub, to) = (self.clone(), to.to_string());
        Box::pin(async move {
            hub.hang_up_current(&to);
            if let Err(e) = hub.store.insert_call(&to, &record).await {
                tracing::error!(call = %record.id, error = %e, "the taken call's record not written; the call ends");
                return Err("the call could not be recorded".into());
            }
            let start = SessionStart {
                placed_by: Some(connection),
                from_api: false,
                max_duration_ms: hub.limits.max_duration_ms,
                incoming: None,
                taken: Some(taken),
            };
            hub.start_session(&to, record, start).await;
            Ok(())
        })
    }
}

async fn ring(hub: Arc<HubInner>, offer: TransferOffer) {
    let TransferOffer {
        call_id,
        to,
        far_end,
        started_at,
        giver,
        cancel,
        consult,
    } = offer;
    let contact_name = match far_end.as_str() {
        "" => None,
        number => match hub.store.contact_by_number(&to, number).await {
            Ok(c) => c.map(|c| c.name),
            Err(e) => {
                tracing::warn!(call = %call_id, error = %e, "contact look-up failed");
                None
            }
        },
    };
    let incoming = IncomingCall {
        id: call_id.clone(),
        from: (!far_end.is_empty()).then_some(far_end),
        contact_name,
        to: String::new(),
        started_at,
        transferred: true,
        consult,
    };
    let (commands_tx, mut commands) = mpsc::unbounded_channel();
    hub.lock_ringing().insert(
        call_id.clone(),
        Ringing {
            shown: [(to.clone(), incoming.clone())].into_iter().collect(),
            commands: commands_tx,
        },
    );
    hub.tell(&to, ServerMessage::Incoming { incoming });
    tracing::info!(call = %call_id, "transfer rings");
    let deadline = tokio::time::sleep(TRANSFER_RING);
    tokio::pin!(deadline);
    let (end, outcome) = loop {
        tokio::select! {
            _ = cancel.cancelled() => break (IncomingEnd::CallerHungUp, None),
            _ = giver.closed() => break (IncomingEnd::CallerHungUp, None),
            _ = &mut deadline => break (IncomingEnd::Missed, Some(TransferState::NoAnswer)),
            command = commands.recv() => match command {
                Some(RingCommand::Answer { owner, connection, reply }) if owner == to => {
                    let (handed, result) = oneshot::channel();
                    let to = to.clone();
                    let hand_over = if consult {
                        SessionCommand::ConsultAnswered { to, connection, reply: handed }
                    } else {
                        SessionCommand::HandOver { to, connection, reply: handed }
                    };
                    let answer = if giver.send(hand_over).is_ok() {
                        result.await.unwrap_or_else(|_| Err(GONE.into()))
                    } else {
                        Err(GONE.into())
                    };
                    let end = if answer.is_ok() { IncomingEnd::Answered } else { IncomingEnd::CallerHungUp };
                    let _ = reply.send(answer);
                    break (end, None);
                }
                Some(RingCommand::Decline { owner }) if owner == to => {
                    break (IncomingEnd::Declined, Some(TransferState::Declined));
                }
                Some(_) => {}
                None => break (IncomingEnd::Missed, Some(TransferState::NoAnswer)),
            },
        }
    };
    hub.lock_ringing().remove(&call_id);
    hub.tell(&to, ServerMessage::IncomingEnded { call_id, end });
    if let Some(state) = outcome {
        let _ = giver.send(SessionCommand::TransferEnded(state));
    }
}

/// The answer to a taker whose call ended (or was taken back) as they answered.
const GONE: &str = "the call is no longer being transferred";
