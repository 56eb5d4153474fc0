//! Recording a Chime call, end to end with no mocks: the record controls become the handler's
//! `PlayAudio` (the consent notice the server put in its store) and `StartCallRecording`; the
//! stand-in writes the stereo WAV into the server's recordings directory (a bucket to it); the
//! handler's push names the file; the server completes the metadata from it once the
//! recording stops. And when the provider cannot record, the agent is told and nothing is
//! left behind.

mod common;

use std::time::Duration;

use app::api::live::{LiveRecordingState, RecordAction, ServerMessage};
use app::api::ports::{AuditStore, RecordingMetadataStore};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use app::domain::recordings::{ConsentNotice, RecordingState, FORMAT, WAVEFORM_COLUMNS};
use common::chime::*;
use common::*;
use sha2::Digest;
use telephony::recording::NOTICE_TONE_HZ;
use telephony::tones::{goertzel, tone_purity};
use testkit::peer::{until, PeerCommand, Source};

/// Samples `from..to` seconds.
fn span(samples: &[i16], from: f64, to: f64) -> &[i16] {
    let a = ((from * 8000.0) as usize).min(samples.len());
    let b = ((to * 8000.0) as usize).min(samples.len());
    &samples[a..b]
}

async fn no_error(rig: &ChimeRig, tab: &Tab, action: RecordAction) {
    let reply = send(&rig.calls, tab, record("c-rec", action)).await;
    assert_eq!(reply, None, "{action:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chime_call_is_recorded_by_the_provider_into_the_store() {
    let rig = chime_rig_with(Recording::Delivered).await;
    let mut tab = open_tab(&rig.calls);
    start(&rig.calls, &tab, "c-rec", "+6560000001").await;
    let joined = rig.join(&tab, "c-rec").await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    until(&joined.peer, Duration::from_secs(5), |s| {
        s.connected_at.is_some()
    })
    .await;
    joined
        .peer
        .command(PeerCommand::Source(Source::Tone(1000.0)));

    no_error(&rig, &tab, RecordAction::Start).await;
    wait_recording(&mut tab, LiveRecordingState::Recording).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    no_error(&rig, &tab, RecordAction::Pause).await;
    wait_recording(&mut tab, LiveRecordingState::Paused).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    no_error(&rig, &tab, RecordAction::Resume).await;
    wait_recording(&mut tab, LiveRecordingState::Recording).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    no_error(&rig, &tab, RecordAction::Stop).await;
    wait_recording(&mut tab, LiveRecordingState::Stopped).await;
    // The call goes on after the recording stops.
    tokio::time::sleep(Duration::from_millis(500)).await;
    send(&rig.calls, &tab, hangup("c-rec")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;

    // The handler was asked for the notice, then the recording, on the PSTN leg.
    let (transaction, _) = rig.sma_call("c-rec").await;
    let events = rig
        .until_handler_saw(
            &transaction,
            "ACTION_SUCCESSFUL StopCallRecording",
            Duration::from_secs(5),
        )
        .await;
    assert!(
        events
            .iter()
            .any(|e| e == "ACTION_SUCCESSFUL StartCallRecording"),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| e.starts_with("ACTION_FAILED")),
        "{events:?}"
    );

    // The metadata is completed from the delivered file.
    let id = record_of(&rig.calls, "c-rec")
        .await
        .recording_id
        .expect("the call links its recording");
    let mut meta = None;
    for _ in 0..100 {
        let r = rig
            .calls
            .store
            .get_recording(ALICE, &id)
            .await
            .unwrap()
            .expect("the metadata is kept");
        if r.state != RecordingState::Recording {
            meta = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let meta = meta.expect("the recording was taken in");
    assert_eq!(meta.state, RecordingState::Complete);
    assert_eq!(meta.call_id, "c-rec");
    assert_eq!(meta.consent, ConsentNotice::Tone);
    assert_eq!(meta.pause_mode, "silence");
    assert_eq!(meta.format, FORMAT);
    assert!(meta.key.ends_with(".wav"), "{}", meta.key);
    assert!(
        meta.key.contains(&transaction),
        "the provider's file: {}",
        meta.key
    );
    assert!(!meta.key.contains("6560000001"), "no number: {}", meta.key);
    assert_eq!(meta.location, format!("disk:{}", meta.key));

    let path = rig.calls.recordings_dir.join(&meta.key);
    let bytes = std::fs::read(&path).expect("the file is in the store");
    assert_eq!(meta.bytes, bytes.len() as u64);
    assert_eq!(
        meta.sha256.as_deref(),
        Some(format!("{:x}", sha2::Sha256::digest(&bytes)).as_str())
    );
    let (left, right) = telephony::wav::read(&path).unwrap();
    assert_eq!(meta.duration_ms, left.len() as u64 * 1000 / 8000);
    // Started to stopped: 2 s + 1 s paused + 1.5 s, give or take the updates' trips.
    assert!(
        (4000..=5800).contains(&meta.duration_ms),
        "{} ms",
        meta.duration_ms
    );

    // The consent beeps open the recording; the called party heard them (their echo).
    assert!(
        goertzel(span(&right, 0.0, 0.45), NOTICE_TONE_HZ) > 0.002,
        "consent beeps on the agent's side"
    );
    assert!(goertzel(span(&left, 0.0, 0.9), NOTICE_TONE_HZ) > 0.001);
    // The agent's tone on the right, the echo on the left.
    assert!(tone_purity(span(&right, 1.0, 1.8), 1000.0) > 0.8);
    assert!(tone_purity(span(&left, 1.0, 1.8), 1000.0) > 0.8);
    let tail = |channel: &[i16]| channel[channel.len() - 4000..].to_vec();
    assert!(tone_purity(&tail(&right), 1000.0) > 0.8);
    assert!(tone_purity(&tail(&left), 1000.0) > 0.8);

    // The pause, as the server timed it, and silent in the file.
    assert_eq!(meta.pauses.len(), 1, "{:?}", meta.pauses);
    let pause = meta.pauses[0];
    assert!(
        (1800..=2600).contains(&pause.offset_ms),
        "pause at {} ms",
        pause.offset_ms
    );
    assert!(
        (800..=1500).contains(&pause.duration_ms),
        "pause of {} ms",
        pause.duration_ms
    );
    let middle = (pause.offset_ms + pause.duration_ms / 2) as f64 / 1000.0;
    assert!(
        span(&right, middle - 0.15, middle + 0.15)
            .iter()
            .all(|&s| s == 0),
        "the agent's side is silent in the pause"
    );

    assert_eq!(meta.waveform.len(), 2 * WAVEFORM_COLUMNS);
    assert!(meta.waveform[..WAVEFORM_COLUMNS].iter().any(|&v| v > 20));
    assert!(meta.waveform[WAVEFORM_COLUMNS..].iter().any(|&v| v > 20));
    // Nothing half-written is left beside it.
    let folder = path.parent().expect("a folder");
    assert_eq!(std::fs::read_dir(folder).unwrap().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_the_provider_cannot_make_is_reported_and_leaves_nothing() {
    let rig = chime_rig_with(Recording::StandInCannotWrite).await;
    let mut tab = open_tab(&rig.calls);
    start(&rig.calls, &tab, "c-rec", "+6560000001").await;
    let _joined = rig.join(&tab, "c-rec").await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;

    let tx = record_of(&rig.calls, "c-rec")
        .await
        .provider_call_id
        .unwrap();
    no_error(&rig, &tab, RecordAction::Start).await;
    // The agent's tabs are told, and the call shows no recording.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let message = tokio::time::timeout_at(deadline, tab.events.recv())
            .await
            .unwrap_or_else(|_| {
                let events = rig.stand_in.stand_in.sma_call(&tx).map(|c| c.events);
                panic!("the agent was not told; the handler saw {events:?}")
            })
            .unwrap();
        if let ServerMessage::Error { call_id, message } = message {
            assert_eq!(call_id.as_deref(), Some("c-rec"));
            assert_eq!(message, "the recording could not start");
            break;
        }
    }
    let live = rig.calls.hub.active_call(ALICE).expect("the call goes on");
    assert_eq!(live.recording, None);
    assert_eq!(
        live.state,
        CallState::Connected {
            muted: false,
            on_hold: false,
            held_by_far_end: false
        }
    );
    let record = record_of(&rig.calls, "c-rec").await;
    assert_eq!(record.recording_id, None);
    // The call goes on; nothing recorded is listed, and the audit says why.
    send(&rig.calls, &tab, hangup("c-rec")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    let listed = rig
        .calls
        .store
        .list_recordings(ALICE, None, 10)
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "{:?}", listed.items);
    let audit = rig.calls.store.list_audit(ALICE, 10).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "recording_lost"),
        "{audit:?}"
    );
}
