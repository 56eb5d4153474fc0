//! SRTP packets. AES counter mode with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2; RFC 6188 for 256-bit
//! keys): the payload encrypted with the keystream of IV = salt ⊕ SSRC·2^64 ⊕ index·2^16, and a
//! tag over the header, the encrypted payload and the rollover counter. AES-256-GCM (RFC 7714
//! §8): the payload sealed with the header as associated data and the nonce salt ⊕ (SSRC, ROC,
//! SEQ); the `_8` suite keeps the first 8 bytes of the tag, and is checked by decrypting with
//! GCM's counter and sealing again (aws-lc-rs opens only full tags). The index (rollover counter
//! and sequence number) is kept per SSRC; received packets are estimated into it (Appendix A)
//! and checked against a 64-packet replay window, and the state moves only once a packet has
//! authenticated.

use std::collections::HashMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;

use super::cm::CmKeys;
use super::gcm::GcmKeys;
use super::kdf::{SrtpError, Stream};
use crate::sdes::{CryptoSuite, MasterKey};

/// Packets older than this (behind the highest index) are refused as replays.
const REPLAY_WINDOW: u64 = 64;

/// The transform a suite uses (boxed: the key schedules are large, and a session holds one).
enum Transform {
    Cm(Box<CmKeys>),
    Gcm(Box<GcmKeys>),
}

impl Transform {
    fn derive(suite: CryptoSuite, master: &MasterKey) -> Result<Transform, SrtpError> {
        match suite {
            CryptoSuite::AeadAes256Gcm | CryptoSuite::AeadAes256Gcm8 => {
                GcmKeys::derive(suite, master, Stream::Rtp)
                    .map(|keys| Transform::Gcm(Box::new(keys)))
            }
            _ => {
                CmKeys::derive(suite, master, Stream::Rtp).map(|keys| Transform::Cm(Box::new(keys)))
            }
        }
    }

    fn tag_len(&self) -> usize {
        match self {
            Transform::Cm(keys) => keys.tag_len,
            Transform::Gcm(keys) => keys.tag_len,
        }
    }

    /// `packet` (a copy of the RTP packet) becomes the SRTP packet.
    fn protect(
        &self,
        ssrc: u32,
        index: u64,
        packet: &mut Vec<u8>,
        header: usize,
    ) -> Result<(), SrtpError> {
        match self {
            Transform::Cm(keys) => {
                keys.apply_keystream(ssrc, index, &mut packet[header..])?;
                let tag = keys.tag(packet, Some((index >> 16) as u32));
                packet.extend_from_slice(&tag.as_ref()[..keys.tag_len]);
                Ok(())
            }
            Transform::Gcm(keys) => keys.seal(ssrc, index, packet, header),
        }
    }

    /// The RTP packet inside `srtp` into `out`, if it authenticates.
    fn unprotect(
        &self,
        ssrc: u32,
        index: u64,
        srtp: &[u8],
        header: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), SrtpError> {
        match self {
            Transform::Cm(keys) => {
                let body_len = srtp.len() - keys.tag_len;
                let body = &srtp[..body_len];
                let expected = keys.tag(body, Some((index >> 16) as u32));
                verify_slices_are_equal(&expected.as_ref()[..keys.tag_len], &srtp[body_len..])
                    .map_err(|_| SrtpError::Authentication)?;
                out.clear();
                out.extend_from_slice(body);
                keys.apply_keystream(ssrc, index, &mut out[header..])
            }
            Transform::Gcm(keys) => keys.open(ssrc, index, srtp, header, out),
        }
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
pub struct SrtpSender {
    transform: Transform,
    /// Per SSRC: the rollover counter and the last sequence number sent.
    streams: HashMap<u32, (u32, u16)>,
}

impl SrtpSender {
    pub fn new(suite: CryptoSuite, master: &MasterKey) -> Result<SrtpSender, SrtpError> {
        Ok(SrtpSender {
            transform: Transform::derive(suite, master)?,
            streams: HashMap::new(),
        })
    }

    /// A new key (RFC 4568 §7.1.4: a re-INVITE may change it): the streams keep their rollover
    /// counters, so the far end's index estimate stays right.
    pub fn rekey(&mut self, suite: CryptoSuite, master: &MasterKey) -> Result<(), SrtpError> {
        self.transform = Transform::derive(suite, master)?;
        Ok(())
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
        let index = (u64::from(*roc) << 16) | u64::from(sequence);
        out.clear();
        out.extend_from_slice(rtp);
        self.transform.protect(ssrc, index, out, header)
    }
}

/// One received stream's place: the highest index authenticated and which of the 64 before it
/// have been seen.
pub(super) struct ReplayState {
    pub(super) highest: u64,
    pub(super) seen: u64,
}

/// Checks and decrypts the SRTP packets we receive.
pub struct SrtpReceiver {
    transform: Transform,
    /// The key before the last [`SrtpReceiver::rekey`], for packets the far end sent before it
    /// switched; dropped once the new key has authenticated a packet.
    previous: Option<Transform>,
    streams: HashMap<u32, ReplayState>,
}

impl SrtpReceiver {
    pub fn new(suite: CryptoSuite, master: &MasterKey) -> Result<SrtpReceiver, SrtpError> {
        Ok(SrtpReceiver {
            transform: Transform::derive(suite, master)?,
            previous: None,
            streams: HashMap::new(),
        })
    }

    /// The far end's new key. Rollover counters and replay windows carry over (the stream goes
    /// on); packets still in flight under the old key are taken until the new one is in use.
    pub fn rekey(&mut self, suite: CryptoSuite, master: &MasterKey) -> Result<(), SrtpError> {
        let next = Transform::derive(suite, master)?;
        self.previous = Some(std::mem::replace(&mut self.transform, next));
        Ok(())
    }

    /// The RTP packet inside `srtp`, into `out` (cleared first). A packet that does not
    /// authenticate or was seen before changes nothing.
    pub fn unprotect(&mut self, srtp: &[u8], out: &mut Vec<u8>) -> Result<(), SrtpError> {
        let opened = match open(&self.transform, &self.streams, srtp, out) {
            Ok(opened) => {
                self.previous = None;
                opened
            }
            Err(SrtpError::Authentication) => match &self.previous {
                Some(previous) => open(previous, &self.streams, srtp, out)?,
                None => return Err(SrtpError::Authentication),
            },
            Err(e) => return Err(e),
        };
        let (ssrc, index) = opened;
        let state = self.streams.entry(ssrc).or_insert(ReplayState {
            highest: index,
            seen: 0,
        });
        accept(state, index);
        Ok(())
    }
}

/// Checks and decrypts `srtp` with `transform` against the streams' state (which it leaves
/// alone): the packet's SSRC and index.
fn open(
    transform: &Transform,
    streams: &HashMap<u32, ReplayState>,
    srtp: &[u8],
    out: &mut Vec<u8>,
) -> Result<(u32, u64), SrtpError> {
    let body_len = srtp
        .len()
        .checked_sub(transform.tag_len())
        .ok_or(SrtpError::NotRtp)?;
    let header = header_len(&srtp[..body_len]).ok_or(SrtpError::NotRtp)?;
    let (ssrc, sequence) = ssrc_and_sequence(srtp);
    let state = streams.get(&ssrc);
    let index = state.map_or(u64::from(sequence), |s| estimate_index(s.highest, sequence));
    if state.is_some_and(|s| is_replay(s, index)) {
        return Err(SrtpError::Replay);
    }
    transform.unprotect(ssrc, index, srtp, header, out)?;
    Ok((ssrc, index))
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

pub(super) fn is_replay(state: &ReplayState, index: u64) -> bool {
    if index > state.highest {
        return false;
    }
    let behind = state.highest - index;
    behind >= REPLAY_WINDOW || state.seen & (1u64 << behind) != 0
}

pub(super) fn accept(state: &mut ReplayState, index: u64) {
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

    fn pair(suite: CryptoSuite) -> (SrtpSender, SrtpReceiver) {
        let master = MasterKey::generate(suite, &mut StdRng::seed_from_u64(11));
        (
            SrtpSender::new(suite, &master).unwrap(),
            SrtpReceiver::new(suite, &master).unwrap(),
        )
    }

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
            SrtpSender::new(suite, &master)
                .unwrap()
                .protect(&plain, &mut out)
                .unwrap();
            assert_eq!(out, expected, "{suite:?}");
            SrtpReceiver::new(suite, &master)
                .unwrap()
                .unprotect(&expected, &mut out)
                .unwrap();
            assert_eq!(out, plain, "{suite:?}");
        }
    }

    #[test]
    fn every_suite_round_trips_and_hides_the_payload() {
        for suite in CryptoSuite::PREFERENCE {
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
        for suite in CryptoSuite::PREFERENCE {
            let (mut sender, mut receiver) = pair(suite);
            let (mut protected, mut clear) = (Vec::new(), Vec::new());
            sender.protect(&rtp(7, &[1; 40]), &mut protected).unwrap();
            for at in 0..protected.len() {
                let mut broken = protected.clone();
                broken[at] ^= 0x01;
                assert!(
                    receiver.unprotect(&broken, &mut clear).is_err(),
                    "{suite:?} byte {at}"
                );
            }
            // The genuine packet is still accepted: the failures moved no state.
            receiver.unprotect(&protected, &mut clear).unwrap();
        }
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
    fn a_new_key_keeps_the_rollover_counter_and_takes_late_packets_under_the_old_one() {
        let suite = CryptoSuite::AesCm128HmacSha1_80;
        let (mut sender, mut receiver) = pair(suite);
        let (mut protected, mut clear) = (Vec::new(), Vec::new());
        // Past a wrap, so the rollover counter is 1 on both sides.
        for sequence in 0xfffeu16..=0xffff {
            sender
                .protect(&rtp(sequence, &[1; 20]), &mut protected)
                .unwrap();
            receiver.unprotect(&protected, &mut clear).unwrap();
        }
        let mut late = Vec::new();
        sender.protect(&rtp(0, &[2; 20]), &mut late).unwrap();
        // Sent under the old key too, but arriving once the new key is in use.
        let mut stale = Vec::new();
        sender.protect(&rtp(2, &[4; 20]), &mut stale).unwrap();
        let next = MasterKey::generate(suite, &mut StdRng::seed_from_u64(12));
        sender.rekey(suite, &next).unwrap();
        receiver.rekey(suite, &next).unwrap();
        let mut fresh = Vec::new();
        sender.protect(&rtp(1, &[3; 20]), &mut fresh).unwrap();
        // The packet sent before the switch arrives after it: the old key still opens it.
        receiver.unprotect(&late, &mut clear).unwrap();
        assert_eq!(clear, rtp(0, &[2; 20]));
        receiver.unprotect(&fresh, &mut clear).unwrap();
        assert_eq!(clear, rtp(1, &[3; 20]));
        assert_eq!(receiver.streams[&0x1234_5678].highest, 0x1_0001);
        // Once the new key is in use the old one is gone, and a replay is still a replay.
        assert_eq!(
            receiver.unprotect(&fresh, &mut clear),
            Err(SrtpError::Replay)
        );
        assert_eq!(
            receiver.unprotect(&stale, &mut clear),
            Err(SrtpError::Authentication)
        );
    }

    #[test]
    fn a_new_suite_on_rekey_changes_the_tag_length() {
        let (mut sender, mut receiver) = pair(CryptoSuite::AesCm128HmacSha1_32);
        let gcm = CryptoSuite::AeadAes256Gcm;
        let key = MasterKey::generate(gcm, &mut StdRng::seed_from_u64(3));
        sender.rekey(gcm, &key).unwrap();
        receiver.rekey(gcm, &key).unwrap();
        let (mut protected, mut clear) = (Vec::new(), Vec::new());
        sender.protect(&rtp(9, &[7; 160]), &mut protected).unwrap();
        assert_eq!(protected.len(), 12 + 160 + 16);
        receiver.unprotect(&protected, &mut clear).unwrap();
        assert_eq!(clear, rtp(9, &[7; 160]));
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
    fn junk_and_keys_of_the_wrong_shape_are_refused_with_reasons() {
        let (_, mut receiver) = pair(CryptoSuite::AesCm128HmacSha1_80);
        let mut out = Vec::new();
        for junk in [&[][..], &[0x80; 5], &[0x00; 40], &[0x9f; 40]] {
            assert_eq!(receiver.unprotect(junk, &mut out), Err(SrtpError::NotRtp));
        }
        // A GCM key (12-byte salt) for a counter-mode suite, and the other way round.
        let gcm = MasterKey::generate(CryptoSuite::AeadAes256Gcm, &mut StdRng::seed_from_u64(1));
        assert!(matches!(
            SrtpSender::new(CryptoSuite::Aes256CmHmacSha1_80, &gcm),
            Err(SrtpError::KeyShape)
        ));
        let cm = MasterKey::generate(
            CryptoSuite::Aes256CmHmacSha1_80,
            &mut StdRng::seed_from_u64(1),
        );
        assert!(matches!(
            SrtpReceiver::new(CryptoSuite::AeadAes256Gcm, &cm),
            Err(SrtpError::KeyShape)
        ));
    }
}
