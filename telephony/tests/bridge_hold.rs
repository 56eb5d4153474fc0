//! Hold on a simulated clock: the trunk hears the music, looped, every 20 ms and nothing of the
//! agent; the agent hears nothing of the caller; keys stay with the agent; a recording holds
//! silence; resuming brings both directions back, each new run of audio marked for the far
//! end's jitter buffer.

mod simclock;

use std::sync::Arc;

use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::{Input, Output, RecordControl};
use telephony::recording::PauseMode;

/// Three frames of music, each sample telling its place (so the loop's order shows).
fn music() -> Arc<[i16]> {
    (0..480).map(|i| (i as i16 - 240) * 100).collect()
}

/// Both sides send a frame every 20 ms from `from` to `to` (ms): the agent `agent`, the caller
/// `caller`; returns everything the bridge put out.
fn talk(sim: &mut Sim, from: u64, to: u64, agent: i16, caller: i16) -> Vec<Output> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        out.extend(sim.run_until(ms(t)));
        out.extend(sim.browser_audio(t * 8, &frame(agent)));
        out.extend(sim.trunk_audio((t / 20) as u16, (t * 8) as u32, &frame(caller)));
        t += 20;
    }
    out
}

fn pcm(payload: &[u8]) -> Vec<i16> {
    payload.iter().map(|&b| G711::Pcmu.decode(b)).collect()
}

#[test]
fn the_caller_hears_the_music_looped_and_nothing_of_the_agent() {
    let mut sim = Sim::answered();
    let before = talk(&mut sim, 0, 200, -2_000, 1_000);
    assert_eq!(to_trunk(&before).len(), 10, "the agent's audio flows");
    assert_eq!(to_browser(&before).len(), 10, "the caller's audio flows");

    let mut held = sim.input(Input::Hold(music()));
    held.extend(talk(&mut sim, 200, 1_200, -2_000, 1_000));
    let sent = to_trunk(&held);
    // One frame of music every 20 ms, the first at once: 51 over the second (200 ms → 1 200 ms
    // inclusive of both ends of the run).
    assert!(
        (50..=51).contains(&sent.len()),
        "{} packets in a second",
        sent.len()
    );
    let expected: Vec<i16> = music().iter().map(|&s| decoded(s)).collect();
    for (i, (header, payload)) in sent.iter().enumerate() {
        assert_eq!(header.payload_type, 0, "in the trunk's law");
        assert_eq!(
            header.marker,
            i == 0,
            "only the music's first packet is marked"
        );
        let start = (i % 3) * 160;
        assert_eq!(
            pcm(payload),
            expected[start..start + 160],
            "packet {i} is the loop's frame {}",
            i % 3
        );
    }
    // Music timestamps step by one frame.
    for pair in sent.windows(2) {
        assert_eq!(pair[1].0.timestamp.wrapping_sub(pair[0].0.timestamp), 160);
        assert_eq!(pair[1].0.sequence, pair[0].0.sequence.wrapping_add(1));
    }
    assert!(
        to_browser(&held).is_empty(),
        "the agent hears nothing of the caller on hold"
    );

    // Resumed: the agent's audio again, its first packet marked; the caller's too.
    let mut back = sim.input(Input::Resume);
    back.extend(talk(&mut sim, 1_200, 1_400, -2_000, 1_000));
    let sent = to_trunk(&back);
    assert_eq!(sent.len(), 10, "the music stopped with the resume");
    assert!(sent[0].0.marker && sent[1..].iter().all(|(h, _)| !h.marker));
    assert!(sent
        .iter()
        .all(|(_, p)| pcm(p) == vec![decoded(-2_000); 160]));
    assert_eq!(to_browser(&back).len(), 10);
}

#[test]
fn keys_pressed_on_hold_do_not_reach_the_caller() {
    let mut sim = Sim::answered();
    sim.input(Input::Hold(music()));
    let out = sim.input(Input::BrowserDtmf {
        time: 800,
        event: 5,
        end: false,
        volume: 10,
        duration: ms(40),
    });
    assert!(to_trunk(&out)
        .iter()
        .all(|(h, _)| h.payload_type != TELEPHONE_EVENT_PT));
}

#[test]
fn a_held_call_is_silence_in_the_recording() {
    let mut sim = Sim::answered();
    sim.input(Input::Record(RecordControl::Start {
        notice: Arc::from(&[][..]),
        mode: PauseMode::Silence,
    }));
    let mut out = talk(&mut sim, 0, 500, -2_000, 1_000);
    out.extend(sim.input(Input::Hold(music())));
    out.extend(talk(&mut sim, 500, 1_500, -2_000, 1_000));
    out.extend(sim.input(Input::Resume));
    out.extend(talk(&mut sim, 1_500, 2_000, -2_000, 1_000));
    out.extend(sim.run_until(ms(2_000)));
    out.extend(sim.input(Input::Record(RecordControl::Stop)));
    let (caller, agent) = channels(&recorded(&out));
    assert_eq!(caller.len(), 16_000, "the file's timeline is the call's");
    // Allow a frame either side of each edge (the tap's playout delay).
    let on_hold = 4_000 + 320..12_000 - 320;
    assert!(caller[on_hold.clone()].iter().all(|&s| s == 0), "caller");
    assert!(agent[on_hold].iter().all(|&s| s == 0), "agent");
    assert!(caller[..3_000].iter().all(|&s| s == decoded(1_000)));
    assert!(agent[13_000..15_000].iter().all(|&s| s == decoded(-2_000)));
}

#[test]
fn before_the_answer_nothing_goes_to_the_trunk() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcmu, None)));
    sim.input(Input::Hold(music()));
    let out = sim.run_until(ms(500));
    assert!(to_trunk(&out).is_empty());
    // Answered while held: the music starts.
    let mut out = sim.input(Input::Answered);
    out.extend(sim.run_until(ms(600)));
    assert!(!to_trunk(&out).is_empty());
}

#[test]
fn holding_again_changes_the_music_and_resuming_twice_is_harmless() {
    let mut sim = Sim::answered();
    sim.input(Input::Hold(music()));
    sim.run_until(ms(100));
    let other: Arc<[i16]> = vec![3_000i16; 160].into();
    sim.input(Input::Hold(other));
    let out = sim.run_until(ms(200));
    let sent = to_trunk(&out);
    assert!(!sent.is_empty());
    assert!(sent
        .iter()
        .all(|(h, p)| !h.marker && pcm(p) == vec![decoded(3_000); 160]));
    sim.input(Input::Resume);
    sim.input(Input::Resume);
    assert!(to_trunk(&sim.run_until(ms(400))).is_empty());
}
