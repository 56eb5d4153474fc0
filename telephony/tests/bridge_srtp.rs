//! The bridge with SRTP toward the trunk, on a simulated clock: what goes to the trunk is
//! protected (the far end's session opens it), what comes from it is checked and decrypted
//! before it reaches the browser and the recording; forged, replayed and plain packets are
//! dropped; a new key from a re-INVITE takes over without a gap, and keys of the wrong shape
//! end the call's media instead of sending it in the clear.

mod simclock;

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;
use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::{Input, Output, RecordControl, TrunkMedia};
use telephony::gateway::LegEvent;
use telephony::recording::PauseMode;
use telephony::rtp;
use telephony::sdes::{CryptoSuite, MasterKey};
use telephony::srtp::{SrtpKeys, SrtpSession};

fn keys(suite: CryptoSuite, seed: u64) -> SrtpKeys {
    let mut rng = StdRng::seed_from_u64(seed);
    SrtpKeys {
        suite,
        ours: MasterKey::generate(suite, &mut rng),
        theirs: MasterKey::generate(suite, &mut rng),
    }
}

/// The trunk's side of `keys`: it sends under the bridge's `theirs` and checks under its `ours`.
fn far_end(keys: &SrtpKeys) -> SrtpSession {
    SrtpSession::new(SrtpKeys {
        suite: keys.suite,
        ours: keys.theirs.clone(),
        theirs: keys.ours.clone(),
    })
    .expect("the far end's session")
}

fn media(keys: Option<SrtpKeys>) -> TrunkMedia {
    TrunkMedia {
        keys,
        ..trunk_media(G711::Pcmu, Some(TELEPHONE_EVENT_PT))
    }
}

/// An answered μ-law call whose trunk media is SRTP under `keys`.
fn answered(keys: &SrtpKeys) -> Sim {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    sim.input(Input::TrunkMedia(media(Some(keys.clone()))));
    sim.input(Input::Answered);
    sim
}

fn protected(far: &mut SrtpSession, seq: u16, sample: i16) -> Vec<u8> {
    let mut wire = Vec::new();
    far.protect(
        &trunk_packet(0, seq, u32::from(seq) * 160, &frame(sample)),
        &mut wire,
    )
    .unwrap();
    wire
}

fn from_trunk(sim: &mut Sim, datagram: &[u8]) -> Vec<Output> {
    sim.input(Input::TrunkDatagram {
        source: trunk_addr(),
        contents: datagram,
    })
}

/// The packets the bridge sent to the trunk, opened by the far end: (payload type, payload).
fn opened(far: &mut SrtpSession, out: &[Output]) -> Vec<(u8, Vec<u8>)> {
    out.iter()
        .filter_map(|o| match o {
            Output::ToTrunk { packet, .. } => {
                assert!(rtp::parse(packet).is_ok(), "the RTP header stays readable");
                let mut clear = Vec::new();
                far.unprotect(packet, &mut clear)
                    .expect("the far end opens it");
                let p = rtp::parse(&clear).expect("RTP inside");
                Some((p.header.payload_type, p.payload.to_vec()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_suite_carries_audio_and_keys_both_ways() {
    for suite in CryptoSuite::PREFERENCE {
        let k = keys(suite, 1);
        let mut far = far_end(&k);
        let mut sim = answered(&k);
        let out = sim.browser_audio(0, &frame(1200));
        let Output::ToTrunk { packet, .. } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(packet.len(), 12 + 160 + suite.tag_len(), "{suite:?}");
        assert_ne!(packet[12..172], frame(1200)[..], "the payload is encrypted");
        assert_eq!(opened(&mut far, &out), [(0, frame(1200))], "{suite:?}");
        // A key report is protected too.
        let out = sim.input(Input::BrowserDtmf {
            time: 160,
            event: 5,
            end: false,
            volume: 10,
            duration: ms(40),
        });
        assert_eq!(opened(&mut far, &out)[0].0, TELEPHONE_EVENT_PT);
        let out = from_trunk(&mut sim, &protected(&mut far, 1, -900));
        assert_eq!(to_browser(&out)[0].1, frame(-900), "{suite:?}");
    }
}

#[test]
fn forged_replayed_and_plain_trunk_packets_never_reach_the_browser() {
    let k = keys(CryptoSuite::AeadAes256Gcm, 2);
    let mut far = far_end(&k);
    let mut sim = answered(&k);
    let genuine = protected(&mut far, 10, 700);
    let mut forged = genuine.clone();
    forged[20] ^= 0x40;
    assert!(from_trunk(&mut sim, &forged).is_empty(), "a changed byte");
    assert!(
        from_trunk(&mut sim, &trunk_packet(0, 11, 1760, &frame(700))).is_empty(),
        "plain RTP on an SRTP call"
    );
    // A packet from someone with another key.
    let mut stranger = far_end(&keys(CryptoSuite::AeadAes256Gcm, 3));
    assert!(from_trunk(&mut sim, &protected(&mut stranger, 12, 700)).is_empty());
    assert_eq!(to_browser(&from_trunk(&mut sim, &genuine)).len(), 1);
    assert!(from_trunk(&mut sim, &genuine).is_empty(), "a replay");
    assert_eq!(
        to_browser(&from_trunk(&mut sim, &protected(&mut far, 13, 700))).len(),
        1,
        "the stream goes on after the refusals"
    );
}

#[test]
fn the_recording_taps_the_clear_audio_of_both_directions() {
    let k = keys(CryptoSuite::AesCm128HmacSha1_80, 4);
    let mut far = far_end(&k);
    let mut sim = answered(&k);
    sim.input(Input::Record(RecordControl::Start {
        notice: Arc::from(&[][..]),
        mode: PauseMode::Silence,
    }));
    let mut out = Vec::new();
    for n in 0..50u16 {
        let t = u64::from(n) * 20;
        out.extend(sim.run_until(ms(t)));
        out.extend(sim.browser_audio(t * 8, &frame(-2000)));
        out.extend(from_trunk(&mut sim, &protected(&mut far, n, 1000)));
    }
    out.extend(sim.run_until(ms(1000)));
    out.extend(sim.input(Input::Record(RecordControl::Stop)));
    let (left, right) = channels(&recorded(&out));
    assert_eq!(left.len(), 8000);
    assert!(left.iter().all(|&s| s == decoded(1000)), "the called party");
    assert!(right.iter().all(|&s| s == decoded(-2000)), "the agent");
}

#[test]
fn a_re_key_takes_over_without_losing_packets_in_flight() {
    let k = keys(CryptoSuite::AeadAes256Gcm8, 5);
    let mut far = far_end(&k);
    let mut sim = answered(&k);
    assert_eq!(
        to_browser(&from_trunk(&mut sim, &protected(&mut far, 1, 10))).len(),
        1
    );
    let in_flight = protected(&mut far, 2, 20);
    // A re-INVITE: the trunk has a new key, ours stays.
    let mut next = k.clone();
    next.theirs = keys(CryptoSuite::AeadAes256Gcm8, 6).theirs;
    assert!(sim
        .input(Input::TrunkMedia(media(Some(next.clone()))))
        .is_empty());
    let mut far_next = far_end(&next);
    // Sent before the far end switched, arriving after: still taken.
    assert_eq!(to_browser(&from_trunk(&mut sim, &in_flight)).len(), 1);
    // The far end's new sender continues its stream (same SSRC, next sequence numbers).
    for seq in 3..6 {
        let out = from_trunk(&mut sim, &protected(&mut far_next, seq, 30));
        assert_eq!(to_browser(&out)[0].1, frame(30), "sequence {seq}");
    }
    // Our direction kept its key: the far end's original receiver still opens it.
    let out = sim.browser_audio(0, &frame(40));
    assert_eq!(opened(&mut far, &out), [(0, frame(40))]);
}

#[test]
fn keys_of_the_wrong_shape_fail_the_call_instead_of_sending_in_the_clear() {
    let mut k = keys(CryptoSuite::AesCm128HmacSha1_80, 7);
    k.suite = CryptoSuite::AeadAes256Gcm; // 16-byte keys for a 32-byte suite
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    let out = sim.input(Input::TrunkMedia(media(Some(k))));
    assert!(matches!(
        &events(&out)[..],
        [LegEvent::Failed { detail }] if detail.contains("cannot be keyed")
    ));
    sim.input(Input::Answered);
    assert!(
        sim.browser_audio(0, &frame(1)).is_empty(),
        "nothing goes out"
    );
}
