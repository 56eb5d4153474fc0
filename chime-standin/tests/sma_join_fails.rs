//! The SIP media application runtime, no browser: `JoinChimeMeeting` waits for the meeting's
//! browser attendee to join its audio, then fails; the handler hangs up leg A and the call
//! ends as failed without anything dialled.

mod common;

use std::time::{Duration, Instant};

use common::call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_nobody_listens_to_is_not_bridged() {
    let scenario = Scenario::start_with(Options {
        browser: false,
        join_wait: Duration::from_millis(600),
        ..Options::default()
    })
    .await;
    let started = Instant::now();
    let tx = scenario.call("+6560000001").await;
    let events = scenario.until_ended(&tx, Duration::from_secs(5)).await;
    assert!(started.elapsed() >= Duration::from_millis(600), "it waited");
    assert_eq!(
        events,
        [
            "NEW_OUTBOUND_CALL",
            "RINGING LEG-A",
            "CALL_ANSWERED",
            "ACTION_FAILED JoinChimeMeeting",
            "HANGUP LEG-A",
        ]
    );
    assert_eq!(scenario.pushes.states(), ["ended failed"]);
}
