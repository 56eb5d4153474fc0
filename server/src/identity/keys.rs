//! The local identity provider's RS256 signing key: generated once, kept in the data directory
//! (owner-only permissions), published as a JWKS.

use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write the signing key at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the signing key at {path} is not a valid RSA PKCS#8 key; move it away to generate a new one")]
    Invalid { path: String },
    #[error("RSA key generation failed")]
    Generate,
}

pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Reads one DER TLV at the start of `der`: (tag, contents, rest).
fn der_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The RSAPrivateKey (PKCS#1) inside a PKCS#8 PrivateKeyInfo, which jsonwebtoken wants.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<&[u8]> {
    let (0x30, info, _) = der_tlv(pkcs8)? else {
        return None;
    };
    let (0x02, _version, rest) = der_tlv(info)? else {
        return None;
    };
    let (0x30, _algorithm, rest) = der_tlv(rest)? else {
        return None;
    };
    let (0x04, private_key, _) = der_tlv(rest)? else {
        return None;
    };
    Some(private_key)
}

impl SigningKey {
    pub fn generate() -> Result<(Self, Vec<u8>), KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        let pkcs8 = pair
            .as_der()
            .map_err(|_| KeyError::Generate)?
            .as_ref()
            .to_vec();
        let key = Self::from_pkcs8(&pkcs8).ok_or(KeyError::Generate)?;
        Ok((key, pkcs8))
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Option<Self> {
        let pair = KeyPair::from_pkcs8(pkcs8).ok()?;
        let pkcs1 = pkcs1_from_pkcs8(pkcs8)?;
        let public = pair.public_key();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public.as_ref())[..12]);
        let encoding = EncodingKey::from_rsa_der(pkcs1);
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).ok()?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        Some(SigningKey { kid, encoding, jwk })
    }

    /// Loads the key from `path`, generating and saving one (mode 0600) if there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => Self::from_pkcs8(&bytes).ok_or_else(|| KeyError::Invalid {
                path: path.display().to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let (key, pkcs8) = Self::generate()?;
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
                    file.write_all(&pkcs8).map_err(io)?;
                    file.sync_all().map_err(io)?;
                }
                std::fs::rename(&tmp, path).map_err(io)?;
                tracing::info!(kid = %key.kid, "generated a new identity signing key");
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persisted_key_is_reloaded_identically() {
        let dir = std::env::temp_dir().join(format!("softphone-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("signing-key.pk8");
        let first = SigningKey::load_or_create(&path).unwrap();
        let second = SigningKey::load_or_create(&path).unwrap();
        assert_eq!(first.kid, second.kid);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            SigningKey::load_or_create(&path),
            Err(KeyError::Invalid { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
