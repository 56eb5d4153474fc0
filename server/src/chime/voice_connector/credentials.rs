//! The trunk's termination credentials, kept where the server reads them: a dotenv file (the
//! server's `.env` by default, or a systemd `EnvironmentFile=`) with `SOFTPHONE_TRUNK_USERNAME`
//! and `SOFTPHONE_TRUNK_PASSWORD`, mode 0600. Other lines of the file are kept as they are.
//! The password is generated here and never printed.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::distr::{Alphanumeric, SampleString};

use crate::config::{Environment, Secret};

use super::VoiceConnectorError;

const USERNAME: &str = "SOFTPHONE_TRUNK_USERNAME";
const PASSWORD: &str = "SOFTPHONE_TRUNK_PASSWORD";

/// The user name a new credential gets when the file names none.
pub const DEFAULT_USERNAME: &str = "softphone";

/// Letters and digits only: RFC 2617 and US-ASCII as the service asks, nothing a dotenv file
/// or a systemd environment file would need quoted; 40 of them are about 238 bits.
const PASSWORD_LENGTH: usize = 40;

/// A user name and password for the connector's digest challenge.
#[derive(Clone, PartialEq, Eq)]
pub struct TrunkCredentials {
    pub username: String,
    pub password: Secret<String>,
}

impl TrunkCredentials {
    /// A fresh password from the thread's CSPRNG (ChaCha seeded by the OS).
    pub fn generate(username: &str) -> TrunkCredentials {
        let password = Alphanumeric.sample_string(&mut rand::rng(), PASSWORD_LENGTH);
        TrunkCredentials {
            username: username.into(),
            password: Secret::new(password),
        }
    }
}

impl fmt::Debug for TrunkCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrunkCredentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// The dotenv file the credentials live in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialsFile {
    pub path: PathBuf,
}

/// What the file holds now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    pub username: Option<String>,
    pub password: Option<Secret<String>>,
}

impl Stored {
    pub fn credentials(&self) -> Option<TrunkCredentials> {
        Some(TrunkCredentials {
            username: self.username.clone()?,
            password: self.password.clone()?,
        })
    }
}

impl CredentialsFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CredentialsFile { path: path.into() }
    }

    fn error(&self, reason: impl fmt::Display) -> VoiceConnectorError {
        VoiceConnectorError::CredentialsFile {
            file: self.path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    /// The two values, as the server would read them; no file holds none.
    pub fn read(&self) -> Result<Stored, VoiceConnectorError> {
        let environment = Environment::from_dotenv_file(&self.path).map_err(|e| self.error(e))?;
        Ok(Stored {
            username: environment.get(USERNAME).map(str::to_string),
            password: environment
                .get(PASSWORD)
                .map(|p| Secret::new(p.to_string())),
        })
    }

    /// Sets the two values, keeping every other line; written to a new file (mode 0600) that
    /// replaces the old one, so a crash leaves the old file or the new one.
    pub fn write(&self, credentials: &TrunkCredentials) -> Result<(), VoiceConnectorError> {
        let old = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(self.error(e)),
        };
        let text = with_credentials(&old, credentials);
        let temporary = temporary_path(&self.path);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let written = options
            .open(&temporary)
            .and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, &self.path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(self.error(e));
        }
        Ok(())
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    path.with_file_name(name)
}

/// `text` with the two variables' lines replaced (or added at the end).
fn with_credentials(text: &str, credentials: &TrunkCredentials) -> String {
    let sets = |line: &str, name: &str| {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        line.strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    };
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !sets(l, USERNAME) && !sets(l, PASSWORD))
        .map(str::to_string)
        .collect();
    lines.push(format!("{USERNAME}={}", credentials.username));
    lines.push(format!("{PASSWORD}={}", credentials.password.expose()));
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_fresh_and_plain() {
        let a = TrunkCredentials::generate("softphone");
        let b = TrunkCredentials::generate("softphone");
        assert_eq!(a.password.expose().len(), PASSWORD_LENGTH);
        assert!(a
            .password
            .expose()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.password, b.password);
        let shown = format!("{a:?}");
        assert!(!shown.contains(a.password.expose()), "{shown}");
        assert!(shown.contains("softphone"), "{shown}");
    }

    #[test]
    fn the_file_keeps_its_other_lines_and_is_private() {
        let dir = std::env::temp_dir().join(format!("softphone-vc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".env");
        std::fs::write(
            &path,
            "# mine\nSOFTPHONE_TRUNK=abc.voiceconnector.chime.aws:5061\nexport SOFTPHONE_TRUNK_PASSWORD=old\nSOFTPHONE_TRUNK_USERNAME_X=kept\n",
        )
        .unwrap();
        let file = CredentialsFile::new(&path);
        assert_eq!(file.read().unwrap().username, None);
        let credentials = TrunkCredentials::generate("softphone");
        file.write(&credentials).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\nSOFTPHONE_TRUNK=abc.voiceconnector.chime.aws:5061\nSOFTPHONE_TRUNK_USERNAME_X=kept\n"), "{text}");
        assert!(!text.contains("=old"), "{text}");
        assert_eq!(
            file.read().unwrap().credentials(),
            Some(credentials.clone())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Written again: the same two lines, once each.
        file.write(&credentials).unwrap();
        let again = std::fs::read_to_string(&path).unwrap();
        assert_eq!(again, text);
        let missing = CredentialsFile::new(dir.join("none.env"));
        assert_eq!(missing.read().unwrap(), Stored::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
