//! Recording on demand: the consent notice first when asked for, then `StartCallRecording` of
//! the PSTN leg (both tracks); pause, resume and stop.

mod common;

use common::*;
use serde_json::json;

#[test]
fn start_with_the_consent_notice_then_pause_resume_and_stop() {
    let mut sma = Sma::bridged();
    let outcome = sma.update(&[
        ("Action", "record_start"),
        ("Destination", "softphone-recordings/chime"),
        ("ConsentTone", "softphone-tones/consent.wav"),
    ]);
    assert_eq!(
        actions(&outcome),
        json!([
            {"Type": "PlayAudio", "Parameters": {
                "CallId": "call-id-2",
                "AudioSource": {"Type": "S3", "BucketName": "softphone-tones", "Key": "consent.wav"}
            }},
            {"Type": "StartCallRecording", "Parameters": {
                "CallId": "call-id-2",
                "Track": "BOTH",
                "Destination": {"Type": "S3", "Location": "softphone-recordings/chime"}
            }}
        ])
    );
    assert_eq!(outcome.progress, None);

    for (request, action) in [
        ("record_pause", "PauseCallRecording"),
        ("record_resume", "ResumeCallRecording"),
        ("record_stop", "StopCallRecording"),
    ] {
        let outcome = sma.update(&[("Action", request)]);
        assert_eq!(
            actions(&outcome),
            json!([{"Type": action, "Parameters": {"CallId": "call-id-2"}}]),
            "{request}"
        );
    }
    // The service's acknowledgements change nothing.
    for name in [
        "action_successful_start_call_recording",
        "action_successful_play_audio",
    ] {
        let outcome = sma.send(fixture(name));
        assert_eq!(actions(&outcome), json!([]), "{name}");
        assert_eq!(outcome.progress, None);
    }
    assert_eq!(sma.stage(), "bridged");
}

#[test]
fn start_without_a_consent_notice() {
    let mut sma = Sma::bridged();
    let outcome = sma.update(&[
        ("Action", "record_start"),
        ("Destination", "softphone-recordings"),
    ]);
    assert_eq!(
        actions(&outcome),
        json!([{"Type": "StartCallRecording", "Parameters": {
            "CallId": "call-id-2",
            "Track": "BOTH",
            "Destination": {"Type": "S3", "Location": "softphone-recordings"}
        }}])
    );
}

#[test]
fn a_start_without_a_destination_or_before_the_bridge_does_nothing() {
    let mut sma = Sma::bridged();
    let outcome = sma.update(&[("Action", "record_start")]);
    assert_eq!(actions(&outcome), json!([]));

    let mut sma = Sma::place(&[]);
    let outcome = sma.update(&[("Action", "record_start"), ("Destination", "b")]);
    assert_eq!(actions(&outcome), json!([]));
}
