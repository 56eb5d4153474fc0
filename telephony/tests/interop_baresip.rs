//! A second independent SIP implementation as the telephone network: baresip (Debian
//! `baresip-core`, libre's SIP and SRTP) answers the gateway over TLS, plays a 440 Hz tone and
//! records what it hears. The call must connect, carry audio both ways (tones detected at both
//! ends) and relay the browser's keys as RFC 4733 events baresip reports; with SDES-SRTP
//! (baresip's `srtp-mand`, as a Voice Connector with encryption on) the suite is the first of
//! ours baresip knows, AEAD_AES_256_GCM, so GCM meets an independent implementation (libre's).
//! Each `TrunkSrtp` setting meets each of baresip's. Needs `baresip` on PATH (scripts/setup.sh
//! installs it); without it the tests fail and say so.

use std::time::Duration;

use telephony::gateway::{Gateway, LegCommand, LegEvent, TrunkSrtp, TrunkTransport};
use telephony::sdes::CryptoSuite;
use telephony::tones::tone_purity;
use testkit::baresip::{
    best_purity, keys_received, sip_message_with_sdp, srtp_suite, BaresipFarEnd, FarEndOptions,
    FarEndReport, MediaEncryption,
};
use testkit::peer::{PeerCommand, Source};
use testkit::rig::*;

const NUMBER: &str = "+6591234567";
/// What baresip plays, and what the browser plays.
const FAR_TONE: f32 = 440.0;
const OUR_TONE: f32 = 1000.0;

async fn far_end(encryption: MediaEncryption) -> BaresipFarEnd {
    let options = FarEndOptions {
        number: NUMBER.into(),
        tone_hz: FAR_TONE as u32,
        encryption,
        lifetime: Duration::from_secs(30),
    };
    match BaresipFarEnd::start(options).await {
        Ok(far_end) => far_end,
        Err(e) => panic!("{e}"),
    }
}

/// A gateway toward `far_end` over TLS, trusting its test CA, with SRTP as `srtp` says; no
/// digest credentials (baresip cannot challenge an INVITE).
async fn gateway_toward(far_end: &BaresipFarEnd, srtp: TrunkSrtp) -> std::sync::Arc<Gateway> {
    let transport = TrunkTransport::Tls {
        ca_pem: far_end.ca_pem.clone(),
    };
    let target = far_end.tls_addr.to_string();
    gateway_srtp(&target, transport, None, port_range(10), srtp).await
}

/// What one call through the gateway to baresip showed at both ends.
struct CallSeen {
    events: Vec<LegEvent>,
    /// The browser's share of 440 Hz in what it heard, once answered.
    browser_heard: Option<f32>,
    far_end: FarEndReport,
}

/// Calls baresip from a browser peer: once answered, the browser plays 1 kHz, then sends the
/// keys `5` and `#`, then hangs up.
async fn call(gateway: &Gateway, far_end: BaresipFarEnd) -> CallSeen {
    let (peer, mut leg) = dial_via(gateway, NUMBER, true).await;
    let events = wait_for(&mut leg, Duration::from_secs(10), |e| {
        matches!(
            e,
            LegEvent::Answered | LegEvent::Rejected { .. } | LegEvent::Failed { .. }
        )
    })
    .await;
    let mut browser_heard = None;
    if events.last() == Some(&LegEvent::Answered) {
        peer.command(PeerCommand::Source(Source::Tone(OUR_TONE)));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let audio = peer.take_audio();
        browser_heard = Some(tone_purity(
            &audio[audio.len().saturating_sub(4000)..],
            FAR_TONE,
        ));
        for key in ['5', '#'] {
            peer.command(PeerCommand::Dtmf(key));
            wait_for(&mut leg, Duration::from_secs(2), |e| {
                *e == LegEvent::Dtmf(key)
            })
            .await;
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        leg.command(LegCommand::Bye);
        wait_for(&mut leg, Duration::from_secs(5), |e| {
            *e == LegEvent::EndConfirmed
        })
        .await;
    }
    let far_end = far_end.stop().await.expect("the far end stops");
    CallSeen {
        events,
        browser_heard,
        far_end,
    }
}

/// The transport protocol of the SDP's audio line (`RTP/AVP`, `RTP/SAVP`).
fn audio_proto(message: &str) -> Option<&str> {
    let line = message.lines().find(|l| l.starts_with("m=audio "))?;
    line.split_whitespace().nth(2)
}

/// The suites of the message's `a=crypto` lines, in order.
fn crypto_suites(message: &str) -> Vec<&str> {
    message
        .lines()
        .filter(|l| l.starts_with("a=crypto:"))
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect()
}

/// The gateway's offer as baresip received it, and baresip's answer.
fn offer_and_answer(log: &str) -> (&str, &str) {
    let offer = sip_message_with_sdp(log, "INVITE").unwrap_or_else(|| panic!("no INVITE\n{log}"));
    let answer =
        sip_message_with_sdp(log, "SIP/2.0 200").unwrap_or_else(|| panic!("no 200 OK\n{log}"));
    (offer, answer)
}

/// Both directions and the keys, with baresip's log in the message when one is missing.
fn assert_audio_and_keys(seen: &CallSeen) {
    let log = &seen.far_end.log;
    assert_eq!(
        seen.events.last(),
        Some(&LegEvent::Answered),
        "{:?}\n{log}",
        seen.events
    );
    let browser = seen.browser_heard.unwrap_or_default();
    assert!(
        browser > 0.8,
        "the browser hears baresip's 440 Hz ({browser:.2})\n{log}"
    );
    let far = best_purity(&seen.far_end.heard, OUR_TONE);
    assert!(
        far > 0.8,
        "baresip hears the browser's 1 kHz ({far:.2} in {} samples)\n{log}",
        seen.far_end.heard.len()
    );
    assert_eq!(keys_received(log), ['5', '#'], "{log}");
}

/// A call with `srtp` toward baresip set to `encryption`.
async fn call_with(srtp: TrunkSrtp, encryption: MediaEncryption) -> CallSeen {
    let far_end = far_end(encryption).await;
    let gateway = gateway_toward(&far_end, srtp).await;
    call(&gateway, far_end).await
}

/// Our suites in our order: what every SRTP offer of ours carries.
fn our_suites() -> Vec<&'static str> {
    CryptoSuite::PREFERENCE.iter().map(|s| s.name()).collect()
}

fn assert_refused_with_488(seen: &CallSeen) {
    assert!(
        matches!(
            seen.events.last(),
            Some(LegEvent::Rejected { status: 488, .. })
        ),
        "{:?}\n{}",
        seen.events,
        seen.far_end.log
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_srtp_toward_baresip_requiring_it_takes_aead_aes_256_gcm() {
    let seen = call_with(TrunkSrtp::Required, MediaEncryption::Required).await;
    assert_audio_and_keys(&seen);
    let log = &seen.far_end.log;
    let (offer, answer) = offer_and_answer(log);
    assert_eq!(audio_proto(offer), Some("RTP/SAVP"), "{offer}");
    assert_eq!(crypto_suites(offer), our_suites(), "{offer}");
    assert_eq!(audio_proto(answer), Some("RTP/SAVP"), "{answer}");
    assert_eq!(crypto_suites(answer), ["AEAD_AES_256_GCM"], "{answer}");
    assert_eq!(srtp_suite(log), Some("AEAD_AES_256_GCM"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_srtp_toward_baresip_offering_it_gets_srtp_in_rtp_avp() {
    let seen = call_with(TrunkSrtp::Optional, MediaEncryption::Optional).await;
    assert_audio_and_keys(&seen);
    let log = &seen.far_end.log;
    let (offer, answer) = offer_and_answer(log);
    assert_eq!(audio_proto(offer), Some("RTP/AVP"), "{offer}");
    assert_eq!(crypto_suites(offer), our_suites(), "{offer}");
    assert_eq!(crypto_suites(answer), ["AEAD_AES_256_GCM"], "{answer}");
    assert_eq!(srtp_suite(log), Some("AEAD_AES_256_GCM"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_srtp_toward_plain_baresip_falls_back_to_rtp() {
    let seen = call_with(TrunkSrtp::Optional, MediaEncryption::Off).await;
    assert_audio_and_keys(&seen);
    let (_, answer) = offer_and_answer(&seen.far_end.log);
    assert_eq!(audio_proto(answer), Some("RTP/AVP"), "{answer}");
    assert!(crypto_suites(answer).is_empty(), "{answer}");
    assert_eq!(srtp_suite(&seen.far_end.log), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srtp_off_toward_plain_baresip_hears_and_is_heard() {
    let seen = call_with(TrunkSrtp::Off, MediaEncryption::Off).await;
    assert_audio_and_keys(&seen);
    let (offer, answer) = offer_and_answer(&seen.far_end.log);
    assert_eq!(audio_proto(offer), Some("RTP/AVP"), "{offer}");
    assert!(crypto_suites(offer).is_empty(), "{offer}");
    assert_eq!(audio_proto(answer), Some("RTP/AVP"), "{answer}");
    assert!(crypto_suites(answer).is_empty(), "{answer}");
}

/// baresip's `srtp` answers a plain offer with an `a=crypto` line of its own yet sends plain
/// RTP: the line answers nothing we offered and is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srtp_off_ignores_a_crypto_line_answering_a_plain_offer() {
    let seen = call_with(TrunkSrtp::Off, MediaEncryption::Optional).await;
    assert_audio_and_keys(&seen);
    let (_, answer) = offer_and_answer(&seen.far_end.log);
    assert_eq!(audio_proto(answer), Some("RTP/AVP"), "{answer}");
    assert_eq!(
        crypto_suites(answer),
        ["AES_CM_128_HMAC_SHA1_80"],
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_rtp_toward_baresip_requiring_srtp_is_refused_with_488() {
    let seen = call_with(TrunkSrtp::Off, MediaEncryption::Required).await;
    assert_refused_with_488(&seen);
}

/// `Optional` offers `RTP/AVP` (with `a=crypto`), which an end that requires SRTP refuses:
/// toward such a trunk (a Voice Connector with encryption on) the setting must be `Required`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_srtp_toward_baresip_requiring_it_is_refused_with_488() {
    let seen = call_with(TrunkSrtp::Optional, MediaEncryption::Required).await;
    assert_refused_with_488(&seen);
}
