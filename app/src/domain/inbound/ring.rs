//! The ringing of one call in as a state machine ([`InboundRing`]): the agents' availability,
//! their answers and declines and the time go in; what to ring, stop, connect, play or refuse
//! comes out.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// Whether an agent can take a call now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Signed in with a live channel, not in a call.
    Free,
    /// In a call: rung as a waiting call (they may still accept it).
    Busy,
    DoNotDisturb,
    /// No live channel.
    Offline,
}

/// One agent to ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingAgent {
    pub sub: String,
    /// The agent is in a call: show a waiting call.
    pub waiting: bool,
}

/// Why agents stop ringing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Another agent answered.
    TakenBy(String),
    /// Their turn ended (ring in order, the last agent's turn) or the call was missed.
    Missed,
    CallerGone,
}

/// What [`InboundRing`] asks the call hub and the gateway to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Ring(Vec<RingAgent>),
    StopRinging(Vec<String>, StopReason),
    /// Answer the caller and bridge them to this agent.
    Connect(String),
    /// An answer that came after another agent's: that agent's app shows the call taken.
    Taken {
        agent: String,
        by: String,
    },
    /// The call is missed (a Recents entry for the agents it rang, a notification).
    Missed(MissReason),
    /// Play the caller a message (early media, never answered), then refuse the call.
    PlayMessage(MessageKind),
    Refuse(SipRefusal),
}

/// What happens to a ringing call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Answered(String),
    Declined(String),
    /// Time passed (at [`InboundRing::next_deadline`]).
    Tick,
    CallerHungUp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Ringing,
    Connected(String),
    Ended,
}

/// The ringing of one inbound call, from its route to an agent answering or the call being
/// missed.
#[derive(Clone, Debug)]
pub struct InboundRing {
    stages: Vec<Stage>,
    stage: usize,
    stage_started: u64,
    deadline: u64,
    availability: BTreeMap<String, Availability>,
    ringing: BTreeSet<String>,
    declined: BTreeSet<String>,
    /// Every agent this call rang (for why it was missed).
    rung: BTreeSet<String>,
    phase: Phase,
}

impl InboundRing {
    /// Starts a call on its route at `now`; `availability` has every agent the route names (one
    /// missing counts as offline).
    pub fn start(
        route: Route,
        availability: BTreeMap<String, Availability>,
        now: u64,
    ) -> (InboundRing, Vec<Output>) {
        let mut ring = InboundRing {
            stages: Vec::new(),
            stage: 0,
            stage_started: now,
            deadline: now,
            availability,
            ringing: BTreeSet::new(),
            declined: BTreeSet::new(),
            rung: BTreeSet::new(),
            phase: Phase::Ended,
        };
        let out = match route {
            Route::Refuse(refusal) => vec![Output::Refuse(refusal)],
            Route::Message(kind) => vec![Output::PlayMessage(kind)],
            Route::Missed(reason, kind) => {
                vec![Output::Missed(reason), Output::PlayMessage(kind)]
            }
            Route::Ring(plan) => {
                ring.stages = plan.stages;
                ring.deadline = now + u64::from(plan.ring_secs) * SECOND;
                ring.phase = Phase::Ringing;
                let mut out = Vec::new();
                ring.enter_stage(0, now, &mut out);
                out
            }
        };
        (ring, out)
    }

    /// When the machine next wants a [`Event::Tick`]; `None` once the ringing is over.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.phase != Phase::Ringing {
            return None;
        }
        let stage_end = self
            .stages
            .get(self.stage)
            .map(|s| self.stage_started + u64::from(s.secs) * SECOND);
        Some(stage_end.map_or(self.deadline, |end| end.min(self.deadline)))
    }

    /// The agent who has the call, once answered.
    pub fn connected(&self) -> Option<&str> {
        match &self.phase {
            Phase::Connected(agent) => Some(agent),
            _ => None,
        }
    }

    pub fn is_ringing(&self) -> bool {
        self.phase == Phase::Ringing
    }

    /// The agents ringing now.
    pub fn ringing(&self) -> impl Iterator<Item = &str> {
        self.ringing.iter().map(String::as_str)
    }

    /// Handles `event` at `now`. A ring time that ran out before `now` is applied first, so an
    /// answer that arrives after the call was missed does not connect it.
    pub fn handle(&mut self, now: u64, event: Event) -> Vec<Output> {
        let mut out = Vec::new();
        if self.phase == Phase::Ringing {
            self.tick(now, &mut out);
        }
        match (&self.phase, event) {
            (Phase::Ringing, Event::Answered(agent)) if self.ringing.contains(&agent) => {
                self.ringing.remove(&agent);
                let others = std::mem::take(&mut self.ringing);
                if !others.is_empty() {
                    out.push(Output::StopRinging(
                        others.into_iter().collect(),
                        StopReason::TakenBy(agent.clone()),
                    ));
                }
                out.push(Output::Connect(agent.clone()));
                self.phase = Phase::Connected(agent);
            }
            (Phase::Connected(by), Event::Answered(agent)) if *by != agent => {
                out.push(Output::Taken {
                    agent,
                    by: by.clone(),
                });
            }
            (Phase::Ringing, Event::Declined(agent)) if self.ringing.remove(&agent) => {
                self.declined.insert(agent);
                if self.ringing.is_empty() {
                    // The next stage starts now, with its full time.
                    self.enter_stage(self.stage + 1, now, &mut out);
                }
            }
            (Phase::Ringing, Event::CallerHungUp) => {
                let ringing = std::mem::take(&mut self.ringing);
                if !ringing.is_empty() {
                    out.push(Output::StopRinging(
                        ringing.into_iter().collect(),
                        StopReason::CallerGone,
                    ));
                }
                out.push(Output::Missed(MissReason::CallerHungUp));
                self.phase = Phase::Ended;
            }
            // Ticks were applied above; a stale answer or decline (the agent's ring had
            // stopped) and anything after the end change nothing.
            _ => {}
        }
        out
    }

    fn tick(&mut self, now: u64, out: &mut Vec<Output>) {
        if now >= self.deadline {
            self.miss(MissReason::NoAnswer, out);
            return;
        }
        while self.phase == Phase::Ringing {
            let Some(stage) = self.stages.get(self.stage) else {
                return;
            };
            let end = self.stage_started + u64::from(stage.secs) * SECOND;
            if now < end {
                return;
            }
            self.enter_stage(self.stage + 1, end, out);
        }
    }

    fn miss(&mut self, reason: MissReason, out: &mut Vec<Output>) {
        let ringing = std::mem::take(&mut self.ringing);
        if !ringing.is_empty() {
            out.push(Output::StopRinging(
                ringing.into_iter().collect(),
                StopReason::Missed,
            ));
        }
        out.push(Output::PlayMessage(MessageKind::NoAnswer));
        out.push(Output::Missed(reason));
        self.phase = Phase::Ended;
    }

    /// Moves to stage `index` (or past the last) started at `at`: agents of the old stage not
    /// in the new one stop, new ones ring, those in both ring on. A stage no one of which can
    /// ring is skipped.
    fn enter_stage(&mut self, mut index: usize, at: u64, out: &mut Vec<Output>) {
        loop {
            let Some(stage) = self.stages.get(index) else {
                let reason = if self.rung.is_empty() {
                    MissReason::NoOneAvailable
                } else if self.rung.is_subset(&self.declined) {
                    MissReason::AllDeclined
                } else {
                    MissReason::NoAnswer
                };
                self.miss(reason, out);
                return;
            };
            let next: Vec<RingAgent> = stage
                .agents
                .iter()
                .filter(|a| !self.declined.contains(*a))
                .filter_map(|a| {
                    match self
                        .availability
                        .get(a)
                        .copied()
                        .unwrap_or(Availability::Offline)
                    {
                        Availability::Free => Some(RingAgent {
                            sub: a.clone(),
                            waiting: false,
                        }),
                        Availability::Busy => Some(RingAgent {
                            sub: a.clone(),
                            waiting: true,
                        }),
                        Availability::DoNotDisturb | Availability::Offline => None,
                    }
                })
                .collect();
            if next.is_empty() {
                index += 1;
                continue;
            }
            let keep: BTreeSet<String> = next.iter().map(|a| a.sub.clone()).collect();
            let stop: Vec<String> = self.ringing.difference(&keep).cloned().collect();
            if !stop.is_empty() {
                out.push(Output::StopRinging(stop, StopReason::Missed));
            }
            let start: Vec<RingAgent> = next
                .into_iter()
                .filter(|a| !self.ringing.contains(&a.sub))
                .collect();
            if !start.is_empty() {
                out.push(Output::Ring(start));
            }
            self.rung.extend(keep.iter().cloned());
            self.ringing = keep;
            self.stage = index;
            self.stage_started = at;
            return;
        }
    }
}
