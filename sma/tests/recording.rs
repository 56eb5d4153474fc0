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
    // The start's acknowledgement says where the file will be: the server keeps it.
    let outcome = sma.send(fixture("action_successful_start_call_recording"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(
        progress(&outcome),
        json!({"state": "recording_started", "at": NOW,
            "location": "softphone-recordings/chime/2026/12/04/2026-12-04-10-00-00-010_8c9372d0-e766-4890-823a-32ca8403201a_call-id-2.wav"})
    );
    let outcome = sma.send(fixture("action_successful_play_audio"));
    assert_eq!(actions(&outcome), json!([]));
    assert_eq!(outcome.progress, None);
    assert_eq!(sma.stage(), "bridged");
}

#[test]
fn a_start_acknowledged_without_a_location_is_reported_as_failed() {
    let mut sma = Sma::bridged();
    let mut event = fixture("action_successful_start_call_recording");
    event["ActionData"]["CallRecordingDestination"] = json!({"Type": "S3", "Location ": " "});
    let outcome = sma.send(event);
    assert_eq!(
        progress(&outcome),
        json!({"state": "recording_failed", "at": NOW,
            "cause": "the service did not say where the recording goes"})
    );
    // The guide's spelling variants of the key are read.
    let mut event = fixture("action_successful_start_call_recording");
    event["ActionData"]["CallRecordingDestination"] = json!({"Type": "S3", "location ": "b/k.wav"});
    let outcome = sma.send(event);
    assert_eq!(
        progress(&outcome),
        json!({"state": "recording_started", "at": NOW, "location": "b/k.wav"})
    );
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
