//! Configuration from the environment (and an optional `.env`), validated at start-up with
//! errors that say which variable is wrong and what it should be. Nothing set = the embedded
//! default: data under `./data`, server on `127.0.0.1:3000`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use app::api::live::IceServer;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// Well-formed, but what it names cannot be used (checked at start-up).
    #[error("{name}={value:?}: {problem}")]
    Unusable {
        name: &'static str,
        value: String,
        problem: String,
    },
    #[error(".env line {line}: {problem}")]
    DotEnv { line: usize, problem: String },
}

/// A whole number from `name`, within `range`; `default` when it is not set.
fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
    expected: &'static str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + ToString,
{
    let text = get(name).unwrap_or_else(|| default.to_string());
    text.trim()
        .parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or(ConfigError::Invalid {
            name,
            value: text,
            expected,
        })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// Where the gateway's SIP leg sends calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trunk {
    /// The built-in PSTN simulator, started in-process (the embedded default).
    Simulator,
    /// A SIP trunk such as an Amazon Chime SDK Voice Connector.
    Sip {
        /// `host:port`, e.g. `abcdef.voiceconnector.chime.aws:5060`.
        target: String,
        transport: SipTransport,
        username: Option<String>,
        password: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SipTransport {
    Udp,
    Tcp,
    /// TLS, trusting the certificates in this PEM file (`SOFTPHONE_TRUNK_CA_FILE`).
    Tls {
        ca_file: PathBuf,
    },
}

#[derive(Clone, Debug)]
pub struct TelephonyConfig {
    pub trunk: Trunk,
    /// E.164 caller ID in From.
    pub caller_id: String,
    /// Where the SIP leg listens.
    pub sip_addr: SocketAddr,
    pub media_ip: IpAddr,
    pub media_public_ip: IpAddr,
    pub media_ports: (u16, u16),
    pub ice_servers: Vec<IceServer>,
}

/// Where recordings are kept, and how they are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingsConfig {
    pub backend: RecordingsBackend,
    /// What a paused span becomes: silence (default) or nothing.
    pub pause_mode: telephony::recording::PauseMode,
    /// A spoken notice played after the consent beeps (8 kHz mono 16-bit WAV).
    pub notice_file: Option<PathBuf>,
    /// Days a recording is kept before the retention job deletes it.
    pub retention_days: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordingsBackend {
    /// Files under this directory (default: `<data dir>/recordings`).
    Disk { dir: PathBuf },
    /// An S3 bucket; recordings are spooled under `spool_dir` while they are made.
    S3 {
        bucket: String,
        /// Prepended to every key (e.g. `recordings/`).
        prefix: String,
        /// SSE-KMS with this key (`Some("")`: the account's default key); `None`: SSE-S3.
        kms_key_id: Option<String>,
        part_bytes: u64,
        spool_dir: PathBuf,
        force_path_style: bool,
    },
}

/// Where contacts, calls, recording metadata, settings and the audit trail are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// One SQLite file in the data directory (the embedded default).
    Sqlite,
    /// One DynamoDB table (single-table design, `docs/dynamodb.md`), reached with the AWS
    /// SDK's standard configuration (credential chain, `AWS_REGION`, `AWS_ENDPOINT_URL*`).
    DynamoDb { table: String },
}

impl StoreConfig {
    fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<StoreConfig, ConfigError> {
        match get("SOFTPHONE_STORE").as_deref().unwrap_or("sqlite") {
            "sqlite" => Ok(StoreConfig::Sqlite),
            "dynamodb" => {
                let table = get("SOFTPHONE_DYNAMODB_TABLE").unwrap_or_default();
                let valid = (3..=255).contains(&table.len())
                    && table
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
                if !valid {
                    return Err(ConfigError::Invalid {
                        name: "SOFTPHONE_DYNAMODB_TABLE",
                        value: table,
                        expected: "with SOFTPHONE_STORE=dynamodb, a DynamoDB table name (3-255 letters, digits, _ - .)",
                    });
                }
                Ok(StoreConfig::DynamoDb { table })
            }
            other => Err(ConfigError::Invalid {
                name: "SOFTPHONE_STORE",
                value: other.into(),
                expected: "sqlite (a file in the data directory) or dynamodb",
            }),
        }
    }
}

/// Who signs users in and issues their tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityConfig {
    /// The built-in provider: accounts in the store, tokens signed with a key in the data
    /// directory (the embedded default).
    Local,
    /// An Amazon Cognito user pool and its public app client.
    Cognito {
        user_pool_id: String,
        client_id: String,
        /// Where the pool's signing keys are, when not at the issuer (emulators).
        jwks_url: Option<String>,
        /// The app client's refresh-token validity, in days.
        refresh_days: u32,
    },
}

impl IdentityConfig {
    fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<IdentityConfig, ConfigError> {
        match get("SOFTPHONE_IDENTITY").as_deref().unwrap_or("local") {
            "local" => Ok(IdentityConfig::Local),
            "cognito" => {
                let user_pool_id = get("SOFTPHONE_COGNITO_USER_POOL_ID").unwrap_or_default();
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
                    return Err(ConfigError::Invalid {
                        name: "SOFTPHONE_COGNITO_USER_POOL_ID",
                        value: user_pool_id,
                        expected: "with SOFTPHONE_IDENTITY=cognito, a user pool id such as ap-southeast-1_AbC123xyz",
                    });
                }
                let client_id = get("SOFTPHONE_COGNITO_CLIENT_ID").unwrap_or_default();
                if client_id.is_empty() || !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(ConfigError::Invalid {
                        name: "SOFTPHONE_COGNITO_CLIENT_ID",
                        value: client_id,
                        expected: "with SOFTPHONE_IDENTITY=cognito, the id of the pool's app client (letters and digits)",
                    });
                }
                let jwks_url = get("SOFTPHONE_COGNITO_JWKS_URL");
                if let Some(url) = &jwks_url {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(ConfigError::Invalid {
                            name: "SOFTPHONE_COGNITO_JWKS_URL",
                            value: url.clone(),
                            expected: "an http(s) URL of the pool's jwks.json (only for emulators; unset for AWS)",
                        });
                    }
                }
                let refresh_days = number(
                    get,
                    "SOFTPHONE_COGNITO_REFRESH_DAYS",
                    30,
                    1..=3650,
                    "the app client's refresh-token validity in days, 1 to 3650",
                )?;
                Ok(IdentityConfig::Cognito {
                    user_pool_id,
                    client_id,
                    jwks_url,
                    refresh_days,
                })
            }
            other => Err(ConfigError::Invalid {
                name: "SOFTPHONE_IDENTITY",
                value: other.into(),
                expected: "local (accounts in the store) or cognito",
            }),
        }
    }
}

/// The REST API's request rate per user: `burst` at once, then `per_second`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiLimits {
    pub burst: u32,
    pub per_second: u32,
}

impl ApiLimits {
    fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<ApiLimits, ConfigError> {
        Ok(ApiLimits {
            burst: number(
                get,
                "SOFTPHONE_API_BURST",
                crate::rest::BURST,
                1..=100_000,
                "REST requests a user may make at once, 1 to 100000",
            )?,
            per_second: number(
                get,
                "SOFTPHONE_API_RATE",
                crate::rest::PER_SECOND,
                1..=100_000,
                "REST requests per second per user after the burst, 1 to 100000",
            )?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The URL browsers use to reach the app; the local identity's issuer.
    pub public_url: String,
    pub log_format: LogFormat,
    pub store: StoreConfig,
    pub identity: IdentityConfig,
    pub api: ApiLimits,
    /// `Secure` on session cookies: off only for plain http on a loopback address.
    pub secure_cookies: bool,
    pub telephony: TelephonyConfig,
    pub recordings: RecordingsConfig,
}

/// Applies `KEY=VALUE` lines of a `.env` file to the environment, without overriding
/// variables that are already set.
pub fn load_dotenv(text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut pairs = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(ConfigError::DotEnv {
                line: i + 1,
                problem: "expected KEY=VALUE".into(),
            });
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ConfigError::DotEnv {
                line: i + 1,
                problem: format!("bad variable name {key:?}"),
            });
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        pairs.push((key.to_string(), value.to_string()));
    }
    Ok(pairs)
}

impl Config {
    /// Reads the configuration through `get` (the environment in production, a map in tests).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let addr_text = get("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "LEPTOS_SITE_ADDR",
            value: addr_text.clone(),
            expected: "an address and port such as 127.0.0.1:3000",
        })?;
        let data_dir = PathBuf::from(get("SOFTPHONE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let public_url = get("SOFTPHONE_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        let public_url = public_url.trim_end_matches('/').to_string();
        let scheme_ok = public_url.starts_with("http://") || public_url.starts_with("https://");
        if !scheme_ok || public_url.contains(char::is_whitespace) {
            return Err(ConfigError::Invalid {
                name: "SOFTPHONE_PUBLIC_URL",
                value: public_url,
                expected: "an http:// or https:// URL such as https://phone.example.com",
            });
        }
        let log_format = match get("SOFTPHONE_LOG_FORMAT").as_deref().unwrap_or("json") {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            other => {
                return Err(ConfigError::Invalid {
                    name: "SOFTPHONE_LOG_FORMAT",
                    value: other.into(),
                    expected: "json or text",
                })
            }
        };
        let plain_http_on_loopback = public_url.starts_with("http://") && addr.ip().is_loopback();
        Ok(Config {
            addr,
            public_url,
            log_format,
            store: StoreConfig::from_vars(&get)?,
            identity: IdentityConfig::from_vars(&get)?,
            api: ApiLimits::from_vars(&get)?,
            secure_cookies: !plain_http_on_loopback,
            telephony: TelephonyConfig::from_vars(&get)?,
            recordings: RecordingsConfig::from_vars(&get, &data_dir)?,
            data_dir,
        })
    }

    pub fn from_env() -> Result<Config, ConfigError> {
        if let Ok(text) = std::fs::read_to_string(".env") {
            for (key, value) in load_dotenv(&text)? {
                if std::env::var_os(&key).is_none() {
                    // Called before the runtime starts, while the process has one thread.
                    std::env::set_var(key, value);
                }
            }
        }
        Config::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("softphone.sqlite3")
    }

    pub fn signing_key_path(&self) -> PathBuf {
        self.data_dir.join("identity").join("signing-key.pk8")
    }
}

impl RecordingsConfig {
    fn from_vars(
        get: &impl Fn(&str) -> Option<String>,
        data_dir: &std::path::Path,
    ) -> Result<RecordingsConfig, ConfigError> {
        let dir = get("SOFTPHONE_RECORDINGS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("recordings"));
        let backend = match get("SOFTPHONE_RECORDINGS").as_deref().unwrap_or("disk") {
            "disk" => RecordingsBackend::Disk { dir },
            "s3" => {
                let bucket = get("SOFTPHONE_RECORDINGS_BUCKET").unwrap_or_default();
                let valid = (3..=63).contains(&bucket.len())
                    && bucket.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                    })
                    && bucket.starts_with(|c: char| c.is_ascii_alphanumeric());
                if !valid {
                    return Err(ConfigError::Invalid {
                        name: "SOFTPHONE_RECORDINGS_BUCKET",
                        value: bucket,
                        expected: "with SOFTPHONE_RECORDINGS=s3, the name of an S3 bucket (3-63 lowercase letters, digits, dots, hyphens)",
                    });
                }
                let prefix = get("SOFTPHONE_RECORDINGS_PREFIX").unwrap_or_default();
                if prefix.starts_with('/') || prefix.contains("..") {
                    return Err(ConfigError::Invalid {
                        name: "SOFTPHONE_RECORDINGS_PREFIX",
                        value: prefix,
                        expected: "a key prefix such as recordings/ (no leading slash, no ..)",
                    });
                }
                let kms_key_id = match get("SOFTPHONE_RECORDINGS_SSE").as_deref().unwrap_or("aes256") {
                    "aes256" => None,
                    "kms" => Some(get("SOFTPHONE_RECORDINGS_KMS_KEY_ID").unwrap_or_default()),
                    other => {
                        return Err(ConfigError::Invalid {
                            name: "SOFTPHONE_RECORDINGS_SSE",
                            value: other.into(),
                            expected: "aes256 (SSE-S3) or kms (SSE-KMS, key in SOFTPHONE_RECORDINGS_KMS_KEY_ID)",
                        })
                    }
                };
                let part_mb: u64 = number(
                    get,
                    "SOFTPHONE_RECORDINGS_PART_MB",
                    8,
                    5..=512,
                    "the multipart upload part size in MiB, 5 to 512",
                )?;
                let force_path_style = match get("SOFTPHONE_S3_FORCE_PATH_STYLE").as_deref() {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(other) => {
                        return Err(ConfigError::Invalid {
                            name: "SOFTPHONE_S3_FORCE_PATH_STYLE",
                            value: other.into(),
                            expected: "true (emulators such as moto) or false",
                        })
                    }
                };
                RecordingsBackend::S3 {
                    bucket,
                    prefix,
                    kms_key_id,
                    part_bytes: part_mb * 1024 * 1024,
                    spool_dir: dir.join(".spool"),
                    force_path_style,
                }
            }
            other => {
                return Err(ConfigError::Invalid {
                    name: "SOFTPHONE_RECORDINGS",
                    value: other.into(),
                    expected: "disk (files under the data directory) or s3",
                })
            }
        };
        let pause_mode = match get("SOFTPHONE_RECORDING_PAUSE")
            .as_deref()
            .unwrap_or("silence")
        {
            "silence" => telephony::recording::PauseMode::Silence,
            "skip" => telephony::recording::PauseMode::Skip,
            other => {
                return Err(ConfigError::Invalid {
                    name: "SOFTPHONE_RECORDING_PAUSE",
                    value: other.into(),
                    expected: "silence (paused spans are silent) or skip (left out)",
                })
            }
        };
        let retention_days = number(
            get,
            "SOFTPHONE_RECORDING_RETENTION_DAYS",
            90,
            1..=3650,
            "a number of days from 1 to 3650",
        )?;
        Ok(RecordingsConfig {
            backend,
            pause_mode,
            notice_file: get("SOFTPHONE_RECORDING_NOTICE").map(PathBuf::from),
            retention_days,
        })
    }
}

impl TelephonyConfig {
    fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<TelephonyConfig, ConfigError> {
        fn parse<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            name: &'static str,
            default: &str,
            expected: &'static str,
        ) -> Result<T, ConfigError> {
            let value = get(name).unwrap_or_else(|| default.to_string());
            value.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                value,
                expected,
            })
        }
        let trunk_text = get("SOFTPHONE_TRUNK").unwrap_or_else(|| "simulator".into());
        let trunk = if trunk_text == "simulator" {
            Trunk::Simulator
        } else {
            let valid_target = trunk_text
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
            if !valid_target || trunk_text.contains(char::is_whitespace) {
                return Err(ConfigError::Invalid {
                    name: "SOFTPHONE_TRUNK",
                    value: trunk_text,
                    expected: "simulator, or host:port of a SIP trunk such as abc.voiceconnector.chime.aws:5060",
                });
            }
            let transport = match get("SOFTPHONE_TRUNK_TRANSPORT").as_deref().unwrap_or("udp") {
                "udp" => SipTransport::Udp,
                "tcp" => SipTransport::Tcp,
                "tls" => match get("SOFTPHONE_TRUNK_CA_FILE") {
                    Some(file) => SipTransport::Tls {
                        ca_file: PathBuf::from(file),
                    },
                    None => {
                        return Err(ConfigError::Invalid {
                            name: "SOFTPHONE_TRUNK_CA_FILE",
                            value: String::new(),
                            expected: "with SOFTPHONE_TRUNK_TRANSPORT=tls, a PEM file of the trunk's root certificates (for a Voice Connector: the Chime root)",
                        })
                    }
                },
                other => {
                    return Err(ConfigError::Invalid {
                        name: "SOFTPHONE_TRUNK_TRANSPORT",
                        value: other.into(),
                        expected: "udp, tcp or tls",
                    })
                }
            };
            Trunk::Sip {
                target: trunk_text,
                transport,
                username: get("SOFTPHONE_TRUNK_USERNAME"),
                password: get("SOFTPHONE_TRUNK_PASSWORD"),
            }
        };
        let caller_id = get("SOFTPHONE_CALLER_ID").unwrap_or_else(|| "+6560000000".into());
        let e164 = caller_id
            .strip_prefix('+')
            .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
        if !e164 {
            return Err(ConfigError::Invalid {
                name: "SOFTPHONE_CALLER_ID",
                value: caller_id,
                expected: "an E.164 number such as +6560000000",
            });
        }
        let sip_addr = parse(
            get,
            "SOFTPHONE_SIP_ADDR",
            "127.0.0.1:0",
            "an address and port such as 0.0.0.0:5060 (port 0: any free port)",
        )?;
        let media_ip: IpAddr = parse(
            get,
            "SOFTPHONE_MEDIA_IP",
            "127.0.0.1",
            "an IP address the media sockets bind to",
        )?;
        let media_public_ip = match get("SOFTPHONE_MEDIA_PUBLIC_IP") {
            Some(_) => parse(
                get,
                "SOFTPHONE_MEDIA_PUBLIC_IP",
                "",
                "the IP address browsers and the trunk send media to",
            )?,
            None => media_ip,
        };
        let ports_text = get("SOFTPHONE_MEDIA_PORTS").unwrap_or_else(|| "40000-40999".into());
        let media_ports = ports_text
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)))
            .filter(|(a, b)| *a > 0 && a < b)
            .ok_or_else(|| ConfigError::Invalid {
                name: "SOFTPHONE_MEDIA_PORTS",
                value: ports_text.clone(),
                expected: "a UDP port range such as 40000-40999 (two ports per call)",
            })?;
        let ice_servers = match get("SOFTPHONE_ICE_SERVERS") {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text).map_err(|_| ConfigError::Invalid {
                name: "SOFTPHONE_ICE_SERVERS",
                value: text.clone(),
                expected: r#"a JSON list such as [{"urls":["turn:turn.example.com:3478"],"username":"u","credential":"p"}]"#,
            })?,
        };
        Ok(TelephonyConfig {
            trunk,
            caller_id,
            sip_addr,
            media_ip,
            media_public_ip,
            media_ports,
            ice_servers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_shape() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert!(!c.secure_cookies, "plain http on loopback");
        assert_eq!(c.database_path(), PathBuf::from("data/softphone.sqlite3"));
    }

    #[test]
    fn secure_cookies_everywhere_else() {
        assert!(
            config(&[("LEPTOS_SITE_ADDR", "0.0.0.0:3000")])
                .unwrap()
                .secure_cookies
        );
        assert!(
            config(&[("SOFTPHONE_PUBLIC_URL", "https://phone.example.com/")])
                .unwrap()
                .secure_cookies
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("LEPTOS_SITE_ADDR", "localhost")]).unwrap_err();
        assert!(e.to_string().contains("LEPTOS_SITE_ADDR"));
        assert!(config(&[("SOFTPHONE_PUBLIC_URL", "ftp://x")]).is_err());
        assert!(config(&[("SOFTPHONE_LOG_FORMAT", "xml")])
            .unwrap_err()
            .to_string()
            .contains("json or text"));
    }

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
            IdentityConfig::Cognito {
                user_pool_id: "ap-southeast-1_AbC123xyz".into(),
                client_id: "4tp1abcdefgh2ijklmno3pqrst".into(),
                jwks_url: None,
                refresh_days: 30,
            }
        );
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
    fn api_limits_default_and_are_checked() {
        assert_eq!(
            config(&[]).unwrap().api,
            ApiLimits {
                burst: crate::rest::BURST,
                per_second: crate::rest::PER_SECOND
            }
        );
        assert_eq!(
            config(&[("SOFTPHONE_API_RATE", "500")])
                .unwrap()
                .api
                .per_second,
            500
        );
        for (name, value) in [("SOFTPHONE_API_RATE", "0"), ("SOFTPHONE_API_BURST", "lots")] {
            match config(&[(name, value)]) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: {other:?}"),
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
        assert_eq!(r.pause_mode, telephony::recording::PauseMode::Silence);
        assert_eq!(r.retention_days, 90);
        assert_eq!(r.notice_file, None);
        let r = config(&[
            ("SOFTPHONE_RECORDING_PAUSE", "skip"),
            ("SOFTPHONE_RECORDING_RETENTION_DAYS", "7"),
            ("SOFTPHONE_RECORDING_NOTICE", "notice.wav"),
        ])
        .unwrap()
        .recordings;
        assert_eq!(r.pause_mode, telephony::recording::PauseMode::Skip);
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
            RecordingsBackend::S3 {
                bucket: "calls.example-1".into(),
                prefix: "recordings/".into(),
                kms_key_id: Some("alias/recordings".into()),
                part_bytes: 8 * 1024 * 1024,
                spool_dir: PathBuf::from("data/recordings/.spool"),
                force_path_style: true,
            }
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

    #[test]
    fn telephony_defaults_to_the_simulator_on_loopback() {
        let t = config(&[]).unwrap().telephony;
        assert_eq!(t.trunk, Trunk::Simulator);
        assert_eq!(t.media_ip.to_string(), "127.0.0.1");
        assert_eq!(t.media_public_ip, t.media_ip);
        assert_eq!(t.media_ports, (40000, 40999));
        assert!(t.ice_servers.is_empty());
    }

    #[test]
    fn a_voice_connector_trunk() {
        let t = config(&[
            ("SOFTPHONE_TRUNK", "abc.voiceconnector.chime.aws:5060"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "tcp"),
            ("SOFTPHONE_TRUNK_USERNAME", "u"),
            ("SOFTPHONE_TRUNK_PASSWORD", "p"),
            ("SOFTPHONE_CALLER_ID", "+6561234567"),
            ("SOFTPHONE_MEDIA_IP", "0.0.0.0"),
            ("SOFTPHONE_MEDIA_PUBLIC_IP", "203.0.113.7"),
            (
                "SOFTPHONE_ICE_SERVERS",
                r#"[{"urls":["turn:t.example.com:3478"],"username":"a","credential":"b"}]"#,
            ),
        ])
        .unwrap()
        .telephony;
        assert_eq!(
            t.trunk,
            Trunk::Sip {
                target: "abc.voiceconnector.chime.aws:5060".into(),
                transport: SipTransport::Tcp,
                username: Some("u".into()),
                password: Some("p".into()),
            }
        );
        assert_eq!(t.media_public_ip.to_string(), "203.0.113.7");
        assert_eq!(
            t.ice_servers[0].urls,
            vec!["turn:t.example.com:3478".to_string()]
        );
    }

    #[test]
    fn bad_telephony_values_name_the_variable() {
        for (name, value) in [
            ("SOFTPHONE_TRUNK", "voiceconnector"),
            ("SOFTPHONE_TRUNK", "host:0"),
            ("SOFTPHONE_CALLER_ID", "6561234567"),
            ("SOFTPHONE_SIP_ADDR", "anywhere"),
            ("SOFTPHONE_MEDIA_IP", "localhost"),
            ("SOFTPHONE_MEDIA_PORTS", "5000"),
            ("SOFTPHONE_MEDIA_PORTS", "6000-5000"),
            ("SOFTPHONE_ICE_SERVERS", "turn:x"),
        ] {
            let e = config(&[(name, value)]).unwrap_err();
            assert!(e.to_string().contains(name), "{name}={value}: {e}");
        }
        let e = config(&[
            ("SOFTPHONE_TRUNK", "h:5060"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "sctp"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("udp, tcp or tls"));
        let e = config(&[
            ("SOFTPHONE_TRUNK", "h:5061"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "tls"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("SOFTPHONE_TRUNK_CA_FILE"));
        let t = config(&[
            ("SOFTPHONE_TRUNK", "h:5061"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "tls"),
            ("SOFTPHONE_TRUNK_CA_FILE", "/etc/softphone/chime-root.pem"),
        ])
        .unwrap()
        .telephony;
        assert!(matches!(
            t.trunk,
            Trunk::Sip {
                transport: SipTransport::Tls { .. },
                ..
            }
        ));
    }

    #[test]
    fn dotenv_lines() {
        let pairs = load_dotenv("# c\nA=1\nexport B=\"two words\"\n\nC='x'\n").unwrap();
        assert_eq!(
            pairs,
            [
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x".into())
            ]
        );
        assert!(matches!(
            load_dotenv("oops"),
            Err(ConfigError::DotEnv { line: 1, .. })
        ));
    }
}
