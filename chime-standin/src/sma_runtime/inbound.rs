//! Calls in (docs/chime.md, "The stand-in's SIP media application runtime"): each call its
//! media gateway takes from the trunk (the PSTN simulator's origination) is a call to the first
//! SIP media application, as a SIP rule with the number as its trigger would make it. The
//! handler gets `NEW_INBOUND_CALL` with the caller as leg A; the caller rings until an action
//! answers (`JoinChimeMeeting`, which hands the SIP call to the meeting's next subscription) or
//! refuses it (`Hangup`), the caller hangs up (`HANGUP`), or 30 s pass (the service's limit:
//! refused with 480, then `HANGUP`).

use std::time::Duration;

use serde_json::json;
use telephony::gateway::IncomingCall;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::events::{Leg, CONNECTED, DISCONNECTED, LEG_A};
use super::{NewCall, Runtime};
use crate::state::SmaCallRecord;
use crate::StandIn;

/// How long a call in may ring with nothing done (the guide: "the call attempt times out
/// after 30 seconds").
const RING_LIMIT: Duration = Duration::from_secs(30);

/// Takes every call in `calls` brings, each a SIP media application call of its own.
pub(crate) fn take_calls_in(stand_in: StandIn, mut calls: mpsc::Receiver<IncomingCall>) {
    tokio::spawn(async move {
        while let Some(call) = calls.recv().await {
            start_inbound(&stand_in, call);
        }
    });
}

fn start_inbound(stand_in: &StandIn, call: IncomingCall) {
    let Some(sma_id) = stand_in.config().sip_media_applications.first().cloned() else {
        call.refuse(404);
        return;
    };
    let transaction_id = uuid::Uuid::new_v4().to_string();
    let from = call.from.clone().unwrap_or_else(|| "anonymous".into());
    let to = call.to.clone();
    let (updates_tx, updates) = mpsc::unbounded_channel();
    {
        let mut state = stand_in.state();
        state.calls.insert(
            transaction_id.clone(),
            SmaCallRecord {
                sip_media_application_id: sma_id.clone(),
                from_phone_number: from.clone(),
                to_phone_number: to.clone(),
                sip_headers: Vec::new(),
                arguments_map: Vec::new(),
                updates: Vec::new(),
                events: Vec::new(),
                ended: false,
            },
        );
        state.runtimes.insert(transaction_id.clone(), updates_tx);
    }
    let mut leg_a = Leg::new(LEG_A, &to, &from, sma::report::now_ms());
    leg_a.direction = "Inbound";
    // As the guide's example lists it.
    leg_a.status = Some(CONNECTED);
    tracing::info!(%transaction_id, "SIP media application call in");
    let call_record = NewCall {
        transaction_id,
        sma_id,
        from,
        to,
        arguments: Vec::new(),
    };
    let mut runtime = Runtime::new(stand_in.clone(), call_record, updates, leg_a);
    runtime.call_in = Some(call);
    runtime.ring_until = Some(Instant::now() + RING_LIMIT);
    tokio::spawn(runtime.run());
}

impl Runtime {
    /// `NEW_INBOUND_CALL`, and whatever the handler returns.
    pub(super) async fn offer_in(&mut self) {
        let actions = self.invoke("NEW_INBOUND_CALL", None).await;
        self.apply(actions).await;
    }

    /// The caller hung up before the answer.
    pub(super) async fn caller_left(&mut self) {
        self.call_in = None;
        self.caller_gone_event(0).await;
    }

    /// Nothing answered or refused the call in time: the service refuses it.
    pub(super) async fn rang_out(&mut self) {
        self.ring_until = None;
        if let Some(call) = self.call_in.take() {
            call.refuse(480);
            self.caller_gone_event(480).await;
        }
    }

    async fn caller_gone_event(&mut self, code: u16) {
        self.ring_until = None;
        if !self.leg_a.is_connected() {
            return;
        }
        self.leg_a.status = Some(DISCONNECTED);
        let data = json!({"Type": "Hangup", "Parameters": {
            "SipResponseCode": code, "CallId": self.leg_a.call_id, "ParticipantTag": LEG_A}});
        let actions = self.invoke("HANGUP", Some(data)).await;
        self.apply(actions).await;
    }

    /// The PSTN leg: leg B of a call out, the caller's leg A of a call in.
    pub(super) fn pstn_leg(&self) -> Option<&Leg> {
        if self.is_inbound() {
            Some(&self.leg_a)
        } else {
            self.leg_b.as_ref()
        }
    }

    pub(super) fn is_inbound(&self) -> bool {
        self.leg_a.direction == "Inbound"
    }
}

/// Resolves when the caller of a call in not yet answered hangs up; never otherwise.
pub(super) async fn caller_gone(call: &mut Option<IncomingCall>) {
    match call {
        Some(call) => {
            call.gone().await;
        }
        None => std::future::pending().await,
    }
}
