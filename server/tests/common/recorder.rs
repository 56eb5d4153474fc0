//! A recorder over a fresh SQLite store, and a crash in the middle of a recording, for the
//! recordings stores' tests.

use std::sync::Arc;

use app::api::ports::{Recordings, Store};
use server::clock::SystemClock;
use server::recordings::{Recorder, Started};
use server::store::SqliteStore;
use telephony::recording::{PauseMode, RecordedAudio};

/// A recorder into `recordings` with a fresh in-memory store (returned too).
pub async fn recorder(
    recordings: Arc<dyn Recordings>,
    retention_days: u32,
) -> (Recorder, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let recorder = Recorder {
        store: store.clone(),
        recordings,
        clock: Arc::new(SystemClock),
        settings: server::recordings::RecorderSettings::new(
            PauseMode::Silence,
            None,
            retention_days,
        ),
    };
    (recorder, store)
}

/// Feeds `frames` 20 ms frames of constant audio (`left`, `right`), lets the writer take them,
/// then kills the recording's task as a crash would: no finishing, no storing.
pub async fn crash_after(started: Started, frames: usize, left: i16, right: i16) {
    for _ in 0..frames {
        started
            .sink
            .send(RecordedAudio::Frames {
                left: vec![left; 160],
                right: vec![right; 160],
            })
            .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    started.done.abort();
    let _ = started.done.await;
    // The leg that would have closed the sink died with the process too.
    std::mem::forget(started.sink);
}
