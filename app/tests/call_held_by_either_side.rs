//! Hold from either side of an answered call: the agent holds and takes back (a repeated
//! press changes nothing), the far end holds us and takes us back, and both at once; hold
//! means nothing before the answer; a held call still ends as any other.

mod common;

use app::domain::call::{CallState, Input, Output, TrunkEvent};
use common::Scenario;

fn connected(on_hold: bool, held_by_far_end: bool) -> CallState {
    CallState::Connected {
        muted: false,
        on_hold,
        held_by_far_end,
    }
}

fn answered() -> Scenario {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    s.now += 2_000;
    s.trunk(TrunkEvent::Answered);
    s
}

#[test]
fn the_agent_holds_and_takes_back_once_each() {
    let mut s = answered();
    assert_eq!(
        s.input(Input::Hold(true)),
        [
            Output::SendHold(true),
            Output::SendAudio(false),
            Output::State(connected(true, false))
        ]
    );
    assert!(
        s.input(Input::Hold(true)).is_empty(),
        "a second tab's hold changes nothing"
    );
    assert_eq!(
        s.input(Input::Hold(false)),
        [
            Output::SendHold(false),
            Output::SendAudio(true),
            Output::State(connected(false, false))
        ]
    );
    assert!(s.input(Input::Hold(false)).is_empty());
}

#[test]
fn the_far_end_holding_us_is_shown_and_leaves_our_side_alone() {
    let mut s = answered();
    assert_eq!(
        s.trunk(TrunkEvent::FarEndHold(true)),
        [Output::State(connected(false, true))]
    );
    assert!(s.trunk(TrunkEvent::FarEndHold(true)).is_empty());
    // Both hold: each side's hold is its own.
    assert_eq!(
        s.input(Input::Hold(true)).last(),
        Some(&Output::State(connected(true, true)))
    );
    assert_eq!(
        s.trunk(TrunkEvent::FarEndHold(false)),
        [Output::State(connected(true, false))]
    );
    assert_eq!(
        s.input(Input::Mute(true)).last(),
        Some(&Output::State(CallState::Connected {
            muted: true,
            on_hold: true,
            held_by_far_end: false
        }))
    );
    // A held call ends as any other.
    assert_eq!(
        s.trunk(TrunkEvent::RemoteBye).last(),
        Some(&Output::State(CallState::Ended {
            reason: app::domain::calls::EndReason::Completed,
            by: app::domain::call::HangupBy::Remote,
            cause: Some("BYE".into())
        }))
    );
}

#[test]
fn hold_before_the_answer_means_nothing() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    assert!(s.input(Input::Hold(true)).is_empty());
    assert!(s.trunk(TrunkEvent::FarEndHold(true)).is_empty());
    s.trunk(TrunkEvent::Answered);
    assert_eq!(s.state(), &connected(false, false));
}
