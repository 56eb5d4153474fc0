//! Configuration from the environment (and an optional `.env`), validated at start-up with
//! errors that say which variable is wrong and what it should be. Nothing set = the embedded
//! default: data under `./data`, server on `127.0.0.1:3000`.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(".env line {line}: {problem}")]
    DotEnv { line: usize, problem: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The URL browsers use to reach the app; the local identity's issuer.
    pub public_url: String,
    pub log_format: LogFormat,
    /// `Secure` on session cookies: off only for plain http on a loopback address.
    pub secure_cookies: bool,
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
            data_dir,
            public_url,
            log_format,
            secure_cookies: !plain_http_on_loopback,
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
