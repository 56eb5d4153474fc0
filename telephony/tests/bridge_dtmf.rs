//! RFC 4733 key reports through the bridge on a simulated clock: every report is relayed with
//! the key's own timestamp and a marker on its first report; each key is reported once however
//! often its end report is repeated.

mod simclock;

use std::time::Duration;

use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::{Input, Output};
use telephony::gateway::LegEvent;
use telephony::rtp::EventReport;

fn report(sim: &mut Sim, time: u64, event: u8, end: bool, duration_ms: u64) -> Vec<Output> {
    sim.input(Input::BrowserDtmf {
        time,
        event,
        end,
        volume: 10,
        duration: Duration::from_millis(duration_ms),
    })
}

#[test]
fn one_key_is_relayed_report_by_report_and_reported_once() {
    let mut sim = Sim::answered();
    let mut out = Vec::new();
    // Key 5 starting at media time 16 000: three progress reports, then the end three times.
    for (end, duration) in [
        (false, 20),
        (false, 40),
        (false, 60),
        (true, 100),
        (true, 100),
        (true, 100),
    ] {
        out.extend(report(&mut sim, 16_000, 5, end, duration));
        sim.run_until(Duration::from_millis(sim.elapsed_ms() as u64 + 20));
    }
    assert_eq!(events(&out), [LegEvent::Dtmf('5')]);
    // The key is reported as its first end report arrives, before that report goes out.
    let first_end = out
        .iter()
        .position(|o| *o == Output::Event(LegEvent::Dtmf('5')))
        .expect("reported");
    assert_eq!(to_trunk(&out[..first_end]).len(), 3);
    let sent = to_trunk(&out);
    assert_eq!(sent.len(), 6, "retransmitted end reports are relayed too");
    let markers: Vec<bool> = sent.iter().map(|(h, _)| h.marker).collect();
    assert_eq!(markers, [true, false, false, false, false, false]);
    for (i, (h, _)) in sent.iter().enumerate() {
        assert_eq!(h.payload_type, TELEPHONE_EVENT_PT);
        assert_eq!(h.timestamp, FIRST_TIMESTAMP, "one event, one timestamp");
        assert_eq!(h.sequence, FIRST_SEQUENCE.wrapping_add(i as u16));
    }
    let reports: Vec<EventReport> = sent
        .iter()
        .map(|(_, p)| EventReport::parse(p).expect("a 4-byte report"))
        .collect();
    let durations: Vec<(bool, u16)> = reports.iter().map(|r| (r.end, r.duration)).collect();
    assert_eq!(
        durations,
        [
            (false, 160),
            (false, 320),
            (false, 480),
            (true, 800),
            (true, 800),
            (true, 800)
        ]
    );
    assert!(reports.iter().all(|r| r.event == 5 && r.volume == 10));
}

#[test]
fn the_same_key_twice_is_two_keys_and_a_lost_start_still_counts() {
    let mut sim = Sim::answered();
    let mut out = Vec::new();
    out.extend(report(&mut sim, 8_000, 1, false, 20));
    out.extend(report(&mut sim, 8_000, 1, true, 100));
    // The second press lost its progress reports: its first end report opens the event.
    out.extend(report(&mut sim, 10_400, 1, true, 100));
    out.extend(report(&mut sim, 10_400, 1, true, 100));
    assert_eq!(events(&out), [LegEvent::Dtmf('1'), LegEvent::Dtmf('1')]);
    let sent = to_trunk(&out);
    let marks: Vec<(bool, u32)> = sent
        .iter()
        .map(|(h, _)| (h.marker, h.timestamp - FIRST_TIMESTAMP))
        .collect();
    assert_eq!(
        marks,
        [(true, 0), (false, 0), (true, 2_400), (false, 2_400)]
    );
}

#[test]
fn keys_between_audio_frames_share_the_audio_timeline() {
    let mut sim = Sim::answered();
    let mut out = Vec::new();
    out.extend(sim.browser_audio(4_000, &frame(5)));
    out.extend(report(&mut sim, 4_160, 11, false, 20)); // '#'
    out.extend(report(&mut sim, 4_160, 11, true, 100));
    // Audio resumes after the key: the gap shows in the timestamps, not the sequence.
    out.extend(sim.browser_audio(5_120, &frame(5)));
    let sent: Vec<(u8, u16, u32)> = to_trunk(&out)
        .iter()
        .map(|(h, _)| (h.payload_type, h.sequence, h.timestamp - FIRST_TIMESTAMP))
        .collect();
    assert_eq!(
        sent,
        [
            (0, 65_534, 0),
            (101, 65_535, 160),
            (101, 0, 160),
            (0, 1, 1_120)
        ]
    );
    assert_eq!(events(&out), [LegEvent::Dtmf('#')]);
}

#[test]
fn a_trunk_without_telephone_event_gets_no_reports_but_the_key_is_still_seen() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcmu, None)));
    sim.input(Input::Answered);
    let mut out = report(&mut sim, 0, 9, false, 20);
    out.extend(report(&mut sim, 0, 9, true, 100));
    assert!(to_trunk(&out).is_empty());
    assert_eq!(events(&out), [LegEvent::Dtmf('9')]);
}

#[test]
fn events_that_are_not_keys_are_relayed_but_not_reported() {
    let mut sim = Sim::answered();
    // 16 is a flash, not a DTMF key.
    let mut out = report(&mut sim, 0, 16, false, 20);
    out.extend(report(&mut sim, 0, 16, true, 100));
    assert!(events(&out).is_empty());
    assert_eq!(to_trunk(&out).len(), 2);
}

#[test]
fn keys_before_the_trunk_answers_are_reported_and_relayed_to_early_media() {
    // The relay does not wait for the answer: a key pressed during early media (an IVR
    // playing before it answers) still reaches the trunk.
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    let before_sdp = report(&mut sim, 0, 2, true, 100);
    assert_eq!(events(&before_sdp), [LegEvent::Dtmf('2')]);
    assert!(to_trunk(&before_sdp).is_empty(), "nowhere to send it yet");
    sim.input(Input::TrunkMedia(trunk_media(
        G711::Pcmu,
        Some(TELEPHONE_EVENT_PT),
    )));
    let out = report(&mut sim, 800, 3, true, 100);
    assert_eq!(to_trunk(&out).len(), 1);
    assert_eq!(events(&out), [LegEvent::Dtmf('3')]);
}
