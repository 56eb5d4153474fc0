//! Deadlines, with a simulated clock: a silent trunk, a phone nobody answers, the maximum call
//! duration, and a far end that never confirms our BYE.

mod common;

use app::domain::call::{CallLimits, CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::EndReason;
use common::Scenario;

fn limits() -> CallLimits {
    CallLimits {
        response_timeout_ms: 5_000,
        setup_timeout_ms: 32_000,
        ring_timeout_ms: 60_000,
        max_duration_ms: 3_600_000,
        end_timeout_ms: 5_000,
    }
}

fn ended(s: &Scenario) -> (EndReason, HangupBy, Option<String>) {
    match s.ended() {
        Some(Output::Ended {
            reason, by, cause, ..
        }) => (*reason, *by, cause.clone()),
        other => panic!("not ended: {other:?}"),
    }
}

#[test]
fn a_trunk_that_never_responds_fails_within_the_response_timeout() {
    let mut s = Scenario::with_limits(limits());
    s.input(Input::Dial);
    assert_eq!(s.call.next_deadline(), Some(s.now + 5_000));
    assert!(s.advance(4_999).is_empty(), "nothing before the deadline");
    let out = s.advance(1);
    // The INVITE is given up at once (no CANCEL can go before a response; should one come
    // late, the CANCEL follows it): the agent is not kept waiting for a confirmation.
    assert_eq!(out.first(), Some(&Output::SendCancel), "{out:?}");
    assert!(s.call.is_over(), "{:?}", s.state());
    assert_eq!(
        ended(&s),
        (
            EndReason::Failed,
            HangupBy::System,
            Some(app::domain::call::NO_RESPONSE.into())
        )
    );
}

#[test]
fn a_trunk_that_answers_trying_but_never_rings_fails_after_the_setup_timeout() {
    let mut s = Scenario::with_limits(limits());
    s.input(Input::Dial);
    let dialed = s.now;
    s.now += 200;
    s.trunk(TrunkEvent::Trying);
    assert_eq!(s.call.next_deadline(), Some(dialed + 32_000));
    assert!(s.advance(31_799).is_empty(), "nothing before the deadline");
    let out = s.advance(1);
    assert_eq!(out, [Output::SendCancel, Output::State(CallState::Ending)]);
    // The CANCEL is never confirmed: the agent waits 5 s more, not a SIP transaction's 32.
    assert!(s
        .advance(4_999)
        .iter()
        .all(|o| !matches!(o, Output::Ended { .. })));
    s.advance(1);
    assert_eq!(
        ended(&s),
        (
            EndReason::Failed,
            HangupBy::System,
            Some("no answer from the trunk".into())
        )
    );
}

#[test]
fn nobody_answers_within_the_ring_timeout() {
    let mut s = Scenario::with_limits(limits());
    s.input(Input::Dial);
    s.now += 2_000;
    s.trunk(TrunkEvent::Ringing);
    s.advance(60_000);
    assert_eq!(s.state(), &CallState::Ending);
    assert!(s.log.contains(&Output::SendCancel));
    s.trunk(TrunkEvent::Rejected {
        status: 487,
        reason: "Request Terminated".into(),
    });
    assert_eq!(
        ended(&s),
        (
            EndReason::NoAnswer,
            HangupBy::System,
            Some("ring timeout".into())
        )
    );
}

#[test]
fn maximum_duration_ends_a_connected_call() {
    let mut s = Scenario::with_limits(limits());
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Answered);
    let answered = s.now;
    s.advance(3_599_999);
    assert!(matches!(s.state(), CallState::Connected { .. }));
    s.advance(1);
    assert!(s.log.contains(&Output::SendBye));
    s.trunk(TrunkEvent::EndConfirmed);
    assert_eq!(
        ended(&s),
        (
            EndReason::Completed,
            HangupBy::System,
            Some("maximum call duration".into())
        )
    );
    assert_eq!(s.now - answered, 3_600_000);
}

#[test]
fn unconfirmed_bye_still_ends_the_call() {
    let mut s = Scenario::with_limits(limits());
    s.input(Input::Dial);
    s.trunk(TrunkEvent::Answered);
    s.input(Input::Hangup);
    s.advance(4_999);
    assert_eq!(s.state(), &CallState::Ending);
    s.advance(1);
    assert_eq!(ended(&s), (EndReason::Completed, HangupBy::Agent, None));
}
