//! The back ends that have an AWS choice: the store (SQLite or DynamoDB), identity (local or
//! Cognito) and recordings (disk or S3), each parsed into the settings its adapter takes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use telephony::recording::PauseMode;

use super::ConfigError;
use crate::identity::CognitoSettings;
use crate::recordings::s3::{Encryption, S3Settings};

/// Where contacts, calls, recording metadata, settings and the audit trail are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// One SQLite file in the data directory (the embedded default).
    Sqlite,
    /// One DynamoDB table (single-table design, `docs/dynamodb.md`), reached with the AWS
    /// SDK's standard configuration (credential chain, `AWS_REGION`, `AWS_ENDPOINT_URL*`).
    DynamoDb { table: String },
}

/// Who signs users in and issues their tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityConfig {
    /// The built-in provider: accounts in the store, tokens signed with a key in the data
    /// directory (the embedded default).
    Local,
    /// An Amazon Cognito user pool and its public app client.
    Cognito(CognitoSettings),
}

/// Where recordings are kept, and how they are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingsConfig {
    pub backend: RecordingsBackend,
    /// What a paused span becomes: silence (default) or nothing.
    pub pause_mode: PauseMode,
    /// A spoken notice played after the consent beeps (8 kHz mono 16-bit WAV).
    pub notice_file: Option<PathBuf>,
    /// Days a recording is kept before the retention job deletes it.
    pub retention_days: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordingsBackend {
    /// Files under this directory (default: `<data dir>/recordings`).
    Disk { dir: PathBuf },
    /// An S3 bucket; recordings are spooled under `<dir>/.spool` while they are made.
    S3(S3Settings),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// One SQLite file in the data directory
    Sqlite,
    /// One DynamoDB table (SOFTPHONE_DYNAMODB_TABLE)
    #[value(name = "dynamodb")]
    DynamoDb,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IdentityKind {
    /// Accounts in the store
    Local,
    /// An Amazon Cognito user pool (SOFTPHONE_COGNITO_*)
    Cognito,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordingsKind {
    /// Files under the data directory
    Disk,
    /// An S3 bucket (SOFTPHONE_RECORDINGS_BUCKET)
    S3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Sse {
    /// SSE-S3
    Aes256,
    /// SSE-KMS, key in SOFTPHONE_RECORDINGS_KMS_KEY_ID
    Kms,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PauseName {
    /// Paused spans are silent
    Silence,
    /// Paused spans are left out
    Skip,
}

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Store")]
pub struct StoreArgs {
    /// Where contacts, calls, recording metadata, settings and the audit trail are kept
    #[arg(long, env = "SOFTPHONE_STORE", value_enum, default_value_t = StoreKind::Sqlite)]
    store: StoreKind,
    /// With dynamodb: the table's name (3-255 letters, digits, _ - .)
    #[arg(long, env = "SOFTPHONE_DYNAMODB_TABLE", value_name = "NAME")]
    dynamodb_table: Option<String>,
}

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Identity")]
pub struct IdentityArgs {
    /// Who signs users in and issues their tokens
    #[arg(long, env = "SOFTPHONE_IDENTITY", value_enum, default_value_t = IdentityKind::Local)]
    identity: IdentityKind,
    /// With cognito: the user pool's id, such as ap-southeast-1_AbC123xyz
    #[arg(long, env = "SOFTPHONE_COGNITO_USER_POOL_ID", value_name = "ID")]
    cognito_user_pool_id: Option<String>,
    /// With cognito: the id of the pool's public app client
    #[arg(long, env = "SOFTPHONE_COGNITO_CLIENT_ID", value_name = "ID")]
    cognito_client_id: Option<String>,
    /// Where the pool's signing keys are, when not at the issuer (only for emulators)
    #[arg(long, env = "SOFTPHONE_COGNITO_JWKS_URL", value_name = "URL")]
    cognito_jwks_url: Option<String>,
    /// The app client's refresh-token validity, in days
    #[arg(long, env = "SOFTPHONE_COGNITO_REFRESH_DAYS", value_name = "DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    cognito_refresh_days: u32,
}

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Recordings")]
pub struct RecordingsArgs {
    /// Where recordings are kept
    #[arg(long, env = "SOFTPHONE_RECORDINGS", value_enum, default_value_t = RecordingsKind::Disk)]
    recordings: RecordingsKind,
    /// The recordings directory (with s3: the spool for recordings being made)
    /// [default: <SOFTPHONE_DATA_DIR>/recordings]
    #[arg(long, env = "SOFTPHONE_RECORDINGS_DIR", value_name = "DIR")]
    recordings_dir: Option<PathBuf>,
    /// With s3: the bucket's name (3-63 lowercase letters, digits, dots, hyphens)
    #[arg(long, env = "SOFTPHONE_RECORDINGS_BUCKET", value_name = "NAME")]
    recordings_bucket: Option<String>,
    /// With s3: prepended to every key, such as recordings/ (no leading slash, no ..)
    #[arg(long, env = "SOFTPHONE_RECORDINGS_PREFIX", value_name = "PREFIX")]
    recordings_prefix: Option<String>,
    /// With s3: server-side encryption
    #[arg(long, env = "SOFTPHONE_RECORDINGS_SSE", value_enum, default_value_t = Sse::Aes256)]
    recordings_sse: Sse,
    /// With kms: the key (unset: the account's aws/s3 key)
    #[arg(long, env = "SOFTPHONE_RECORDINGS_KMS_KEY_ID", value_name = "KEY")]
    recordings_kms_key_id: Option<String>,
    /// With s3: the multipart upload part size, in MiB
    #[arg(long, env = "SOFTPHONE_RECORDINGS_PART_MB", value_name = "MIB", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(5..=512))]
    recordings_part_mb: u64,
    /// With s3: path-style addressing (emulators such as moto)
    #[arg(long, env = "SOFTPHONE_S3_FORCE_PATH_STYLE", value_name = "BOOL", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = clap::value_parser!(bool))]
    s3_force_path_style: bool,
    /// What a paused span of a recording becomes
    #[arg(long, env = "SOFTPHONE_RECORDING_PAUSE", value_enum, default_value_t = PauseName::Silence)]
    recording_pause: PauseName,
    /// A spoken notice played after the consent beeps (8 kHz mono 16-bit WAV)
    #[arg(long, env = "SOFTPHONE_RECORDING_NOTICE", value_name = "WAV")]
    recording_notice: Option<PathBuf>,
    /// Days a recording is kept before the retention job deletes it
    #[arg(long, env = "SOFTPHONE_RECORDING_RETENTION_DAYS", value_name = "DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    recording_retention_days: u32,
}

impl StoreArgs {
    pub(super) fn resolve(self) -> Result<StoreConfig, ConfigError> {
        match self.store {
            StoreKind::Sqlite => Ok(StoreConfig::Sqlite),
            StoreKind::DynamoDb => {
                let table = self.dynamodb_table.unwrap_or_default();
                let valid = (3..=255).contains(&table.len())
                    && table
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
                if !valid {
                    return Err(ConfigError::invalid(
                        "SOFTPHONE_DYNAMODB_TABLE",
                        table,
                        "with SOFTPHONE_STORE=dynamodb, a DynamoDB table name (3-255 letters, digits, _ - .)",
                    ));
                }
                Ok(StoreConfig::DynamoDb { table })
            }
        }
    }
}

impl IdentityArgs {
    pub(super) fn resolve(self) -> Result<IdentityConfig, ConfigError> {
        if self.identity == IdentityKind::Local {
            return Ok(IdentityConfig::Local);
        }
        let user_pool_id = self.cognito_user_pool_id.unwrap_or_default();
        // <region>_<id>; moto's ids are longer than AWS's, so no stricter pattern.
        let valid_pool = user_pool_id.split_once('_').is_some_and(|(region, id)| {
            region.len() >= 9
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !valid_pool {
            return Err(ConfigError::invalid(
                "SOFTPHONE_COGNITO_USER_POOL_ID",
                user_pool_id,
                "with SOFTPHONE_IDENTITY=cognito, a user pool id such as ap-southeast-1_AbC123xyz",
            ));
        }
        let client_id = self.cognito_client_id.unwrap_or_default();
        if client_id.is_empty() || !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ConfigError::invalid(
                "SOFTPHONE_COGNITO_CLIENT_ID",
                client_id,
                "with SOFTPHONE_IDENTITY=cognito, the id of the pool's app client (letters and digits)",
            ));
        }
        let mut settings = CognitoSettings::new(&user_pool_id, &client_id);
        if let Some(url) = self.cognito_jwks_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError::invalid(
                    "SOFTPHONE_COGNITO_JWKS_URL",
                    url,
                    "an http(s) URL of the pool's jwks.json (only for emulators; unset for AWS)",
                ));
            }
            settings.jwks_url = url;
        }
        settings.refresh_ttl = Duration::from_secs(u64::from(self.cognito_refresh_days) * 86_400);
        Ok(IdentityConfig::Cognito(settings))
    }
}

impl RecordingsArgs {
    pub(super) fn resolve(self, data_dir: &Path) -> Result<RecordingsConfig, ConfigError> {
        let dir = self
            .recordings_dir
            .unwrap_or_else(|| data_dir.join("recordings"));
        let backend = match self.recordings {
            RecordingsKind::Disk => RecordingsBackend::Disk { dir },
            RecordingsKind::S3 => {
                let bucket = self.recordings_bucket.unwrap_or_default();
                let valid = (3..=63).contains(&bucket.len())
                    && bucket.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                    })
                    && bucket.starts_with(|c: char| c.is_ascii_alphanumeric());
                if !valid {
                    return Err(ConfigError::invalid(
                        "SOFTPHONE_RECORDINGS_BUCKET",
                        bucket,
                        "with SOFTPHONE_RECORDINGS=s3, the name of an S3 bucket (3-63 lowercase letters, digits, dots, hyphens)",
                    ));
                }
                let prefix = self.recordings_prefix.unwrap_or_default();
                if prefix.starts_with('/') || prefix.contains("..") {
                    return Err(ConfigError::invalid(
                        "SOFTPHONE_RECORDINGS_PREFIX",
                        prefix,
                        "a key prefix such as recordings/ (no leading slash, no ..)",
                    ));
                }
                RecordingsBackend::S3(S3Settings {
                    bucket,
                    prefix,
                    encryption: match self.recordings_sse {
                        Sse::Aes256 => Encryption::S3,
                        Sse::Kms => Encryption::Kms {
                            key_id: self.recordings_kms_key_id,
                        },
                    },
                    part_size: self.recordings_part_mb * 1024 * 1024,
                    spool_dir: dir.join(".spool"),
                    force_path_style: self.s3_force_path_style,
                })
            }
        };
        Ok(RecordingsConfig {
            backend,
            pause_mode: match self.recording_pause {
                PauseName::Silence => PauseMode::Silence,
                PauseName::Skip => PauseMode::Skip,
            },
            notice_file: self.recording_notice,
            retention_days: self.recording_retention_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    #[test]
    fn the_store_is_sqlite_unless_dynamodb_is_named_with_a_table() {
        assert_eq!(config(&[]).unwrap().store, StoreConfig::Sqlite);
        assert_eq!(
            config(&[
                ("SOFTPHONE_STORE", "dynamodb"),
                ("SOFTPHONE_DYNAMODB_TABLE", "softphone-prod")
            ])
            .unwrap()
            .store,
            StoreConfig::DynamoDb {
                table: "softphone-prod".into()
            }
        );
        for (vars, name) in [
            (
                vec![("SOFTPHONE_STORE", "dynamodb")],
                "SOFTPHONE_DYNAMODB_TABLE",
            ),
            (
                vec![
                    ("SOFTPHONE_STORE", "dynamodb"),
                    ("SOFTPHONE_DYNAMODB_TABLE", "bad table!"),
                ],
                "SOFTPHONE_DYNAMODB_TABLE",
            ),
            (vec![("SOFTPHONE_STORE", "postgres")], "SOFTPHONE_STORE"),
        ] {
            match config(&vars) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{vars:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn identity_is_local_unless_a_cognito_pool_and_client_are_named() {
        assert_eq!(config(&[]).unwrap().identity, IdentityConfig::Local);
        assert_eq!(
            config(&[
                ("SOFTPHONE_IDENTITY", "cognito"),
                ("SOFTPHONE_COGNITO_USER_POOL_ID", "ap-southeast-1_AbC123xyz"),
                ("SOFTPHONE_COGNITO_CLIENT_ID", "4tp1abcdefgh2ijklmno3pqrst"),
            ])
            .unwrap()
            .identity,
            IdentityConfig::Cognito(CognitoSettings::new(
                "ap-southeast-1_AbC123xyz",
                "4tp1abcdefgh2ijklmno3pqrst"
            ))
        );
        let IdentityConfig::Cognito(settings) = config(&[
            ("SOFTPHONE_IDENTITY", "cognito"),
            ("SOFTPHONE_COGNITO_USER_POOL_ID", "us-east-1_abc"),
            ("SOFTPHONE_COGNITO_CLIENT_ID", "client1"),
            ("SOFTPHONE_COGNITO_JWKS_URL", "http://127.0.0.1:5000/k.json"),
            ("SOFTPHONE_COGNITO_REFRESH_DAYS", "7"),
        ])
        .unwrap()
        .identity
        else {
            panic!("cognito");
        };
        assert_eq!(settings.jwks_url, "http://127.0.0.1:5000/k.json");
        assert_eq!(settings.refresh_ttl, Duration::from_secs(7 * 86_400));
        let cognito = |extra: &[(&'static str, &'static str)]| {
            let mut vars = vec![
                ("SOFTPHONE_IDENTITY", "cognito"),
                ("SOFTPHONE_COGNITO_USER_POOL_ID", "us-east-1_abc"),
                ("SOFTPHONE_COGNITO_CLIENT_ID", "client1"),
            ];
            vars.extend_from_slice(extra);
            config(&vars)
        };
        for (extra, name) in [
            (
                vec![("SOFTPHONE_COGNITO_USER_POOL_ID", "")],
                "SOFTPHONE_COGNITO_USER_POOL_ID",
            ),
            (
                vec![("SOFTPHONE_COGNITO_USER_POOL_ID", "pool")],
                "SOFTPHONE_COGNITO_USER_POOL_ID",
            ),
            (
                vec![("SOFTPHONE_COGNITO_CLIENT_ID", "a b")],
                "SOFTPHONE_COGNITO_CLIENT_ID",
            ),
            (
                vec![("SOFTPHONE_COGNITO_JWKS_URL", "file:///k")],
                "SOFTPHONE_COGNITO_JWKS_URL",
            ),
            (
                vec![("SOFTPHONE_COGNITO_REFRESH_DAYS", "0")],
                "SOFTPHONE_COGNITO_REFRESH_DAYS",
            ),
            (vec![("SOFTPHONE_IDENTITY", "ldap")], "SOFTPHONE_IDENTITY"),
        ] {
            match cognito(&extra) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(n, name, "{extra:?}"),
                other => panic!("{extra:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn recordings_default_to_disk_under_the_data_dir() {
        let r = config(&[("SOFTPHONE_DATA_DIR", "/var/lib/softphone")])
            .unwrap()
            .recordings;
        assert_eq!(
            r.backend,
            RecordingsBackend::Disk {
                dir: PathBuf::from("/var/lib/softphone/recordings")
            }
        );
        assert_eq!(r.pause_mode, PauseMode::Silence);
        assert_eq!(r.retention_days, 90);
        assert_eq!(r.notice_file, None);
        let r = config(&[
            ("SOFTPHONE_RECORDING_PAUSE", "skip"),
            ("SOFTPHONE_RECORDING_RETENTION_DAYS", "7"),
            ("SOFTPHONE_RECORDING_NOTICE", "notice.wav"),
        ])
        .unwrap()
        .recordings;
        assert_eq!(r.pause_mode, PauseMode::Skip);
        assert_eq!(r.retention_days, 7);
        assert_eq!(r.notice_file, Some(PathBuf::from("notice.wav")));
        let r = config(&[
            ("SOFTPHONE_RECORDINGS", "s3"),
            ("SOFTPHONE_RECORDINGS_BUCKET", "calls.example-1"),
            ("SOFTPHONE_RECORDINGS_PREFIX", "recordings/"),
            ("SOFTPHONE_RECORDINGS_SSE", "kms"),
            ("SOFTPHONE_RECORDINGS_KMS_KEY_ID", "alias/recordings"),
            ("SOFTPHONE_S3_FORCE_PATH_STYLE", "true"),
        ])
        .unwrap()
        .recordings;
        assert_eq!(
            r.backend,
            RecordingsBackend::S3(S3Settings {
                bucket: "calls.example-1".into(),
                prefix: "recordings/".into(),
                encryption: Encryption::Kms {
                    key_id: Some("alias/recordings".into())
                },
                part_size: 8 * 1024 * 1024,
                spool_dir: PathBuf::from("data/recordings/.spool"),
                force_path_style: true,
            })
        );
        let r = config(&[
            ("SOFTPHONE_RECORDINGS", "s3"),
            ("SOFTPHONE_RECORDINGS_BUCKET", "calls"),
            ("SOFTPHONE_RECORDINGS_SSE", "kms"),
        ])
        .unwrap()
        .recordings;
        assert!(
            matches!(
                r.backend,
                RecordingsBackend::S3(S3Settings {
                    encryption: Encryption::Kms { key_id: None },
                    ..
                })
            ),
            "kms without a key: the account's default key"
        );
        for (name, value) in [
            ("SOFTPHONE_RECORDINGS_BUCKET", "Bad_Bucket"),
            ("SOFTPHONE_RECORDINGS_BUCKET", ""),
            ("SOFTPHONE_RECORDINGS_PREFIX", "/abs"),
            ("SOFTPHONE_RECORDINGS_SSE", "none"),
            ("SOFTPHONE_RECORDINGS_PART_MB", "1"),
            ("SOFTPHONE_S3_FORCE_PATH_STYLE", "yes"),
        ] {
            let mut vars = vec![
                ("SOFTPHONE_RECORDINGS", "s3"),
                ("SOFTPHONE_RECORDINGS_BUCKET", "calls"),
            ];
            vars.retain(|(n, _)| *n != name);
            vars.push((name, value));
            let e = config(&vars).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        for (name, value) in [
            ("SOFTPHONE_RECORDINGS", "tape"),
            ("SOFTPHONE_RECORDING_PAUSE", "beep"),
            ("SOFTPHONE_RECORDING_RETENTION_DAYS", "0"),
            ("SOFTPHONE_RECORDING_RETENTION_DAYS", "forever"),
        ] {
            let e = config(&[(name, value)]).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }
}
