//! SIP and SDP from the trunk: a datagram or a TCP/TLS stream as rsipstack reads it (the parse,
//! the `Via` it stamps with the source, the headers its dialogs read), the SDP body as our
//! parser reads it, and the SIP leg's offer/answer with that body. Never panics; an SDP we read
//! and write back reads back the same; every description we send reads back.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rsipstack::sip::typed::Authorization;
use rsipstack::sip::{HeadersExt, SipMessage, ToTypedHeader, Transport};
use rsipstack::transport::stream::SipCodec;
use rsipstack::transport::SipConnection;
use telephony::gateway::fuzzing::trunk_exchange;
use telephony::sdes::CryptoAttribute;
use telephony::sdp::AudioDescription;
use tokio_util::codec::Decoder;

/// Reads `sdp` as the SIP leg does; what it reads must read back the same once written.
fn sdp(body: &[u8]) {
    if let Ok(text) = std::str::from_utf8(body) {
        for line in text.lines() {
            if let Some(value) = line.strip_prefix("a=crypto:") {
                if let Ok(read) = CryptoAttribute::parse(value) {
                    if read.is_usable() && read.lifetime.is_none() {
                        assert_eq!(CryptoAttribute::parse(&read.render()).as_ref(), Ok(&read));
                    }
                }
            }
        }
    }
    let Ok(read) = AudioDescription::parse(body) else {
        return;
    };
    // Written back, it reads the same, where the SDP is valid (RFC 4566: one payload type once
    // per m-line) and its key lines are ones we would write.
    let mut pts: Vec<u8> = read.formats.iter().map(|f| f.pt).collect();
    pts.sort_unstable();
    pts.dedup();
    let keys_ours = read
        .crypto
        .iter()
        .all(|c| c.is_usable() && c.lifetime.is_none());
    if pts.len() == read.formats.len() && keys_ours {
        let written = read.render(1, 1);
        assert_eq!(
            AudioDescription::parse(written.as_bytes()).as_ref(),
            Ok(&read),
            "{written}"
        );
    }
}

/// What rsipstack and our dialogs do with a message off the wire.
fn message(msg: SipMessage) {
    let _ = msg.to_header().map(|h| h.typed());
    let _ = msg.from_header().map(|h| h.typed());
    let _ = msg.via_header().map(|h| h.typed());
    let _ = msg.cseq_header().map(|h| h.typed());
    let _ = msg.contact_header().map(|h| h.typed());
    let _ = msg.call_id_header();
    if let Some(h) = msg.www_authenticate_header() {
        let _ = h.typed();
    }
    if let Some(h) = msg.authorization_header() {
        // How the simulator reads a digest answer.
        let _ = Authorization::parse(h.value());
    }
    let body = match &msg {
        SipMessage::Request(r) => r.body().clone(),
        SipMessage::Response(r) => r.body().clone(),
    };
    let _ = SipMessage::try_from(msg.to_bytes().as_slice());
    let source = "192.0.2.7:5060".parse().expect("an address");
    let _ = SipConnection::update_msg_received(msg, source, Transport::Udp);
    sdp(&body);
    trunk_exchange(body.len() as u8, &body, &body);
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    match choice % 4 {
        // A UDP datagram.
        0 => {
            if let Ok(msg) = SipMessage::try_from(rest) {
                message(msg);
            }
        }
        // Bytes of a TCP or TLS stream, framed by Content-Length.
        1 => {
            let mut codec = SipCodec::new();
            let mut buffer = BytesMut::from(rest);
            while let Ok(Some(_)) = codec.decode(&mut buffer) {}
        }
        // A bare SDP body.
        2 => sdp(rest),
        // The trunk's answer, then its re-offer, split at the first NUL.
        _ => {
            let at = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (answer, update) = rest.split_at(at);
            let update = update.get(1..).unwrap_or_default();
            sdp(answer);
            trunk_exchange(choice / 4, answer, update);
        }
    }
});
