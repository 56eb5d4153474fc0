//! The S3 recordings store against moto: the same conformance suite as the disk store (one test
//! per case, its recording spanning two multipart parts); a recording spanning three parts,
//! with encryption and content type on the object; and start-up recovery of a recording cut
//! off mid-upload; every presigned URL the REST API issues is audited.

#[path = "common/moto.rs"]
mod moto;
#[path = "common/recorder.rs"]
mod recorder;
#[path = "common/rest.rs"]
mod rest;

use std::ops::Deref;
use std::sync::Arc;

use app::api::ports::{Recordings, RecordingsError};
use app::domain::recordings::RecordingState;
use aws_sdk_s3::types::ServerSideEncryption;
use server::recordings;
use server::recordings::s3::{Encryption, S3Recordings, S3Settings, MIN_PART};

/// Recovery as a server that just started (it carries none of these calls).
const START: server::recordings::RecoveryScope = server::recordings::RecoveryScope::Start {
    server: "test-server",
};

async fn store_for(moto: &moto::Moto, prefix: &str) -> (S3Recordings, String) {
    let client = moto::s3_client(&moto.endpoint);
    let bucket = format!("softphone-test-{}", uuid::Uuid::new_v4());
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let spool = std::env::temp_dir().join(format!("softphone-s3-spool-{}", uuid::Uuid::new_v4()));
    let settings = S3Settings {
        bucket: bucket.clone(),
        prefix: prefix.into(),
        encryption: Encryption::S3,
        part_size: MIN_PART,
        spool_dir: spool,
        force_path_style: true,
    };
    (S3Recordings::with_client(client, settings).unwrap(), bucket)
}

/// A store on a new bucket, with the moto it is on kept running for the test.
struct MotoBucket {
    store: S3Recordings,
    _moto: moto::Moto,
}

impl Deref for MotoBucket {
    type Target = S3Recordings;

    fn deref(&self) -> &S3Recordings {
        &self.store
    }
}

async fn fresh_bucket() -> MotoBucket {
    let moto = moto::moto();
    let (store, _) = store_for(&moto, "recordings/").await;
    MotoBucket { store, _moto: moto }
}

// The Recordings conformance suite, one test per case. 200 s of audio = 6.4 MB: one 5 MiB part
// sent while it grows (sent again at the end with the final header) and a last part.
testkit::recordings_conformance_tests!(conformance, fresh_bucket, 200);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_spanning_three_parts_is_encrypted_and_typed() {
    let moto = moto::moto();
    let (s3, bucket) = store_for(&moto, "recordings/").await;

    // What lands in the bucket: three parts (six minutes of audio, 11.5 MB), encrypted,
    // typed, keyed by date and id only.
    let id = uuid::Uuid::new_v4().to_string();
    let key = app::domain::recordings::Recording::key_for(&id, 1_795_645_217_000);
    let mut upload = s3.begin(&key).await.unwrap();
    let spool = s3.spool_dir().join(format!("{id}.wav"));
    let mut w = telephony::wav::WavWriter::create(&spool).unwrap();
    for _ in 0..360 {
        w.write(&[1; 8000], &[2; 8000]).unwrap();
        s3.upload_progress(&key, &mut upload, &spool).await.unwrap();
    }
    w.finish().unwrap();
    assert_eq!(
        upload.parts.len(),
        2,
        "two whole parts sent while recording"
    );
    let size = s3.complete(&key, &mut upload, &spool).await.unwrap();
    assert_eq!(size, 44 + 360 * 32_000);
    let head = s3
        .client()
        .head_object()
        .bucket(&bucket)
        .key(format!("recordings/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("audio/wav"));
    assert!(
        head.e_tag()
            .is_some_and(|t| t.trim_matches('"').ends_with("-3")),
        "a three-part upload: {:?}",
        head.e_tag()
    );
    assert_eq!(head.content_length(), Some(size as i64));
    let stored = s3.fetch(&key).await.unwrap();
    assert_eq!(
        u32::from_le_bytes(stored[40..44].try_into().unwrap()),
        360 * 32_000,
        "the header went up again with its final sizes"
    );
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert_eq!(
        s3.location(&key),
        format!("s3://{bucket}/recordings/2026/11/25/{id}.wav")
    );
    match s3.playback(&key, 0, None).await.unwrap() {
        app::api::ports::Playback::Url { url, expires_at } => {
            assert!(url.contains("X-Amz-Expires=300"), "{url}");
            assert!(url.contains(&id), "{url}");
            assert_eq!(expires_at, 300_000);
        }
        other => panic!("expected a presigned URL, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_by_an_s3_outage_resumes_when_s3_returns() {
    let moto = moto::moto();
    let (s3, bucket) = store_for(&moto, "recordings/").await;
    let id = uuid::Uuid::new_v4().to_string();
    let key = app::domain::recordings::Recording::key_for(&id, 1_795_645_217_000);
    let mut upload = s3.begin(&key).await.unwrap();
    let spool = s3.spool_dir().join(format!("{id}.wav"));
    let mut w = telephony::wav::WavWriter::create(&spool).unwrap();
    for _ in 0..200 {
        w.write(&[3; 8000], &[4; 8000]).unwrap();
        s3.upload_progress(&key, &mut upload, &spool).await.unwrap();
    }
    w.finish().unwrap();
    assert_eq!(upload.parts.len(), 1, "one part sent while recording");
    let whole = std::fs::read(&spool).unwrap();

    // The call ends while S3 cannot be reached (the same bucket, through a dead endpoint).
    let unreachable = S3Recordings::with_client(
        moto::s3_client("http://127.0.0.1:1"),
        S3Settings {
            bucket,
            prefix: "recordings/".into(),
            encryption: Encryption::S3,
            part_size: MIN_PART,
            spool_dir: s3.spool_dir(),
            force_path_style: true,
        },
    )
    .unwrap();
    let before = upload.clone();
    let refused = unreachable
        .complete(&key, &mut upload, &spool)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, RecordingsError::Unavailable(_)),
        "{refused:?}"
    );
    assert_eq!(upload, before, "what went up is kept for the next try");
    assert!(spool.exists(), "the recording is kept for the next try");
    assert_eq!(s3.size(&key).await.unwrap(), None);

    // S3 is back: the same upload completes, whole.
    let size = s3.complete(&key, &mut upload, &spool).await.unwrap();
    assert_eq!(size, whole.len() as u64);
    assert_eq!(s3.fetch(&key).await.unwrap(), whole, "stored whole");
    assert!(!spool.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_cut_off_mid_upload_is_recovered_into_the_bucket() {
    let moto = moto::moto();
    let (s3, bucket) = store_for(&moto, "").await;
    let s3: Arc<dyn Recordings> = Arc::new(s3);
    let (recorder, store) = recorder::recorder(s3.clone(), 30).await;
    let started = recorder.start("alice", "c1").await.unwrap();
    let id = started.recording.id.clone();
    assert!(
        started.recording.upload_id.is_some(),
        "the upload starts with the recording"
    );
    recorder::crash_after(started, 100, 300, -300).await;

    let done = recordings::recover(store.as_ref(), s3.as_ref(), 5_000, START)
        .await
        .unwrap();
    assert_eq!(done.interrupted, 1);
    let r = store.get_recording("alice", &id).await.unwrap().unwrap();
    assert_eq!(r.state, RecordingState::Interrupted);
    assert_eq!(r.duration_ms, 2000);
    assert_eq!(r.upload_id, None);
    let bytes = s3.fetch(&r.key).await.unwrap();
    assert_eq!(bytes.len() as u64, r.bytes);
    assert_eq!(bytes.len(), 44 + 2 * 32_000);
    assert_eq!(
        u32::from_le_bytes(bytes[40..44].try_into().unwrap()),
        64_000
    );
    // The upload the crash left open was aborted; nothing is left in the spool.
    let client = moto::s3_client(&moto.endpoint);
    let open = client
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(open.uploads().is_empty(), "{:?}", open.uploads());
    assert_eq!(std::fs::read_dir(s3.spool_dir()).unwrap().count(), 0);
}

/// Every presigned URL issued is in the owner's audit trail (which recording, how, until when),
/// whether the caller holds a session's token or an integration token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_presigned_url_issued_is_audited() {
    use app::api::ports::Identity;
    use app::domain::recordings::{ConsentNotice, Recording};
    use app::domain::tokens::{Lifetime, Scope, TokenRequest};

    let moto = moto::moto();
    let (s3, bucket) = store_for(&moto, "").await;
    let client = s3.client().clone();
    let api = rest::api_with(1000, 1000, Some(Arc::new(s3))).await;
    let (access, _, sub) = rest::user(&api, "alice@example.com").await;
    let recording = Recording {
        id: "rec-s3".into(),
        call_id: "call-s3".into(),
        started_at: 2_000,
        ended_at: Some(62_000),
        duration_ms: 60_000,
        bytes: 48,
        sha256: None,
        format: app::domain::recordings::FORMAT.into(),
        consent: ConsentNotice::Tone,
        pause_mode: "silence".into(),
        pauses: vec![],
        location: "s3".into(),
        key: Recording::key_for("rec-s3", 2_000),
        retain_until: u64::MAX / 2,
        state: RecordingState::Complete,
        upload_id: None,
        waveform: vec![],
    };
    api.store.insert_recording(&sub, &recording).await.unwrap();
    client
        .put_object()
        .bucket(&bucket)
        .key(&recording.key)
        .body(vec![0u8; 48].into())
        .send()
        .await
        .unwrap();
    let me = api.identity.verify_access(&access).await.unwrap();
    let token = app::api::tokens::ops::create(
        &api.services,
        &me,
        &TokenRequest {
            name: "player".into(),
            scopes: vec![Scope::RecordingsRead],
            lifetime: Lifetime::Days30,
        },
    )
    .await
    .unwrap()
    .secret;

    for bearer in [&access, &token] {
        let reply = rest::get(&api, "/api/v1/recordings/rec-s3/playback", bearer).await;
        assert_eq!(reply.status, axum::http::StatusCode::OK, "{}", reply.json);
        assert!(
            reply.json["url"]
                .as_str()
                .unwrap()
                .contains("X-Amz-Expires"),
            "{}",
            reply.json
        );
    }
    let issued: Vec<String> = api
        .store
        .list_audit(&sub, 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "recording_url_issued")
        .map(|e| e.detail)
        .collect();
    assert_eq!(issued.len(), 2, "{issued:?}");
    assert!(
        issued
            .iter()
            .all(|d| d.contains("recording rec-s3 of call call-s3") && d.contains("expires")),
        "{issued:?}"
    );
}
