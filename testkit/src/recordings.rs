//! The conformance suite every [`Recordings`] adapter must pass (disk and S3). Each case is a
//! public function that panics with what broke; [`recordings_conformance_tests!`] makes one
//! test per case, each on a fresh store. `seconds` sets the test recording's length: make it
//! span more than one upload part for stores that upload in parts.
//!
//! [`recordings_conformance_tests!`]: crate::recordings_conformance_tests

use app::api::ports::{Playback, Recordings, RecordingsError, Upload};
use app::domain::recordings::Recording;
use telephony::wav::{self, WavWriter};

/// One test per case in a module named `$module`. `$fresh` is an async fn (seen from inside
/// that module, which imports its parent's items) returning a fresh store behind a pointer, or
/// a fixture that derefs to it and keeps what it needs alive; `$seconds` is the length of the
/// recording the growing-recording case stores.
#[macro_export]
macro_rules! recordings_conformance_tests {
    ($module:ident, $fresh:path, $seconds:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ping_answers() {
                let recordings = $fresh().await;
                $crate::recordings::ping_answers(&*recordings).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_growing_recording_is_stored_whole() {
                let recordings = $fresh().await;
                $crate::recordings::a_growing_recording_is_stored_whole(&*recordings, $seconds)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_aborted_upload_leaves_nothing() {
                let recordings = $fresh().await;
                $crate::recordings::an_aborted_upload_leaves_nothing(&*recordings).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_service_writes_and_reads_by_its_own_paths() {
                let recordings = $fresh().await;
                $crate::recordings::a_service_writes_and_reads_by_its_own_paths(&*recordings).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn unknown_keys_are_not_found() {
                let recordings = $fresh().await;
                $crate::recordings::unknown_keys_are_not_found(&*recordings).await;
            }
        }
    };
}

pub async fn ping_answers(recordings: &dyn Recordings) {
    recordings.ping().await.expect("ping");
}

/// Writes `seconds` of recognisable audio to a spool file, offering it to the store as it
/// grows (as the recorder does), and returns the spool path.
async fn record(
    recordings: &dyn Recordings,
    key: &str,
    id: &str,
    seconds: u64,
) -> (std::path::PathBuf, Upload) {
    let spool = recordings.spool_dir().join(format!("{id}.wav"));
    let mut upload = recordings.begin(key).await.expect("begin");
    let mut writer = WavWriter::create(&spool).expect("spool file");
    for s in 0..seconds {
        let left: Vec<i16> = (0..8000).map(|i| (i as i16).wrapping_mul(3)).collect();
        let right: Vec<i16> = (0..8000).map(|i| (s as i16) - (i as i16)).collect();
        writer.write(&left, &right).expect("write");
        recordings
            .upload_progress(key, &mut upload, &spool)
            .await
            .expect("progress");
    }
    writer.finish().expect("finish");
    (spool, upload)
}

pub async fn a_growing_recording_is_stored_whole(recordings: &dyn Recordings, seconds: u64) {
    let id = uuid::Uuid::new_v4().to_string();
    let key = Recording::key_for(&id, 1_795_645_217_000);
    let (spool, mut upload) = record(recordings, &key, &id, seconds).await;
    let expected = std::fs::read(&spool).expect("spool");
    assert_eq!(expected.len() as u64, wav::HEADER_LEN + seconds * 32_000);
    let size = recordings
        .complete(&key, &mut upload, &spool)
        .await
        .expect("complete");
    assert_eq!(size, expected.len() as u64, "stored size");
    assert!(!spool.exists(), "the spool file is gone once stored");
    assert_eq!(recordings.size(&key).await.unwrap(), Some(size));
    let stored = recordings.fetch(&key).await.expect("fetch");
    // The header went up first with sizes that were not final yet: the stored one is final.
    assert_eq!(&stored[..44], &expected[..44], "final header");
    assert!(stored == expected, "stored bytes differ from the recording");
    assert!(
        recordings.location(&key).ends_with(&key),
        "location names the key"
    );
    let now = 1_000_000;
    match recordings
        .playback(&key, now, Some("call.wav"))
        .await
        .expect("playback")
    {
        Playback::File(path) => assert_eq!(std::fs::read(path).unwrap(), expected),
        Playback::Url { url, expires_at } => {
            assert!(url.starts_with("http"), "{url}");
            assert!(
                expires_at > now && expires_at <= now + 300_000,
                "expires within 5 minutes"
            );
        }
    }
    recordings.delete(&key).await.expect("delete");
    assert_eq!(recordings.size(&key).await.unwrap(), None);
    recordings
        .delete(&key)
        .await
        .expect("deleting twice is fine");
    assert_eq!(
        recordings.fetch(&key).await.unwrap_err(),
        RecordingsError::NotFound
    );
    assert_eq!(
        recordings.playback(&key, now, None).await.unwrap_err(),
        RecordingsError::NotFound
    );
}

pub async fn an_aborted_upload_leaves_nothing(recordings: &dyn Recordings) {
    let id = uuid::Uuid::new_v4().to_string();
    let key = Recording::key_for(&id, 1_795_645_217_000);
    let (spool, upload) = record(recordings, &key, &id, 2).await;
    if let Some(upload_id) = &upload.id {
        recordings.abort(&key, upload_id).await.expect("abort");
    }
    std::fs::remove_file(&spool).unwrap();
    assert_eq!(recordings.size(&key).await.unwrap(), None);
}

pub async fn unknown_keys_are_not_found(recordings: &dyn Recordings) {
    assert_eq!(
        recordings.size("2000/01/01/nothing.wav").await.unwrap(),
        None
    );
    assert_eq!(
        recordings
            .fetch("2000/01/01/nothing.wav")
            .await
            .unwrap_err(),
        RecordingsError::NotFound
    );
}

/// What the Chime voice service needs: a path to give it for a key, the key of a path it gives
/// back (in any of its spellings), and small objects put whole for it to read.
pub async fn a_service_writes_and_reads_by_its_own_paths(recordings: &dyn Recordings) {
    let key = format!("notices/{}.wav", uuid::Uuid::new_v4());
    let path = recordings.service_path(&key);
    let (bucket, _) = app::api::ports::split_service_path(&path).expect("bucket/key");
    for spelling in [
        path.clone(),
        format!("s3://{path}"),
        format!("arn:aws:s3:::{path}"),
    ] {
        assert_eq!(
            recordings.key_of_service_path(&spelling).as_deref(),
            Some(key.as_str()),
            "{spelling}"
        );
    }
    for elsewhere in [
        format!("another-{bucket}/{key}"),
        bucket.to_string(),
        format!("{bucket}/"),
        String::new(),
    ] {
        assert_eq!(
            recordings.key_of_service_path(&elsewhere),
            None,
            "{elsewhere}"
        );
    }
    let notice = wav::mono_8k(&[1, -1, 300]);
    recordings.put(&key, notice.clone()).await.expect("put");
    // Put again: replaced, not an error (the notice is written at every start).
    recordings
        .put(&key, notice.clone())
        .await
        .expect("put again");
    assert_eq!(recordings.fetch(&key).await.expect("fetch"), notice);
    assert_eq!(
        recordings.size(&key).await.expect("size"),
        Some(notice.len() as u64)
    );
    // What holds it is not an object (on disk, a folder).
    assert_eq!(recordings.size("notices").await.expect("size"), None);
    recordings.delete(&key).await.expect("delete");
}
