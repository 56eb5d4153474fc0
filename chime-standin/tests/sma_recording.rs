//! The SIP media application runtime, recording: start, pause, resume and stop updates become
//! the recording actions on leg B, and the stand-in's S3 directory receives a stereo WAV (the
//! called party left: the echo of the agent's tone; the agent right). A consent notice
//! (`PlayAudio` of a WAV object before `StartCallRecording`) is played to the called party.

mod common;

use std::time::Duration;

use common::call::*;
use telephony::tones::{tone_purity, ToneGenerator};
use testkit::peer::{until, PeerCommand, Source};

/// The left and right channels of a 16-bit stereo WAV written by the gateway's writer.
fn channels(bytes: &[u8]) -> (Vec<i16>, Vec<i16>) {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(u16::from_le_bytes([bytes[22], bytes[23]]), 2, "stereo");
    let samples: Vec<i16> = bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let left = samples.iter().step_by(2).copied().collect();
    let right = samples.iter().skip(1).step_by(2).copied().collect();
    (left, right)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_lands_in_the_s3_directory_as_stereo_wav() {
    let dir = std::env::temp_dir().join(format!("chime-standin-s3-{}", uuid::Uuid::new_v4()));
    let scenario = Scenario::start_recording_to(None, Some(dir.clone())).await;
    let tx = scenario.call("+6560000001").await;
    scenario
        .until_event(
            &tx,
            "ACTION_SUCCESSFUL CallAndBridge",
            Duration::from_secs(10),
        )
        .await;
    until(&scenario.peer, Duration::from_secs(5), |s| {
        s.connected_at.is_some()
    })
    .await;
    scenario
        .peer
        .command(PeerCommand::Source(Source::Tone(1000.0)));

    let destination = "softphone-recordings/chime";
    for (action, done) in [
        ("record_start", "ACTION_SUCCESSFUL StartCallRecording"),
        ("record_pause", "ACTION_SUCCESSFUL PauseCallRecording"),
        ("record_resume", "ACTION_SUCCESSFUL ResumeCallRecording"),
        ("record_stop", "ACTION_SUCCESSFUL StopCallRecording"),
    ] {
        scenario
            .update(
                &tx,
                serde_json::json!({"Action": action, "Destination": destination}),
            )
            .await;
        scenario
            .until_event(&tx, done, Duration::from_secs(5))
            .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    scenario
        .update(&tx, serde_json::json!({"Action": "hangup"}))
        .await;
    let events = scenario.until_ended(&tx, Duration::from_secs(5)).await;
    assert_eq!(
        events[events.len() - 2..],
        ["HANGUP LEG-B".to_string(), "HANGUP LEG-A".to_string()]
    );

    let folder = dir.join(destination);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let file = loop {
        // Only the finished file counts: it appears whole, as an S3 object does.
        let found = std::fs::read_dir(&folder).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .find(|path| path.extension().is_some_and(|e| e == "wav"))
        });
        if let Some(path) = found {
            break path;
        }
        assert!(tokio::time::Instant::now() < deadline, "no recording");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    assert!(name.ends_with(".wav") && name.contains(&tx), "{name}");
    let (left, right) = channels(&std::fs::read(&file).expect("readable"));
    let entries = std::fs::read_dir(&folder).expect("listed").count();
    assert_eq!(entries, 1, "the partial file is gone once delivered");
    // Three 600 ms spans recorded (one of them paused, as silence) less start-up.
    assert!(left.len() > 8000, "{} frames", left.len());
    let tail = |channel: &[i16]| channel[channel.len() - 2400..].to_vec();
    assert!(
        tone_purity(&tail(&left), 1000.0) > 0.8,
        "the echo on the left"
    );
    assert!(
        tone_purity(&tail(&right), 1000.0) > 0.8,
        "the agent on the right"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_notice_is_played_before_recording() {
    let dir = std::env::temp_dir().join(format!("chime-standin-s3-{}", uuid::Uuid::new_v4()));
    let mut notice = vec![0i16; 8000];
    ToneGenerator::new(&[700.0], 0.25).fill(&mut notice);
    std::fs::create_dir_all(dir.join("softphone-media")).expect("a bucket");
    std::fs::write(
        dir.join("softphone-media/consent.wav"),
        telephony::wav::mono_8k(&notice),
    )
    .expect("written");

    let scenario = Scenario::start_recording_to(None, Some(dir.clone())).await;
    let tx = scenario.call("+6560000001").await;
    scenario
        .until_event(
            &tx,
            "ACTION_SUCCESSFUL CallAndBridge",
            Duration::from_secs(10),
        )
        .await;
    until(&scenario.peer, Duration::from_secs(5), |s| {
        s.connected_at.is_some()
    })
    .await;
    scenario.peer.command(PeerCommand::Source(Source::Silence));
    tokio::time::sleep(Duration::from_millis(300)).await;
    scenario.peer.take_audio();
    scenario
        .update(
            &tx,
            serde_json::json!({
                "Action": "record_start",
                "Destination": "softphone-recordings/chime",
                "ConsentTone": "softphone-media/consent.wav",
            }),
        )
        .await;
    scenario
        .until_event(
            &tx,
            "ACTION_SUCCESSFUL StartCallRecording",
            Duration::from_secs(5),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // The agent hears what the called party heard: the notice (and its echo).
    let heard = scenario.peer.take_audio();
    let loudest = heard
        .chunks(4000)
        .map(|span| tone_purity(span, 700.0))
        .fold(0.0f32, f32::max);
    assert!(loudest > 0.8, "700 Hz carries at most {loudest:.2}");
    scenario
        .update(&tx, serde_json::json!({"Action": "hangup"}))
        .await;
    let events = scenario.until_ended(&tx, Duration::from_secs(5)).await;
    assert!(
        !events.iter().any(|e| e == "ACTION_FAILED PlayAudio"),
        "{events:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
