//! The VAPID key (RFC 8292): a P-256 key pair identifying this server to push services. Its
//! public half is the page's `applicationServerKey`; each push carries an ES256 JWT signed with
//! it (`Authorization: vapid t=<jwt>, k=<public key>`). Kept as the raw 32-byte private scalar,
//! base64url: the form `npx web-push generate-vapid-keys` prints, in a private file in the data
//! directory (the embedded default) or in `SOFTPHONE_VAPID_PRIVATE_KEY`.

use std::path::Path;

use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use web_push_native::p256;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;

/// A VAPID JWT is valid this long; RFC 8292 allows at most 24 hours.
pub const JWT_LIFETIME_SECS: u64 = 12 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error("cannot read or write the VAPID key at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not a P-256 private key (32 bytes, base64url, as `npx web-push generate-vapid-keys` prints)")]
    Invalid(String),
    #[error("VAPID key generation failed")]
    Generate,
    #[error("signing the VAPID token failed")]
    Sign,
}

pub struct VapidKey {
    pair: EcdsaKeyPair,
    /// The uncompressed public point, base64url: the page's `applicationServerKey`.
    public: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    /// From the raw private scalar, base64url (padding and surrounding blanks ignored).
    /// `source` names where it came from, for the error.
    pub fn from_base64url(text: &str, source: &str) -> Result<Self, VapidError> {
        let invalid = || VapidError::Invalid(source.to_string());
        let raw = URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| invalid())?;
        // Exactly the 32-byte scalar: p256 would left-pad a shorter one (a truncated key).
        if raw.len() != 32 {
            return Err(invalid());
        }
        let secret = p256::SecretKey::from_slice(&raw).map_err(|_| invalid())?;
        let public = secret.public_key().to_encoded_point(false);
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &raw,
            public.as_bytes(),
        )
        .map_err(|_| invalid())?;
        Ok(VapidKey {
            public: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            pair,
        })
    }

    /// A new key and its private scalar, base64url (what is saved).
    pub fn generate() -> Result<(Self, String), VapidError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| VapidError::Generate)?;
        let raw = pair
            .private_key()
            .as_be_bytes()
            .map_err(|_| VapidError::Generate)?;
        let text = URL_SAFE_NO_PAD.encode(raw.as_ref());
        let key = Self::from_base64url(&text, "the generated key")?;
        Ok((key, text))
    }

    /// Loads the key from `path`, generating and saving one (mode 0600) if there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, VapidError> {
        let io = |source| VapidError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64url(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    crate::private_files::private_dir(dir).map_err(io)?;
                }
                let (key, text) = Self::generate()?;
                let tmp = path.with_extension("tmp");
                {
                    use std::io::Write;
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create(true).truncate(true);
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::OpenOptionsExt;
                        options.mode(0o600);
                    }
                    let mut file = options.open(&tmp).map_err(io)?;
                    file.write_all(text.as_bytes()).map_err(io)?;
                    file.sync_all().map_err(io)?;
                }
                std::fs::rename(&tmp, path).map_err(io)?;
                tracing::info!("generated a new VAPID key for push notifications");
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a push to `audience` (the endpoint's origin): an ES256
    /// JWT with `aud`, `exp` ([`JWT_LIFETIME_SECS`] after `now_secs`) and `sub` (`subject`, a
    /// mailto: or https: URL the push service can reach the operator at).
    pub fn authorization(
        &self,
        audience: &str,
        subject: &str,
        now_secs: u64,
    ) -> Result<String, VapidError> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": audience,
            "exp": now_secs + JWT_LIFETIME_SECS,
            "sub": subject,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        // Fixed signing: r ‖ s, 64 bytes, as JWS wants (RFC 7518 §3.4).
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| VapidError::Sign)?;
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            URL_SAFE_NO_PAD.encode(signature.as_ref()),
            self.public
        ))
    }

    /// The public key's bytes (uncompressed point).
    pub fn public_key_bytes(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }
}

/// The origin of a push endpoint (`scheme://host[:port]`), the JWT's audience; `None` if it is
/// not an http(s) URL with a host.
pub fn origin(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_its_text_and_signs_verifiable_tokens() {
        let (key, text) = VapidKey::generate().unwrap();
        assert_eq!(text.len(), 43);
        let again = VapidKey::from_base64url(&format!(" {text}=\n"), "test").unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(URL_SAFE_NO_PAD.decode(key.public_key()).unwrap().len(), 65);
        let header = key
            .authorization("https://push.example", "mailto:ops@example.com", 1_000)
            .unwrap();
        let (token, k) = header
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(k, key.public_key());
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
            key.public_key_bytes(),
        );
        public
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .unwrap();
        let claims = signed.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example");
        assert_eq!(claims["exp"], 1_000 + JWT_LIFETIME_SECS);
        assert_eq!(claims["sub"], "mailto:ops@example.com");
    }

    #[test]
    fn bad_keys_are_refused_by_name() {
        for bad in [
            "",
            "not base64!",
            &URL_SAFE_NO_PAD.encode([0u8; 32]),
            &URL_SAFE_NO_PAD.encode([1u8; 31]),
        ] {
            let e = VapidKey::from_base64url(bad, "SOFTPHONE_VAPID_PRIVATE_KEY").unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("SOFTPHONE_VAPID_PRIVATE_KEY is not"),
                "{e}"
            );
        }
    }

    #[test]
    fn the_audience_is_the_endpoints_origin() {
        assert_eq!(
            origin("https://fcm.googleapis.com/fcm/send/abc").as_deref(),
            Some("https://fcm.googleapis.com")
        );
        assert_eq!(
            origin("http://127.0.0.1:4567/push/1?x").as_deref(),
            Some("http://127.0.0.1:4567")
        );
        assert_eq!(
            origin("https://web.push.apple.com").as_deref(),
            Some("https://web.push.apple.com")
        );
        assert_eq!(origin("ftp://x/y"), None);
        assert_eq!(origin("https:///y"), None);
    }

    #[test]
    fn a_missing_key_file_is_made_private_and_then_reused() {
        let dir = std::env::temp_dir().join(format!("softphone-vapid-{}", uuid::Uuid::new_v4()));
        let path = dir.join("push").join("vapid-private-key");
        let made = VapidKey::load_or_create(&path).unwrap();
        let again = VapidKey::load_or_create(&path).unwrap();
        assert_eq!(made.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
