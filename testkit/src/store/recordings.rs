//! Recording metadata: owner scoping, start-up recovery and retention queries.

use app::api::ports::{Store, StoreError};
use app::domain::recordings::{ConsentNotice, Pause, Recording, RecordingState};

use super::fixtures::{call, recording, ALICE, BOB};

pub async fn recordings_metadata(store: &dyn Store) {
    let mut call = call("rec-call", "+6560000001", 50_000, true, None);
    store.insert_call(ALICE, &call).await.expect("call");
    let mut r = recording("rec-1", "rec-call", 55_000, 1_000_000);
    store.insert_recording(ALICE, &r).await.expect("insert");
    assert_eq!(
        store.insert_recording(ALICE, &r).await,
        Err(StoreError::AlreadyExists),
        "ids are unique"
    );
    call.recording_id = Some(r.id.clone());
    store.update_call(ALICE, &call).await.expect("link");
    assert_eq!(
        store.get_recording(ALICE, "rec-1").await.unwrap(),
        Some(r.clone())
    );
    // Another owner sees nothing and changes nothing.
    assert_eq!(store.get_recording(BOB, "rec-1").await.unwrap(), None);
    assert_eq!(
        store.update_recording(BOB, &r).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_recording(BOB, "rec-1").await,
        Err(StoreError::NotFound)
    );
    // In progress: found by the start-up recovery, whoever owns it.
    let open = store
        .recordings_in_state(RecordingState::Recording, 10)
        .await
        .unwrap();
    assert_eq!(open, vec![(ALICE.to_string(), r.clone())]);
    // Finished: every field kept.
    r.ended_at = Some(65_000);
    r.duration_ms = 10_000;
    r.bytes = 320_044;
    r.sha256 = Some("ab".repeat(32));
    r.consent = ConsentNotice::ToneAndSpoken;
    r.pauses = vec![Pause {
        offset_ms: 2_000,
        duration_ms: 3_000,
    }];
    r.state = RecordingState::Complete;
    r.upload_id = None;
    r.waveform = vec![0, 7, 255, 1];
    // A file the provider named and wrote (Chime) changes where it is and what it is.
    r.key = format!("{}/provider-file.wav", r.key.trim_end_matches(".wav"));
    r.location = format!("disk:{}", r.key);
    r.format = "audio/wav; format 1; 16000 Hz; 2 ch; 16-bit".into();
    r.pause_mode = "skip".into();
    store.update_recording(ALICE, &r).await.expect("update");
    assert_eq!(
        store.get_recording(ALICE, "rec-1").await.unwrap(),
        Some(r.clone())
    );
    assert!(store
        .recordings_in_state(RecordingState::Recording, 10)
        .await
        .unwrap()
        .is_empty());
    // Retention: only what expired, oldest first, never one being recorded.
    let mut later = recording("rec-2", "rec-call-2", 60_000, 2_000_000);
    later.state = RecordingState::Complete;
    store.insert_recording(BOB, &later).await.unwrap();
    let mut live = recording("rec-3", "rec-call-3", 70_000, 10);
    store.insert_recording(BOB, &live).await.unwrap();
    let expired = store.expired_recordings(1_500_000, 10).await.unwrap();
    assert_eq!(expired, vec![(ALICE.to_string(), r.clone())]);
    let expired = store.expired_recordings(3_000_000, 10).await.unwrap();
    assert_eq!(
        expired
            .iter()
            .map(|(_, r)| r.id.as_str())
            .collect::<Vec<_>>(),
        ["rec-1", "rec-2"]
    );
    live.state = RecordingState::Complete;
    store.update_recording(BOB, &live).await.unwrap();
    assert_eq!(
        store.expired_recordings(3_000_000, 1).await.unwrap()[0]
            .1
            .id,
        "rec-3"
    );
    // Deleting removes the metadata and the call's link to it.
    store
        .delete_recording(ALICE, "rec-1")
        .await
        .expect("delete");
    assert_eq!(store.get_recording(ALICE, "rec-1").await.unwrap(), None);
    let call = store.get_call(ALICE, "rec-call").await.unwrap().unwrap();
    assert_eq!(call.recording_id, None);
    assert_eq!(
        store.delete_recording(ALICE, "rec-1").await,
        Err(StoreError::NotFound)
    );
    // Each owner lists their own, newest first, a page at a time.
    let ids = |page: &app::api::ports::Page<Recording>| {
        page.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    };
    let first = store.list_recordings(BOB, None, 1).await.unwrap();
    assert_eq!(ids(&first), ["rec-3"]);
    let second = store
        .list_recordings(BOB, first.next.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(ids(&second), ["rec-2"]);
    assert_eq!(second.next, None);
    assert_eq!(
        ids(&store.list_recordings(BOB, None, 10).await.unwrap()),
        ["rec-3", "rec-2"]
    );
    assert!(store
        .list_recordings(ALICE, None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        store.list_recordings(BOB, Some("garbage"), 10).await,
        Err(StoreError::BadCursor)
    );
}
