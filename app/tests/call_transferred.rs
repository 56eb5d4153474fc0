//! A call handed to another agent (docs/telephony.md, "Transfer"): for the agent who gave it,
//! it ends as transferred without a BYE (the far end stays); the agent who took it finds it
//! answered, the far end on hold until they take it back, and its duration limit counting from
//! the first answer. A call not yet answered cannot be handed over.

mod common;

use app::domain::call::{Call, CallLimits, CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::EndReason;
use common::{Scenario, T0};

#[test]
fn the_giver_s_call_ends_as_transferred_without_a_bye() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Answered);
    s.input(Input::Hold(true));
    s.now += 5_000;
    let out = s.input(Input::HandedOver);
    assert!(!out.contains(&Output::SendBye), "{out:?}");
    assert_eq!(
        out,
        [
            Output::Ended {
                at: T0 + 5_000,
                reason: EndReason::Transferred,
                by: HangupBy::Agent,
                cause: None
            },
            Output::State(CallState::Ended {
                reason: EndReason::Transferred,
                by: HangupBy::Agent,
                cause: None
            })
        ]
    );
    // Whatever the old leg reports later is not this agent's any more.
    assert!(s.trunk(TrunkEvent::RemoteBye).is_empty());
}

#[test]
fn a_call_not_answered_is_not_handed_over() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    assert!(s.input(Input::HandedOver).is_empty());
    assert_eq!(s.state(), &CallState::Ringing);
}

#[test]
fn the_taker_finds_it_on_hold_and_takes_it_back() {
    let limits = CallLimits {
        max_duration_ms: 60_000,
        ..CallLimits::default()
    };
    let mut s = Scenario {
        call: Call::taken_over(limits, T0),
        now: T0 + 20_000,
        log: Vec::new(),
    };
    assert_eq!(
        s.state(),
        &CallState::Connected {
            muted: false,
            on_hold: true,
            held_by_far_end: false
        }
    );
    assert_eq!(
        s.input(Input::Hold(false)),
        [
            Output::SendHold(false),
            Output::SendAudio(true),
            Output::State(CallState::Connected {
                muted: false,
                on_hold: false,
                held_by_far_end: false
            })
        ]
    );
    // The limit counts from the first answer: 40 s more, not 60.
    assert_eq!(s.call.next_deadline(), Some(T0 + 60_000));
    let out = s.advance(40_000);
    assert!(out.contains(&Output::SendBye), "{out:?}");
    // And it ends as any other call.
    let out = s.trunk(TrunkEvent::EndConfirmed);
    assert!(
        matches!(
            out.first(),
            Some(Output::Ended {
                reason: EndReason::Completed,
                by: HangupBy::System,
                ..
            })
        ),
        "{out:?}"
    );
}
