//! A warm (consultative) transfer to a number on a simulated clock: once the target answers a
//! consultation the agent's browser and the target hear each other while the customer hears
//! the music and nothing of either (and the recording none of it); completing joins the
//! customer and the target with the stream toward the target going on, forward only; returning
//! brings the browser back to the customer.

mod simclock;

use std::sync::Arc;

use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::{Input, Output, RecordControl, TargetStream};
use telephony::gateway::LegEvent;
use telephony::recording::PauseMode;
use telephony::rtp::RtpHeader;

const STREAM: TargetStream = TargetStream {
    ssrc: 0x7a7a_0002,
    first_sequence: 65_530,
    first_timestamp: u32::MAX - 500,
};

const AGENT: i16 = -2_000;
const CUSTOMER: i16 = 1_000;
const TARGET: i16 = 3_000;
const MUSIC: i16 = 500;

fn music() -> Arc<[i16]> {
    vec![MUSIC; 480].into()
}

/// From `from` to `to` (ms), a frame every 20 ms from the agent, the customer and the target
/// (in `target_law`), each on its own clock.
fn talk(sim: &mut Sim, from: u64, to: u64, target_law: G711) -> Vec<Output> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        out.extend(sim.run_until(ms(t)));
        out.extend(sim.browser_audio(t * 8, &frame(AGENT)));
        out.extend(sim.trunk_audio((t / 20) as u16, (t * 8) as u32, &frame(CUSTOMER)));
        let payload = vec![target_law.encode(TARGET); 160];
        let packet = trunk_packet(
            target_law.payload_type(),
            (t / 20) as u16,
            90_000 + (t * 8) as u32,
            &payload,
        );
        out.extend(sim.input(Input::TargetDatagram {
            source: target_addr(),
            contents: &packet,
        }));
        t += 20;
    }
    out
}

fn forward_only(packets: &[(RtpHeader, Vec<u8>)]) {
    for pair in packets.windows(2) {
        let (a, b) = (&pair[0].0, &pair[1].0);
        assert_eq!(b.sequence, a.sequence.wrapping_add(1), "{a:?} then {b:?}");
        let step = b.timestamp.wrapping_sub(a.timestamp) as i32;
        assert!(step > 0, "timestamp steps back or stands: {a:?} then {b:?}");
        assert_eq!(b.ssrc, a.ssrc);
    }
}

fn all(law: G711, packets: &[(RtpHeader, Vec<u8>)], sample: i16) -> bool {
    packets
        .iter()
        .all(|(_, p)| p.iter().all(|&b| law.decode(b) == sample))
}

/// What a sample sounds like after one trip through `law`.
fn through(law: G711, sample: i16) -> i16 {
    law.decode(law.encode(sample))
}

/// A held call whose warm transfer's target answered at 1 s (in `target_law`).
fn consulting(target_law: G711) -> (Sim, Vec<Output>) {
    let mut sim = Sim::answered();
    let mut out = talk(&mut sim, 0, 200, target_law);
    out.extend(sim.input(Input::Hold(music())));
    out.extend(talk(&mut sim, 200, 600, target_law));
    out.extend(sim.input(Input::TargetDialled(STREAM)));
    out.extend(sim.input(Input::TargetMedia(target_media(target_law))));
    out.extend(talk(&mut sim, 600, 1_000, target_law));
    out.extend(sim.input(Input::TargetConsulted));
    assert!(sim.bridge.consulting() && !sim.bridge.joined());
    (sim, out)
}

#[test]
fn consulting_the_agent_and_the_target_hear_each_other_and_the_customer_the_music() {
    let (mut sim, before) = consulting(G711::Pcmu);
    assert!(
        to_target(&before).is_empty(),
        "nothing to the target while it rings"
    );
    let out = talk(&mut sim, 1_000, 2_000, G711::Pcmu);

    // The customer: the music, and neither the agent nor the target.
    let customer = to_trunk(&out);
    assert!(
        customer.len() >= 48,
        "{} packets in a second",
        customer.len()
    );
    assert!(all(G711::Pcmu, &customer, through(G711::Pcmu, MUSIC)));

    // The target: the agent, on our stream toward it, forward only from its first packet.
    let target = to_target(&out);
    assert!(target.len() >= 48, "{} packets in a second", target.len());
    assert_eq!(target[0].0.ssrc, STREAM.ssrc);
    assert_eq!(target[0].0.sequence, STREAM.first_sequence);
    assert!(target[0].0.marker && target[1..].iter().all(|(h, _)| !h.marker));
    forward_only(&target);
    assert!(target[1..]
        .windows(2)
        .all(|w| w[1].0.timestamp.wrapping_sub(w[0].0.timestamp) == 160));
    assert!(all(G711::Pcmu, &target, decoded(AGENT)));

    // The agent: the target, and nothing of the customer.
    let heard = to_browser(&out);
    assert!(heard.len() >= 48, "{} frames in a second", heard.len());
    assert!(heard
        .iter()
        .all(|(_, p)| p.iter().all(|&b| G711::Pcmu.decode(b) == decoded(TARGET))));
    assert!(
        heard.windows(2).all(|w| w[1].0 > w[0].0),
        "browser time forward"
    );
    assert!(!events(&out).contains(&LegEvent::BrowserLost));
}

#[test]
fn consulting_a_target_of_the_other_law_is_mapped_both_ways() {
    let (mut sim, _) = consulting(G711::Pcma);
    let out = talk(&mut sim, 1_000, 1_200, G711::Pcma);
    let target = to_target(&out);
    assert!(!target.is_empty());
    let agent_said = G711::Pcma.encode(decoded(AGENT));
    assert!(target
        .iter()
        .all(|(h, p)| h.payload_type == 8 && p.iter().all(|&b| b == agent_said)));
    let heard = to_browser(&out);
    assert!(!heard.is_empty());
    let target_heard = G711::Pcmu.encode(through(G711::Pcma, TARGET));
    assert!(heard
        .iter()
        .all(|(_, p)| p.iter().all(|&b| b == target_heard)));
}

#[test]
fn the_agent_s_keys_while_consulting_reach_neither_trunk() {
    let (mut sim, _) = consulting(G711::Pcmu);
    sim.run_until(ms(1_100));
    let out = sim.input(Input::BrowserDtmf {
        time: 8_800,
        event: 5,
        end: true,
        volume: 10,
        duration: ms(100),
    });
    assert!(to_trunk(&out).is_empty() && to_target(&out).is_empty());
    assert_eq!(events(&out), vec![LegEvent::Dtmf('5')]);
}

#[test]
fn completing_joins_the_customer_and_the_target_and_releases_the_browser() {
    let (mut sim, before) = consulting(G711::Pcmu);
    let last_music = to_trunk(&before)
        .last()
        .map(|(h, _)| h.clone())
        .expect("music went out");
    let consulted = talk(&mut sim, 1_000, 1_500, G711::Pcmu);
    let mut out = sim.input(Input::TargetAnswered);
    assert!(sim.bridge.joined() && !sim.bridge.consulting());
    out.extend(talk(&mut sim, 1_500, 2_500, G711::Pcmu));

    // Toward the target: the same stream goes on, now with the customer, as a new run.
    let consult_sent = to_target(&consulted);
    let joined_sent = to_target(&out);
    assert!(joined_sent.len() >= 48, "{}", joined_sent.len());
    assert!(all(G711::Pcmu, &joined_sent, decoded(CUSTOMER)));
    assert!(
        joined_sent[0].0.marker,
        "the customer's first packet is a new run"
    );
    let mut whole = consult_sent.clone();
    whole.extend(joined_sent);
    forward_only(&whole);

    // Toward the customer: the target, right after the music on the same stream.
    let music = to_trunk(&consulted);
    let to_customer = to_trunk(&out);
    assert!(to_customer.len() >= 48);
    assert!(all(G711::Pcmu, &to_customer, decoded(TARGET)));
    let mut whole = vec![(last_music, vec![])];
    whole.extend(music);
    whole.extend(to_customer);
    forward_only(&whole);

    // The browser hears nothing more and is never reported lost.
    assert!(to_browser(&out).is_empty());
    let later = sim.run_until(ms(60_000));
    assert!(!events(&later).contains(&LegEvent::BrowserLost));
}

#[test]
fn returning_brings_the_browser_back_to_the_customer() {
    let (mut sim, _) = consulting(G711::Pcmu);
    let consulted = talk(&mut sim, 1_000, 1_500, G711::Pcmu);
    let mut out = sim.input(Input::TargetGone);
    assert!(!sim.bridge.consulting() && !sim.bridge.joined());
    // Still held: the customer hears the music, the agent nothing, the target nothing more.
    out.extend(talk(&mut sim, 1_500, 1_800, G711::Pcmu));
    assert!(to_target(&out).is_empty());
    assert!(to_browser(&out).is_empty());
    assert!(all(G711::Pcmu, &to_trunk(&out), through(G711::Pcmu, MUSIC)));
    // Resumed (what the owner does on return): agent and customer hear each other again.
    let mut back = sim.input(Input::Resume);
    back.extend(talk(&mut sim, 1_800, 2_200, G711::Pcmu));
    let sent = to_trunk(&back);
    assert_eq!(sent.len(), 20);
    assert!(sent[0].0.marker);
    assert!(all(G711::Pcmu, &sent, decoded(AGENT)));
    let heard = to_browser(&back);
    assert_eq!(heard.len(), 20);
    assert!(heard
        .iter()
        .all(|(_, p)| p.iter().all(|&b| G711::Pcmu.decode(b) == decoded(CUSTOMER))));
    // The browser's timeline only goes forward from the target's audio to the customer's.
    let mut browser_times: Vec<u64> = to_browser(&consulted).iter().map(|(t, _)| *t).collect();
    browser_times.extend(heard.iter().map(|(t, _)| *t));
    assert!(browser_times.windows(2).all(|w| w[1] > w[0]));
    assert!(!events(&back).contains(&LegEvent::BrowserLost));
}

#[test]
fn the_recording_keeps_silence_while_the_agent_consults() {
    let mut sim = Sim::answered();
    sim.input(Input::Record(RecordControl::Start {
        notice: Arc::from(&[][..]),
        mode: PauseMode::Silence,
    }));
    let before = talk(&mut sim, 0, 400, G711::Pcmu);
    let (agent, customer) = channels(&recorded(&before));
    assert!(
        agent.contains(&decoded(AGENT)) || customer.contains(&decoded(AGENT)),
        "the call itself is recorded"
    );
    sim.input(Input::Hold(music()));
    sim.input(Input::TargetDialled(STREAM));
    sim.input(Input::TargetMedia(target_media(G711::Pcmu)));
    talk(&mut sim, 400, 1_000, G711::Pcmu);
    sim.input(Input::TargetConsulted);
    let out = talk(&mut sim, 1_000, 2_000, G711::Pcmu);
    assert!(!to_target(&out).is_empty(), "consulting");
    let (left, right) = channels(&recorded(&out));
    assert!(left.len() >= 7_000, "the recording runs: {}", left.len());
    assert!(
        left.iter().chain(&right).all(|&s| s == 0),
        "neither the agent nor the target is recorded"
    );
}
