//! The gateway's readers of what the network sends, reachable without sockets, for the fuzz
//! targets (`fuzz/`, docs/testing.md, "Fuzzing"). Not an API: nothing else calls these.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::SeedableRng;
use str0m::change::SdpOffer;
use str0m::crypto::dtls::DtlsCert;
use str0m::media::MediaKind;
use str0m::Candidate;

use super::rtc_config::gateway_rtc_config;
use super::trunk_sdp::{LocalSession, UpdateAnswer};
use super::TrunkSrtp;
use crate::g711::G711;
use crate::sdp::AudioDescription;

/// Our ICE username fragment in a STUN check, as the media workers route browser datagrams.
pub fn stun_local_ufrag(datagram: &[u8]) -> Option<&str> {
    super::demux::stun_local_ufrag(datagram)
}

/// What stands for our own offer's first `a=crypto` line in a fuzzed trunk answer, so the
/// fuzzer can reach the path where the trunk accepts one of our keys.
pub const OUR_CRYPTO: &[u8] = b"a=crypto:OURS";

/// The SIP leg's offer/answer with a fuzzed trunk: our offer (SRTP per `srtp % 3`), the
/// trunk's `answer` to it, then its re-INVITE or UPDATE `update`. Every description we send
/// must read back with our own parser.
pub fn trunk_exchange(srtp: u8, answer: &[u8], update: &[u8]) {
    let srtp = [TrunkSrtp::Off, TrunkSrtp::Optional, TrunkSrtp::Required][usize::from(srtp % 3)];
    let mut rng = StdRng::seed_from_u64(1);
    let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let mut session = LocalSession::new(ip, 40_000, 7, srtp, &mut rng);
    let offer = session.offer(&[G711::Pcmu, G711::Pcma]);
    let ours = AudioDescription::parse(offer.as_bytes()).expect("our offer reads back");
    let answer = match (ours.crypto.first(), find(answer, OUR_CRYPTO)) {
        (Some(line), Some(at)) => {
            let mut with_ours = answer[..at].to_vec();
            with_ours.extend_from_slice(format!("a=crypto:{}", line.render()).as_bytes());
            with_ours.extend_from_slice(&answer[at + OUR_CRYPTO.len()..]);
            with_ours
        }
        _ => answer.to_vec(),
    };
    let current = match session.take_answer(&answer) {
        Ok(media) => media.law,
        Err(_) => G711::Pcmu,
    };
    if let UpdateAnswer::Accept { body, .. } = session.answer_update(update, current) {
        AudioDescription::parse(body.as_bytes()).expect("our answer reads back");
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The browser's offer as the gateway answers it on the live channel's `offer`: read, accepted
/// by an ICE-lite str0m session, and its audio m-line's G.711 found. `Err` says why not.
pub fn answer_browser_offer(sdp: &str) -> Result<(), String> {
    static CERT: OnceLock<Option<DtlsCert>> = OnceLock::new();
    super::install_crypto();
    let cert = CERT.get_or_init(|| {
        str0m::crypto::from_feature_flags()
            .dtls_provider
            .generate_certificate()
    });
    let cert = cert.clone().ok_or("no DTLS certificate")?;
    let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| e.to_string())?;
    let mut rtc = gateway_rtc_config()
        .set_ice_lite(true)
        .set_dtls_cert(cert)
        .build(std::time::Instant::now());
    let candidate = Candidate::host("192.0.2.1:40000".parse().map_err(|_| "address")?, "udp")
        .map_err(|e| e.to_string())?;
    rtc.add_local_candidate(candidate);
    let mids: Vec<_> = offer.media_lines.iter().map(|m| m.mid()).collect();
    let answer = rtc
        .sdp_api()
        .accept_offer(offer)
        .map_err(|e| e.to_string())?;
    // Our answer is SDP the browser must be able to read: str0m reads it back as well.
    str0m::change::SdpAnswer::from_sdp_string(&answer.to_sdp_string())
        .expect("our answer reads back");
    let audio = mids.into_iter().find(|mid| {
        rtc.media(*mid)
            .is_some_and(|m| m.kind() == MediaKind::Audio)
    });
    let mid = audio.ok_or("no audio")?;
    let writer = rtc.writer(mid).ok_or("no audio writer")?;
    let g711 = writer.payload_params().any(|p| {
        matches!(
            p.spec().codec,
            str0m::format::Codec::PCMU | str0m::format::Codec::PCMA
        )
    });
    g711.then_some(()).ok_or_else(|| "no common codec".into())
}
