//! Idle silence on a simulated clock: a meeting leg sends the browser a silence frame every
//! 20 ms while neither ringback nor trunk audio flows (the Chime client reports a poor
//! connection after some seconds without audio), with timestamps continuous across all three.

mod simclock;

use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::Input;

fn all_silent(frames: &[(u64, Vec<u8>)], law: G711) -> bool {
    frames
        .iter()
        .all(|(_, p)| p.len() == 160 && p.iter().all(|&b| law.decode(b).unsigned_abs() < 16))
}

#[test]
fn silence_flows_every_20_ms_from_the_start() {
    let mut sim = Sim::with_idle_silence(G711::Pcmu, "");
    let frames = to_browser(&sim.run_until(ms(990)));
    assert_eq!(frames.len(), 50);
    assert!(all_silent(&frames, G711::Pcmu));
    let stamps: Vec<u64> = frames.iter().map(|f| f.0).collect();
    assert_eq!(stamps, (1..=50).map(|i| i * 160).collect::<Vec<u64>>());
    assert_eq!(
        sim.wake,
        sim.start + ms(1_000),
        "the next frame is due on the grid"
    );
}

#[test]
fn a_law_silence_in_a_law() {
    let mut sim = Sim::with_idle_silence(G711::Pcma, "");
    let frames = to_browser(&sim.run_until(ms(90)));
    assert_eq!(frames.len(), 5);
    assert!(frames
        .iter()
        .all(|(_, p)| p.iter().all(|&b| b == G711::Pcma.encode(0))));
}

#[test]
fn ringback_takes_the_place_of_silence_and_silence_comes_back_after_it() {
    let mut sim = Sim::with_idle_silence(G711::Pcmu, "+6560000001");
    assert_eq!(to_browser(&sim.run_until(ms(90))).len(), 5);
    sim.input(Input::Ringback(true));
    let ringing = to_browser(&sim.run_until(ms(380)));
    // One frame per 20 ms (not two): the ringback tick's and none of silence's.
    assert_eq!(ringing.len(), 15);
    assert!(
        !all_silent(&ringing[..1], G711::Pcmu),
        "ringback starts with tone"
    );
    sim.input(Input::Ringback(false));
    let after = to_browser(&sim.run_until(ms(590)));
    assert_eq!(after.len(), 10);
    assert!(all_silent(&after, G711::Pcmu));
    let last_ring = ringing.last().map(|f| f.0).unwrap_or(0);
    assert_eq!(after[0].0, last_ring + 160, "continuous across sources");
}

#[test]
fn trunk_audio_stops_the_silence_until_it_pauses() {
    let mut sim = Sim::with_idle_silence(G711::Pcmu, "+6560000001");
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcmu, None)));
    sim.input(Input::Answered);
    assert_eq!(to_browser(&sim.run_until(ms(90))).len(), 5);
    // The trunk speaks every 20 ms from 90 ms for 400 ms: only its frames reach the browser.
    let mut out = Vec::new();
    for i in 0..20u16 {
        out.extend(sim.run_until(ms(90 + 20 * i as u64)));
        out.extend(sim.trunk_audio(i, 160 * i as u32, &frame(3000)));
    }
    out.extend(sim.run_until(ms(480)));
    let frames = to_browser(&out);
    assert_eq!(frames.len(), 20, "no silence between trunk frames");
    assert!(frames.iter().all(|(_, p)| p == &frame(3000)));
    // Its last frame came at 470 ms: silence again once 60 ms have passed without audio.
    let quiet = to_browser(&sim.run_until(ms(600)));
    assert!(all_silent(&quiet, G711::Pcmu));
    assert_eq!(quiet.len(), 4, "silence from 540 ms: {:?}", quiet.len());
    assert_eq!(quiet[0].0, frames[19].0 + 160);
}

#[test]
fn without_the_option_nothing_flows_while_idle() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    assert!(sim.run_until(ms(2_000)).is_empty());
}
