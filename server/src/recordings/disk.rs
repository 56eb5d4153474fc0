//! The disk recordings store (embedded default): files under one directory, keyed by
//! `YYYY/MM/DD/<id>.wav`; the spool (recordings being written) is a folder inside it, so
//! finishing a recording is a rename on the same file system.

use std::path::{Path, PathBuf};

use app::api::ports::{split_service_path, Playback, Recordings, RecordingsError, Upload};
use async_trait::async_trait;

pub struct DiskRecordings {
    root: PathBuf,
}

impl DiskRecordings {
    /// Creates the directory (and its spool folder) if needed.
    pub fn open(root: &Path) -> std::io::Result<DiskRecordings> {
        crate::private_files::private_dir(root)?;
        std::fs::create_dir_all(root.join(SPOOL))?;
        Ok(DiskRecordings {
            root: root.to_path_buf(),
        })
    }

    /// The file of `key`; keys are relative paths without `..` (we make them, but a key read
    /// back from the store is checked anyway).
    fn path(&self, key: &str) -> Result<PathBuf, RecordingsError> {
        let safe = !key.is_empty()
            && !key.starts_with('/')
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != ".." && part != SPOOL);
        if !safe {
            return Err(RecordingsError::NotFound);
        }
        Ok(self.root.join(key))
    }

    /// The directory as an S3 bucket seen by a local stand-in for a service that writes into
    /// buckets itself (the Chime stand-in's `CHIME_STANDIN_S3_DIR` is a directory of buckets):
    /// the parent directory and this one's name as the bucket.
    pub fn as_bucket(&self) -> (PathBuf, String) {
        Self::bucket_of(&self.root)
    }

    /// [`DiskRecordings::as_bucket`] of a directory not opened yet.
    pub fn bucket_of(root: &Path) -> (PathBuf, String) {
        let name = root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(DEFAULT_BUCKET)
            .to_string();
        let parent = root.parent().map(Path::to_path_buf).unwrap_or_default();
        (parent, name)
    }
}

/// The bucket name of a root directory without a usable name of its own.
const DEFAULT_BUCKET: &str = "recordings";

const SPOOL: &str = ".spool";

fn io_error(e: std::io::Error) -> RecordingsError {
    if e.kind() == std::io::ErrorKind::NotFound {
        RecordingsError::NotFound
    } else {
        RecordingsError::Unavailable(e.to_string())
    }
}

#[async_trait]
impl Recordings for DiskRecordings {
    fn kind(&self) -> &'static str {
        "disk"
    }

    async fn ping(&self) -> Result<(), RecordingsError> {
        let spool = self.root.join(SPOOL);
        match tokio::fs::metadata(&spool).await {
            Ok(m) if m.is_dir() && !m.permissions().readonly() => Ok(()),
            Ok(_) => Err(RecordingsError::Unavailable(format!(
                "{} is not a writable directory",
                spool.display()
            ))),
            Err(e) => Err(io_error(e)),
        }
    }

    fn spool_dir(&self) -> PathBuf {
        self.root.join(SPOOL)
    }

    fn location(&self, key: &str) -> String {
        format!("disk:{key}")
    }

    async fn begin(&self, key: &str) -> Result<Upload, RecordingsError> {
        self.path(key)?;
        Ok(Upload::default())
    }

    async fn upload_progress(
        &self,
        _key: &str,
        _upload: &mut Upload,
        _spool: &Path,
    ) -> Result<(), RecordingsError> {
        // The spool file is on this disk already.
        Ok(())
    }

    async fn complete(
        &self,
        key: &str,
        _upload: &mut Upload,
        spool: &Path,
    ) -> Result<u64, RecordingsError> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
        }
        let size = tokio::fs::metadata(spool)
            .await
            .map_err(|e| RecordingsError::Spool(e.to_string()))?
            .len();
        tokio::fs::rename(spool, &path).await.map_err(io_error)?;
        Ok(size)
    }

    async fn abort(&self, _key: &str, _upload_id: &str) -> Result<(), RecordingsError> {
        Ok(())
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, RecordingsError> {
        match tokio::fs::metadata(self.path(key)?).await {
            // A folder (where the provider writes a recording's file) is not an object.
            Ok(m) if m.is_dir() => Ok(None),
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    async fn fetch(&self, key: &str) -> Result<Vec<u8>, RecordingsError> {
        tokio::fs::read(self.path(key)?).await.map_err(io_error)
    }

    async fn playback(
        &self,
        key: &str,
        _now: u64,
        _download: Option<&str>,
    ) -> Result<Playback, RecordingsError> {
        let path = self.path(key)?;
        if !tokio::fs::try_exists(&path).await.map_err(io_error)? {
            return Err(RecordingsError::NotFound);
        }
        Ok(Playback::File(path))
    }

    async fn delete(&self, key: &str) -> Result<(), RecordingsError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(e)),
        }
    }

    fn service_path(&self, key: &str) -> String {
        format!("{}/{key}", self.as_bucket().1)
    }

    fn key_of_service_path(&self, path: &str) -> Option<String> {
        let (bucket, key) = split_service_path(path)?;
        (bucket == self.as_bucket().1 && self.path(key).is_ok()).then(|| key.to_string())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), RecordingsError> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
        }
        // Written beside and renamed: a reader never sees half a file.
        let partial = self
            .root
            .join(SPOOL)
            .join(format!("put-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&partial, bytes).await.map_err(io_error)?;
        tokio::fs::rename(&partial, &path).await.map_err(io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_directory() {
        let d = DiskRecordings {
            root: PathBuf::from("/r"),
        };
        assert_eq!(
            d.path("2026/11/25/a.wav").unwrap(),
            PathBuf::from("/r/2026/11/25/a.wav")
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x.wav",
            "2026/../../x",
            "a//b",
            ".spool/x.wav",
        ] {
            assert_eq!(d.path(bad), Err(RecordingsError::NotFound), "{bad}");
        }
    }
}
