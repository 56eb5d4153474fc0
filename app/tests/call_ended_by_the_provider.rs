//! A provider that decides the end itself (Chime PSTN Audio: the SIP media application's
//! handler maps the far end's SIP code) reports `TrunkEvent::Ended` with the reason: before the
//! answer it is the far end's refusal (or the system's failure), once connected the far end's
//! hang-up, and while we are ending the confirmation of our own end.

mod common;

use app::domain::call::{CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::EndReason;
use common::Scenario;

fn ended(reason: EndReason, cause: Option<&str>) -> TrunkEvent {
    TrunkEvent::Ended {
        reason,
        cause: cause.map(str::to_string),
    }
}

#[test]
fn busy_while_ringing_is_the_far_ends_end_with_its_cause() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    let out = s.trunk(ended(EndReason::Busy, Some("486")));
    let cause = Some("486".to_string());
    assert_eq!(
        out,
        [
            Output::StopRingback,
            Output::Ended {
                at: s.now,
                reason: EndReason::Busy,
                by: HangupBy::Remote,
                cause: cause.clone(),
            },
            Output::State(CallState::Ended {
                reason: EndReason::Busy,
                by: HangupBy::Remote,
                cause,
            }),
        ]
    );
}

#[test]
fn a_failure_before_the_answer_is_the_systems() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    let out = s.trunk(ended(EndReason::Failed, Some("the bridge failed")));
    assert!(out.contains(&Output::State(CallState::Ended {
        reason: EndReason::Failed,
        by: HangupBy::System,
        cause: Some("the bridge failed".into()),
    })));
}

#[test]
fn once_connected_it_is_the_far_ends_hang_up() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Answered);
    s.now += 30_000;
    let out = s.trunk(ended(EndReason::Completed, None));
    assert_eq!(
        out.last(),
        Some(&Output::State(CallState::Ended {
            reason: EndReason::Completed,
            by: HangupBy::Remote,
            cause: None,
        }))
    );
}

#[test]
fn while_ending_it_confirms_our_end_and_our_reason_stands() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Ringing);
    let out = s.input(Input::Hangup);
    assert!(out.contains(&Output::SendCancel));
    // The handler reports the cancelled leg A as it hangs up: our "cancelled by the agent"
    // stands, whatever words it adds.
    let out = s.trunk(ended(EndReason::Cancelled, Some("leg A hung up")));
    assert_eq!(
        out.last(),
        Some(&Output::State(CallState::Ended {
            reason: EndReason::Cancelled,
            by: HangupBy::Agent,
            cause: None,
        }))
    );
}

#[test]
fn a_second_end_is_ignored() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    s.trunk(ended(EndReason::NotFound, Some("404")));
    let out = s.trunk(ended(EndReason::Completed, None));
    assert!(out.is_empty(), "{out:?}");
    assert!(matches!(
        s.state(),
        CallState::Ended {
            reason: EndReason::NotFound,
            ..
        }
    ));
}
