//! A call in until it is answered or refused, whichever way it came: the gateway's SIP INVITE
//! (a Voice Connector's origination, the simulator), or the SIP media application's
//! `NEW_INBOUND_CALL` on the Chime PSTN Audio path, which the handler's progress push tells
//! the server of (docs/chime.md, "Calls in"). The ringing (`inbound.rs`) and the answering
//! agent's session treat both alike.

use std::sync::Arc;

use telephony::gateway;
use tokio::sync::watch;

use super::{inbound, CallHub, Provider};
use crate::chime::{CallUpdate, ChimeControl};

pub(crate) enum IncomingLeg {
    Gateway(gateway::IncomingCall),
    Chime(ChimeCallIn),
}

/// A call in to the SIP media application, ringing while the server decides.
pub(crate) struct ChimeCallIn {
    pub transaction_id: String,
    pub from: Option<String>,
    pub to: String,
    control: Arc<ChimeControl>,
    /// Turns `true` when the handler reports the caller gone.
    gone: watch::Receiver<bool>,
    /// Answered (its session took it) or refused: nothing more to do with it here.
    settled: bool,
}

impl ChimeCallIn {
    pub fn new(
        transaction_id: String,
        from: Option<String>,
        to: String,
        control: Arc<ChimeControl>,
        gone: watch::Receiver<bool>,
    ) -> ChimeCallIn {
        ChimeCallIn {
            transaction_id,
            from,
            to,
            control,
            gone,
            settled: false,
        }
    }

    /// The call is being answered: from here its session's leg owns it (its transaction,
    /// and the word of the caller hanging up before the handler knows our call id).
    pub fn take(mut self) -> AnsweredCallIn {
        self.settled = true;
        AnsweredCallIn {
            transaction_id: std::mem::take(&mut self.transaction_id),
            gone: self.gone.clone(),
        }
    }

    fn refuse(&mut self, code: u16) {
        self.settled = true;
        let (control, transaction) = (self.control.clone(), self.transaction_id.clone());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = control
                .update_sma_call(&transaction, &CallUpdate::Refuse(code))
                .await
            {
                // The service ends a call nobody acts on after 30 s: the caller is not left.
                tracing::warn!(transaction_id = %transaction, error = %e, "call in not refused; it ends when it rings out");
            }
        });
    }
}

/// A Chime call in as its answering session's leg holds it.
pub(crate) struct AnsweredCallIn {
    pub transaction_id: String,
    pub gone: watch::Receiver<bool>,
}

impl Drop for ChimeCallIn {
    /// Never left ringing: a call in dropped unanswered (its agent's tab went before the
    /// meeting was asked for) is refused, as the gateway's is.
    fn drop(&mut self) {
        if !self.settled {
            self.refuse(480);
        }
    }
}

impl IncomingLeg {
    /// The caller's number (E.164); `None` when withheld.
    pub fn from(&self) -> Option<&str> {
        match self {
            IncomingLeg::Gateway(call) => call.from.as_deref(),
            IncomingLeg::Chime(call) => call.from.as_deref(),
        }
    }

    /// The number called: one of the business's.
    pub fn to(&self) -> &str {
        match self {
            IncomingLeg::Gateway(call) => &call.to,
            IncomingLeg::Chime(call) => &call.to,
        }
    }

    /// Tells the caller it rings (a SIP 180); the telephone network rings a Chime caller.
    pub fn ring(&self) {
        if let IncomingLeg::Gateway(call) = self {
            call.ring();
        }
    }

    /// Refuses the call with a SIP `code` (480, 486, 603…) before answering.
    pub fn refuse(self, code: u16) {
        match self {
            IncomingLeg::Gateway(call) => call.refuse(code),
            IncomingLeg::Chime(mut call) => call.refuse(code),
        }
    }

    /// Resolves when the caller hangs up before the answer.
    pub async fn gone(&mut self) {
        match self {
            IncomingLeg::Gateway(call) => {
                call.gone().await;
            }
            IncomingLeg::Chime(call) => until_gone(&mut call.gone).await,
        }
    }
}

/// Resolves when the caller of a call in (`None`: none) hangs up before it is answered.
pub(crate) async fn caller_gone(call: &mut Option<IncomingLeg>) {
    match call {
        Some(call) => call.gone().await,
        None => std::future::pending().await,
    }
}

/// Resolves once the handler reports a Chime caller gone; never if no one can report it any
/// more.
pub(crate) async fn until_gone(gone: &mut watch::Receiver<bool>) {
    if gone.wait_for(|gone| *gone).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl CallHub {
    /// A call in through the SIP media application: it rings the agents the routing names.
    /// `false` on a server that does not carry Chime calls. A push told again (its retry) is
    /// taken once.
    pub(super) fn chime_call_in(
        &self,
        transaction_id: &str,
        from: Option<String>,
        to: String,
    ) -> bool {
        let Provider::Chime(control) = &self.inner.provider else {
            return false;
        };
        if transaction_id.is_empty() {
            return false;
        }
        let gone = {
            let mut calls_in = self.inner.lock_chime_calls_in();
            // Calls whose ringing and session are both over.
            calls_in.retain(|_, gone| gone.receiver_count() > 0);
            if calls_in.contains_key(transaction_id) {
                return true;
            }
            let (tx, gone) = tokio::sync::watch::channel(false);
            calls_in.insert(transaction_id.to_string(), tx);
            gone
        };
        let call = ChimeCallIn::new(transaction_id.to_string(), from, to, control.clone(), gone);
        inbound::take_call_in(self.inner.clone(), IncomingLeg::Chime(call));
        true
    }
}
