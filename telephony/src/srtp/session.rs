//! One SRTP media stream both ways, keyed by SDES: what we send is protected under our key,
//! what we receive checked under the far end's. Re-keying (a re-INVITE's new `a=crypto`)
//! replaces only the side whose key changed and keeps the rollover counters.

use super::kdf::SrtpError;
use super::packets::{SrtpReceiver, SrtpSender};
use crate::sdes::{CryptoSuite, MasterKey};

/// The keys an offer/answer exchange settled on. `Debug` shows no key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrtpKeys {
    pub suite: CryptoSuite,
    /// Ours: protects what we send.
    pub ours: MasterKey,
    /// The far end's: checks what we receive.
    pub theirs: MasterKey,
}

/// What [`SrtpSession::update`] changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rekeyed {
    Nothing,
    /// The far end's key (or the suite, which changes both).
    Theirs,
    Ours,
    Both,
}

pub struct SrtpSession {
    keys: SrtpKeys,
    sender: SrtpSender,
    receiver: SrtpReceiver,
}

impl SrtpSession {
    pub fn new(keys: SrtpKeys) -> Result<SrtpSession, SrtpError> {
        Ok(SrtpSession {
            sender: SrtpSender::new(keys.suite, &keys.ours)?,
            receiver: SrtpReceiver::new(keys.suite, &keys.theirs)?,
            keys,
        })
    }

    pub fn suite(&self) -> CryptoSuite {
        self.keys.suite
    }

    /// Takes the keys of a new offer/answer exchange: the same keys change nothing (a session
    /// refresh), a new key re-keys its direction only.
    pub fn update(&mut self, keys: SrtpKeys) -> Result<Rekeyed, SrtpError> {
        let suite_changed = keys.suite != self.keys.suite;
        let ours = suite_changed || keys.ours != self.keys.ours;
        let theirs = suite_changed || keys.theirs != self.keys.theirs;
        if ours {
            self.sender.rekey(keys.suite, &keys.ours)?;
        }
        if theirs {
            self.receiver.rekey(keys.suite, &keys.theirs)?;
        }
        self.keys = keys;
        Ok(match (ours, theirs) {
            (false, false) => Rekeyed::Nothing,
            (false, true) => Rekeyed::Theirs,
            (true, false) => Rekeyed::Ours,
            (true, true) => Rekeyed::Both,
        })
    }

    /// The SRTP packet for `rtp`, into `out` (cleared first).
    pub fn protect(&mut self, rtp: &[u8], out: &mut Vec<u8>) -> Result<(), SrtpError> {
        self.sender.protect(rtp, out)
    }

    /// The RTP packet inside `srtp`, into `out` (cleared first), if it authenticates and is
    /// new.
    pub fn unprotect(&mut self, srtp: &[u8], out: &mut Vec<u8>) -> Result<(), SrtpError> {
        self.receiver.unprotect(srtp, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn keys(suite: CryptoSuite, seed: u64) -> SrtpKeys {
        let mut rng = StdRng::seed_from_u64(seed);
        SrtpKeys {
            suite,
            ours: MasterKey::generate(suite, &mut rng),
            theirs: MasterKey::generate(suite, &mut rng),
        }
    }

    /// The far end's view: our keys swapped.
    fn mirrored(k: &SrtpKeys) -> SrtpKeys {
        SrtpKeys {
            suite: k.suite,
            ours: k.theirs.clone(),
            theirs: k.ours.clone(),
        }
    }

    fn packet(sequence: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let header = crate::rtp::RtpHeader {
            marker: false,
            payload_type: 8,
            sequence,
            timestamp: 160 * u32::from(sequence),
            ssrc: 42,
        };
        crate::rtp::write(&header, &[0xd5; 160], &mut out);
        out
    }

    #[test]
    fn both_ends_talk_and_only_changed_keys_are_replaced() {
        let suite = CryptoSuite::AeadAes256Gcm;
        let first = keys(suite, 1);
        let mut us = SrtpSession::new(first.clone()).unwrap();
        let mut them = SrtpSession::new(mirrored(&first)).unwrap();
        let (mut wire, mut clear) = (Vec::new(), Vec::new());
        us.protect(&packet(1), &mut wire).unwrap();
        them.unprotect(&wire, &mut clear).unwrap();
        assert_eq!(clear, packet(1));
        them.protect(&packet(7), &mut wire).unwrap();
        us.unprotect(&wire, &mut clear).unwrap();
        assert_eq!(clear, packet(7));

        assert_eq!(us.update(first.clone()).unwrap(), Rekeyed::Nothing);
        // The far end re-offers with a new key of its own.
        let mut next = first.clone();
        next.theirs = keys(suite, 2).theirs;
        assert_eq!(us.update(next.clone()).unwrap(), Rekeyed::Theirs);
        assert_eq!(them.update(mirrored(&next)).unwrap(), Rekeyed::Ours);
        them.protect(&packet(8), &mut wire).unwrap();
        us.unprotect(&wire, &mut clear).unwrap();
        assert_eq!(clear, packet(8));
        // Our direction was untouched: its stream goes on.
        us.protect(&packet(2), &mut wire).unwrap();
        them.unprotect(&wire, &mut clear).unwrap();
        assert_eq!(clear, packet(2));

        let other = keys(CryptoSuite::AesCm128HmacSha1_80, 3);
        assert_eq!(us.update(other).unwrap(), Rekeyed::Both);
        assert_eq!(us.suite(), CryptoSuite::AesCm128HmacSha1_80);
    }
}
