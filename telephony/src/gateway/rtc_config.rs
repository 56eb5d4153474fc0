//! str0m's configuration: what the test peer offers and what the gateway answers with.

use std::time::Duration;

use str0m::format::{Codec, FormatParams};
use str0m::media::{Frequency, Pt};
use str0m::rtp::Extension;
use str0m::RtcConfig;

/// A WebRTC endpoint that speaks only what the telephone network carries: PCMU, PCMA and
/// telephone-event/8000 (the payload type the browser offers wins; 126 is Chromium's). Public
/// so the test peer (`testkit`) offers exactly what the gateway accepts.
pub fn g711_rtc_config() -> RtcConfig {
    let mut config = RtcConfig::new()
        .clear_codecs()
        .enable_pcmu(true, false)
        .enable_pcma(true, false);
    config.codec_config().add_config(
        Pt::from(126),
        None,
        Codec::Tele,
        Frequency::EIGHT_KHZ,
        None,
        FormatParams::default(),
    );
    config
}

/// The gateway's own sessions: [`g711_rtc_config`] without what only bandwidth estimation and
/// video use. No transport-wide sequence numbers (nothing here adapts its rate: every packet
/// would be registered for feedback, and the browser would send that feedback), only the
/// `mid` header extension. One `write` is one 20 ms packet, always drained at once, so a few
/// packets of send buffer are plenty (str0m's default, 50, is sized for resends).
///
/// The browser's audio is relayed, not played: str0m holds a frame back only to put a packet
/// overtaken by the next two or three in order ([`REORDER_PACKETS`], [`REORDER_WAIT`]). Its
/// default (15 packets, up to 1 s) made every lost packet stall the audio toward the trunk for
/// 300 ms and then release it in one burst (`telephony/tests/impaired_network.rs`); the trunk's
/// jitter buffer absorbs what a short wait leaves.
pub(crate) fn gateway_rtc_config() -> RtcConfig {
    g711_rtc_config()
        .clear_extension_map()
        .set_extension(4, Extension::RtpMid)
        .set_send_buffer_audio(4)
        .set_reordering_size_audio(REORDER_PACKETS)
        .set_reordering_timeout_audio(Some(REORDER_WAIT))
}

/// After a missing packet, str0m waits until this many later ones have come…
pub(crate) const REORDER_PACKETS: usize = 3;
/// …or this long, whichever is first, before it moves on past the gap.
pub(crate) const REORDER_WAIT: Duration = Duration::from_millis(60);
