//! Recording end to end without a browser: a call to the echo number with recording on
//! ("always"), paused and resumed; the stored WAV is checked by ear (Goertzel): the agent's
//! 1 kHz tone on the right, the echo on the left, the consent beeps at the start (heard by the
//! called party too), silence over the pause, and a length within 100 ms of the call's.

mod common;

use std::time::Duration;

use app::api::live::{LiveRecordingState, RecordAction, ServerMessage};
use app::api::ports::{PreferenceStore, RecordingMetadataStore};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use app::domain::recordings::{
    ConsentNotice, Preferences, RecordingMode, RecordingState, WAVEFORM_COLUMNS,
};
use common::*;
use sha2::Digest;
use telephony::recording::NOTICE_TONE_HZ;
use telephony::tones::{goertzel, tone_purity};
use testkit::peer::{PeerCommand, Source};

/// Samples `from..to` seconds.
fn span(samples: &[i16], from: f64, to: f64) -> &[i16] {
    let a = ((from * 8000.0) as usize).min(samples.len());
    let b = ((to * 8000.0) as usize).min(samples.len());
    &samples[a..b]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_call_is_recorded_in_stereo_with_consent_and_a_pause() {
    let rig = rig((32000, 32019), Duration::from_secs(5)).await;
    rig.store
        .set_preferences(
            ALICE,
            &Preferences {
                recording: RecordingMode::Always,
                ..Preferences::default()
            },
        )
        .await
        .unwrap();
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-rec", "+6560000001").await;
    let peer = offer(&rig, &tab, "c-rec").await;
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    // "Always": recording starts with the answer.
    wait_recording(&mut tab, LiveRecordingState::Recording).await;

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        send(&rig, &tab, record("c-rec", RecordAction::Pause)).await,
        None
    );
    wait_recording(&mut tab, LiveRecordingState::Paused).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        send(&rig, &tab, record("c-rec", RecordAction::Resume)).await,
        None
    );
    wait_recording(&mut tab, LiveRecordingState::Recording).await;
    // A second start is refused with a reason; the call goes on.
    match send(&rig, &tab, record("c-rec", RecordAction::Start)).await {
        Some(ServerMessage::Error { message, .. }) => {
            assert!(message.contains("recorded"), "{message}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(2000)).await;
    send(&rig, &tab, hangup("c-rec")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;

    // The recorder finishes on its own once the leg stops.
    let call = record_of(&rig, "c-rec").await;
    let id = call
        .recording_id
        .clone()
        .expect("the call links its recording");
    let mut meta = None;
    for _ in 0..50 {
        let r = rig.store.get_recording(ALICE, &id).await.unwrap().unwrap();
        if r.state != RecordingState::Recording {
            meta = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let meta = meta.expect("recording finished");
    assert_eq!(meta.state, RecordingState::Complete);
    assert_eq!(meta.call_id, "c-rec");
    assert_eq!(meta.consent, ConsentNotice::Tone);
    assert_eq!(meta.pause_mode, "silence");
    assert!(
        !meta.key.contains("6560000001"),
        "no phone number in the key"
    );

    let path = rig.recordings_dir.join(&meta.key);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(meta.bytes, bytes.len() as u64);
    assert_eq!(
        meta.sha256.as_deref(),
        Some(format!("{:x}", sha2::Sha256::digest(&bytes)).as_str())
    );
    let (left, right) = telephony::wav::read(&path).unwrap();
    let seconds = left.len() as f64 / 8000.0;
    assert_eq!(meta.duration_ms, (seconds * 1000.0) as u64);

    // The length is the call's (recorded from the answer to the end, pause as silence).
    let call_ms = call.duration_ms().unwrap() as i64;
    let diff = (meta.duration_ms as i64 - call_ms).abs();
    assert!(
        diff <= 100,
        "recording {} ms, call {call_ms} ms",
        meta.duration_ms
    );

    // Consent: the beeps open the agent's side, and the called party heard them (echo).
    let opening = span(&right, 0.03, 0.24);
    assert!(
        goertzel(opening, NOTICE_TONE_HZ) > 0.005,
        "consent beep on the right: {}",
        goertzel(opening, NOTICE_TONE_HZ)
    );
    assert!(goertzel(span(&left, 0.0, 0.45), NOTICE_TONE_HZ) > 0.002);
    assert!(goertzel(span(&right, 1.0, 2.0), NOTICE_TONE_HZ) < 0.0005);

    // The agent's tone on the right, the echo on the left.
    assert!(tone_purity(span(&right, 1.0, 2.0), 1000.0) > 0.8);
    assert!(tone_purity(span(&left, 1.0, 2.0), 1000.0) > 0.8);

    // The pause: marked, and silent on both sides.
    assert_eq!(meta.pauses.len(), 1, "{:?}", meta.pauses);
    let pause = meta.pauses[0];
    assert!(
        (2300..=2900).contains(&pause.offset_ms),
        "pause at {} ms",
        pause.offset_ms
    );
    assert!(
        (1300..=1900).contains(&pause.duration_ms),
        "pause of {} ms",
        pause.duration_ms
    );
    let (a, b) = (
        pause.offset_ms as f64 / 1000.0 + 0.1,
        (pause.offset_ms + pause.duration_ms) as f64 / 1000.0 - 0.1,
    );
    assert!(span(&left, a, b).iter().all(|&s| s == 0), "left silent");
    assert!(span(&right, a, b).iter().all(|&s| s == 0), "right silent");
    // And the tone again after it.
    let after = (pause.offset_ms + pause.duration_ms) as f64 / 1000.0;
    assert!(tone_purity(span(&right, after + 0.3, after + 1.3), 1000.0) > 0.8);
    assert!(tone_purity(span(&left, after + 0.3, after + 1.3), 1000.0) > 0.8);

    // The waveform shows both channels.
    assert_eq!(meta.waveform.len(), 2 * WAVEFORM_COLUMNS);
    assert!(meta.waveform[..WAVEFORM_COLUMNS].iter().any(|&v| v > 20));
    assert!(meta.waveform[WAVEFORM_COLUMNS..].iter().any(|&v| v > 20));

    // Nobody else sees it.
    assert_eq!(rig.store.get_recording("bob-sub", &id).await.unwrap(), None);
    // Nothing left in the spool.
    assert_eq!(
        std::fs::read_dir(rig.recordings_dir.join(".spool"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_follows_the_preference_and_the_call_state() {
    let rig = rig((32100, 32119), Duration::from_secs(5)).await;
    rig.store
        .set_preferences(
            ALICE,
            &Preferences {
                recording: RecordingMode::Never,
                ..Preferences::default()
            },
        )
        .await
        .unwrap();
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-never", "+6560000001").await;
    // Before the answer there is nothing to record.
    match send(&rig, &tab, record("c-never", RecordAction::Start)).await {
        Some(ServerMessage::Error { message, .. }) => {
            assert!(message.contains("answered"), "{message}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    let _peer = offer(&rig, &tab, "c-never").await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    match send(&rig, &tab, record("c-never", RecordAction::Start)).await {
        Some(ServerMessage::Error { message, .. }) => {
            assert!(message.contains("off in your settings"), "{message}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    match send(&rig, &tab, record("c-never", RecordAction::Pause)).await {
        Some(ServerMessage::Error { message, .. }) => {
            assert!(message.contains("not being recorded"), "{message}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    send(&rig, &tab, hangup("c-never")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    assert_eq!(record_of(&rig, "c-never").await.recording_id, None);
}
