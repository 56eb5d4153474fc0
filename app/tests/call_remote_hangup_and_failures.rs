//! The far end hangs up; media or transport fails before and after the answer; early media
//! replaces our ringback.

mod common;

use app::domain::call::{CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::EndReason;
use common::Scenario;

#[test]
fn remote_bye_completes_the_call() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Answered);
    s.now += 4_000;
    let out = s.trunk(TrunkEvent::RemoteBye);
    assert_eq!(
        out[0],
        Output::Ended {
            at: s.now,
            reason: EndReason::Completed,
            by: HangupBy::Remote,
            cause: Some("BYE".into())
        }
    );
}

#[test]
fn failure_before_answer_is_failed_and_after_answer_too() {
    for answered in [false, true] {
        let mut s = Scenario::new();
        s.input(Input::Dial);
        if answered {
            s.trunk(TrunkEvent::Answered);
        }
        s.trunk(TrunkEvent::Failed {
            detail: "ICE failed".into(),
        });
        assert!(
            matches!(s.state(), CallState::Ended { reason: EndReason::Failed, by: HangupBy::System, cause: Some(c) } if c == "ICE failed"),
            "{:?}",
            s.state()
        );
    }
}

#[test]
fn early_media_stops_our_ringback() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    let out = s.trunk(TrunkEvent::EarlyMedia);
    assert_eq!(out, [Output::StopRingback]);
    assert_eq!(s.state(), &CallState::Ringing);
}
