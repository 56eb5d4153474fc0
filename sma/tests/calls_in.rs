//! Calls in (docs/chime.md, "Calls in"): `NEW_INBOUND_CALL` tells the server and rings on; the
//! server's `answer` joins the caller to the agent's meeting, its `hangup` refuses the call
//! before answering (never charged); once joined, keys, recording and hang-up act on the
//! caller's leg A.

mod common;

use common::*;
use serde_json::json;

const OUR_CALL: &str = "9a0e5c1e-0000-4000-8000-0000000000c1";
const MEETING: &str = "5b1d7b52-0000-4000-8000-00000000beef";

/// A call in that rings: the server was told, nothing was done to the caller's leg.
fn offered() -> Sma {
    let outcome = run(fixture("new_inbound_call"));
    assert_eq!(actions(&outcome), json!([]), "it rings on");
    assert_eq!(
        progress(&outcome),
        json!({"state": "incoming", "at": NOW, "from": "+15105550101", "to": "+12065551212"})
    );
    assert_eq!(
        outcome.call_id, None,
        "the server names the call when it answers"
    );
    let sma = Sma {
        attributes: attributes(&outcome),
    };
    assert_eq!(
        json!(sma.attributes),
        json!({"Direction": "inbound", "PstnCallId": "call-id-1", "Stage": "offered"})
    );
    sma
}

fn answer(sma: &mut Sma) -> sma::flow::Outcome {
    sma.update(&[
        ("Action", "answer"),
        ("MeetingId", MEETING),
        ("JoinToken", "caller-join-token"),
        ("CallId", OUR_CALL),
    ])
}

/// Offered, answered and joined to the meeting.
fn joined() -> Sma {
    let mut sma = offered();
    let outcome = answer(&mut sma);
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "JoinChimeMeeting", "Parameters": {
            "JoinToken": "caller-join-token", "MeetingId": MEETING, "CallId": "call-id-1"}}])
    );
    assert_eq!(outcome.progress, None);
    assert_eq!(sma.stage(), "answering");
    assert!(
        !sma.attributes.contains_key("JoinToken"),
        "the credential is not kept: {:?}",
        sma.attributes
    );
    assert_eq!(sma.attributes["CallId"], OUR_CALL);

    let outcome = sma.send(fixture("action_successful_join_chime_meeting"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(progress(&outcome), json!({"state": "answered", "at": NOW}));
    assert_eq!(outcome.call_id.as_deref(), Some(OUR_CALL));
    assert_eq!(sma.stage(), "bridged");
    sma
}

#[test]
fn answered_then_the_caller_hangs_up() {
    let mut sma = joined();
    // Keys and recording act on the caller's leg, as on a call out's leg B.
    let outcome = sma.update(&[("Action", "digits"), ("Digits", "12#")]);
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "SendDigits", "Parameters": {
            "CallId": "call-id-1", "Digits": "12#", "ToneDurationInMilliseconds": 100}}])
    );
    let outcome = sma.update(&[("Action", "record_start"), ("Destination", "bucket/calls")]);
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "StartCallRecording", "Parameters": {
            "CallId": "call-id-1", "Track": "BOTH",
            "Destination": {"Type": "S3", "Location": "bucket/calls"}}}])
    );

    let outcome = sma.send(fixture("hangup_leg_a"));
    assert_eq!(actions(&outcome), json!([]), "there is no other leg");
    assert_eq!(progress(&outcome), ended("completed", "the caller hung up"));
    assert_eq!(sma.stage(), "ended");
}

#[test]
fn answered_then_the_agent_hangs_up() {
    let mut sma = joined();
    let outcome = sma.update(&[("Action", "hangup")]);
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(progress(&outcome), ended("completed", "the agent hung up"));
    // The caller's leg going is not reported again.
    let outcome = sma.send(fixture("hangup_leg_a"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);
}

#[test]
fn refused_with_the_servers_code_or_480() {
    for (code, sent) in [(Some("486"), "486"), (Some("99"), "480"), (None, "480")] {
        let mut sma = offered();
        let mut arguments = vec![("Action", "hangup")];
        arguments.extend(code.map(|c| ("SipCode", c)));
        let outcome = sma.update(&arguments);
        assert_eq!(
            actions(&outcome),
            json!([{"Type": "Hangup", "Parameters": {"CallId": "call-id-1", "SipResponseCode": sent}}]),
            "{code:?}"
        );
        assert_eq!(
            progress(&outcome),
            ended("missed", "the server refused the call")
        );
        // Not answered: a later answer is too late.
        let outcome = answer(&mut sma);
        assert_eq!(actions(&outcome), json!([]));
    }
}

#[test]
fn the_caller_hangs_up_while_it_rings() {
    let mut sma = offered();
    let outcome = sma.send(fixture("hangup_leg_a"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(progress(&outcome), ended("missed", "the caller hung up"));
}

#[test]
fn an_answer_without_a_meeting_refuses_the_call() {
    let mut sma = offered();
    let outcome = sma.update(&[("Action", "answer"), ("CallId", OUR_CALL)]);
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "Hangup", "Parameters": {"CallId": "call-id-1", "SipResponseCode": "480"}}])
    );
    assert_eq!(
        progress(&outcome),
        ended("missed", "the answer named no meeting")
    );
}

#[test]
fn the_join_failing_ends_the_call() {
    let mut sma = offered();
    answer(&mut sma);
    let outcome = sma.send(fixture("action_failed_join_chime_meeting"));
    assert_eq!(actions(&outcome), json!([hangup("call-id-1")]));
    assert_eq!(
        progress(&outcome)["reason"],
        json!("failed"),
        "{:?}",
        outcome.progress
    );
}

#[test]
fn a_second_answer_and_an_answer_to_a_call_out_do_nothing() {
    let mut sma = joined();
    let outcome = answer(&mut sma);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);

    let mut out = Sma::place(&[]);
    let outcome = answer(&mut out);
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(out.stage(), "placed");
}

#[test]
fn a_withheld_caller_and_a_call_to_no_number() {
    let mut event = fixture("new_inbound_call");
    event["CallDetails"]["Participants"][0]["From"] = json!("anonymous");
    let outcome = run(event);
    assert_eq!(
        progress(&outcome),
        json!({"state": "incoming", "at": NOW, "from": null, "to": "+12065551212"})
    );

    let mut event = fixture("new_inbound_call");
    event["CallDetails"]["Participants"][0]
        .as_object_mut()
        .expect("a leg")
        .remove("To");
    let outcome = run(event);
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "Hangup", "Parameters": {"CallId": "call-id-1", "SipResponseCode": "480"}}])
    );
    assert_eq!(outcome.progress, None);
}
