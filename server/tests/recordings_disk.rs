//! The disk recordings store passes the Recordings conformance suite (one test per case);
//! start-up recovery leaves every file with metadata and every metadata with a file.

#[path = "common/recorder.rs"]
mod recorder;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use sha2::Digest;

use app::api::ports::{Playback, Recordings, RecordingsError, Upload};
use app::domain::calls::CallRecord;
use app::domain::recordings::{Recording, RecordingState};
use server::recordings::{self, DiskRecordings, Recovery};
use telephony::recording::RecordedAudio;

/// Recovery as a server that just started (it carries none of these calls).
const START: server::recordings::RecoveryScope = server::recordings::RecoveryScope::Start {
    server: "test-server",
};

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("softphone-rec-{}", uuid::Uuid::new_v4()))
}

async fn fresh_disk() -> Box<DiskRecordings> {
    Box::new(DiskRecordings::open(&temp_dir()).unwrap())
}

// The Recordings conformance suite, one test per case, with a 3 s recording.
testkit::recordings_conformance_tests!(conformance, fresh_disk, 3);

#[tokio::test]
async fn recovery_finalises_partial_recordings_and_leaves_no_orphans() {
    let dir = temp_dir();
    let disk: Arc<dyn Recordings> = Arc::new(DiskRecordings::open(&dir).unwrap());
    let (recorder, store) = recorder::recorder(disk.clone(), 30).await;
    let call = CallRecord::outbound("c1".into(), "+6560000001".into(), 1);
    store.insert_call("alice", &call).await.unwrap();

    // A recording cut off by a crash: 2.5 s written, the task gone without finishing.
    let started = recorder.start("alice", "c1").await.unwrap();
    let id = started.recording.id.clone();
    recorder::crash_after(started, 125, 1000, -1000).await;
    // A recording whose audio never reached the disk at all.
    let lost = recorder.start("alice", "c1").await.unwrap();
    let lost_id = lost.recording.id.clone();
    lost.done.abort();
    let _ = lost.done.await;
    std::fs::remove_file(disk.spool_dir().join(format!("{lost_id}.wav"))).unwrap();
    // A recording stored whole, but the stop came before its metadata said so.
    let stored = recorder.start("alice", "c1").await.unwrap();
    let stored_id = stored.recording.id.clone();
    let stored_key = stored.recording.key.clone();
    stored.done.abort();
    let _ = stored.done.await;
    let spool = disk.spool_dir().join(format!("{stored_id}.wav"));
    std::fs::remove_file(&spool).unwrap();
    let mut w = telephony::wav::WavWriter::create(&spool).unwrap();
    w.write(&[2000; 12_000], &[-2000; 12_000]).unwrap();
    w.finish().unwrap();
    let whole = std::fs::read(&spool).unwrap();
    disk.complete(&stored_key, &mut Default::default(), &spool)
        .await
        .unwrap();
    // A spool file nobody knows.
    std::fs::write(disk.spool_dir().join("stray.wav"), b"RIFF....").unwrap();

    let done = recordings::recover(store.as_ref(), disk.as_ref(), 99_000, START)
        .await
        .unwrap();
    assert_eq!(
        done,
        Recovery {
            interrupted: 2,
            lost: 1,
            deleted: 0,
            orphans: 1
        }
    );
    let r = store.get_recording("alice", &id).await.unwrap().unwrap();
    assert_eq!(r.state, RecordingState::Interrupted);
    assert!(
        (2000..=2500).contains(&r.duration_ms),
        "kept what was written: {} ms",
        r.duration_ms
    );
    let path = dir.join(&r.key);
    let (left, right) = telephony::wav::read(&path).unwrap();
    assert_eq!(left.len() as u64, r.duration_ms * 8);
    assert!(left.iter().all(|&s| s == 1000) && right.iter().all(|&s| s == -1000));
    assert_eq!(r.bytes, std::fs::metadata(&path).unwrap().len());
    assert!(r.sha256.is_some());
    let s = store
        .get_recording("alice", &stored_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.state, RecordingState::Interrupted);
    assert_eq!(s.duration_ms, 1500);
    assert_eq!(s.bytes, whole.len() as u64);
    assert_eq!(
        s.sha256,
        Some(format!("{:x}", sha2::Sha256::digest(&whole)))
    );
    assert_eq!(
        s.waveform.len(),
        2 * app::domain::recordings::WAVEFORM_COLUMNS
    );
    assert!(
        s.waveform.iter().all(|&v| (150..=154).contains(&v)),
        "−24 dBFS (level 152) on both sides throughout: {:?}",
        s.waveform
    );
    // No metadata without audio, and an audit entry says so.
    assert_eq!(store.get_recording("alice", &lost_id).await.unwrap(), None);
    let audit = store.list_audit("alice", 10).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "recording_lost"));
    // Nothing left in the spool, and a second recovery has nothing to do.
    assert_eq!(std::fs::read_dir(disk.spool_dir()).unwrap().count(), 0);
    assert_eq!(
        recordings::recover(store.as_ref(), disk.as_ref(), 99_000, START)
            .await
            .unwrap(),
        Recovery::default()
    );
}

#[tokio::test]
async fn deleting_and_retention_remove_audio_and_metadata_with_an_audit_entry() {
    let dir = temp_dir();
    let disk: Arc<dyn Recordings> = Arc::new(DiskRecordings::open(&dir).unwrap());
    let (recorder, store) = recorder::recorder(disk.clone(), 1).await;
    let mut made: Vec<Recording> = Vec::new();
    for call in ["c1", "c2"] {
        let started = recorder.start("alice", call).await.unwrap();
        started
            .sink
            .send(RecordedAudio::Frames {
                left: vec![1; 800],
                right: vec![2; 800],
            })
            .unwrap();
        drop(started.sink);
        made.push(started.done.await.unwrap().expect("stored"));
    }
    let (one, two) = (&made[0], &made[1]);
    assert!(dir.join(&one.key).exists());

    // Someone else cannot delete it.
    assert!(matches!(
        recordings::delete(
            store.as_ref(),
            disk.as_ref(),
            "bob",
            &one.id,
            5,
            "recording_deleted"
        )
        .await,
        Err(recordings::DeleteError::NotFound)
    ));
    recordings::delete(
        store.as_ref(),
        disk.as_ref(),
        "alice",
        &one.id,
        5,
        "recording_deleted",
    )
    .await
    .unwrap();
    assert!(!dir.join(&one.key).exists());
    assert_eq!(store.get_recording("alice", &one.id).await.unwrap(), None);
    let audit = store.list_audit("alice", 10).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "recording_deleted" && a.detail.contains(&one.id)));

    // Retention (one day): a dry run lists and keeps; the real run deletes.
    let later = two.retain_until + 1;
    let listed = recordings::retention_sweep(store.as_ref(), disk.as_ref(), later, true)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(dir.join(&two.key).exists(), "a dry run deletes nothing");
    assert!(
        recordings::retention_sweep(store.as_ref(), disk.as_ref(), two.retain_until - 1, false)
            .await
            .unwrap()
            .is_empty(),
        "nothing is due before its date"
    );
    let swept = recordings::retention_sweep(store.as_ref(), disk.as_ref(), later, false)
        .await
        .unwrap();
    assert_eq!(swept.len(), 1);
    assert!(!dir.join(&two.key).exists());
    assert_eq!(store.get_recording("alice", &two.id).await.unwrap(), None);
    let audit = store.list_audit("alice", 10).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "recording_expired"));
}

/// A server stopped during recordings Chime writes itself: the one whose file the provider
/// had named and written is kept (interrupted, from the file); the one still a folder (the
/// file not named yet) is removed as lost, and recovery does not stumble on the folder.
#[tokio::test]
async fn recovery_keeps_a_delivered_file_and_drops_a_recording_still_unnamed() {
    let dir = temp_dir();
    let disk: Arc<dyn Recordings> = Arc::new(DiskRecordings::open(&dir).unwrap());
    let (recorder, store) = recorder::recorder(disk.clone(), 30).await;
    let call = CallRecord::outbound("c1".into(), "+6560000001".into(), 1);
    store.insert_call("alice", &call).await.unwrap();

    let unnamed = recorder.start_delivered("alice", "c1").await.unwrap();
    // The provider made its folder, but the push naming the file never came.
    std::fs::create_dir_all(dir.join(&unnamed.recording.key)).unwrap();

    let mut named = recorder.start_delivered("alice", "c1").await.unwrap();
    let key = format!("{}/1_tx_call.wav", named.recording.key);
    let path = dir.join(&key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = telephony::wav::WavWriter::create(&path).unwrap();
    w.write(&[500; 8000], &[-500; 8000]).unwrap();
    w.finish().unwrap();
    recorder
        .delivered_to("alice", &mut named.recording, &disk.service_path(&key))
        .await
        .unwrap();

    let done = recordings::recover(store.as_ref(), disk.as_ref(), 99_000, START)
        .await
        .unwrap();
    assert_eq!((done.interrupted, done.lost), (1, 1), "{done:?}");
    assert_eq!(
        store
            .get_recording("alice", &unnamed.recording.id)
            .await
            .unwrap(),
        None
    );
    let kept = store
        .get_recording("alice", &named.recording.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.state, RecordingState::Interrupted);
    assert_eq!(kept.key, key);
    assert_eq!(kept.duration_ms, 1000);
}

/// The disk store, with `complete` failing while `down` is set: a recordings store that is
/// unreachable when a call ends.
struct Flaky {
    disk: DiskRecordings,
    down: std::sync::atomic::AtomicBool,
    refused: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl Recordings for Flaky {
    fn kind(&self) -> &'static str {
        self.disk.kind()
    }
    async fn ping(&self) -> Result<(), RecordingsError> {
        self.disk.ping().await
    }
    fn spool_dir(&self) -> std::path::PathBuf {
        self.disk.spool_dir()
    }
    fn location(&self, key: &str) -> String {
        self.disk.location(key)
    }
    async fn begin(&self, key: &str) -> Result<Upload, RecordingsError> {
        self.disk.begin(key).await
    }
    async fn upload_progress(
        &self,
        key: &str,
        upload: &mut Upload,
        spool: &std::path::Path,
    ) -> Result<(), RecordingsError> {
        self.disk.upload_progress(key, upload, spool).await
    }
    async fn complete(
        &self,
        key: &str,
        upload: &mut Upload,
        spool: &std::path::Path,
    ) -> Result<u64, RecordingsError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(RecordingsError::Unavailable("the bucket is down".into()));
        }
        self.disk.complete(key, upload, spool).await
    }
    async fn abort(&self, key: &str, upload_id: &str) -> Result<(), RecordingsError> {
        self.disk.abort(key, upload_id).await
    }
    async fn size(&self, key: &str) -> Result<Option<u64>, RecordingsError> {
        self.disk.size(key).await
    }
    async fn fetch(&self, key: &str) -> Result<Vec<u8>, RecordingsError> {
        self.disk.fetch(key).await
    }
    async fn playback(
        &self,
        key: &str,
        now: u64,
        download: Option<&str>,
    ) -> Result<Playback, RecordingsError> {
        self.disk.playback(key, now, download).await
    }
    async fn delete(&self, key: &str) -> Result<(), RecordingsError> {
        self.disk.delete(key).await
    }
    fn service_path(&self, key: &str) -> String {
        self.disk.service_path(key)
    }
    fn key_of_service_path(&self, path: &str) -> Option<String> {
        self.disk.key_of_service_path(path)
    }
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), RecordingsError> {
        self.disk.put(key, bytes).await
    }
}

#[tokio::test]
async fn a_recording_finished_while_the_store_is_down_is_stored_when_it_returns() {
    let flaky = Arc::new(Flaky {
        disk: DiskRecordings::open(&temp_dir()).unwrap(),
        down: true.into(),
        refused: 0.into(),
    });
    let (recorder, store) = recorder::recorder(flaky.clone(), 30).await;
    let started = recorder.start("alice", "c1").await.unwrap();
    let (id, key) = (started.recording.id.clone(), started.recording.key.clone());
    for _ in 0..50 {
        started
            .sink
            .send(RecordedAudio::Frames {
                left: vec![700; 160],
                right: vec![-700; 160],
            })
            .unwrap();
    }
    // The call ends while the store is down: the recording waits, whole, on this server.
    drop(started.sink);
    let spool = flaky.spool_dir().join(format!("{id}.wav"));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while flaky.refused.load(Ordering::SeqCst) < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not tried again within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(spool.exists(), "the finished recording is kept meanwhile");
    assert_eq!(flaky.disk.size(&key).await.unwrap(), None);
    let open = store.get_recording("alice", &id).await.unwrap().unwrap();
    assert_eq!(open.state, RecordingState::Recording);

    // It returns: the next try stores the recording, complete, while the server still runs.
    flaky.down.store(false, Ordering::SeqCst);
    let stored = tokio::time::timeout(std::time::Duration::from_secs(10), started.done)
        .await
        .expect("stored within 10 s of the store's return")
        .unwrap()
        .expect("stored");
    assert_eq!(stored.state, RecordingState::Complete);
    assert_eq!(stored.duration_ms, 1_000);
    assert_eq!(
        flaky.disk.size(&key).await.unwrap(),
        Some(telephony::wav::HEADER_LEN + 50 * 160 * 4)
    );
    assert!(!spool.exists(), "the spool file is gone once stored");
    let saved = store.get_recording("alice", &id).await.unwrap().unwrap();
    assert_eq!(saved.state, RecordingState::Complete);
    assert_eq!(saved.sha256, stored.sha256);
}
