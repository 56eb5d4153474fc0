//! Calls in at the hub. For each call the gateway hands over, the routing
//! (`app::domain::inbound`: the number's assignment, its hours, the caller's last agent) decides
//! who rings; their tabs show it (`incoming` on the live channel) and the ringing state machine
//! ([`InboundRing`]) follows their answers, declines and the time. The first agent to answer
//! gets it as their call — a session like any other, which answers the caller once that agent's
//! browser audio is up — and the others see it taken. A call nobody answers is missed: each agent
//! it rang gets a Recents entry. Only agents with a live channel on this server can ring
//! (docs/telephony.md, "Calls in").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use app::api::live::{IncomingCall, IncomingEnd, ServerMessage};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::inbound::{Availability, Event, InboundRing, Output, Route, StopReason};
use telephony::gateway;
use tokio::sync::{mpsc, oneshot};

use super::incoming::{caller_gone, IncomingLeg};
use super::{HubInner, Provider, SessionStart};

/// The answer to an agent who answered after a colleague.
pub const ANSWERED_BY_SOMEONE_ELSE: &str = "someone else answered the call first";

/// What an agent's tab asks of a ringing call.
pub(crate) enum RingCommand {
    Answer {
        owner: String,
        connection: u64,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Decline {
        owner: String,
    },
}

/// A call ringing on this server: what each agent it rings is shown, and its task's inbox.
pub(crate) struct Ringing {
    pub shown: HashMap<String, IncomingCall>,
    pub commands: mpsc::UnboundedSender<RingCommand>,
}

impl HubInner {
    pub(crate) fn lock_ringing(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ringing>> {
        self.ringing.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn lock_chime_calls_in(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, tokio::sync::watch::Sender<bool>>> {
        self.chime_calls_in
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The calls ringing for `owner` now (for a new connection's hello).
    pub(crate) fn ringing_for(&self, owner: &str) -> Vec<IncomingCall> {
        let mut calls: Vec<IncomingCall> = self
            .lock_ringing()
            .values()
            .filter_map(|r| r.shown.get(owner).cloned())
            .collect();
        calls.sort_by_key(|c| c.started_at);
        calls
    }

    /// Passes an agent's answer or decline to the call's task; `false` when the call does not
    /// ring for them (any more).
    pub(crate) fn ring_command(&self, call_id: &str, owner: &str, command: RingCommand) -> bool {
        let ringing = self.lock_ringing();
        ringing
            .get(call_id)
            .filter(|r| r.shown.contains_key(owner))
            .is_some_and(|r| r.commands.send(command).is_ok())
    }

    /// Whether `sub` can take a call now, as far as this server knows.
    pub(crate) async fn availability(&self, sub: &str) -> Availability {
        let (connected, busy) = {
            let users = self.lock_users();
            match users.get(sub) {
                Some(u) => (u.connections > 0, u.call.is_some()),
                None => (false, false),
            }
        };
        if !connected {
            return Availability::Offline;
        }
        let dnd = match self.store.preferences(sub).await {
            Ok(p) => p.do_not_disturb,
            Err(e) => {
                tracing::warn!(error = %e, "preferences not read: the agent rings");
                false
            }
        };
        match (dnd, busy) {
            (true, _) => Availability::DoNotDisturb,
            (false, true) => Availability::Busy,
            (false, false) => Availability::Free,
        }
    }
}

/// The refusal after a message: the number is there, nobody can take the call now.
const MESSAGE_THEN: u16 = 480;

/// Takes every call in the gateway hands over, each in its own task.
pub(crate) fn take_calls_in(hub: Arc<HubInner>, mut calls: mpsc::Receiver<gateway::IncomingCall>) {
    tokio::spawn(async move {
        while let Some(call) = calls.recv().await {
            take_call_in(hub.clone(), IncomingLeg::Gateway(call));
        }
    });
}

/// Rings for one call in, in a task of its own.
pub(crate) fn take_call_in(hub: Arc<HubInner>, call: IncomingLeg) {
    tokio::spawn(ring(hub, call));
}

/// The agents a route may ring.
fn agents_of(route: &Route) -> BTreeSet<String> {
    match route {
        Route::Ring(plan) => plan
            .stages
            .iter()
            .flat_map(|s| s.agents.iter().cloned())
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// One call in, from its arrival to its answer or its miss.
async fn ring(hub: Arc<HubInner>, call: IncomingLeg) {
    if hub.is_draining() {
        // Shutting down: a carrier tries its next route on a 503.
        tracing::info!("call in refused (503): the server is shutting down");
        call.refuse(503);
        return;
    }
    let started_at = hub.clock.now_ms();
    let id = uuid::Uuid::new_v4().to_string();
    let caller_ids = hub.caller_ids.get().map(Vec::as_slice).unwrap_or(&[]);
    let routed = app::api::inbound::route_call(
        hub.store.as_ref(),
        caller_ids,
        call.to(),
        call.from(),
        started_at,
    )
    .await;
    let route = match routed {
        // The service gives up on a Chime call in nobody acts on after 30 s.
        Ok(route) if matches!(call, IncomingLeg::Chime(_)) => {
            route.ringing_at_most(sma::inbound::RING_LIMIT_SECS)
        }
        Ok(route) => route,
        Err(e) => {
            // Never "not in service" for a number that may be ours: the caller may try again.
            tracing::error!(call = %id, error = %e, "owned number not read: call in refused (503)");
            call.refuse(503);
            return;
        }
    };
    let mut availability = BTreeMap::new();
    for agent in agents_of(&route) {
        let a = hub.availability(&agent).await;
        availability.insert(agent, a);
    }
    let (commands_tx, commands) = mpsc::unbounded_channel();
    hub.lock_ringing().insert(
        id.clone(),
        Ringing {
            shown: HashMap::new(),
            commands: commands_tx,
        },
    );
    tracing::info!(call = %id, "call in");
    app::api::metrics::call_started(
        app::domain::calls::Direction::Inbound,
        call.from().unwrap_or(""),
        None,
    );
    let (machine, outputs) = InboundRing::start(route, availability, started_at);
    let mut task = RingTask {
        hub: hub.clone(),
        id: id.clone(),
        started_at,
        from: call.from().map(str::to_string),
        to: call.to().to_string(),
        call: Some(call),
        machine,
        rung: BTreeSet::new(),
        answering: HashMap::new(),
        said_ringing: false,
    };
    task.apply(outputs).await;
    task.run(commands).await;
    hub.lock_ringing().remove(&id);
}

struct RingTask {
    hub: Arc<HubInner>,
    id: String,
    started_at: u64,
    /// The caller's number (none when withheld) and the number called: kept here for the
    /// missed call's record and push, which may come after the call itself was refused.
    from: Option<String>,
    to: String,
    /// Until answered (it moves into the answering agent's session) or refused.
    call: Option<IncomingLeg>,
    machine: InboundRing,
    /// Every agent the call rang.
    rung: BTreeSet<String>,
    /// Answers waiting for the machine's verdict: the agent's connection and reply.
    answering: HashMap<String, (u64, oneshot::Sender<Result<(), String>>)>,
    said_ringing: bool,
}

impl RingTask {
    async fn run(&mut self, mut commands: mpsc::UnboundedReceiver<RingCommand>) {
        while self.machine.is_ringing() && self.call.is_some() {
            let wait = self
                .machine
                .next_deadline()
                .map(|d| Duration::from_millis(d.saturating_sub(self.hub.clock.now_ms())))
                .unwrap_or(Duration::from_secs(3600));
            let event = tokio::select! {
                _ = caller_gone(&mut self.call) => Event::CallerHungUp,
                _ = self.hub.stopping.cancelled() => {
                    self.shut_down().await;
                    return;
                }
                command = commands.recv() => match command {
                    Some(RingCommand::Answer { owner, connection, reply }) => {
                        self.answering.insert(owner.clone(), (connection, reply));
                        Event::Answered(owner)
                    }
                    Some(RingCommand::Decline { owner }) => Event::Declined(owner),
                    None => return,
                },
                _ = tokio::time::sleep(wait) => Event::Tick,
            };
            let declined = match &event {
                Event::Declined(owner) => Some(owner.clone()),
                _ => None,
            };
            let outputs = self.machine.handle(self.hub.clock.now_ms(), event);
            // Every tab of an agent who declined stops ringing (the one that declined has).
            if let Some(owner) = declined {
                if !self.machine.ringing().any(|a| a == owner) {
                    self.stop_showing(&owner, IncomingEnd::Declined);
                }
            }
            self.apply(outputs).await;
            // An answer the machine did not take (its ring had stopped): it rings no more.
            self.refuse_late_answers();
        }
    }

    async fn apply(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Ring(agents) => {
                    if !self.said_ringing {
                        self.said_ringing = true;
                        if let Some(call) = &self.call {
                            call.ring();
                        }
                    }
                    for agent in agents {
                        self.show(&agent.sub).await;
                    }
                }
                Output::StopRinging(agents, reason) => {
                    let end = match reason {
                        StopReason::TakenBy(_) => IncomingEnd::AnsweredElsewhere,
                        StopReason::Missed => IncomingEnd::Missed,
                        StopReason::CallerGone => IncomingEnd::CallerHungUp,
                    };
                    for agent in agents {
                        self.stop_showing(&agent, end);
                    }
                }
                Output::Connect(agent) => self.connect(&agent).await,
                Output::Taken { agent, .. } => {
                    if let Some((_, reply)) = self.answering.remove(&agent) {
                        let _ = reply.send(Err(ANSWERED_BY_SOMEONE_ELSE.into()));
                    }
                    self.stop_showing(&agent, IncomingEnd::AnsweredElsewhere);
                }
                Output::Missed(reason) => {
                    tracing::info!(call = %self.id, ?reason, rang = self.rung.len(), "call in missed");
                    self.write_missed().await;
                }
                Output::PlayMessage(kind) => {
                    let Some(call) = self.call.take() else {
                        continue;
                    };
                    // The message as early media, then 480 (docs/telephony.md, "Calls in"). A
                    // SIP media application can play audio only by answering the call, which
                    // the caller would pay for: refused at once (docs/chime.md, "Calls in").
                    let (call, gateway) = match (call, &self.hub.provider) {
                        (IncomingLeg::Gateway(call), Provider::Gateway(gateway)) => (call, gateway),
                        (call, _) => {
                            tracing::info!(call = %self.id, ?kind, "call in refused (no message on this path)");
                            call.refuse(MESSAGE_THEN);
                            continue;
                        }
                    };
                    tracing::info!(call = %self.id, ?kind, "call in: a message, then refused");
                    let message = self.hub.caller_message(kind);
                    if let Err(e) = gateway.announce(call, message, MESSAGE_THEN) {
                        tracing::warn!(call = %self.id, error = %e, "message not played; refused");
                    }
                }
                Output::Refuse(refusal) => {
                    tracing::info!(call = %self.id, code = refusal.code, "call in refused");
                    if let Some(call) = self.call.take() {
                        call.refuse(refusal.code);
                    }
                }
            }
        }
    }

    /// Answers waiting for a verdict the call will not give any more: refused, and the call
    /// no longer rings for those agents.
    fn refuse_late_answers(&mut self) {
        for (owner, (_, reply)) in self.answering.drain() {
            tracing::info!(call = %self.id, "a late answer to a call in");
            let _ = reply.send(Err(super::NO_LONGER_RINGING.into()));
            self.hub.tell(
                &owner,
                ServerMessage::IncomingEnded {
                    call_id: self.id.clone(),
                    end: IncomingEnd::Missed,
                },
            );
        }
    }

    /// The server is shutting down: the call stops ringing, is missed for those it rang, and
    /// the caller is refused with 503 (a carrier tries its next route).
    async fn shut_down(&mut self) {
        tracing::info!(call = %self.id, "call in refused (503): the server is shutting down");
        let ringing: Vec<String> = self.machine.ringing().map(str::to_string).collect();
        for agent in ringing {
            self.stop_showing(&agent, IncomingEnd::Missed);
        }
        self.refuse_late_answers();
        if let Some(call) = self.call.take() {
            call.refuse(503);
        }
        self.write_missed().await;
    }

    /// Shows the call in every tab of `agent`.
    async fn show(&mut self, agent: &str) {
        let Some(call) = &self.call else { return };
        let contact_name = match call.from() {
            Some(from) => match self.hub.store.contact_by_number(agent, from).await {
                Ok(c) => c.map(|c| c.name),
                Err(e) => {
                    tracing::warn!(call = %self.id, error = %e, "contact look-up failed");
                    None
                }
            },
            None => None,
        };
        let incoming = IncomingCall {
            id: self.id.clone(),
            from: call.from().map(str::to_string),
            contact_name,
            to: call.to().to_string(),
            started_at: self.started_at,
            transferred: false,
            consult: false,
        };
        self.rung.insert(agent.to_string());
        if let Some(entry) = self.hub.lock_ringing().get_mut(&self.id) {
            entry.shown.insert(agent.to_string(), incoming.clone());
        }
        self.hub.tell(agent, ServerMessage::Incoming { incoming });
    }

    fn stop_showing(&self, agent: &str, end: IncomingEnd) {
        if let Some(entry) = self.hub.lock_ringing().get_mut(&self.id) {
            entry.shown.remove(agent);
        }
        self.hub.tell(
            agent,
            ServerMessage::IncomingEnded {
                call_id: self.id.clone(),
                end,
            },
        );
    }

    /// `agent` answered first: the call becomes theirs, on the tab that answered. A call they
    /// were on ends (a waiting call is taken by hanging up the current one).
    async fn connect(&mut self, agent: &str) {
        let Some((connection, reply)) = self.answering.remove(agent) else {
            return;
        };
        let Some(call) = self.call.take() else {
            let _ = reply.send(Err(super::NO_LONGER_RINGING.into()));
            return;
        };
        self.stop_showing(agent, IncomingEnd::Answered);
        self.hub.hang_up_current(agent);
        let from = call.from().unwrap_or_default().to_string();
        let mut record = CallRecord::inbound(self.id.clone(), from, self.started_at);
        // This server carries it: without its id another server's sweep (or this one's, of
        // calls of no server) would close it as interrupted while it goes on.
        record.server = self.hub.server_id.get().cloned();
        if let Err(e) = self.hub.store.insert_call(agent, &record).await {
            tracing::error!(call = %self.id, error = %e, "call record not written");
            let _ = reply.send(Err("the call could not be recorded: try again".into()));
            return;
        }
        let start = SessionStart {
            placed_by: Some(connection),
            from_api: false,
            max_duration_ms: self.hub.limits.max_duration_ms,
            incoming: Some(call),
            taken: None,
        };
        self.hub.start_session(agent, record, start).await;
        let _ = reply.send(Ok(()));
    }

    /// A missed call in each rung agent's Recents.
    async fn write_missed(&self) {
        let now = self.hub.clock.now_ms();
        let from = self.from.clone().unwrap_or_default();
        app::api::metrics::call_ended(
            app::domain::calls::Direction::Inbound,
            &from,
            EndReason::Missed,
        );
        for agent in &self.rung {
            let mut record = CallRecord::inbound(self.id.clone(), from.clone(), self.started_at);
            record.ended_at = Some(now);
            record.end_reason = Some(EndReason::Missed);
            record.hangup_by = Some("remote".into());
            if let Err(e) = self.hub.store.insert_call(agent, &record).await {
                tracing::error!(call = %self.id, error = %e, "missed call not written");
            }
            self.push_missed(agent, &from, now).await;
        }
    }

    /// A notification of the missed call to the agent's devices (it waits for the push
    /// services: sent in a task of its own).
    async fn push_missed(&self, agent: &str, from: &str, now: u64) {
        let Some(notifier) = self.hub.notifier.get().cloned() else {
            return;
        };
        let contact_name = match from {
            "" => None,
            from => match self.hub.store.contact_by_number(agent, from).await {
                Ok(c) => c.map(|c| c.name),
                Err(_) => None,
            },
        };
        let call = app::domain::push::MissedCall {
            call_id: self.id.clone(),
            from: (!from.is_empty()).then(|| from.to_string()),
            contact_name,
            to: self.to.clone(),
            at: now,
        };
        let agent = agent.to_string();
        tokio::spawn(async move {
            notifier.notify_missed_call(&agent, call).await;
        });
    }
}
