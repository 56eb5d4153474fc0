//! The counter-mode suites' keys and transform (RFC 3711 §4.1.1, §4.2; RFC 6188): AES-128 or
//! AES-256 in counter mode, HMAC-SHA1 tags of 80 or 32 bits.

use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128, AES_256};
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;

use super::kdf::{derive, SrtpError, Stream};
use crate::sdes::{CryptoSuite, MasterKey};

/// One direction's session keys for the counter-mode suites (RTP or RTCP).
pub(super) struct CmKeys {
    cipher: EncryptingKey,
    auth: hmac::Key,
    salt: [u8; 14],
    pub(super) tag_len: usize,
}

impl CmKeys {
    pub(super) fn derive(
        suite: CryptoSuite,
        master: &MasterKey,
        stream: Stream,
    ) -> Result<CmKeys, SrtpError> {
        let (algorithm, key_len) = match suite {
            CryptoSuite::AesCm128HmacSha1_80 | CryptoSuite::AesCm128HmacSha1_32 => (&AES_128, 16),
            CryptoSuite::Aes256CmHmacSha1_80 | CryptoSuite::Aes256CmHmacSha1_32 => (&AES_256, 32),
            CryptoSuite::AeadAes256Gcm | CryptoSuite::AeadAes256Gcm8 => {
                return Err(SrtpError::KeyShape)
            }
        };
        if master.key().len() != key_len || master.salt().len() != 14 {
            return Err(SrtpError::KeyShape);
        }
        let mut session_key = vec![0u8; key_len];
        let mut auth_key = [0u8; 20];
        let mut salt = [0u8; 14];
        let (cipher_label, auth_label, salt_label) = stream.labels();
        derive(master, cipher_label, &mut session_key)?;
        derive(master, auth_label, &mut auth_key)?;
        derive(master, salt_label, &mut salt)?;
        let cipher = UnboundCipherKey::new(algorithm, &session_key)
            .and_then(EncryptingKey::ctr)
            .map_err(|_| SrtpError::Cipher)?;
        let auth = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &auth_key);
        session_key.fill(0);
        auth_key.fill(0);
        // SRTCP's tag is 80 bits whatever the suite (RFC 4568 §6.2).
        let tag_len = match stream {
            Stream::Rtp => suite.tag_len(),
            Stream::Rtcp => 10,
        };
        Ok(CmKeys {
            cipher,
            auth,
            salt,
            tag_len,
        })
    }

    /// Encrypts (or decrypts: counter mode is its own inverse) `payload` of packet `index` of
    /// `ssrc`.
    pub(super) fn apply_keystream(
        &self,
        ssrc: u32,
        index: u64,
        payload: &mut [u8],
    ) -> Result<(), SrtpError> {
        let mut iv = [0u8; 16];
        iv[..14].copy_from_slice(&self.salt);
        for (byte, x) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *byte ^= x;
        }
        for (byte, x) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *byte ^= x;
        }
        self.cipher
            .less_safe_encrypt(payload, EncryptionContext::Iv128(FixedLength::from(iv)))
            .map(drop)
            .map_err(|_| SrtpError::Cipher)
    }

    /// The full HMAC-SHA1 over the authenticated portion and, for SRTP, the rollover counter.
    pub(super) fn tag(&self, authenticated: &[u8], roc: Option<u32>) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.auth);
        context.update(authenticated);
        if let Some(roc) = roc {
            context.update(&roc.to_be_bytes());
        }
        context.sign()
    }
}
