//! The S3 recordings store: a multipart upload that grows with the call (one part each time
//! the local spool file has gained a part's worth), server-side encryption, content type
//! `audio/wav`, object keys without phone numbers (`<prefix>YYYY/MM/DD/<id>.wav`), and
//! presigned GETs that expire within 5 minutes for playback.
//!
//! The WAV header's sizes are only final at the end, so the first part is sent again when the
//! upload completes (S3 keeps the last upload of a part number).

use std::path::{Path, PathBuf};
use std::time::Duration;

use app::api::ports::{split_service_path, Playback, Recordings, RecordingsError, Upload};
use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use aws_sdk_s3::Client;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// S3's smallest part (all but the last).
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// How long a playback URL lives.
pub const PLAYBACK_TTL: Duration = Duration::from_secs(300);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// SSE-S3 (AES-256, keys managed by S3).
    S3,
    /// SSE-KMS, with this key (or the account's default `aws/s3` key).
    Kms { key_id: Option<String> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// Prepended to every key, e.g. `recordings/`.
    pub prefix: String,
    pub encryption: Encryption,
    pub part_size: u64,
    /// Recordings being written live here until they are stored.
    pub spool_dir: PathBuf,
    /// Path-style addressing (emulators such as moto).
    pub force_path_style: bool,
}

pub struct S3Recordings {
    client: Client,
    settings: S3Settings,
}

fn unavailable(what: &str, e: impl std::error::Error) -> RecordingsError {
    RecordingsError::Unavailable(format!("S3 {what}: {}", DisplayErrorContext(e)))
}

fn spool_error(e: std::io::Error) -> RecordingsError {
    RecordingsError::Spool(e.to_string())
}

impl S3Recordings {
    /// A client from the SDK's standard chain (credentials, region, `AWS_ENDPOINT_URL*`).
    pub async fn connect(settings: S3Settings) -> std::io::Result<S3Recordings> {
        crate::private_files::private_dir(&settings.spool_dir)?;
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(settings.force_path_style)
            .interceptor(crate::metrics::aws::DependencyMetrics("s3"))
            .build();
        Ok(S3Recordings {
            client: Client::from_conf(config),
            settings,
        })
    }

    /// With a client made elsewhere (tests against an emulator).
    pub fn with_client(client: Client, settings: S3Settings) -> std::io::Result<S3Recordings> {
        crate::private_files::private_dir(&settings.spool_dir)?;
        Ok(S3Recordings { client, settings })
    }

    /// Whether the bucket is there and ours to use (start-up check).
    pub async fn check_bucket(&self) -> Result<(), RecordingsError> {
        self.client
            .head_bucket()
            .bucket(&self.settings.bucket)
            .send()
            .await
            .map_err(|e| unavailable("head bucket", e))?;
        Ok(())
    }

    /// The client, for tests that set up buckets.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn object(&self, key: &str) -> String {
        format!("{}{key}", self.settings.prefix)
    }

    /// Reads `len` bytes of the spool file from `offset`.
    async fn read_part(spool: &Path, offset: u64, len: u64) -> Result<Vec<u8>, RecordingsError> {
        let mut file = tokio::fs::File::open(spool).await.map_err(spool_error)?;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(spool_error)?;
        let mut buf = vec![0u8; len as usize];
        file.read_exact(&mut buf).await.map_err(spool_error)?;
        Ok(buf)
    }

    async fn send_part(
        &self,
        key: &str,
        upload_id: &str,
        number: usize,
        body: Vec<u8>,
    ) -> Result<String, Sent> {
        let sent = self
            .client
            .upload_part()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .upload_id(upload_id)
            .part_number(number as i32)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| match no_such_upload(&e) {
                true => Sent::Gone,
                false => Sent::Failed(unavailable("upload part", e)),
            })?;
        Ok(sent.e_tag().unwrap_or_default().to_string())
    }

    /// The next `len` bytes of the spool, as the upload's next part.
    async fn send_next_part(
        &self,
        key: &str,
        upload_id: &str,
        upload: &mut Upload,
        spool: &Path,
        len: u64,
    ) -> Result<(), Sent> {
        let body = Self::read_part(spool, upload.sent, len).await?;
        let tag = self
            .send_part(key, upload_id, upload.parts.len() + 1, body)
            .await?;
        upload.parts.push(tag);
        upload.sent += len;
        Ok(())
    }

    async fn create_upload(&self, key: &str) -> Result<String, RecordingsError> {
        let mut request = self
            .client
            .create_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .content_type(app::domain::recordings::CONTENT_TYPE);
        request = match &self.settings.encryption {
            Encryption::S3 => request.server_side_encryption(ServerSideEncryption::Aes256),
            Encryption::Kms { key_id } => request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .set_ssekms_key_id(key_id.clone()),
        };
        let created = request
            .send()
            .await
            .map_err(|e| unavailable("create multipart upload", e))?;
        created
            .upload_id()
            .map(str::to_string)
            .ok_or_else(|| RecordingsError::Unavailable("S3 gave no upload id".into()))
    }
}

/// Why sending an upload's rest did not finish it.
enum Sent {
    /// S3 no longer has the upload (aborted, or expired by a lifecycle rule).
    Gone,
    Failed(RecordingsError),
}

impl From<RecordingsError> for Sent {
    fn from(e: RecordingsError) -> Sent {
        Sent::Failed(e)
    }
}

fn gone() -> RecordingsError {
    RecordingsError::Unavailable("S3 no longer has the recording's upload: it starts over".into())
}

fn no_such_upload(e: &impl ProvideErrorMetadata) -> bool {
    e.code() == Some("NoSuchUpload")
}

impl S3Recordings {
    /// Sends what the spool file has beyond `upload` (and part 1 again: its header is final
    /// now), completes the upload and removes the spool file.
    async fn finish_upload(
        &self,
        key: &str,
        upload_id: &str,
        upload: &mut Upload,
        spool: &Path,
    ) -> Result<u64, Sent> {
        let len = tokio::fs::metadata(spool).await.map_err(spool_error)?.len();
        let part = self.settings.part_size;
        if !upload.parts.is_empty() {
            let body = Self::read_part(spool, 0, part).await?;
            upload.parts[0] = self.send_part(key, upload_id, 1, body).await?;
        }
        while upload.sent < len {
            let n = part.min(len - upload.sent);
            self.send_next_part(key, upload_id, upload, spool, n)
                .await?;
        }
        let parts = upload
            .parts
            .iter()
            .enumerate()
            .map(|(i, tag)| {
                CompletedPart::builder()
                    .e_tag(tag)
                    .part_number(i as i32 + 1)
                    .build()
            })
            .collect();
        self.client
            .complete_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| match no_such_upload(&e) {
                true => Sent::Gone,
                false => Sent::Failed(unavailable("complete multipart upload", e)),
            })?;
        tokio::fs::remove_file(spool).await.map_err(spool_error)?;
        Ok(len)
    }
}

#[async_trait]
impl Recordings for S3Recordings {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn ping(&self) -> Result<(), RecordingsError> {
        self.check_bucket().await
    }

    fn spool_dir(&self) -> PathBuf {
        self.settings.spool_dir.clone()
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.object(key))
    }

    async fn begin(&self, key: &str) -> Result<Upload, RecordingsError> {
        Ok(Upload {
            id: Some(self.create_upload(key).await?),
            parts: Vec::new(),
            sent: 0,
        })
    }

    async fn upload_progress(
        &self,
        key: &str,
        upload: &mut Upload,
        spool: &Path,
    ) -> Result<(), RecordingsError> {
        let Some(upload_id) = upload.id.clone() else {
            return Ok(());
        };
        let len = tokio::fs::metadata(spool).await.map_err(spool_error)?.len();
        let part = self.settings.part_size;
        while len.saturating_sub(upload.sent) >= part {
            match self
                .send_next_part(key, &upload_id, upload, spool, part)
                .await
            {
                Ok(()) => {}
                Err(Sent::Gone) => {
                    // What was sent is lost with it: the whole file goes at the end.
                    *upload = Upload::default();
                    return Err(gone());
                }
                Err(Sent::Failed(e)) => return Err(e),
            }
        }
        Ok(())
    }

    async fn complete(
        &self,
        key: &str,
        upload: &mut Upload,
        spool: &Path,
    ) -> Result<u64, RecordingsError> {
        let upload_id = match upload.id.clone() {
            Some(id) => id,
            None => {
                // A recording recovered after a crash, or an upload S3 gave up: a fresh upload
                // of the whole file.
                let id = self.create_upload(key).await?;
                *upload = Upload {
                    id: Some(id.clone()),
                    ..Upload::default()
                };
                id
            }
        };
        match self.finish_upload(key, &upload_id, upload, spool).await {
            Err(Sent::Gone) => {
                *upload = Upload::default();
                Err(gone())
            }
            Err(Sent::Failed(e)) => Err(e),
            Ok(len) => Ok(len),
        }
    }

    async fn abort(&self, key: &str, upload_id: &str) -> Result<(), RecordingsError> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Already gone (completed, aborted, or expired by a lifecycle rule).
            Err(e) if e.code() == Some("NoSuchUpload") => Ok(()),
            Err(e) => Err(unavailable("abort multipart upload", e)),
        }
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, RecordingsError> {
        match self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .send()
            .await
        {
            Ok(head) => Ok(Some(head.content_length().unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(unavailable("head object", e)),
        }
    }

    async fn fetch(&self, key: &str) -> Result<Vec<u8>, RecordingsError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    RecordingsError::NotFound
                } else {
                    unavailable("get object", e)
                }
            })?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| unavailable("read object", e))?;
        Ok(bytes.into_bytes().to_vec())
    }

    async fn playback(
        &self,
        key: &str,
        now: u64,
        download: Option<&str>,
    ) -> Result<Playback, RecordingsError> {
        // A URL for an object that is not there would only fail in the browser.
        if self.size(key).await?.is_none() {
            return Err(RecordingsError::NotFound);
        }
        let disposition = match download {
            Some(name) => format!("attachment; filename=\"{name}\""),
            None => "inline".to_string(),
        };
        let config = PresigningConfig::expires_in(PLAYBACK_TTL)
            .map_err(|e| RecordingsError::Unavailable(e.to_string()))?;
        let presigned = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .response_content_type(app::domain::recordings::CONTENT_TYPE)
            .response_content_disposition(disposition)
            .presigned(config)
            .await
            .map_err(|e| unavailable("presign", e))?;
        Ok(Playback::Url {
            url: presigned.uri().to_string(),
            expires_at: now + PLAYBACK_TTL.as_millis() as u64,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), RecordingsError> {
        self.client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .send()
            .await
            .map_err(|e| unavailable("delete object", e))?;
        Ok(())
    }

    fn service_path(&self, key: &str) -> String {
        format!("{}/{}", self.settings.bucket, self.object(key))
    }

    fn key_of_service_path(&self, path: &str) -> Option<String> {
        let (bucket, object) = split_service_path(path)?;
        let key = object.strip_prefix(&self.settings.prefix)?;
        (bucket == self.settings.bucket && !key.is_empty()).then(|| key.to_string())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), RecordingsError> {
        // SSE-S3 whatever the recordings use: the voice service reads these objects (the
        // consent notice) and holds no grant on a KMS key; they are not personal data.
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(self.object(key))
            .content_type(app::domain::recordings::CONTENT_TYPE)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| unavailable("put object", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::upload_part::UploadPartError;

    // moto answers a part for an aborted upload with a 500 (a KeyError), so this is checked
    // here, on the error S3 sends (404 NoSuchUpload).
    #[test]
    fn an_upload_s3_no_longer_has_is_told_apart() {
        let gone = UploadPartError::generic(ErrorMetadata::builder().code("NoSuchUpload").build());
        assert!(no_such_upload(&gone));
        let slow = UploadPartError::generic(ErrorMetadata::builder().code("SlowDown").build());
        assert!(!no_such_upload(&slow));
    }
}
