//! INVITE, 100, 180 (our ringback), 200; mute, hold; the agent hangs up; BYE confirmed.

mod common;

use app::domain::call::{CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::EndReason;
use common::{Scenario, T0};

#[test]
fn answered_call_with_mute_and_hold_ends_completed_by_the_agent() {
    let mut s = Scenario::new();
    assert_eq!(
        s.input(Input::Dial),
        [Output::SendInvite, Output::State(CallState::Dialing)]
    );
    assert!(s.trunk(TrunkEvent::Trying).is_empty());
    s.now += 1_200;
    assert_eq!(
        s.trunk(TrunkEvent::Ringing),
        [Output::PlayRingback, Output::State(CallState::Ringing)]
    );
    s.now += 4_000;
    let connected = CallState::Connected {
        muted: false,
        on_hold: false,
        held_by_far_end: false,
    };
    assert_eq!(
        s.trunk(TrunkEvent::Answered),
        [
            Output::StopRingback,
            Output::Answered { at: T0 + 5_200 },
            Output::State(connected)
        ]
    );
    // A late 180 after the answer changes nothing.
    assert!(s.trunk(TrunkEvent::Ringing).is_empty());

    assert_eq!(
        s.input(Input::Mute(true)),
        [
            Output::SendAudio(false),
            Output::State(CallState::Connected {
                muted: true,
                on_hold: false,
                held_by_far_end: false
            })
        ]
    );
    assert_eq!(
        s.input(Input::Hold(true)),
        [
            Output::SendHold(true),
            Output::SendAudio(false),
            Output::State(CallState::Connected {
                muted: true,
                on_hold: true,
                held_by_far_end: false
            })
        ]
    );
    // Unmuting while on hold still sends no audio.
    assert_eq!(s.input(Input::Mute(false))[0], Output::SendAudio(false));
    assert_eq!(s.input(Input::Hold(false))[1], Output::SendAudio(true));

    s.now += 60_000;
    assert_eq!(
        s.input(Input::Hangup),
        [Output::SendBye, Output::State(CallState::Ending)]
    );
    assert!(
        s.input(Input::Hangup).is_empty(),
        "a second press does nothing"
    );
    s.now += 40;
    let out = s.trunk(TrunkEvent::EndConfirmed);
    assert_eq!(
        out[0],
        Output::Ended {
            at: T0 + 65_240,
            reason: EndReason::Completed,
            by: HangupBy::Agent,
            cause: None
        }
    );
    assert!(s.call.is_over());
    assert_eq!(s.call.next_deadline(), None);
}
