//! The SIP media application's runtime (docs/chime.md, "The stand-in's SIP media application
//! runtime"): for each `CreateSipMediaApplicationCall` it invokes our real handler
//! (`sma::flow::handle`, in process, with the Lambda's dialling policy) with the documented
//! events in order, carries the `TransactionAttributes` from each response to the next event,
//! pushes the progress as the Lambda does (`sma::report`), and carries out the actions on the
//! meeting's media leg: `JoinChimeMeeting` takes the meeting's leg, `CallAndBridge` dials the
//! PSTN from it, `SendDigits` sends keys on it, `Hangup` ends a leg, the recording actions
//! record it into a directory standing in for S3 ([`recording`]). `PlayAudio` plays only as
//! the consent notice right before `StartCallRecording`; otherwise it is refused
//! (`ACTION_FAILED`): not supported by the stand-in yet.

mod actions;
mod events;
mod inbound;
mod recording;

pub(crate) use inbound::take_calls_in;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde_json::{json, Value};
use sma::action::Action;
use sma::event::Event;
use telephony::gateway::{LegCommand, LegCommander, LegEvent};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::StandIn;
use events::{
    action_data, bridge_error_type, event, CallContext, Leg, CONNECTED, DISCONNECTED, LEG_A, LEG_B,
};

/// What `UpdateSipMediaApplicationCall` hands the running call: its `Arguments`.
pub(crate) type UpdateSender = mpsc::UnboundedSender<BTreeMap<String, String>>;

/// `CallTimeoutSeconds` when the action gives none (the guide's default).
const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the meeting is looked at for its browser attendee's leg while joining.
const JOIN_POLL: Duration = Duration::from_millis(50);
/// Slack on top of the keys' own time before `SendDigits` is reported failed.
const DIGITS_SLACK: Duration = Duration::from_secs(3);

/// The call as created: who, where, and the arguments.
pub(crate) struct NewCall {
    pub transaction_id: String,
    pub sma_id: String,
    pub from: String,
    pub to: String,
    pub arguments: Vec<(String, String)>,
}

/// Starts the runtime of one call; the sender takes its updates.
pub(crate) fn start(stand_in: StandIn, call: NewCall) -> UpdateSender {
    let (updates_tx, updates) = mpsc::unbounded_channel();
    let now = sma::report::now_ms();
    let leg_a = Leg::new(LEG_A, &call.to, &call.from, now);
    tokio::spawn(Runtime::new(stand_in, call, updates, leg_a).run());
    updates_tx
}

/// The meeting's media leg, once `JoinChimeMeeting` took it.
struct MeetingMedia {
    leg: LegCommander,
    events: mpsc::UnboundedReceiver<LegEvent>,
}

/// A `CallAndBridge` under way.
struct Bridge {
    /// The action as returned, echoed in its events.
    action: Value,
    deadline: Instant,
    rang: bool,
}

/// What carrying out one action led to.
enum Step {
    /// Nothing to report (yet): go on with the list.
    Next,
    /// Report this event; `ends_list` when the rest of the list must not run (a failure, a
    /// hang-up), as the service reports only a list's last action or its failure.
    Report { event: Value, ends_list: bool },
}

struct Runtime {
    stand_in: StandIn,
    call: NewCall,
    updates: mpsc::UnboundedReceiver<BTreeMap<String, String>>,
    sequence: u64,
    attributes: Option<BTreeMap<String, String>>,
    leg_a: Leg,
    leg_b: Option<Leg>,
    meeting: Option<MeetingMedia>,
    /// Leg events read while waiting for something else (keys being sent), handled next.
    backlog: VecDeque<Option<LegEvent>>,
    bridge: Option<Bridge>,
    /// The actions still to run, in order.
    queue: VecDeque<Action>,
    /// A recording runs (started and not stopped).
    recording: bool,
    /// A `PlayAudio`'s samples, for the `StartCallRecording` that follows it.
    notice: Vec<i16>,
    /// A call in's caller, until `JoinChimeMeeting` hands it to the meeting or it is refused.
    call_in: Option<telephony::gateway::IncomingCall>,
    /// A call in rings out (the service's 30 s) unless acted on by then.
    ring_until: Option<Instant>,
}

impl Runtime {
    /// A call's runtime, with nothing done yet.
    fn new(
        stand_in: StandIn,
        call: NewCall,
        updates: mpsc::UnboundedReceiver<BTreeMap<String, String>>,
        leg_a: Leg,
    ) -> Runtime {
        Runtime {
            stand_in,
            call,
            updates,
            sequence: 0,
            attributes: None,
            leg_a,
            leg_b: None,
            meeting: None,
            backlog: VecDeque::new(),
            bridge: None,
            queue: VecDeque::new(),
            recording: false,
            notice: Vec::new(),
            call_in: None,
            ring_until: None,
        }
    }

    async fn run(mut self) {
        if self.call_in.is_some() {
            self.offer_in().await;
        } else {
            let arguments: BTreeMap<String, String> = self.call.arguments.iter().cloned().collect();
            // NEW_OUTBOUND_CALL and RINGING: their actions are ignored (the guide), their
            // attributes kept (our handler stores the arguments there).
            let data = json!({"Type": "CallCreateRequest", "Parameters": {"Arguments": arguments}});
            self.invoke("NEW_OUTBOUND_CALL", Some(data)).await;
            self.invoke("RINGING", None).await;
            self.leg_a.status = Some(CONNECTED);
            let actions = self.invoke("CALL_ANSWERED", None).await;
            self.apply(actions).await;
        }
        while !self.finished() {
            let deadline = self.bridge.as_ref().map(|bridge| bridge.deadline);
            tokio::select! {
                update = self.updates.recv() => match update {
                    Some(arguments) => self.update_requested(arguments).await,
                    None => break,
                },
                leg_event = next_leg_event(&mut self.meeting, &mut self.backlog) => {
                    self.on_leg_event(leg_event).await;
                }
                () = sleep_until(deadline) => self.bridge_timed_out().await,
                () = inbound::caller_gone(&mut self.call_in) => self.caller_left().await,
                () = sleep_until(self.ring_until) => self.rang_out().await,
            }
        }
        self.stand_in
            .with_call(&self.call.transaction_id, |call| call.ended = true);
        tracing::info!(transaction_id = %self.call.transaction_id, "SIP media application call ended");
    }

    fn finished(&self) -> bool {
        !self.leg_a.is_connected()
            && self.bridge.is_none()
            && !self.leg_b.as_ref().is_some_and(Leg::is_connected)
    }

    /// Invokes the handler with an event of `kind`; its actions.
    async fn invoke(&mut self, kind: &str, action_data: Option<Value>) -> Vec<Action> {
        self.sequence += 1;
        let mut legs = vec![&self.leg_a];
        legs.extend(self.leg_b.as_ref());
        let config = self.stand_in.config();
        let context = CallContext {
            transaction_id: &self.call.transaction_id,
            sma_id: &self.call.sma_id,
            account_id: &config.account_id,
            region: &config.region,
            attributes: self.attributes.as_ref(),
            legs,
        };
        let value = event(&context, self.sequence, kind, action_data);
        let event = match Event::from_json(value) {
            Ok(event) => event,
            Err(error) => {
                // A bug in the stand-in's event shapes, not the handler's to see.
                tracing::error!(%error, kind, "the stand-in built an event the handler cannot read");
                return Vec::new();
            }
        };
        let label = label(&event);
        self.stand_in
            .with_call(&self.call.transaction_id, |call| call.events.push(label));
        let outcome = sma::flow::handle(&event, &sma::policy::dial_policy, sma::report::now_ms());
        if let Some(attributes) = outcome.response.transaction_attributes {
            self.attributes = Some(attributes);
        }
        if let Some(reporter) = &self.stand_in.config().runtime.reporter {
            reporter
                .report(
                    outcome.call_id.as_deref(),
                    &self.call.transaction_id,
                    event.sequence,
                    outcome.progress.as_ref(),
                )
                .await;
        }
        outcome.response.actions
    }

    /// A response's actions replace what was left of the list; an empty one keeps it.
    async fn apply(&mut self, actions: Vec<Action>) {
        if !actions.is_empty() {
            self.queue = actions.into();
        }
        while let Some(action) = self.queue.pop_front() {
            if let Step::Report { event, ends_list } = self.act(action).await {
                if ends_list || self.queue.is_empty() {
                    if ends_list {
                        self.queue.clear();
                    }
                    let kind = event["kind"].as_str().unwrap_or_default().to_string();
                    let actions = self.invoke(&kind, event.get("data").cloned()).await;
                    if !actions.is_empty() {
                        self.queue = actions.into();
                    }
                }
            }
        }
    }

    /// Leg B goes: CANCEL while it rings, BYE once connected (when `ours`).
    fn end_leg_b(&mut self, ours: bool) {
        if self.bridge.take().is_some() {
            if ours {
                self.command(LegCommand::Cancel);
            }
        } else if ours && self.leg_b.as_ref().is_some_and(Leg::is_connected) {
            self.command(LegCommand::Bye);
        }
        if let Some(leg) = self.leg_b.as_mut() {
            leg.status = Some(DISCONNECTED);
        }
    }

    fn command(&self, command: LegCommand) {
        if let Some(media) = &self.meeting {
            media.leg.command(command);
        }
    }

    async fn update_requested(&mut self, arguments: BTreeMap<String, String>) {
        let data = json!({"Type": "CallUpdateRequest", "Parameters": {"Arguments": arguments}});
        let actions = self.invoke("CALL_UPDATE_REQUESTED", Some(data)).await;
        self.apply(actions).await;
    }

    async fn on_leg_event(&mut self, leg_event: Option<LegEvent>) {
        let bridging = self.bridge.is_some();
        let leg_b_up = self.leg_b.as_ref().is_some_and(Leg::is_connected);
        // The agent hears ringback while the target rings (180), the network's own tones once
        // it sends early media; the gateway plays it only when told, and stops it on the answer.
        match leg_event {
            Some(LegEvent::Ringing) if bridging => self.command(LegCommand::Ringback(true)),
            Some(LegEvent::EarlyMedia) if bridging => self.command(LegCommand::Ringback(false)),
            _ => {}
        }
        let step = match leg_event {
            Some(LegEvent::Ringing | LegEvent::EarlyMedia) if bridging => {
                match self.bridge.as_mut() {
                    Some(bridge) if !bridge.rang => {
                        bridge.rang = true;
                        Some(("RINGING", None))
                    }
                    _ => None,
                }
            }
            Some(LegEvent::Answered) if bridging => {
                let action = self.bridge.take().map(|b| b.action).unwrap_or(Value::Null);
                if let Some(leg) = self.leg_b.as_mut() {
                    leg.status = Some(CONNECTED);
                }
                let leg_a = json!(self.leg_a.call_id);
                Some((
                    "ACTION_SUCCESSFUL",
                    Some(action_data(&action, &[("CallId", leg_a)], None)),
                ))
            }
            Some(LegEvent::Rejected { status, reason }) if bridging => {
                let data = self.bridge_failed(Some(status), bridge_error_type(status), &reason);
                Some(("ACTION_FAILED", Some(data)))
            }
            Some(LegEvent::Failed { detail }) if bridging => {
                let data = self.bridge_failed(None, "SystemException", &detail);
                Some(("ACTION_FAILED", Some(data)))
            }
            Some(LegEvent::RemoteBye | LegEvent::Failed { .. }) if leg_b_up => {
                self.end_leg_b(false);
                Some(("HANGUP", Some(self.leg_b_hangup())))
            }
            // A call in's caller hung up (or its side failed).
            Some(LegEvent::RemoteBye | LegEvent::Failed { .. })
                if self.is_inbound() && self.leg_a.is_connected() =>
            {
                self.leg_a.status = Some(DISCONNECTED);
                let data = json!({"Type": "Hangup", "Parameters": {
                    "SipResponseCode": 0, "CallId": self.leg_a.call_id, "ParticipantTag": LEG_A}});
                Some(("HANGUP", Some(data)))
            }
            None => {
                // The meeting's leg closed (the browser left, or the meeting was deleted):
                // whatever it carried is gone.
                self.meeting = None;
                if bridging {
                    let data =
                        self.bridge_failed(None, "SystemException", "the meeting's media closed");
                    Some(("ACTION_FAILED", Some(data)))
                } else if leg_b_up {
                    self.end_leg_b(false);
                    Some(("HANGUP", Some(self.leg_b_hangup())))
                } else if self.leg_a.is_connected() {
                    self.leg_a.status = Some(DISCONNECTED);
                    let data = json!({"Type": "Hangup", "Parameters": {
                        "SipResponseCode": 0, "CallId": self.leg_a.call_id, "ParticipantTag": LEG_A}});
                    Some(("HANGUP", Some(data)))
                } else {
                    None
                }
            }
            Some(_) => None,
        };
        if let Some((kind, data)) = step {
            let actions = self.invoke(kind, data).await;
            self.apply(actions).await;
        }
    }

    fn leg_b_hangup(&self) -> Value {
        let call_id = self
            .leg_b
            .as_ref()
            .map(|leg| leg.call_id.clone())
            .unwrap_or_default();
        json!({"Type": "Hangup", "Parameters": {
            "SipResponseCode": 0, "CallId": call_id, "ParticipantTag": LEG_B}})
    }

    /// Ends the bridge attempt: leg B never connected, so the event does not list it.
    fn bridge_failed(&mut self, status: Option<u16>, kind: &str, message: &str) -> Value {
        let action = self.bridge.take().map(|b| b.action).unwrap_or(Value::Null);
        self.leg_b = None;
        self.command(LegCommand::Ringback(false));
        let mut extra = vec![("CallId", json!(self.leg_a.call_id))];
        if let Some(status) = status {
            extra.push(("SipResponseCode", json!(status)));
        }
        action_data(&action, &extra, Some((kind, message)))
    }

    async fn bridge_timed_out(&mut self) {
        self.command(LegCommand::Cancel);
        let data = self.bridge_failed(None, "CallNotAnswered", "Call not answered");
        let actions = self.invoke("ACTION_FAILED", Some(data)).await;
        self.apply(actions).await;
    }
}

/// A failed action's event, ending the list.
fn failed(echoed: &Value, extra: &[(&str, Value)], kind: &str, message: &str) -> Step {
    Step::Report {
        event: report(
            "ACTION_FAILED",
            action_data(echoed, extra, Some((kind, message))),
        ),
        ends_list: true,
    }
}

/// An event to invoke with, as `apply` reads it.
fn report(kind: &str, data: Value) -> Value {
    json!({"kind": kind, "data": data})
}

/// How the call record lists an event: its type, and the action or leg it is about.
fn label(event: &Event) -> String {
    let kind = event.invocation_event_type.as_str();
    let data = event.action_data.as_ref();
    let about = match kind {
        "ACTION_SUCCESSFUL" | "ACTION_FAILED" => data.map(|d| d.action_type.as_str().to_string()),
        "HANGUP" => data
            .and_then(|d| d.parameters.participant_tag.as_ref())
            .map(|tag| tag.as_str().to_string()),
        "RINGING" => Some(if event.call_details.participants.len() > 1 {
            LEG_B.to_string()
        } else {
            LEG_A.to_string()
        }),
        _ => None,
    };
    match about {
        Some(about) => format!("{kind} {about}"),
        None => kind.to_string(),
    }
}

/// The next event of the meeting's leg (the backlog first); never, without one.
async fn next_leg_event(
    meeting: &mut Option<MeetingMedia>,
    backlog: &mut VecDeque<Option<LegEvent>>,
) -> Option<LegEvent> {
    if let Some(event) = backlog.pop_front() {
        return event;
    }
    match meeting {
        Some(media) => media.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
