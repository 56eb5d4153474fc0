//! A blind transfer to a number on a simulated clock: while the target rings nothing changes
//! (the customer hears the music, the target's early audio goes nowhere); once it answered the
//! customer and the target hear each other on streams whose timestamps and sequence numbers
//! only go forward (the customer's stream going on from the music, marked), the browser hears
//! and sends nothing and is never reported lost; a transfer that fails leaves the call as it
//! was.

mod simclock;

use std::sync::Arc;

use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::{Input, Output, RecordControl, TargetStream};
use telephony::gateway::LegEvent;
use telephony::recording::PauseMode;
use telephony::rtp::RtpHeader;

const STREAM: TargetStream = TargetStream {
    ssrc: 0x7a7a_0001,
    first_sequence: 65_535,
    first_timestamp: u32::MAX - 100,
};

const AGENT: i16 = -2_000;
const CUSTOMER: i16 = 1_000;
const TARGET: i16 = 3_000;

fn music() -> Arc<[i16]> {
    vec![500i16; 480].into()
}

/// From `from` to `to` (ms), a frame every 20 ms from the agent, the customer and (when
/// `target` is given, in that law) the target, each on its own clock.
fn talk(sim: &mut Sim, from: u64, to: u64, target: Option<G711>) -> Vec<Output> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        out.extend(sim.run_until(ms(t)));
        out.extend(sim.browser_audio(t * 8, &frame(AGENT)));
        out.extend(sim.trunk_audio((t / 20) as u16, (t * 8) as u32, &frame(CUSTOMER)));
        if let Some(law) = target {
            out.extend(target_says(
                sim,
                law,
                (t / 20) as u16,
                90_000 + (t * 8) as u32,
            ));
        }
        t += 20;
    }
    out
}

fn target_says(sim: &mut Sim, law: G711, seq: u16, ts: u32) -> Vec<Output> {
    let payload = vec![law.encode(TARGET); 160];
    let packet = trunk_packet(law.payload_type(), seq, ts, &payload);
    sim.input(Input::TargetDatagram {
        source: target_addr(),
        contents: &packet,
    })
}

/// Every pair of packets steps forward: sequence by one, timestamp by more than nothing.
fn forward_only(packets: &[(RtpHeader, Vec<u8>)]) {
    for pair in packets.windows(2) {
        let (a, b) = (&pair[0].0, &pair[1].0);
        assert_eq!(b.sequence, a.sequence.wrapping_add(1), "{a:?} then {b:?}");
        let step = b.timestamp.wrapping_sub(a.timestamp) as i32;
        assert!(step > 0, "timestamp steps back or stands: {a:?} then {b:?}");
        assert_eq!(b.ssrc, a.ssrc);
    }
}

fn decode(law: G711, payload: &[u8]) -> Vec<i16> {
    payload.iter().map(|&b| law.decode(b)).collect()
}

/// A held call whose transfer is ringing at 1 s.
fn held_and_ringing(target_law: G711) -> (Sim, Vec<Output>) {
    let mut sim = Sim::answered();
    let mut out = talk(&mut sim, 0, 200, None);
    out.extend(sim.input(Input::Hold(music())));
    out.extend(talk(&mut sim, 200, 1_000, None));
    out.extend(sim.input(Input::TargetDialled(STREAM)));
    out.extend(sim.input(Input::TargetMedia(target_media(target_law))));
    (sim, out)
}

#[test]
fn while_the_target_rings_the_customer_hears_the_music_and_nothing_of_the_target() {
    let (mut sim, _) = held_and_ringing(G711::Pcmu);
    let out = talk(&mut sim, 1_000, 1_500, Some(G711::Pcmu));
    let sent = to_trunk(&out);
    assert!(sent.len() >= 24, "the music goes on: {}", sent.len());
    assert!(sent.iter().all(
        |(_, p)| decode(G711::Pcmu, p) == vec![G711::Pcmu.decode(G711::Pcmu.encode(500)); 160]
    ));
    assert!(
        to_target(&out).is_empty(),
        "nothing to the target before it answers"
    );
    assert!(
        to_browser(&out).is_empty(),
        "the agent hears nothing on hold"
    );
    assert!(!sim.bridge.joined());
}

#[test]
fn once_answered_the_two_trunks_hear_each_other_on_streams_that_only_go_forward() {
    let (mut sim, before) = held_and_ringing(G711::Pcmu);
    let last_music = to_trunk(&before)
        .last()
        .map(|(h, _)| h.clone())
        .expect("music went out");
    let mut out = talk(&mut sim, 1_000, 1_500, Some(G711::Pcmu));
    let music = to_trunk(&out);
    out.extend(sim.input(Input::TargetAnswered));
    assert!(sim.bridge.joined());
    let joined = talk(&mut sim, 1_500, 2_500, Some(G711::Pcmu));

    // Toward the customer: the target, on the same stream as the music, right after it.
    let to_customer = to_trunk(&joined);
    assert!(
        to_customer.len() >= 48,
        "{} packets in a second",
        to_customer.len()
    );
    assert!(to_customer
        .iter()
        .all(|(h, p)| h.payload_type == 0 && decode(G711::Pcmu, p) == vec![decoded(TARGET); 160]));
    let mut whole = vec![(last_music, vec![])];
    whole.extend(music);
    whole.extend(to_customer.clone());
    forward_only(&whole);
    assert!(
        to_customer[0].0.marker,
        "the target's first packet is a new run"
    );
    assert!(to_customer[1..].iter().all(|(h, _)| !h.marker));
    assert!(to_customer[1..]
        .windows(2)
        .all(|w| w[1].0.timestamp.wrapping_sub(w[0].0.timestamp) == 160));

    // Toward the target: the customer, on our new stream.
    let sent = to_target(&joined);
    assert!(sent.len() >= 48, "{} packets in a second", sent.len());
    assert_eq!(sent[0].0.ssrc, STREAM.ssrc);
    assert_eq!(sent[0].0.sequence, STREAM.first_sequence);
    assert!(sent[0].0.marker && sent[1..].iter().all(|(h, _)| !h.marker));
    forward_only(&sent);
    assert!(
        sent.iter()
            .all(|(h, p)| h.payload_type == 0
                && decode(G711::Pcmu, p) == vec![decoded(CUSTOMER); 160])
    );

    // The browser hears nothing, and what it says goes nowhere.
    assert!(to_browser(&joined).is_empty());
    assert!(events(&joined).is_empty(), "{:?}", events(&joined));
}

#[test]
fn the_target_s_late_and_repeated_packets_never_send_the_customer_s_stream_back() {
    let (mut sim, _) = held_and_ringing(G711::Pcmu);
    sim.run_until(ms(1_500));
    sim.input(Input::TargetAnswered);
    let mut out = Vec::new();
    // In order, then one overtaken, then a duplicate, then in order again.
    for (seq, ts) in [
        (1, 1_000),
        (2, 1_160),
        (4, 1_480),
        (3, 1_320),
        (4, 1_480),
        (5, 1_640),
    ] {
        out.extend(target_says(&mut sim, G711::Pcmu, seq, ts));
    }
    let sent = to_trunk(&out);
    assert_eq!(
        sent.len(),
        4,
        "the late packet and the duplicate are dropped"
    );
    forward_only(&sent);
    let steps: Vec<u32> = sent
        .windows(2)
        .map(|w| w[1].0.timestamp.wrapping_sub(w[0].0.timestamp))
        .collect();
    assert_eq!(
        steps,
        vec![160, 320, 160],
        "the target's own steps, its gap kept"
    );
}

#[test]
fn different_laws_are_mapped_both_ways() {
    let (mut sim, _) = held_and_ringing(G711::Pcma);
    sim.run_until(ms(1_500));
    sim.input(Input::TargetAnswered);
    let out = talk(&mut sim, 1_500, 1_700, Some(G711::Pcma));
    let to_customer = to_trunk(&out);
    assert!(!to_customer.is_empty());
    let target_heard = G711::Pcmu.encode(G711::Pcma.decode(G711::Pcma.encode(TARGET)));
    assert!(to_customer
        .iter()
        .all(|(h, p)| h.payload_type == 0 && p.iter().all(|&b| b == target_heard)));
    let sent = to_target(&out);
    assert!(!sent.is_empty());
    let customer_said = G711::Pcma.encode(decoded(CUSTOMER));
    assert!(sent
        .iter()
        .all(|(h, p)| h.payload_type == 8 && p.iter().all(|&b| b == customer_said)));
}

#[test]
fn after_the_join_the_browser_is_never_lost_and_the_agent_s_commands_change_nothing() {
    let (mut sim, _) = held_and_ringing(G711::Pcmu);
    sim.run_until(ms(1_500));
    sim.input(Input::TargetAnswered);
    // The agent resumes, holds, presses keys: the call is no longer theirs.
    let mut out = sim.input(Input::Resume);
    out.extend(sim.input(Input::Hold(music())));
    out.extend(sim.input(Input::BrowserDtmf {
        time: 12_000,
        event: 5,
        end: true,
        volume: 10,
        duration: ms(100),
    }));
    out.extend(sim.browser_audio(12_000, &frame(AGENT)));
    assert!(
        to_trunk(&out).is_empty(),
        "nothing of the agent reaches the customer"
    );
    assert!(to_target(&out).is_empty());
    assert!(events(&out).is_empty(), "{:?}", events(&out));
    // A minute without a browser packet: never reported lost, nothing sent anywhere.
    let out = sim.run_until(ms(61_500));
    assert!(
        !events(&out).contains(&LegEvent::BrowserLost),
        "{:?}",
        events(&out)
    );
    assert!(to_trunk(&out).is_empty() && to_browser(&out).is_empty());
}

#[test]
fn the_recording_stops_at_the_join() {
    let mut sim = Sim::answered();
    sim.input(Input::Record(RecordControl::Start {
        notice: Arc::from(&[][..]),
        mode: PauseMode::Silence,
    }));
    talk(&mut sim, 0, 200, None);
    sim.input(Input::TargetDialled(STREAM));
    sim.input(Input::TargetMedia(target_media(G711::Pcmu)));
    let out = sim.input(Input::TargetAnswered);
    assert!(out.contains(&Output::RecordingEnded), "{out:?}");
    // Starting again is refused: the agent has left.
    sim.input(Input::Record(RecordControl::Start {
        notice: Arc::from(&[][..]),
        mode: PauseMode::Silence,
    }));
    let out = talk(&mut sim, 200, 1_200, Some(G711::Pcmu));
    assert!(recorded(&out).is_empty());
}

#[test]
fn a_transfer_that_fails_leaves_the_call_as_it_was() {
    let (mut sim, before) = held_and_ringing(G711::Pcmu);
    let mut out = talk(&mut sim, 1_000, 1_500, Some(G711::Pcmu));
    out.extend(sim.input(Input::TargetGone));
    out.extend(talk(&mut sim, 1_500, 2_000, Some(G711::Pcmu)));
    assert!(to_target(&out).is_empty());
    let mut music = to_trunk(&before);
    music.extend(to_trunk(&out));
    forward_only(&music);
    assert!(music
        .iter()
        .skip(10) // the agent's audio before the hold
        .all(
            |(_, p)| decode(G711::Pcmu, p) == vec![G711::Pcmu.decode(G711::Pcmu.encode(500)); 160]
        ));
    // Resumed: the agent and the customer hear each other again.
    let mut back = sim.input(Input::Resume);
    back.extend(talk(&mut sim, 2_000, 2_200, Some(G711::Pcmu)));
    let sent = to_trunk(&back);
    assert_eq!(sent.len(), 10);
    assert!(sent[0].0.marker);
    assert!(sent
        .iter()
        .all(|(_, p)| decode(G711::Pcmu, p) == vec![decoded(AGENT); 160]));
    assert_eq!(to_browser(&back).len(), 10);
    // Still no browser lost: it kept talking.
    assert!(!events(&back).contains(&LegEvent::BrowserLost));
}
