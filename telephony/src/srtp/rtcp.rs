//! SRTCP (RFC 3711 §3.4; RFC 7714 §9 for GCM): RTCP compound packets encrypted after their
//! first 8 bytes under the RTCP session keys, with the E flag and a 31-bit SRTCP index appended
//! (and, in counter mode, an 80-bit HMAC-SHA1 tag over all of it whatever the suite's SRTP tag).
//! Our index starts at 1 and counts every packet sent, as libsrtp's does; received indexes go
//! through the same 64-packet replay window as SRTP's, per SSRC.

use std::collections::HashMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;

use super::cm::CmKeys;
use super::gcm::GcmKeys;
use super::kdf::{SrtpError, Stream};
use super::packets::{accept, is_replay, ReplayState};
use crate::sdes::{CryptoSuite, MasterKey};

/// An RTCP packet's fixed part (header and sender SSRC), sent in the clear.
const CLEAR: usize = 8;
const E_FLAG: u32 = 0x8000_0000;

/// The RTCP keys a suite uses (boxed: the key schedules are large).
enum RtcpKeys {
    Cm(Box<CmKeys>),
    Gcm(Box<GcmKeys>),
}

impl RtcpKeys {
    fn derive(suite: CryptoSuite, master: &MasterKey) -> Result<RtcpKeys, SrtpError> {
        match suite {
            CryptoSuite::AeadAes256Gcm | CryptoSuite::AeadAes256Gcm8 => {
                GcmKeys::derive(suite, master, Stream::Rtcp).map(|k| RtcpKeys::Gcm(Box::new(k)))
            }
            _ => CmKeys::derive(suite, master, Stream::Rtcp).map(|k| RtcpKeys::Cm(Box::new(k))),
        }
    }
}

fn sender_ssrc(packet: &[u8]) -> Option<u32> {
    let bytes = packet.get(4..8)?;
    (packet.first()? >> 6 == 2)
        .then(|| u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Protects the RTCP packets we send.
pub struct SrtcpSender {
    keys: RtcpKeys,
    /// The index of the last packet sent.
    index: u32,
}

impl SrtcpSender {
    pub fn new(suite: CryptoSuite, master: &MasterKey) -> Result<SrtcpSender, SrtpError> {
        Ok(SrtcpSender {
            keys: RtcpKeys::derive(suite, master)?,
            index: 0,
        })
    }

    /// The SRTCP packet for `rtcp` into `out` (cleared first).
    pub fn protect(&mut self, rtcp: &[u8], out: &mut Vec<u8>) -> Result<(), SrtpError> {
        let ssrc = sender_ssrc(rtcp).ok_or(SrtpError::NotRtp)?;
        // 31 bits; a connection sending 2^31 reports would need new keys first.
        self.index = (self.index + 1) & !E_FLAG;
        out.clear();
        out.extend_from_slice(rtcp);
        match &self.keys {
            RtcpKeys::Cm(keys) => {
                keys.apply_keystream(ssrc, u64::from(self.index), &mut out[CLEAR..])?;
                out.extend_from_slice(&(E_FLAG | self.index).to_be_bytes());
                let tag = keys.tag(out, None);
                out.extend_from_slice(&tag.as_ref()[..keys.tag_len]);
                Ok(())
            }
            RtcpKeys::Gcm(keys) => keys.seal_rtcp(self.index, out),
        }
    }
}

/// Checks and decrypts the SRTCP packets we receive.
pub struct SrtcpReceiver {
    keys: RtcpKeys,
    streams: HashMap<u32, ReplayState>,
}

impl SrtcpReceiver {
    pub fn new(suite: CryptoSuite, master: &MasterKey) -> Result<SrtcpReceiver, SrtpError> {
        Ok(SrtcpReceiver {
            keys: RtcpKeys::derive(suite, master)?,
            streams: HashMap::new(),
        })
    }

    /// The RTCP packet inside `srtcp`, into `out` (cleared first). A packet that does not
    /// authenticate, was seen before or was sent unencrypted changes nothing.
    pub fn unprotect(&mut self, srtcp: &[u8], out: &mut Vec<u8>) -> Result<(), SrtpError> {
        out.clear();
        let ssrc = sender_ssrc(srtcp).ok_or(SrtpError::NotRtp)?;
        let index = match &self.keys {
            RtcpKeys::Cm(keys) => {
                let tag_at = srtcp
                    .len()
                    .checked_sub(keys.tag_len)
                    .filter(|at| *at >= CLEAR + 4)
                    .ok_or(SrtpError::NotRtp)?;
                let trailer = &srtcp[tag_at - 4..tag_at];
                let e_index = u32::from_be_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
                let index = e_index & !E_FLAG;
                self.check_replay(ssrc, index)?;
                let expected = keys.tag(&srtcp[..tag_at], None);
                verify_slices_are_equal(&expected.as_ref()[..keys.tag_len], &srtcp[tag_at..])
                    .map_err(|_| SrtpError::Authentication)?;
                if e_index & E_FLAG == 0 {
                    // Authenticated but not encrypted: we never agree to that.
                    return Err(SrtpError::Authentication);
                }
                out.extend_from_slice(&srtcp[..tag_at - 4]);
                keys.apply_keystream(ssrc, u64::from(index), &mut out[CLEAR..])?;
                index
            }
            RtcpKeys::Gcm(keys) => {
                let trailer = srtcp
                    .get(srtcp.len().saturating_sub(4)..)
                    .unwrap_or_default();
                if trailer.len() == 4 {
                    let e_index =
                        u32::from_be_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
                    self.check_replay(ssrc, e_index & !E_FLAG)?;
                }
                keys.open_rtcp(srtcp, out)?
            }
        };
        let state = self.streams.entry(ssrc).or_insert(ReplayState {
            highest: u64::from(index),
            seen: 0,
        });
        accept(state, u64::from(index));
        Ok(())
    }

    fn check_replay(&self, ssrc: u32, index: u32) -> Result<(), SrtpError> {
        match self.streams.get(&ssrc) {
            Some(state) if is_replay(state, u64::from(index)) => Err(SrtpError::Replay),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// A sender report's first words and some payload.
    fn rtcp(fill: u8) -> Vec<u8> {
        let mut packet = vec![0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe];
        packet.extend_from_slice(&[fill; 16]);
        packet
    }

    /// libsrtp's reference SRTCP packet (`test/srtp_driver.c`, `srtp_validate`): the default
    /// policy, AES_CM_128_HMAC_SHA1_80, its first packet (index 1).
    #[test]
    fn libsrtp_reference_packet_matches_both_ways() {
        let master = MasterKey::from_parts(
            &[
                0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde,
                0x41, 0x39,
            ],
            &[
                0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
            ],
        );
        let expected: &[u8] = &[
            0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4, 0x87,
            0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01,
            0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
        ];
        let suite = CryptoSuite::AesCm128HmacSha1_80;
        let mut out = Vec::new();
        SrtcpSender::new(suite, &master)
            .unwrap()
            .protect(&rtcp(0xab), &mut out)
            .unwrap();
        assert_eq!(out, expected);
        SrtcpReceiver::new(suite, &master)
            .unwrap()
            .unprotect(expected, &mut out)
            .unwrap();
        assert_eq!(out, rtcp(0xab));
    }

    #[test]
    fn every_suite_round_trips_refuses_tampering_and_replays() {
        for suite in CryptoSuite::PREFERENCE {
            let master = MasterKey::generate(suite, &mut StdRng::seed_from_u64(3));
            let mut sender = SrtcpSender::new(suite, &master).unwrap();
            let mut receiver = SrtcpReceiver::new(suite, &master).unwrap();
            let (mut protected, mut clear) = (Vec::new(), Vec::new());
            for fill in 1..=3u8 {
                sender.protect(&rtcp(fill), &mut protected).unwrap();
                assert_eq!(
                    protected[..8],
                    rtcp(fill)[..8],
                    "{suite:?}: the first words clear"
                );
                assert_ne!(protected[8..24], rtcp(fill)[8..], "{suite:?}: the rest not");
                for at in 0..protected.len() {
                    let mut broken = protected.clone();
                    broken[at] ^= 0x04;
                    assert!(
                        receiver.unprotect(&broken, &mut clear).is_err(),
                        "{suite:?} byte {at}"
                    );
                    assert!(clear.is_empty(), "{suite:?}: nothing handed on");
                }
                receiver.unprotect(&protected, &mut clear).unwrap();
                assert_eq!(clear, rtcp(fill), "{suite:?}");
            }
            assert_eq!(
                receiver.unprotect(&protected, &mut clear),
                Err(SrtpError::Replay),
                "{suite:?}"
            );
        }
    }
}
