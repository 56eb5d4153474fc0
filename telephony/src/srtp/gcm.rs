//! The AES-256-GCM suites' keys and transform (RFC 7714 §8): the payload sealed with the header
//! as associated data and the nonce salt ⊕ (SSRC, ROC, SEQ); the `_8` suite's truncated tag
//! checked by decrypting with GCM's counter and sealing again (aws-lc-rs opens only full tags).

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey, AES_256};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::iv::FixedLength;

use super::kdf::{derive, SrtpError, Stream};
use crate::sdes::{CryptoSuite, MasterKey};

/// One direction's RTP session keys for the AES-256-GCM suites.
pub(super) struct GcmKeys {
    seal: LessSafeKey,
    /// The same key as a counter-mode cipher, to check a truncated tag.
    ctr: EncryptingKey,
    salt: [u8; 12],
    pub(super) tag_len: usize,
}

impl GcmKeys {
    pub(super) fn derive(
        suite: CryptoSuite,
        master: &MasterKey,
        stream: Stream,
    ) -> Result<GcmKeys, SrtpError> {
        if master.key().len() != 32 || master.salt().len() != 12 {
            return Err(SrtpError::KeyShape);
        }
        let mut session_key = [0u8; 32];
        let mut salt = [0u8; 12];
        let (cipher_label, _, salt_label) = stream.labels();
        derive(master, cipher_label, &mut session_key)?;
        derive(master, salt_label, &mut salt)?;
        let keys = GcmKeys::from_session(&session_key, salt, suite.tag_len());
        session_key.fill(0);
        keys
    }

    fn from_session(key: &[u8; 32], salt: [u8; 12], tag_len: usize) -> Result<GcmKeys, SrtpError> {
        let seal = UnboundKey::new(&AES_256_GCM, key)
            .map(LessSafeKey::new)
            .map_err(|_| SrtpError::Cipher)?;
        let ctr = UnboundCipherKey::new(&AES_256, key)
            .and_then(EncryptingKey::ctr)
            .map_err(|_| SrtpError::Cipher)?;
        Ok(GcmKeys {
            seal,
            ctr,
            salt,
            tag_len,
        })
    }

    /// RFC 7714 §8.1: salt ⊕ (00 00, SSRC, ROC, SEQ).
    fn iv(&self, ssrc: u32, index: u64) -> [u8; 12] {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[6..12].copy_from_slice(&index.to_be_bytes()[2..]);
        for (byte, salt) in iv.iter_mut().zip(self.salt) {
            *byte ^= salt;
        }
        iv
    }

    /// Seals the payload after `header` in place and appends the tag (cut to the suite's).
    pub(super) fn seal(
        &self,
        ssrc: u32,
        index: u64,
        packet: &mut Vec<u8>,
        header: usize,
    ) -> Result<(), SrtpError> {
        let nonce = Nonce::assume_unique_for_key(self.iv(ssrc, index));
        let (head, payload) = packet.split_at_mut(header);
        let tag = self
            .seal
            .seal_in_place_separate_tag(nonce, Aad::from(&*head), payload)
            .map_err(|_| SrtpError::Cipher)?;
        packet.extend_from_slice(&tag.as_ref()[..self.tag_len]);
        Ok(())
    }

    /// RFC 7714 §9.1: salt ⊕ (00 00, SSRC, 00 00, SRTCP index without the E flag).
    fn rtcp_iv(&self, ssrc: u32, index: u32) -> [u8; 12] {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[8..12].copy_from_slice(&(index & 0x7fff_ffff).to_be_bytes());
        for (byte, salt) in iv.iter_mut().zip(self.salt) {
            *byte ^= salt;
        }
        iv
    }

    /// RFC 7714 §9: an RTCP compound packet sealed after its first 8 bytes, with those bytes
    /// and the E flag and index as associated data; the tag, then E flag and index, appended.
    pub(super) fn seal_rtcp(&self, index: u32, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let ssrc = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        let trailer = (0x8000_0000 | index).to_be_bytes();
        let aad = [&packet[..8], &trailer[..]].concat();
        let tag = self
            .seal
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(self.rtcp_iv(ssrc, index)),
                Aad::from(aad),
                &mut packet[8..],
            )
            .map_err(|_| SrtpError::Cipher)?;
        packet.extend_from_slice(&tag.as_ref()[..self.tag_len]);
        packet.extend_from_slice(&trailer);
        Ok(())
    }

    /// Opens an SRTCP packet sealed as [`GcmKeys::seal_rtcp`] does: the RTCP packet into `out`,
    /// and its index. Packets sent unencrypted (E flag clear) are not taken.
    pub(super) fn open_rtcp(&self, packet: &[u8], out: &mut Vec<u8>) -> Result<u32, SrtpError> {
        let trailer_at = packet
            .len()
            .checked_sub(4)
            .filter(|at| *at >= 8 + self.tag_len)
            .ok_or(SrtpError::NotRtp)?;
        let trailer = &packet[trailer_at..];
        let e_index = u32::from_be_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        if e_index & 0x8000_0000 == 0 {
            return Err(SrtpError::Authentication);
        }
        let index = e_index & 0x7fff_ffff;
        let ssrc = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        let tag_at = trailer_at - self.tag_len;
        let aad = [&packet[..8], trailer].concat();
        out.clear();
        out.extend_from_slice(&packet[..8]);
        self.open_into(
            self.rtcp_iv(ssrc, index),
            &aad,
            &packet[8..tag_at],
            &packet[tag_at..trailer_at],
            out,
        )?;
        Ok(index)
    }

    /// Opens `sealed` with its `tag`, appending the plaintext to `out` (decrypted in place
    /// there); `out` is left empty when it does not authenticate. A truncated tag: decrypt with
    /// GCM's counter (its first block after J0 = IV ‖ 1), then seal the result again and compare
    /// the tag's first bytes.
    fn open_into(
        &self,
        iv: [u8; 12],
        aad: &[u8],
        sealed: &[u8],
        tag: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), SrtpError> {
        let start = out.len();
        out.extend_from_slice(sealed);
        let plain = &mut out[start..];
        let genuine = if self.tag_len == 16 {
            self.seal
                .open_in_place_separate_tag(
                    Nonce::assume_unique_for_key(iv),
                    Aad::from(aad),
                    tag,
                    plain,
                )
                .is_ok()
        } else {
            let mut counter = [0u8; 16];
            counter[..12].copy_from_slice(&iv);
            counter[15] = 2;
            self.ctr
                .less_safe_encrypt(plain, EncryptionContext::Iv128(FixedLength::from(counter)))
                .map_err(|_| SrtpError::Cipher)?;
            let mut again = plain.to_vec();
            let full = self
                .seal
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(iv),
                    Aad::from(aad),
                    &mut again,
                )
                .map_err(|_| SrtpError::Cipher)?;
            verify_slices_are_equal(&full.as_ref()[..self.tag_len], tag).is_ok()
                && verify_slices_are_equal(&again, sealed).is_ok()
        };
        if !genuine {
            // Nothing of a packet that does not authenticate is handed on.
            out.clear();
            return Err(SrtpError::Authentication);
        }
        Ok(())
    }

    /// Opens `packet` (header, ciphertext, tag) into its header and payload.
    pub(super) fn open(
        &self,
        ssrc: u32,
        index: u64,
        packet: &[u8],
        header: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), SrtpError> {
        let body_len = packet.len() - self.tag_len;
        out.clear();
        out.extend_from_slice(&packet[..header]);
        self.open_into(
            self.iv(ssrc, index),
            &packet[..header],
            &packet[header..body_len],
            &packet[body_len..],
            out,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7714 §16.1.1 (AEAD_AES_256_GCM, the test vectors of §17 use the same packet), from
    /// the session key and salt; the `_8` suite's packet is the same with the tag cut to 8.
    #[test]
    fn aes_256_gcm_matches_rfc_7714() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let salt = *b"Quid pro quo";
        let plain: &[u8] = &[
            0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2, 0x47, 0x61,
            0x6c, 0x6c, 0x69, 0x61, 0x20, 0x65, 0x73, 0x74, 0x20, 0x6f, 0x6d, 0x6e, 0x69, 0x73,
            0x20, 0x64, 0x69, 0x76, 0x69, 0x73, 0x61, 0x20, 0x69, 0x6e, 0x20, 0x70, 0x61, 0x72,
            0x74, 0x65, 0x73, 0x20, 0x74, 0x72, 0x65, 0x73,
        ];
        let protected: &[u8] = &[
            0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2, 0x32, 0xb1,
            0xde, 0x78, 0xa8, 0x22, 0xfe, 0x12, 0xef, 0x9f, 0x78, 0xfa, 0x33, 0x2e, 0x33, 0xaa,
            0xb1, 0x80, 0x12, 0x38, 0x9a, 0x58, 0xe2, 0xf3, 0xb5, 0x0b, 0x2a, 0x02, 0x76, 0xff,
            0xae, 0x0f, 0x1b, 0xa6, 0x37, 0x99, 0xb8, 0x7b, 0x7a, 0xa3, 0xdb, 0x36, 0xdf, 0xff,
            0xd6, 0xb0, 0xf9, 0xbb, 0x78, 0x78, 0xd7, 0xa7, 0x6c, 0x13,
        ];
        let (ssrc, index) = (0x5501_a0b2, 0xf17b);
        for tag_len in [16, 8] {
            let keys = GcmKeys::from_session(&key, salt, tag_len).unwrap();
            let mut packet = plain.to_vec();
            keys.seal(ssrc, index, &mut packet, 12).unwrap();
            let expected = &protected[..protected.len() - 16 + tag_len];
            assert_eq!(packet, expected, "tag of {tag_len}");
            let mut out = Vec::new();
            keys.open(ssrc, index, expected, 12, &mut out).unwrap();
            assert_eq!(out, plain, "tag of {tag_len}");
            for at in [0, 12, 30, expected.len() - 1] {
                let mut broken = expected.to_vec();
                broken[at] ^= 0x80;
                assert_eq!(
                    keys.open(ssrc, index, &broken, 12, &mut out),
                    Err(SrtpError::Authentication),
                    "tag of {tag_len}, byte {at}"
                );
                assert!(out.is_empty(), "nothing handed on");
            }
        }
    }

    /// RFC 7714 §17.2 (AEAD_AES_256_GCM SRTCP, index 0x5d4), from the session key and salt.
    #[test]
    fn aes_256_gcm_srtcp_matches_rfc_7714() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let keys = GcmKeys::from_session(&key, *b"Quid pro quo", 16).unwrap();
        let plain: &[u8] = &[
            0x81, 0xc8, 0x00, 0x0d, 0x4d, 0x61, 0x72, 0x73, 0x4e, 0x54, 0x50, 0x31, 0x4e, 0x54,
            0x50, 0x32, 0x52, 0x54, 0x50, 0x20, 0x00, 0x00, 0x04, 0x2a, 0x00, 0x00, 0xe9, 0x30,
            0x4c, 0x75, 0x6e, 0x61, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad,
            0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
        ];
        let protected: &[u8] = &[
            0x81, 0xc8, 0x00, 0x0d, 0x4d, 0x61, 0x72, 0x73, 0xd5, 0x0a, 0xe4, 0xd1, 0xf5, 0xce,
            0x5d, 0x30, 0x4b, 0xa2, 0x97, 0xe4, 0x7d, 0x47, 0x0c, 0x28, 0x2c, 0x3e, 0xce, 0x5d,
            0xbf, 0xfe, 0x0a, 0x50, 0xa2, 0xea, 0xa5, 0xc1, 0x11, 0x05, 0x55, 0xbe, 0x84, 0x15,
            0xf6, 0x58, 0xc6, 0x1d, 0xe0, 0x47, 0x6f, 0x1b, 0x6f, 0xad, 0x1d, 0x1e, 0xb3, 0x0c,
            0x44, 0x46, 0x83, 0x9f, 0x57, 0xff, 0x6f, 0x6c, 0xb2, 0x6a, 0xc3, 0xbe, 0x80, 0x00,
            0x05, 0xd4,
        ];
        let mut packet = plain.to_vec();
        keys.seal_rtcp(0x5d4, &mut packet).unwrap();
        assert_eq!(packet, protected);
        let mut out = Vec::new();
        assert_eq!(keys.open_rtcp(protected, &mut out), Ok(0x5d4));
        assert_eq!(out, plain);
    }
}
