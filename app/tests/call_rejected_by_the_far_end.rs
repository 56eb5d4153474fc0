//! Final failure responses map to the end reasons the user sees (busy, no answer, not found,
//! refused, failed), with the SIP cause kept for the call log.

mod common;

use app::domain::call::{end_reason_for_status, CallState, HangupBy, Input, Output, TrunkEvent};
use app::domain::calls::EndReason;
use common::Scenario;

#[test]
fn each_rejection_ends_with_its_reason_and_cause() {
    let cases = [
        (486, "Busy Here", EndReason::Busy),
        (600, "Busy Everywhere", EndReason::Busy),
        (480, "Temporarily Unavailable", EndReason::NoAnswer),
        (408, "Request Timeout", EndReason::NoAnswer),
        (404, "Not Found", EndReason::NotFound),
        (484, "Address Incomplete", EndReason::NotFound),
        (403, "Forbidden", EndReason::Refused),
        (503, "Service Unavailable", EndReason::Refused),
        (488, "Not Acceptable Here", EndReason::Failed),
        (500, "Server Internal Error", EndReason::Failed),
    ];
    for (status, text, reason) in cases {
        assert_eq!(end_reason_for_status(status), reason, "{status}");
        let mut s = Scenario::new();
        s.input(Input::Dial);
        s.trunk(TrunkEvent::Ringing);
        let out = s.trunk(TrunkEvent::Rejected {
            status,
            reason: text.into(),
        });
        let cause = Some(format!("{status} {text}"));
        assert_eq!(
            out,
            [
                Output::StopRingback,
                Output::Ended {
                    at: s.now,
                    reason,
                    by: HangupBy::Remote,
                    cause: cause.clone()
                },
                Output::State(CallState::Ended {
                    reason,
                    by: HangupBy::Remote,
                    cause
                }),
            ],
            "{status}"
        );
    }
}

#[test]
fn busy_before_ringing_needs_no_ringback() {
    let mut s = Scenario::new();
    s.input(Input::Dial);
    let out = s.trunk(TrunkEvent::Rejected {
        status: 486,
        reason: "Busy Here".into(),
    });
    assert!(!out.contains(&Output::StopRingback));
    assert!(matches!(
        s.state(),
        CallState::Ended {
            reason: EndReason::Busy,
            ..
        }
    ));
}
