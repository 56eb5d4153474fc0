//! Inbound calls: which numbers the business owns, who rings for a call to one of them, in what
//! order and for how long, and the ringing itself as a state machine. Sans-IO: the time (ms
//! since the Unix epoch), the agents' availability and their answers go in; what to ring, stop,
//! connect, play or refuse comes out. The gateway and the call hub carry those out.
//!
//! The rules, in the order [`route`] applies them:
//!
//! 1. A number the business does not own is refused ([`NOT_OURS`]).
//! 2. Outside the number's business hours the call is missed, with a message to the caller.
//! 3. "Customers call back": the agent who last called the caller (an outbound call within
//!    [`LAST_AGENT_WINDOW_MS`]) rings first, alone, for [`LAST_AGENT_SECS`]; then the number's
//!    assignment. With no assignment the last agent rings for the whole ring time.
//! 4. The assignment: every member at once ([`Strategy::RingAll`]) or one after another
//!    ([`Strategy::InOrder`]), for `ring_secs` in all; then the call is missed.
//! 5. No assignment and no last agent: the number's [`UnassignedAction`].
//!
//! The parts: `settings.rs` (the numbers the business owns and what an admin sets on them:
//! assignments, business hours, what an unassigned number does), `route.rs` (who rings for a
//! call, in what order and for how long) and `ring.rs` (the ringing, as a state machine).

mod ring;
mod route;
mod settings;

pub use ring::*;
pub use route::*;
pub use settings::*;

const SECOND: u64 = 1000;

#[cfg(test)]
mod tests;
