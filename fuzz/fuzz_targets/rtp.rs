//! RTP, RTCP and RFC 4733 as the gateway reads them from the trunk and the browser socket: RTP
//! headers, telephone-event reports, SRTP and SRTCP under every suite, and the STUN checks the
//! media workers route by. Never panics; what we write reads back as written; what we protect,
//! the far end opens to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telephony::gateway::fuzzing::stun_local_ufrag;
use telephony::rtp::{self, EventReport, RtpError, RtpHeader};
use telephony::sdes::{CryptoSuite, MasterKey};
use telephony::srtp::{SrtcpReceiver, SrtcpSender, SrtpKeys, SrtpSession};

fn key(suite: CryptoSuite, fill: u8) -> MasterKey {
    let key: Vec<u8> = (0..suite.key_len()).map(|i| fill ^ i as u8).collect();
    let salt: Vec<u8> = (0..suite.salt_len())
        .map(|i| fill.wrapping_add(i as u8))
        .collect();
    MasterKey::from_parts(&key, &salt)
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, packet)) = data.split_first() else {
        return;
    };
    let _ = stun_local_ufrag(packet);

    match rtp::parse(packet) {
        Ok(read) => {
            assert!(read.payload.len() <= packet.len());
            let mut out = Vec::new();
            rtp::write(&read.header, read.payload, &mut out);
            let again = rtp::parse(&out).expect("a packet we wrote reads back");
            assert_eq!(again.header, read.header);
            assert_eq!(again.payload, read.payload);
        }
        Err(RtpError::Rtcp) => assert!((192..=223).contains(&packet[1])),
        Err(_) => {}
    }
    if let Some(report) = EventReport::parse(packet) {
        assert_eq!(EventReport::parse(&report.to_bytes()), Some(report));
    }

    let suite = CryptoSuite::PREFERENCE[usize::from(choice) % CryptoSuite::PREFERENCE.len()];
    let (a, b) = (key(suite, 0x11), key(suite, 0x22));
    let (Ok(mut ours), Ok(mut theirs)) = (
        SrtpSession::new(SrtpKeys {
            suite,
            ours: a.clone(),
            theirs: b.clone(),
        }),
        SrtpSession::new(SrtpKeys {
            suite,
            ours: b.clone(),
            theirs: a.clone(),
        }),
    ) else {
        panic!("sessions for {suite:?}");
    };
    let (mut sealed, mut opened) = (Vec::new(), Vec::new());
    // Whatever arrives is checked and refused or opened, never a panic.
    let _ = ours.unprotect(packet, &mut opened);
    if choice & 0x80 != 0 {
        // An RTP packet we send reaches the far end unchanged.
        let header = RtpHeader {
            marker: false,
            payload_type: choice & 0x7f,
            sequence: u16::from(choice),
            timestamp: 160,
            ssrc: 0x5eed,
        };
        let mut plain = Vec::new();
        rtp::write(&header, packet, &mut plain);
        if ours.protect(&plain, &mut sealed).is_ok() {
            theirs
                .unprotect(&sealed, &mut opened)
                .expect("our SRTP opens");
            assert_eq!(opened, plain);
        }
    }

    let (Ok(mut sender), Ok(mut receiver)) =
        (SrtcpSender::new(suite, &a), SrtcpReceiver::new(suite, &a))
    else {
        panic!("SRTCP for {suite:?}");
    };
    let _ = receiver.unprotect(packet, &mut opened);
    if sender.protect(packet, &mut sealed).is_ok() {
        let mut fresh = SrtcpReceiver::new(suite, &a).expect("an SRTCP receiver");
        fresh
            .unprotect(&sealed, &mut opened)
            .expect("our SRTCP opens");
        assert_eq!(opened, packet);
    }
});
