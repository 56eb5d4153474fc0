//! The REST API's calls and recordings, through its real router: the owner's only (another
//! user's ids are 404, their lists empty), filters, playback only with audio, and click-to-dial
//! refusals (no calling here, a refused number audited as from the app).

use app::domain::calls::{CallRecord, EndReason};
use app::domain::recordings::{ConsentNotice, Recording, RecordingState};
use axum::http::StatusCode;
use serde_json::json;

use crate::common::{api, assert_problem, get, user, with_json, Api, Reply};

#[tokio::test]
async fn calls_and_recordings_are_the_owners_only() {
    let api = api().await;
    let (alice, _, alice_sub) = user(&api, "alice@example.com").await;
    let (bob, _, _) = user(&api, "bob@example.com").await;
    let mut call = CallRecord::outbound("call-1".into(), "+6591234567".into(), 1_000);
    call.answered_at = Some(2_000);
    call.ended_at = Some(62_000);
    call.end_reason = Some(EndReason::Completed);
    call.recording_id = Some("rec-1".into());
    api.store.insert_call(&alice_sub, &call).await.unwrap();
    let recording = Recording {
        id: "rec-1".into(),
        call_id: "call-1".into(),
        started_at: 2_000,
        ended_at: Some(62_000),
        duration_ms: 60_000,
        bytes: 1_920_044,
        sha256: Some("ab".repeat(32)),
        format: app::domain::recordings::FORMAT.into(),
        consent: ConsentNotice::Tone,
        pause_mode: "silence".into(),
        pauses: vec![],
        location: "disk:1970/01/01/rec-1.wav".into(),
        key: Recording::key_for("rec-1", 2_000),
        retain_until: 10_000_000,
        state: RecordingState::Complete,
        upload_id: None,
        waveform: vec![1, 2, 3],
    };
    api.store
        .insert_recording(&alice_sub, &recording)
        .await
        .unwrap();

    let calls = get(&api, "/api/v1/calls?filter=answered", &alice).await;
    assert_eq!(calls.status, StatusCode::OK, "{}", calls.json);
    assert_eq!(calls.json["items"][0]["id"], "call-1");
    assert_eq!(calls.json["items"][0]["number"], "+6591234567");
    assert_eq!(calls.json["items"][0]["end_reason"], "completed");
    let failed = get(&api, "/api/v1/calls?filter=failed", &alice).await;
    assert_eq!(failed.json["items"], json!([]));
    let one = get(&api, "/api/v1/calls/call-1", &alice).await;
    assert_eq!(one.json["recording_id"], "rec-1");

    let list = get(&api, "/api/v1/recordings", &alice).await;
    assert_eq!(list.json["items"][0]["id"], "rec-1");
    assert!(
        list.json["items"][0].get("waveform").is_none(),
        "internal fields stay inside"
    );
    assert!(list.json["items"][0].get("location").is_none());
    let meta = get(&api, "/api/v1/recordings/rec-1", &alice).await;
    assert_eq!(meta.json["state"], "complete");
    assert_eq!(meta.json["consent"], "tone");
    // Metadata without its audio (yet): nothing to play.
    let playback = get(&api, "/api/v1/recordings/rec-1/playback", &alice).await;
    assert_problem(&playback, StatusCode::NOT_FOUND, "NotFound");
    let file = api.recordings_dir.join(&recording.key);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"RIFF").unwrap();
    let playback = get(&api, "/api/v1/recordings/rec-1/playback", &alice).await;
    assert_eq!(playback.status, StatusCode::OK, "{}", playback.json);
    assert_eq!(playback.json["url"], "/api/recordings/rec-1/audio");

    // Placing a call needs calling on this server (none here).
    let reply = place_call(&api, &alice, "+65 6000 0001").await;
    assert_problem(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "CallingUnavailable",
    );
    let reply = place_call(&api, &alice, "+65 1900 123 4567").await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "NumberRefused");
    assert_eq!(reply.json["errors"], json!("premium_rate"));

    for path in [
        "/api/v1/calls/call-1",
        "/api/v1/recordings/rec-1",
        "/api/v1/recordings/rec-1/playback",
    ] {
        assert_problem(
            &get(&api, path, &bob).await,
            StatusCode::NOT_FOUND,
            "NotFound",
        );
    }
    for path in ["/api/v1/calls", "/api/v1/recordings"] {
        assert_eq!(get(&api, path, &bob).await.json["items"], json!([]));
    }
}

#[tokio::test]
async fn a_refused_call_is_audited_as_from_the_app() {
    let api = api().await;
    let (alice, _, sub) = user(&api, "alice@example.com").await;
    let reply = place_call(&api, &alice, "+65 1900 123 4567").await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "NumberRefused");
    let trail = api.store.list_audit(&sub, 10).await.unwrap();
    let refused = trail
        .iter()
        .find(|e| e.action == "call_refused")
        .expect("call_refused audited");
    assert_eq!(refused.detail, "premium_rate");
    assert!(
        trail.iter().all(|e| e.action != "call_started"),
        "{trail:?}"
    );
}

/// Click to dial: `POST /api/v1/calls` for `number`.
async fn place_call(api: &Api, token: &str, number: &str) -> Reply {
    with_json(
        api,
        "POST",
        "/api/v1/calls",
        token,
        &json!({ "number": number }),
    )
    .await
}
