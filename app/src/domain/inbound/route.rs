//! Who rings for a call to one of the business's numbers, in what order and for how long:
//! [`route`] applies the rules in the order the module's documentation lists them.

use serde::{Deserialize, Serialize};

use super::*;

/// How long the caller's last agent rings alone before the number's assignment.
pub const LAST_AGENT_SECS: u32 = 15;
/// An outbound call this recent makes its agent the caller's last agent.
pub const LAST_AGENT_WINDOW_MS: u64 = 7 * 24 * 3600 * SECOND;

/// The agent who last called a customer number, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastAgent {
    pub owner: String,
    pub at: u64,
}

/// What the caller hears before the gateway hangs up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Outside business hours.
    Closed,
    /// No one is assigned to the number.
    Unassigned,
    /// Rang, and no one answered.
    NoAnswer,
}

/// Why a call was missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissReason {
    OutsideHours,
    NoAnswer,
    AllDeclined,
    CallerHungUp,
    /// Every agent to ring was signed out or on do not disturb.
    NoOneAvailable,
}

/// One step of a ring plan: who rings, and for how long at most (the plan's total bounds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub agents: Vec<String>,
    pub secs: u32,
}

/// Who rings for a call, stage after stage, within `ring_secs` in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingPlan {
    pub stages: Vec<Stage>,
    pub ring_secs: u32,
}

/// What a call to one of the business's numbers does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Ring(RingPlan),
    /// Missed at once, with a message to the caller.
    Missed(MissReason, MessageKind),
    /// A message to the caller (early media), then refused.
    Message(MessageKind),
    Refuse(SipRefusal),
}

/// Routes a call to `number` (`None`: not one of ours) at `now` from a caller whose last agent
/// is `last_agent` (any age: this checks the window).
pub fn route(number: Option<&OwnedNumber>, last_agent: Option<&LastAgent>, now: u64) -> Route {
    let Some(number) = number else {
        return Route::Refuse(NOT_OURS);
    };
    if let (Some(hours), Some(country)) = (&number.hours, number.country()) {
        if !hours.is_open(country, now) {
            return Route::Missed(MissReason::OutsideHours, MessageKind::Closed);
        }
    }
    let last = last_agent
        .filter(|l| now.saturating_sub(l.at) <= LAST_AGENT_WINDOW_MS)
        .map(|l| l.owner.clone());
    match (&number.assignment, last) {
        (Assignment::None, None) => match number.unassigned {
            UnassignedAction::Message => Route::Message(MessageKind::Unassigned),
            UnassignedAction::Refuse => Route::Refuse(UNASSIGNED_REFUSAL),
        },
        (Assignment::None, Some(last)) => Route::Ring(RingPlan {
            stages: vec![Stage {
                agents: vec![last],
                secs: DEFAULT_RING_SECS,
            }],
            ring_secs: DEFAULT_RING_SECS,
        }),
        (
            Assignment::Agents {
                members,
                strategy,
                ring_secs,
            },
            last,
        ) => {
            let mut stages = Vec::new();
            if let Some(last) = last {
                stages.push(Stage {
                    agents: vec![last],
                    secs: LAST_AGENT_SECS,
                });
            }
            match strategy {
                Strategy::RingAll => stages.push(Stage {
                    agents: members.clone(),
                    secs: *ring_secs,
                }),
                Strategy::InOrder { per_agent_secs } => {
                    stages.extend(members.iter().map(|m| Stage {
                        agents: vec![m.clone()],
                        secs: *per_agent_secs,
                    }))
                }
            }
            Route::Ring(RingPlan {
                stages,
                ring_secs: *ring_secs,
            })
        }
    }
}

impl Route {
    /// The same route ringing `secs` at most in all, for a provider that gives up on an
    /// unanswered call sooner than the number's ring time (Chime PSTN Audio: 30 s).
    pub fn ringing_at_most(self, secs: u32) -> Route {
        match self {
            Route::Ring(mut plan) => {
                plan.ring_secs = plan.ring_secs.min(secs);
                Route::Ring(plan)
            }
            other => other,
        }
    }
}
