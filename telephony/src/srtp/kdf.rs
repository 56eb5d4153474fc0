//! Session keys from a master key and salt (RFC 3711 §4.3): the AES counter-mode PRF over the
//! master salt with the label in its eighth byte (key derivation rate 0, so the index is not
//! mixed in). AES-128 or AES-256 by the master key's length (RFC 6188 §5.1); GCM's 96-bit
//! salts are used the same way, zero-padded (RFC 7714 §11).

use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128, AES_256};
use aws_lc_rs::iv::FixedLength;

use crate::sdes::MasterKey;

/// What a session key is for (RFC 3711 §4.3.1, §4.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    RtpCipher = 0,
    RtpAuth = 1,
    RtpSalt = 2,
    RtcpCipher = 3,
    RtcpAuth = 4,
    RtcpSalt = 5,
}

/// Which packets a set of session keys protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Rtp,
    Rtcp,
}

impl Stream {
    /// The labels of the cipher key, the authentication key and the salt.
    pub(crate) fn labels(self) -> (Label, Label, Label) {
        match self {
            Stream::Rtp => (Label::RtpCipher, Label::RtpAuth, Label::RtpSalt),
            Stream::Rtcp => (Label::RtcpCipher, Label::RtcpAuth, Label::RtcpSalt),
        }
    }
}

/// Why SRTP cannot go on. No variant carries key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    #[error("SRTP: a master key must be 16 or 32 bytes and its salt at most 14")]
    KeyShape,
    #[error("SRTP: the cipher refused the key")]
    Cipher,
    #[error("SRTP: not an RTP packet (or shorter than its header and tag)")]
    NotRtp,
    #[error("SRTP: the packet does not authenticate")]
    Authentication,
    #[error("SRTP: the packet was seen before, or is too old")]
    Replay,
}

/// Fills `out` with the session key, salt or authentication key `label` names.
pub fn derive(master: &MasterKey, label: Label, out: &mut [u8]) -> Result<(), SrtpError> {
    let algorithm = match master.key().len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => return Err(SrtpError::KeyShape),
    };
    let salt = master.salt();
    if salt.len() > 14 {
        return Err(SrtpError::KeyShape);
    }
    // x = (label << 48) XOR salt, then x * 2^16: the last two bytes count the blocks.
    let mut iv = [0u8; 16];
    iv[..salt.len()].copy_from_slice(salt);
    iv[7] ^= label as u8;
    let key = UnboundCipherKey::new(algorithm, master.key()).map_err(|_| SrtpError::Cipher)?;
    let ctr = EncryptingKey::ctr(key).map_err(|_| SrtpError::Cipher)?;
    // The keystream is the encryption of zeros.
    out.fill(0);
    ctr.less_safe_encrypt(out, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| SrtpError::Cipher)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master(key: &[u8], salt: &[u8]) -> MasterKey {
        MasterKey::from_parts(key, salt)
    }

    fn derived(master: &MasterKey, label: Label, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        derive(master, label, &mut out).unwrap();
        out
    }

    /// RFC 3711 Appendix B.3.
    #[test]
    fn aes_128_matches_rfc_3711() {
        let m = master(
            &[
                0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0, 0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE,
                0x41, 0x39,
            ],
            &[
                0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE, 0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6,
            ],
        );
        assert_eq!(
            derived(&m, Label::RtpCipher, 16),
            [
                0xC6, 0x1E, 0x7A, 0x93, 0x74, 0x4F, 0x39, 0xEE, 0x10, 0x73, 0x4A, 0xFE, 0x3F, 0xF7,
                0xA0, 0x87
            ]
        );
        assert_eq!(
            derived(&m, Label::RtpSalt, 14),
            [0x30, 0xCB, 0xBC, 0x08, 0x86, 0x3D, 0x8C, 0x85, 0xD4, 0x9D, 0xB3, 0x4A, 0x9A, 0xE1]
        );
        assert_eq!(
            derived(&m, Label::RtpAuth, 20),
            [
                0xCE, 0xBE, 0x32, 0x1F, 0x6F, 0xF7, 0x71, 0x6B, 0x6F, 0xD4, 0xAB, 0x49, 0xAF, 0x25,
                0x6A, 0x15, 0x6D, 0x38, 0xBA, 0xA4
            ]
        );
    }

    /// RFC 6188 §7.2.
    #[test]
    fn aes_256_matches_rfc_6188() {
        let m = master(
            &[
                0xF0, 0xF0, 0x49, 0x14, 0xB5, 0x13, 0xF2, 0x76, 0x3A, 0x1B, 0x1F, 0xA1, 0x30, 0xF1,
                0x0E, 0x29, 0x98, 0xF6, 0xF6, 0xE4, 0x3E, 0x43, 0x09, 0xD1, 0xE6, 0x22, 0xA0, 0xE3,
                0x32, 0xB9, 0xF1, 0xB6,
            ],
            &[
                0x3B, 0x04, 0x80, 0x3D, 0xE5, 0x1E, 0xE7, 0xC9, 0x64, 0x23, 0xAB, 0x5B, 0x78, 0xD2,
            ],
        );
        assert_eq!(
            derived(&m, Label::RtpCipher, 32),
            [
                0x5B, 0xA1, 0x06, 0x4E, 0x30, 0xEC, 0x51, 0x61, 0x3C, 0xAD, 0x92, 0x6C, 0x5A, 0x28,
                0xEF, 0x73, 0x1E, 0xC7, 0xFB, 0x39, 0x7F, 0x70, 0xA9, 0x60, 0x65, 0x3C, 0xAF, 0x06,
                0x55, 0x4C, 0xD8, 0xC4
            ]
        );
        assert_eq!(
            derived(&m, Label::RtpSalt, 14),
            [0xFA, 0x31, 0x79, 0x16, 0x85, 0xCA, 0x44, 0x4A, 0x9E, 0x07, 0xC6, 0xC6, 0x4E, 0x93]
        );
        assert_eq!(
            derived(&m, Label::RtpAuth, 20),
            [
                0xFD, 0x9C, 0x32, 0xD3, 0x9E, 0xD5, 0xFB, 0xB5, 0xA9, 0xDC, 0x96, 0xB3, 0x08, 0x18,
                0x45, 0x4D, 0x13, 0x13, 0xDC, 0x05
            ]
        );
    }

    #[test]
    fn labels_give_different_keys_and_bad_shapes_are_refused() {
        let m = master(&[7; 32], &[9; 12]);
        let keys: Vec<Vec<u8>> = [
            Label::RtpCipher,
            Label::RtpAuth,
            Label::RtpSalt,
            Label::RtcpCipher,
            Label::RtcpAuth,
            Label::RtcpSalt,
        ]
        .into_iter()
        .map(|label| derived(&m, label, 32))
        .collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let mut out = [0u8; 16];
        assert_eq!(
            derive(&master(&[1; 24], &[0; 14]), Label::RtpCipher, &mut out),
            Err(SrtpError::KeyShape)
        );
        assert_eq!(
            derive(&master(&[1; 16], &[0; 15]), Label::RtpCipher, &mut out),
            Err(SrtpError::KeyShape)
        );
    }
}
