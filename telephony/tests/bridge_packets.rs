//! The bridge relaying audio both ways on a simulated clock: in order, lost, reordered,
//! duplicated and late packets, law mapping, and what is refused.

mod simclock;

use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::{Input, Output};
use telephony::gateway::LegEvent;

#[test]
fn trunk_audio_reaches_the_browser_with_its_own_clock_and_first_audio_is_reported_once() {
    let mut sim = Sim::answered();
    let out = sim.trunk_audio(7, 90_000, &frame(1000));
    assert_eq!(
        out,
        [
            Output::ToBrowser {
                timestamp: 160,
                payload: frame(1000)
            },
            Output::Event(LegEvent::FirstTrunkAudio),
        ]
    );
    sim.run_until(ms(20));
    let out = sim.trunk_audio(8, 90_160, &frame(2000));
    assert_eq!(
        out,
        [Output::ToBrowser {
            timestamp: 320,
            payload: frame(2000)
        }]
    );
}

#[test]
fn a_lost_trunk_packet_leaves_a_gap_in_the_browser_timestamps() {
    let mut sim = Sim::answered();
    let mut stamps = Vec::new();
    // The packet with timestamp 480 never arrives.
    for (seq, ts) in [(1, 0), (2, 160), (3, 320), (5, 640), (6, 800)] {
        stamps.extend(
            to_browser(&sim.trunk_audio(seq, ts, &frame(5)))
                .into_iter()
                .map(|f| f.0),
        );
    }
    assert_eq!(stamps, [160, 320, 480, 800, 960]);
}

#[test]
fn a_reordered_trunk_packet_goes_back_to_its_place_and_a_duplicate_is_not_played() {
    let mut sim = Sim::answered();
    let mut stamps = Vec::new();
    // 480 arrives before 320; 640 arrives twice.
    for (seq, ts) in [
        (1, 0),
        (2, 160),
        (4, 480),
        (3, 320),
        (5, 640),
        (5, 640),
        (6, 800),
    ] {
        let out = sim.trunk_audio(seq, ts, &frame(5));
        stamps.extend(to_browser(&out).into_iter().map(|f| f.0));
    }
    // The late packet is relayed at once, at its own place before the latest (the browser's
    // jitter buffer orders it); the clock keeps the source's time, so reordering never
    // stretches the browser's timeline; the repeat is dropped.
    assert_eq!(stamps, [160, 320, 640, 480, 800, 960]);
}

#[test]
fn a_wild_timestamp_jump_from_the_trunk_advances_by_one_frame() {
    let mut sim = Sim::answered();
    sim.trunk_audio(1, 0, &frame(5));
    // More than two seconds ahead, then back in step with the new position.
    let a = to_browser(&sim.trunk_audio(2, 50_000, &frame(5)));
    let b = to_browser(&sim.trunk_audio(3, 50_160, &frame(5)));
    assert_eq!((a[0].0, b[0].0), (320, 480));
}

#[test]
fn a_late_trunk_packet_is_placed_by_its_timestamp_not_its_arrival() {
    let mut sim = Sim::answered();
    sim.trunk_audio(1, 0, &frame(5));
    // The next packet arrives 300 ms late: its timestamp says it follows at once.
    sim.run_until(ms(320));
    let out = sim.trunk_audio(2, 160, &frame(6));
    assert_eq!(
        to_browser(&out),
        [(320, frame(6))],
        "no gap is invented for lateness"
    );
}

#[test]
fn browser_audio_goes_to_the_trunk_only_after_the_answer() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    // Nothing before the trunk's SDP, nor before the answer (early media flows one way).
    assert!(sim.browser_audio(8_000, &frame(3)).is_empty());
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcmu, None)));
    assert!(sim.browser_audio(8_160, &frame(3)).is_empty());
    sim.input(Input::Answered);
    let out = to_trunk(&sim.browser_audio(8_320, &frame(3)));
    assert_eq!(out.len(), 1);
    let (h, payload) = &out[0];
    assert_eq!(
        (h.payload_type, h.marker, h.sequence, h.timestamp, h.ssrc),
        (0, false, FIRST_SEQUENCE, FIRST_TIMESTAMP, SSRC)
    );
    assert_eq!(payload, &frame(3));
}

#[test]
fn browser_packets_lost_reordered_or_duplicated_keep_one_sequence_and_their_own_times() {
    let mut sim = Sim::answered();
    let mut sent = Vec::new();
    // Media times: 0, 160, (320 lost), 640 before 480, 800 twice.
    for t in [0, 160, 640, 480, 800, 800] {
        sent.extend(to_trunk(&sim.browser_audio(t, &frame(4))));
    }
    let seqs: Vec<u16> = sent.iter().map(|(h, _)| h.sequence).collect();
    let stamps: Vec<u32> = sent
        .iter()
        .map(|(h, _)| h.timestamp - FIRST_TIMESTAMP)
        .collect();
    // The sequence counts packets sent (wrapping at 65535); timestamps follow the media time.
    assert_eq!(seqs, [65_534, 65_535, 0, 1, 2, 3]);
    assert_eq!(stamps, [0, 160, 640, 480, 800, 800]);
}

#[test]
fn a_trunk_answering_in_the_other_law_is_mapped_sample_by_sample() {
    let mut sim = Sim::new(G711::Pcmu, "+5072000001");
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcma, None)));
    sim.input(Input::Answered);
    let mu = frame(1234);
    let out = to_trunk(&sim.browser_audio(0, &mu));
    assert_eq!(out[0].0.payload_type, 8);
    assert_eq!(out[0].1, G711::Pcmu.convert(G711::Pcma, &mu));
    let alaw = vec![G711::Pcma.encode(-800); 160];
    let packet = trunk_packet(8, 1, 0, &alaw);
    let out = sim.input(Input::TrunkDatagram {
        source: trunk_addr(),
        contents: &packet,
    });
    assert_eq!(
        to_browser(&out),
        [(160, G711::Pcma.convert(G711::Pcmu, &alaw))]
    );
}

#[test]
fn trunk_media_from_elsewhere_in_another_format_or_malformed_is_dropped() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    // Before the trunk's SDP nothing is accepted, even from the right address.
    assert!(sim.trunk_audio(1, 0, &frame(5)).is_empty());
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcmu, Some(101))));
    let ok = trunk_packet(0, 1, 0, &frame(5));
    let other_port = "192.0.2.10:4002".parse().expect("address");
    let refused: [(std::net::SocketAddr, Vec<u8>); 5] = [
        (other_port, ok.clone()),
        (trunk_addr(), trunk_packet(8, 1, 0, &frame(5))), // A-law, not what was answered
        (trunk_addr(), trunk_packet(101, 1, 0, &[5, 0x8a, 0, 160])), // telephone-event
        (trunk_addr(), trunk_packet(13, 1, 0, &[40])),    // comfort noise
        (trunk_addr(), vec![0x80, 0, 1]),                 // truncated
    ];
    for (source, contents) in &refused {
        let out = sim.input(Input::TrunkDatagram {
            source: *source,
            contents,
        });
        assert!(out.is_empty(), "{source} {contents:?} -> {out:?}");
    }
    // The real thing still gets through, as the first audio.
    let out = sim.input(Input::TrunkDatagram {
        source: trunk_addr(),
        contents: &ok,
    });
    assert_eq!(events(&out), [LegEvent::FirstTrunkAudio]);
}

#[test]
fn early_media_reaches_the_browser_before_the_answer_and_replaces_ringback() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    sim.input(Input::Ringback(true));
    let ringback = sim.run_until(ms(30));
    assert_eq!(to_browser(&ringback).len(), 2, "frames at 0 and 20 ms");
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcmu, None)));
    let out = sim.trunk_audio(1, 0, &frame(9));
    assert_eq!(
        to_browser(&out),
        [(480, frame(9))],
        "continuing the ringback's clock"
    );
    assert!(
        sim.run_until(ms(200)).is_empty(),
        "network tones replaced our ringback"
    );
}

/// The trunk's audio is measured as it arrives (RFC 3550: lost from the sequence numbers,
/// interarrival jitter): reported every second's packets, counting packets the agent does not
/// hear too (held).
#[test]
fn the_trunk_reception_is_reported_every_second() {
    use telephony::gateway::RECEPTION_REPORT_EVERY;
    use telephony::reception::ReceptionSummary;
    let mut sim = Sim::answered();
    let mut reports = Vec::new();
    let mut sent = 0u64;
    let mut seq: u16 = 100;
    // One packet in 20 never arrives, and every other one is 10 ms late.
    for i in 0u64..320 {
        seq = seq.wrapping_add(1);
        if i % 20 == 19 {
            continue;
        }
        let late = if i % 2 == 1 { 10 } else { 0 };
        sim.run_until(ms(20 * i + late));
        let out = sim.trunk_audio(seq, 160 * i as u32, &frame(5));
        sent += 1;
        reports.extend(out.into_iter().filter_map(|o| match o {
            Output::Event(LegEvent::TrunkReception(r)) => Some((sent, r)),
            _ => None,
        }));
    }
    let received: Vec<u64> = reports
        .iter()
        .map(|(n, r)| {
            assert_eq!(*n, r.received);
            r.received
        })
        .collect();
    // 304 of the 320 sent arrive (one in 20 never does): a report at each 50.
    assert_eq!(received, [50, 100, 150, 200, 250, 300]);
    assert_eq!(RECEPTION_REPORT_EVERY, 50);
    let ReceptionSummary {
        received,
        lost,
        jitter_us,
        max_jitter_us,
    } = reports[4].1;
    // 250 received of the first 263 sent: 13 never came (one in 20).
    assert_eq!((received, lost), (250, 13));
    // Every other packet 10 ms late: the estimate nears 10 ms.
    assert!((8_000..=10_000).contains(&jitter_us), "{jitter_us}");
    assert!(max_jitter_us >= jitter_us);

    // Held, the agent hears nothing from the trunk, but its packets still count.
    let mut held = Sim::answered();
    held.input(Input::Hold(std::sync::Arc::from(vec![0i16; 160])));
    let mut reported = None;
    for i in 0..RECEPTION_REPORT_EVERY {
        held.run_until(ms(20 * i));
        for o in held.trunk_audio(i as u16, 160 * i as u32, &frame(5)) {
            assert!(!matches!(o, Output::ToBrowser { .. }), "heard while held");
            if let Output::Event(LegEvent::TrunkReception(r)) = o {
                reported = Some(r);
            }
        }
    }
    assert_eq!(reported.map(|r| (r.received, r.lost)), Some((50, 0)));
}
