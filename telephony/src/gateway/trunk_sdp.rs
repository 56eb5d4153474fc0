//! Our side of the SIP leg's session descriptions, and what the trunk's mean: the INVITE's offer
//! (G.711, telephone-event, and with SRTP on our `a=crypto` lines, [`crate::sdes`]), the media
//! and keys its answer settles on, and our answers to its re-INVITEs and UPDATEs (SDP version
//! one higher each time, RFC 3264 §8). Sans-IO: bodies in, bodies and [`TrunkMedia`] out.
//!
//! SRTP follows [`TrunkSrtp`]: `Required` offers `RTP/SAVP` and takes nothing else; `Optional`
//! offers `RTP/AVP` with `a=crypto` lines (best-effort SRTP: a far end that answers with a line
//! gets SRTP, one that ignores them plain RTP); `Off` offers plain RTP and refuses SRTP.

use std::net::{IpAddr, SocketAddr};

use rand::RngCore;

use super::bridge::TrunkMedia;
use super::TrunkSrtp;
use crate::g711::G711;
use crate::sdes::{self, CryptoAttribute, CryptoSuite};
use crate::sdp::{AudioDescription, Direction, PLAIN, SRTP};
use crate::srtp::SrtpKeys;

/// The payload type we offer telephone-event with on the SIP leg.
const TELEPHONE_EVENT_PT: u8 = 101;

/// Our side of the SIP leg's session: one session id, a version that goes up by one with every
/// description we send, the `a=crypto` lines we offered and the keys in use.
#[derive(Debug)]
pub(crate) struct LocalSession {
    public_ip: IpAddr,
    rtp_port: u16,
    id: u64,
    version: u64,
    srtp: TrunkSrtp,
    /// Our offer's lines, one per suite, each with its own fresh key (empty with SRTP off).
    offered: Vec<CryptoAttribute>,
    /// The keys the last exchange settled on (`None`: plain RTP).
    keys: Option<SrtpKeys>,
}

impl LocalSession {
    pub(crate) fn new(
        public_ip: IpAddr,
        rtp_port: u16,
        id: u64,
        srtp: TrunkSrtp,
        rng: &mut impl RngCore,
    ) -> LocalSession {
        let offered = match srtp {
            TrunkSrtp::Off => Vec::new(),
            TrunkSrtp::Required | TrunkSrtp::Optional => sdes::offer(rng),
        };
        LocalSession {
            public_ip,
            rtp_port,
            id,
            version: 0,
            srtp,
            offered,
            keys: None,
        }
    }

    /// The suite in use, if the media is SRTP.
    pub(crate) fn suite(&self) -> Option<CryptoSuite> {
        self.keys.as_ref().map(|k| k.suite)
    }

    /// The INVITE's offer: these laws, sendrecv.
    pub(crate) fn offer(&mut self, laws: &[G711]) -> String {
        let proto = match self.srtp {
            TrunkSrtp::Required => SRTP,
            TrunkSrtp::Optional | TrunkSrtp::Off => PLAIN,
        };
        let crypto = self.offered.clone();
        self.describe(laws, Direction::SendRecv, proto, crypto)
    }

    fn describe(
        &mut self,
        laws: &[G711],
        direction: Direction,
        proto: &str,
        crypto: Vec<CryptoAttribute>,
    ) -> String {
        let mut sdp = AudioDescription::g711(
            self.public_ip,
            self.rtp_port,
            laws,
            Some(TELEPHONE_EVENT_PT),
        );
        sdp.direction = direction;
        sdp.proto = proto.into();
        sdp.crypto = crypto;
        self.version += 1;
        sdp.render(self.id, self.version)
    }

    /// The trunk's answer to our INVITE (in a 18x or the 200): its media and the keys it
    /// chose, or why it cannot carry the call.
    pub(crate) fn take_answer(&mut self, body: &[u8]) -> Result<TrunkMedia, String> {
        let sdp = AudioDescription::parse(body).map_err(|e| format!("trunk SDP: {e}"))?;
        let keys = self.answer_keys(&sdp)?;
        let media = media_of(&sdp, keys)?;
        self.keys = media.keys.clone();
        Ok(media)
    }

    fn answer_keys(&self, answer: &AudioDescription) -> Result<Option<SrtpKeys>, String> {
        let line =
            match (self.srtp, answer.is_srtp(), answer.crypto.first()) {
                (TrunkSrtp::Off, true, _) => return Err(
                    "trunk answered with SRTP (RTP/SAVP), which SOFTPHONE_TRUNK_SRTP=off refuses"
                        .into(),
                ),
                (TrunkSrtp::Off, false, _) => return Ok(None),
                (TrunkSrtp::Required, false, _) => return Err(
                    "trunk answered with plain RTP, which SOFTPHONE_TRUNK_SRTP=required refuses"
                        .into(),
                ),
                (_, true, None) => {
                    return Err("trunk answered RTP/SAVP without a usable a=crypto line".into())
                }
                (_, false, None) => return Ok(None),
                (_, _, Some(line)) => line,
            };
        let ours = sdes::accepted(&self.offered, line)
            .ok_or("trunk's a=crypto answer matches no line we offered")?;
        Ok(Some(SrtpKeys {
            suite: line.suite,
            ours: ours.key.clone(),
            theirs: line.key.clone(),
        }))
    }

    /// How we answer a re-INVITE or UPDATE from the trunk; `current` is the law in use.
    pub(crate) fn answer_update(&mut self, body: &[u8], current: G711) -> UpdateAnswer {
        if body.is_empty() {
            // An offer-less re-INVITE: we offer what we have (the keys in use, if SRTP).
            let (proto, crypto) = match &self.keys {
                Some(keys) => (SRTP, vec![line_for(1, keys)]),
                None => (PLAIN, Vec::new()),
            };
            let body = self.describe(&[current], Direction::SendRecv, proto, crypto);
            return UpdateAnswer::Accept {
                body,
                media: None,
                held: None,
            };
        }
        let offer = match AudioDescription::parse(body) {
            Ok(offer) if offer.first_g711().is_some() => offer,
            _ => return UpdateAnswer::NotAcceptable,
        };
        let settled = self.offer_keys(&offer).and_then(|settled| {
            let keys = settled.as_ref().map(|(_, keys)| keys.clone());
            Ok((settled, media_of(&offer, keys)?))
        });
        let (settled, media) = match settled {
            Ok(settled) => settled,
            Err(detail) => {
                tracing::warn!(%detail, "session update refused");
                return UpdateAnswer::NotAcceptable;
            }
        };
        let held = matches!(offer.direction, Direction::SendOnly | Direction::Inactive);
        let direction = match offer.direction {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        };
        let proto = if offer.is_srtp() { SRTP } else { PLAIN };
        let crypto = settled.iter().map(|(line, _)| line.clone()).collect();
        self.keys = media.keys.clone();
        let laws: Vec<G711> = offer.first_g711().into_iter().collect();
        let body = self.describe(&laws, direction, proto, crypto);
        UpdateAnswer::Accept {
            body,
            media: Some(media),
            held: Some(held),
        }
    }

    /// The line we answer an offer's `a=crypto` with, and the keys that makes. Our key stays
    /// the same while the suite does (our stream goes on unchanged); a new suite gets a new key.
    fn offer_keys(
        &self,
        offer: &AudioDescription,
    ) -> Result<Option<(CryptoAttribute, SrtpKeys)>, String> {
        let theirs = offer.crypto.iter().find(|line| line.is_usable());
        let theirs = match (self.srtp, theirs) {
            (TrunkSrtp::Off, _) if offer.is_srtp() => {
                return Err("SRTP offered, which SOFTPHONE_TRUNK_SRTP=off refuses".into())
            }
            (TrunkSrtp::Off, _) => return Ok(None),
            (TrunkSrtp::Required, _) if !offer.is_srtp() => {
                return Err("plain RTP offered, which SOFTPHONE_TRUNK_SRTP=required refuses".into())
            }
            (_, Some(line)) => line,
            (_, None) if offer.is_srtp() => {
                return Err("RTP/SAVP offered without a usable a=crypto line".into())
            }
            (_, None) => return Ok(None),
        };
        let ours = match &self.keys {
            Some(keys) if keys.suite == theirs.suite => keys.ours.clone(),
            _ => sdes::MasterKey::generate(theirs.suite, &mut rand::rng()),
        };
        let keys = SrtpKeys {
            suite: theirs.suite,
            ours,
            theirs: theirs.key.clone(),
        };
        Ok(Some((line_for(theirs.tag, &keys), keys)))
    }
}

/// Our `a=crypto` line for `keys` under `tag`.
fn line_for(tag: u32, keys: &SrtpKeys) -> CryptoAttribute {
    CryptoAttribute {
        tag,
        suite: keys.suite,
        key: keys.ours.clone(),
        lifetime: None,
        mki: None,
        session_params: Vec::new(),
    }
}

/// The trunk's media from its SDP, or why it cannot carry the call.
fn media_of(sdp: &AudioDescription, keys: Option<SrtpKeys>) -> Result<TrunkMedia, String> {
    let law = sdp
        .first_g711()
        .ok_or_else(|| "trunk answered without G.711".to_string())?;
    if sdp.port == 0 || sdp.direction == Direction::Inactive {
        return Err("trunk answered with no audio".into());
    }
    Ok(TrunkMedia {
        remote: SocketAddr::new(sdp.addr, sdp.port),
        law,
        telephone_event_pt: sdp.telephone_event_pt(),
        keys,
    })
}

/// How we answer a re-INVITE or UPDATE from the trunk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UpdateAnswer {
    /// 200 with our side, and the trunk's new media if it offered.
    Accept {
        body: String,
        media: Option<TrunkMedia>,
        /// Whether the offer holds us (`sendonly` or `inactive`); `None` when it offered nothing.
        held: Option<bool>,
    },
    /// 488: no G.711, no audio, or media the SRTP setting refuses.
    NotAcceptable,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const TRUNK: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n\
                         m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

    fn session(srtp: TrunkSrtp) -> LocalSession {
        let ip = "192.0.2.1".parse().unwrap();
        LocalSession::new(ip, 5004, 77, srtp, &mut StdRng::seed_from_u64(5))
    }

    /// The trunk's answer taking our offer's line `tag` with a key of its own.
    fn srtp_answer(ours: &LocalSession, tag: u32, proto: &str) -> (String, CryptoAttribute) {
        let offered = ours.offered.iter().find(|l| l.tag == tag).unwrap();
        let line = CryptoAttribute::generate(tag, offered.suite, &mut StdRng::seed_from_u64(9));
        let body = format!(
            "{}a=crypto:{}\r\n",
            TRUNK.replace("RTP/AVP", proto),
            line.render()
        );
        (body, line)
    }

    fn accepted(answer: UpdateAnswer) -> (String, Option<TrunkMedia>) {
        match answer {
            UpdateAnswer::Accept { body, media, .. } => (body, media),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_description_we_send_has_a_higher_version() {
        let mut s = session(TrunkSrtp::Off);
        let first = s.offer(&[G711::Pcmu, G711::Pcma]);
        let (second, _) =
            accepted(s.answer_update(format!("{TRUNK}a=sendonly\r\n").as_bytes(), G711::Pcmu));
        assert!(first.contains("o=- 77 1 IN IP4 192.0.2.1"), "{first}");
        assert!(second.contains("o=- 77 2 IN IP4 192.0.2.1"), "{second}");
        assert!(second.contains("a=recvonly"), "{second}");
        assert!(first.contains("m=audio 5004 RTP/AVP 0 8 101"), "{first}");
        assert!(!first.contains("a=crypto"), "{first}");
    }

    #[test]
    fn trunk_media_is_its_address_first_law_and_event_type() {
        let media = session(TrunkSrtp::Off)
            .take_answer(TRUNK.as_bytes())
            .unwrap();
        assert_eq!(
            media,
            TrunkMedia {
                remote: "10.0.0.9:4000".parse().unwrap(),
                law: G711::Pcma,
                telephone_event_pt: Some(101),
                keys: None,
            }
        );
        let rejected = TRUNK.replace("audio 4000", "audio 0");
        assert_eq!(
            session(TrunkSrtp::Off).take_answer(rejected.as_bytes()),
            Err("trunk answered with no audio".into())
        );
    }

    #[test]
    fn required_srtp_offers_every_suite_in_savp_and_keys_from_the_answer() {
        let mut s = session(TrunkSrtp::Required);
        let offer = s.offer(&[G711::Pcmu]);
        assert!(offer.contains("m=audio 5004 RTP/SAVP 0 101"), "{offer}");
        let parsed = AudioDescription::parse(offer.as_bytes()).unwrap();
        let suites: Vec<_> = parsed.crypto.iter().map(|l| l.suite).collect();
        assert_eq!(suites, CryptoSuite::PREFERENCE);
        // The trunk picks our fourth line (AES_CM_128_HMAC_SHA1_80 … whatever tag 4 is).
        let (body, theirs) = srtp_answer(&s, 4, "RTP/SAVP");
        let media = s.take_answer(body.as_bytes()).unwrap();
        let keys = media.keys.unwrap();
        assert_eq!(keys.suite, parsed.crypto[3].suite);
        assert_eq!(keys.ours, parsed.crypto[3].key);
        assert_eq!(keys.theirs, theirs.key);
        assert_eq!(s.suite(), Some(keys.suite));
    }

    #[test]
    fn required_srtp_refuses_plain_answers_and_lines_we_did_not_offer() {
        let mut s = session(TrunkSrtp::Required);
        s.offer(&[G711::Pcmu]);
        let plain = s.take_answer(TRUNK.as_bytes()).unwrap_err();
        assert!(plain.contains("SOFTPHONE_TRUNK_SRTP=required"), "{plain}");
        let (crypto_in_avp, _) = srtp_answer(&s, 1, "RTP/AVP");
        assert!(s.take_answer(crypto_in_avp.as_bytes()).is_err());
        let (body, line) = srtp_answer(&s, 2, "RTP/SAVP");
        let wrong_tag = body.replace(&format!("a=crypto:{} ", line.tag), "a=crypto:9 ");
        assert_eq!(
            s.take_answer(wrong_tag.as_bytes()),
            Err("trunk's a=crypto answer matches no line we offered".into())
        );
        let none = TRUNK.replace("RTP/AVP", "RTP/SAVP");
        assert!(s.take_answer(none.as_bytes()).is_err());
    }

    #[test]
    fn optional_srtp_offers_crypto_in_avp_and_takes_either_answer() {
        let mut s = session(TrunkSrtp::Optional);
        let offer = s.offer(&[G711::Pcmu]);
        assert!(offer.contains("RTP/AVP") && offer.contains("a=crypto:1 AEAD_AES_256_GCM "));
        assert_eq!(s.take_answer(TRUNK.as_bytes()).unwrap().keys, None);
        let (body, _) = srtp_answer(&s, 1, "RTP/AVP");
        assert!(s.take_answer(body.as_bytes()).unwrap().keys.is_some());
    }

    #[test]
    fn srtp_off_offers_no_keys_and_refuses_savp() {
        let mut s = session(TrunkSrtp::Off);
        s.offer(&[G711::Pcmu]);
        let savp = TRUNK.replace("RTP/AVP", "RTP/SAVP");
        assert!(s.take_answer(savp.as_bytes()).unwrap_err().contains("=off"));
    }

    #[test]
    fn updates_are_answered_with_the_mirrored_direction_or_refused() {
        let mut s = session(TrunkSrtp::Off);
        // No offer: we offer the law in use, sendrecv.
        let (body, media) = accepted(s.answer_update(b"", G711::Pcmu));
        assert!(
            body.contains("RTP/AVP 0 101") && body.contains("a=sendrecv"),
            "{body}"
        );
        assert_eq!(media, None);
        // Hold: sendonly is answered recvonly, with the offer's first law.
        let hold = format!("{TRUNK}a=sendonly\r\n");
        let (body, media) = accepted(s.answer_update(hold.as_bytes(), G711::Pcmu));
        assert!(
            body.contains("RTP/AVP 8 101") && body.contains("a=recvonly"),
            "{body}"
        );
        assert_eq!(media.map(|m| m.law), Some(G711::Pcma));
        let opus = TRUNK.replace("RTP/AVP 8 0 101", "RTP/AVP 111");
        assert_eq!(
            s.answer_update(opus.as_bytes(), G711::Pcmu),
            UpdateAnswer::NotAcceptable
        );
        let inactive = format!("{TRUNK}a=inactive\r\n");
        assert_eq!(
            s.answer_update(inactive.as_bytes(), G711::Pcmu),
            UpdateAnswer::NotAcceptable
        );
    }

    #[test]
    fn a_re_offer_keeps_our_key_and_takes_the_trunks_new_one() {
        let mut s = session(TrunkSrtp::Required);
        s.offer(&[G711::Pcmu]);
        let (body, _) = srtp_answer(&s, 1, "RTP/SAVP");
        let first = s.take_answer(body.as_bytes()).unwrap().keys.unwrap();
        // The trunk re-offers the same suite with a fresh key of its own.
        let fresh = CryptoAttribute::generate(3, first.suite, &mut StdRng::seed_from_u64(21));
        let reoffer = format!(
            "{}a=crypto:{}\r\n",
            TRUNK.replace("RTP/AVP", "RTP/SAVP"),
            fresh.render()
        );
        let (answer, media) = accepted(s.answer_update(reoffer.as_bytes(), G711::Pcma));
        let keys = media.unwrap().keys.unwrap();
        assert_eq!(keys.ours, first.ours, "our stream goes on under its key");
        assert_eq!(keys.theirs, fresh.key);
        let ours = AudioDescription::parse(answer.as_bytes()).unwrap();
        assert!(ours.is_srtp());
        assert_eq!(
            ours.crypto,
            vec![line_for(3, &keys)],
            "same tag as the offer's line"
        );
        // An offer-less re-INVITE gets the keys in use back.
        let (again, _) = accepted(s.answer_update(b"", G711::Pcma));
        let again = AudioDescription::parse(again.as_bytes()).unwrap();
        assert_eq!(again.crypto[0].key, first.ours);
        // A plain re-offer on an SRTP-required leg is refused.
        assert_eq!(
            s.answer_update(TRUNK.as_bytes(), G711::Pcma),
            UpdateAnswer::NotAcceptable
        );
        // A new suite brings a new key of ours.
        let other = CryptoAttribute::generate(
            1,
            CryptoSuite::AesCm128HmacSha1_32,
            &mut StdRng::seed_from_u64(22),
        );
        let reoffer = format!(
            "{}a=crypto:{}\r\n",
            TRUNK.replace("RTP/AVP", "RTP/SAVP"),
            other.render()
        );
        let (_, media) = accepted(s.answer_update(reoffer.as_bytes(), G711::Pcma));
        let keys = media.unwrap().keys.unwrap();
        assert_eq!(keys.suite, CryptoSuite::AesCm128HmacSha1_32);
        assert_ne!(keys.ours, first.ours);
    }
}
