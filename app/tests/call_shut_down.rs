//! The server shutting down hangs its calls up as the agent would (CANCEL while it rings, BYE
//! once answered), and they end `interrupted` by the system with the cause saying why.

mod common;

use app::domain::call::{CallState, HangupBy, Input, Output, TrunkEvent, SHUTDOWN_CAUSE};
use app::domain::calls::EndReason;
use common::Scenario;

fn interrupted(at: u64) -> Output {
    Output::Ended {
        at,
        reason: EndReason::Interrupted,
        by: HangupBy::System,
        cause: Some(SHUTDOWN_CAUSE.into()),
    }
}

#[test]
fn a_ringing_call_is_cancelled() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    let out = s.input(Input::Shutdown);
    assert!(out.contains(&Output::SendCancel), "{out:?}");
    assert!(out.contains(&Output::State(CallState::Ending)), "{out:?}");
    let out = s.trunk(TrunkEvent::Rejected {
        status: 487,
        reason: "Request Terminated".into(),
    });
    assert_eq!(out[0], interrupted(s.now));
}

#[test]
fn an_answered_call_is_hung_up() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Answered);
    s.now += 10_000;
    let out = s.input(Input::Shutdown);
    assert_eq!(out, [Output::SendBye, Output::State(CallState::Ending)]);
    let out = s.trunk(TrunkEvent::EndConfirmed);
    assert_eq!(out[0], interrupted(s.now));
    // Nothing more once over.
    assert!(s.input(Input::Shutdown).is_empty());
}

#[test]
fn a_call_not_placed_yet_ends_at_once() {
    let mut s = Scenario::new();
    assert_eq!(s.input(Input::Shutdown)[0], interrupted(s.now));
}
