//! The agent gives up while it rings: CANCEL, 487, "cancelled". And the race where the far
//! end answers while our CANCEL is on its way: the answered call is hung up at once.

mod common;

use app::domain::call::{CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::EndReason;
use common::Scenario;

#[test]
fn cancel_before_answer() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    s.now += 3_000;
    assert_eq!(
        s.input(Input::Hangup),
        [
            Output::StopRingback,
            Output::SendCancel,
            Output::State(CallState::Ending)
        ]
    );
    let out = s.trunk(TrunkEvent::Rejected {
        status: 487,
        reason: "Request Terminated".into(),
    });
    assert_eq!(
        out[0],
        Output::Ended {
            at: s.now,
            reason: EndReason::Cancelled,
            by: HangupBy::Agent,
            cause: None
        }
    );
}

#[test]
fn answer_crossing_the_cancel_is_hung_up() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    s.input(Input::Hangup);
    let out = s.trunk(TrunkEvent::Answered);
    assert!(out.contains(&Output::SendBye), "{out:?}");
    assert!(
        !out.iter().any(|o| matches!(o, Output::Answered { .. })),
        "not logged as answered"
    );
    let out = s.trunk(TrunkEvent::EndConfirmed);
    assert!(matches!(
        out[0],
        Output::Ended {
            reason: EndReason::Cancelled,
            by: HangupBy::Agent,
            ..
        }
    ));
}

#[test]
fn hang_up_before_anything_was_sent() {
    let mut s = Scenario::new();
    let out = s.input(Input::Hangup);
    assert!(matches!(
        out[0],
        Output::Ended {
            reason: EndReason::Cancelled,
            ..
        }
    ));
}
