//! SRTP packets with AES counter mode and HMAC-SHA1 (RFC 3711 §4.1.1, §4.2; RFC 6188 for
//! 256-bit keys): the payload encrypted with the keystream of IV = salt ⊕ SSRC·2^64 ⊕ index·2^16,
//! and a tag over the header, the encrypted payload and the rollover counter. The index (rollover
//! counter and sequence number) is kept per SSRC; received packets are estimated into it
//! (Appendix A) and checked against a 64-packet replay window, and the state moves only once a
//! packet has authenticated.

use std::collections::HashMap;

use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128, AES_256};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;

use super::kdf::{derive, Label, SrtpError};
use crate::sdes::{CryptoSuite, MasterKey};

/// Packets older than this (behind the highest index) are refused as replays.
const REPLAY_WINDOW: u64 = 64;

/// One direction's RTP session keys.
struct Keys {
    cipher: EncryptingKey,
    auth: hmac::Key,
    salt: [u8; 14],
    tag_len: usize,
}

impl Keys {
    fn derive(suite: CryptoSuite, master: &MasterKey) -> Result<Keys, SrtpError> {
        let (algorithm, key_len) = match suite {
            CryptoSuite::AesCm128HmacSha1_80 | CryptoSuite::AesCm128HmacSha1_32 => (&AES_128, 16),
            CryptoSuite::Aes256CmHmacSha1_80 | CryptoSuite::Aes256CmHmacSha1_32 => (&AES_256, 32),
            CryptoSuite::AeadAes256Gcm | CryptoSuite::AeadAes256Gcm8 => {
                return Err(SrtpError::NotCounterMode)
            }
        };
        if master.key().len() != key_len || master.salt().len() != 14 {
            return Err(SrtpError::KeyShape);
        }
        let mut session_key = vec![0u8; key_len];
        let mut auth_key = [0u8; 20];
        let mut salt = [0u8; 14];
        derive(master, Label::RtpCipher, &mut session_key)?;
        derive(master, Label::RtpAuth, &mut auth_key)?;
        derive(master, Label::RtpSalt, &mut salt)?;
        let cipher = UnboundCipherKey::new(algorithm, &session_key)
            .and_then(EncryptingKey::ctr)
            .map_err(|_| SrtpError::Cipher)?;
        let auth = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &auth_key);
        session_key.fill(0);
        auth_key.fill(0);
        Ok(Keys {
            cipher,
            auth,
            salt,
            tag_len: suite.tag_len(),
        })
    }

    /// Encrypts (or decrypts: counter mode is its own inverse) `payload` of packet `index` of
    /// `ssrc`.
    fn apply_keystream(&self, ssrc: u32, index: u64, payload: &mut [u8]) -> Result<(), SrtpError> {
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

    /// The full HMAC-SHA1 over the authenticated portion and the rollover counter.
    fn tag(&self, authenticated: &[u8], roc: u32) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.auth);
        context.update(authenticated);
        context.update(&roc.to_be_bytes());
        context.sign()
    }
}

/// The length of an RTP packet's header (fixed part, CSRCs, extension), or `None` when the
/// packet is not RTP version 2 or is shorter than its header says.
fn header_len(packet: &[u8]) -> Option<usize> {
    let first = *packet.first()?;
    if first >> 6 != 2 || packet.len() < 12 {
        return None;
    }
    let mut len = 12 + 4 * usize::from(first & 0x0f);
    if first & 0x10 != 0 {
        let words = packet.get(len + 2..len + 4)?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    (len <= packet.len()).then_some(len)
}

fn ssrc_and_sequence(packet: &[u8]) -> (u32, u16) {
    (
        u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
        u16::from_be_bytes([packet[2], packet[3]]),
    )
}

/// Protects the RTP packets we send.
pub struct CmSender {
    keys: Keys,
    /// Per SSRC: the rollover counter and the last sequence number sent.
    streams: HashMap<u32, (u32, u16)>,
}

impl CmSender {
    pub fn new(suite: CryptoSuite, master: &MasterKey) -> Result<CmSender, SrtpError> {
        Ok(CmSender {
            keys: Keys::derive(suite, master)?,
            streams: HashMap::new(),
        })
    }

    /// Appends the SRTP packet for `rtp` to `out` (cleared first).
    pub fn protect(&mut self, rtp: &[u8], out: &mut Vec<u8>) -> Result<(), SrtpError> {
        let header = header_len(rtp).ok_or(SrtpError::NotRtp)?;
        let (ssrc, sequence) = ssrc_and_sequence(rtp);
        let (roc, last) = self.streams.entry(ssrc).or_insert((0, sequence));
        if sequence < *last && *last - sequence > 0x8000 {
            *roc = roc.wrapping_add(1);
        }
        *last = sequence;
        let roc = *roc;
        let index = (u64::from(roc) << 16) | u64::from(sequence);
        out.clear();
        out.extend_from_slice(rtp);
        self.keys.apply_keystream(ssrc, index, &mut out[header..])?;
        let tag = self.keys.tag(out, roc);
        out.extend_from_slice(&tag.as_ref()[..self.keys.tag_len]);
        Ok(())
    }
}

/// One received stream's place: the highest index authenticated and which of the 64 before it
/// have been seen.
struct ReplayState {
    highest: u64,
    seen: u64,
}

/// Checks and decrypts the SRTP packets we receive.
pub struct CmReceiver {
    keys: Keys,
    streams: HashMap<u32, ReplayState>,
}

impl CmReceiver {
    pub fn new(suite: CryptoSuite, master: &MasterKey) -> Result<CmReceiver, SrtpError> {
        Ok(CmReceiver {
            keys: Keys::derive(suite, master)?,
            streams: HashMap::new(),
        })
    }

    /// The RTP packet inside `srtp`, into `out` (cleared first). A packet that does not
    /// authenticate or was seen before changes nothing.
    pub fn unprotect(&mut self, srtp: &[u8], out: &mut Vec<u8>) -> Result<(), SrtpError> {
        let tag_len = self.keys.tag_len;
        let body_len = srtp.len().checked_sub(tag_len).ok_or(SrtpError::NotRtp)?;
        let body = &srtp[..body_len];
        let header = header_len(body).ok_or(SrtpError::NotRtp)?;
        let (ssrc, sequence) = ssrc_and_sequence(body);
        let index = match self.streams.get(&ssrc) {
            Some(state) => estimate_index(state.highest, sequence),
            None => u64::from(sequence),
        };
        if let Some(state) = self.streams.get(&ssrc) {
            if is_replay(state, index) {
                return Err(SrtpError::Replay);
            }
        }
        let roc = (index >> 16) as u32;
        let expected = self.keys.tag(body, roc);
        verify_slices_are_equal(&expected.as_ref()[..tag_len], &srtp[body_len..])
            .map_err(|_| SrtpError::Authentication)?;
        out.clear();
        out.extend_from_slice(body);
        self.keys.apply_keystream(ssrc, index, &mut out[header..])?;
        let state = self.streams.entry(ssrc).or_insert(ReplayState {
            highest: index,
            seen: 0,
        });
        accept(state, index);
        Ok(())
    }
}

/// RFC 3711 Appendix A: the index of `sequence` nearest to the highest index seen.
fn estimate_index(highest: u64, sequence: u16) -> u64 {
    let roc = highest >> 16;
    let last = (highest & 0xffff) as i64;
    let sequence_i = i64::from(sequence);
    let guess = if last < 0x8000 {
        if sequence_i - last > 0x8000 && roc > 0 {
            roc - 1
        } else {
            roc
        }
    } else if last - 0x8000 > sequence_i {
        roc + 1
    } else {
        roc
    };
    (guess << 16) | u64::from(sequence)
}

fn is_replay(state: &ReplayState, index: u64) -> bool {
    if index > state.highest {
        return false;
    }
    let behind = state.highest - index;
    behind >= REPLAY_WINDOW || state.seen & (1u64 << behind) != 0
}

fn accept(state: &mut ReplayState, index: u64) {
    if index > state.highest {
        let ahead = index - state.highest;
        state.seen = if ahead >= REPLAY_WINDOW {
            0
        } else {
            state.seen << ahead
        };
        state.highest = index;
    }
    state.seen |= 1u64 << (state.highest - index);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn rtp(sequence: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::rtp::write(
            &crate::rtp::RtpHeader {
                marker: false,
                payload_type: 0,
                sequence,
                timestamp: u32::from(sequence) * 160,
                ssrc: 0x1234_5678,
            },
            payload,
            &mut out,
        );
        out
    }

    fn pair(suite: CryptoSuite) -> (CmSender, CmReceiver) {
        let master = MasterKey::generate(suite, &mut StdRng::seed_from_u64(11));
        (
            CmSender::new(suite, &master).unwrap(),
            CmReceiver::new(suite, &master).unwrap(),
        )
    }

    const CM_SUITES: [CryptoSuite; 4] = [
        CryptoSuite::Aes256CmHmacSha1_80,
        CryptoSuite::Aes256CmHmacSha1_32,
        CryptoSuite::AesCm128HmacSha1_80,
        CryptoSuite::AesCm128HmacSha1_32,
    ];

    /// libsrtp's reference packets (`test/srtp_driver.c`, `srtp_validate` and
    /// `srtp_validate_aes_256`): an independent implementation's output, byte for byte.
    #[test]
    fn libsrtp_reference_packets_match_both_ways() {
        let plain: Vec<u8> = [
            0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
        ]
        .into_iter()
        .chain([0xab; 16])
        .collect();
        let cases = [
            (
                CryptoSuite::AesCm128HmacSha1_80,
                vec![
                    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06,
                    0xde, 0x41, 0x39,
                ],
                vec![
                    0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab,
                    0xe6,
                ],
                [
                    0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94,
                    0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
                ],
            ),
            (
                CryptoSuite::Aes256CmHmacSha1_80,
                vec![
                    0xf0, 0xf0, 0x49, 0x14, 0xb5, 0x13, 0xf2, 0x76, 0x3a, 0x1b, 0x1f, 0xa1, 0x30,
                    0xf1, 0x0e, 0x29, 0x98, 0xf6, 0xf6, 0xe4, 0x3e, 0x43, 0x09, 0xd1, 0xe6, 0x22,
                    0xa0, 0xe3, 0x32, 0xb9, 0xf1, 0xb6,
                ],
                vec![
                    0x3b, 0x04, 0x80, 0x3d, 0xe5, 0x1e, 0xe7, 0xc9, 0x64, 0x23, 0xab, 0x5b, 0x78,
                    0xd2,
                ],
                [
                    0xf1, 0xd9, 0xde, 0x17, 0xff, 0x25, 0x1f, 0xf1, 0xaa, 0x00, 0x77, 0x74, 0xb0,
                    0xb4, 0xb4, 0x0d, 0xa0, 0x8d, 0x9d, 0x9a, 0x5b, 0x3a, 0x55, 0xd8, 0x87, 0x3b,
                ],
            ),
        ];
        for (suite, key, salt, tail) in cases {
            let master = MasterKey::from_parts(&key, &salt);
            let expected: Vec<u8> = plain[..12].iter().copied().chain(tail).collect();
            let mut out = Vec::new();
            CmSender::new(suite, &master)
                .unwrap()
                .protect(&plain, &mut out)
                .unwrap();
            assert_eq!(out, expected, "{suite:?}");
            CmReceiver::new(suite, &master)
                .unwrap()
                .unprotect(&expected, &mut out)
                .unwrap();
            assert_eq!(out, plain, "{suite:?}");
        }
    }

    #[test]
    fn every_counter_mode_suite_round_trips_and_hides_the_payload() {
        for suite in CM_SUITES {
            let (mut sender, mut receiver) = pair(suite);
            let (mut protected, mut clear) = (Vec::new(), Vec::new());
            for sequence in [1u16, 2, 3] {
                let packet = rtp(sequence, &[0x55; 160]);
                sender.protect(&packet, &mut protected).unwrap();
                assert_eq!(protected.len(), packet.len() + suite.tag_len(), "{suite:?}");
                assert_eq!(protected[..12], packet[..12], "the header stays clear");
                assert_ne!(protected[12..172], packet[12..], "the payload is not");
                receiver.unprotect(&protected, &mut clear).unwrap();
                assert_eq!(clear, packet, "{suite:?}");
            }
        }
    }

    #[test]
    fn a_flipped_bit_anywhere_fails_authentication_and_changes_nothing() {
        let (mut sender, mut receiver) = pair(CryptoSuite::AesCm128HmacSha1_80);
        let (mut protected, mut clear) = (Vec::new(), Vec::new());
        sender.protect(&rtp(7, &[1; 40]), &mut protected).unwrap();
        for at in 0..protected.len() {
            let mut broken = protected.clone();
            broken[at] ^= 0x01;
            assert!(
                receiver.unprotect(&broken, &mut clear).is_err(),
                "byte {at}"
            );
        }
        // The genuine packet is still accepted: the failures moved no state.
        receiver.unprotect(&protected, &mut clear).unwrap();
    }

    #[test]
    fn replays_and_packets_too_old_are_refused_reordered_ones_taken() {
        let (mut sender, mut receiver) = pair(CryptoSuite::Aes256CmHmacSha1_80);
        let mut clear = Vec::new();
        let packets: Vec<Vec<u8>> = (0..100u16)
            .map(|s| {
                let mut p = Vec::new();
                sender
                    .protect(&rtp(1000 + s, &[s as u8; 20]), &mut p)
                    .unwrap();
                p
            })
            .collect();
        receiver.unprotect(&packets[10], &mut clear).unwrap();
        receiver.unprotect(&packets[12], &mut clear).unwrap();
        // Late but inside the window: taken once.
        receiver.unprotect(&packets[11], &mut clear).unwrap();
        assert_eq!(
            receiver.unprotect(&packets[11], &mut clear),
            Err(SrtpError::Replay)
        );
        receiver.unprotect(&packets[99], &mut clear).unwrap();
        // 99 - 30 = 69 behind: out of the window.
        assert_eq!(
            receiver.unprotect(&packets[30], &mut clear),
            Err(SrtpError::Replay)
        );
        receiver.unprotect(&packets[40], &mut clear).unwrap();
    }

    #[test]
    fn the_rollover_counter_follows_a_sequence_wrap() {
        let (mut sender, mut receiver) = pair(CryptoSuite::AesCm128HmacSha1_80);
        let (mut protected, mut clear) = (Vec::new(), Vec::new());
        for sequence in (0xfff0u16..=0xffff).chain(0..0x10) {
            let packet = rtp(sequence, &[9; 30]);
            sender.protect(&packet, &mut protected).unwrap();
            receiver.unprotect(&protected, &mut clear).unwrap();
            assert_eq!(clear, packet, "{sequence:#x}");
        }
        assert_eq!(sender.streams[&0x1234_5678].0, 1);
        assert_eq!(receiver.streams[&0x1234_5678].highest, 0x1_000f);
    }

    #[test]
    fn index_estimation_follows_rfc_3711_appendix_a() {
        assert_eq!(estimate_index(0x0001_0005, 7), 0x0001_0007);
        // Just after a wrap, a late packet from before it.
        assert_eq!(estimate_index(0x0002_0003, 0xfffe), 0x0001_fffe);
        // Near the top, a packet after the wrap.
        assert_eq!(estimate_index(0x0001_fff0, 0x0002), 0x0002_0002);
        // At the very start there is no earlier rollover to fall back to.
        assert_eq!(estimate_index(0x0000_0003, 0xfffe), 0x0000_fffe);
    }

    #[test]
    fn junk_and_gcm_suites_are_refused_with_reasons() {
        let (_, mut receiver) = pair(CryptoSuite::AesCm128HmacSha1_80);
        let mut out = Vec::new();
        for junk in [&[][..], &[0x80; 5], &[0x00; 40], &[0x9f; 40]] {
            assert_eq!(receiver.unprotect(junk, &mut out), Err(SrtpError::NotRtp));
        }
        let master = MasterKey::generate(CryptoSuite::AeadAes256Gcm, &mut StdRng::seed_from_u64(1));
        assert!(matches!(
            CmSender::new(CryptoSuite::AeadAes256Gcm, &master),
            Err(SrtpError::NotCounterMode)
        ));
    }
}
