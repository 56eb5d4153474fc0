//! Ringback from the bridge on a simulated clock: one 20 ms frame per tick with the callee
//! country's cadence (Singapore 0.4-0.2-0.4-2.0 s, Panama 1-4 s), timestamps continuous, missed
//! ticks skipped rather than bunched, and silence from the bridge once it stops.

mod simclock;

use simclock::*;
use telephony::g711::G711;
use telephony::gateway::bridge::{Input, Output};
use telephony::tones::goertzel;

/// Whether each ringback frame carries the tone (A-law has no exact zero: silence decodes to
/// ±8, the tone peaks near 6500).
fn cadence(frames: &[(u64, Vec<u8>)], law: G711) -> Vec<bool> {
    frames
        .iter()
        .map(|(_, p)| p.iter().any(|&b| law.decode(b).unsigned_abs() > 100))
        .collect()
}

#[test]
fn singapore_rings_0_4_on_0_2_off_0_4_on_2_0_off() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    sim.input(Input::Ringback(true));
    // Two periods of 3 s: frames at 0, 20, … 5980 ms.
    let frames = to_browser(&sim.run_until(ms(5_990)));
    assert_eq!(frames.len(), 300);
    let on = cadence(&frames, G711::Pcmu);
    for (i, &on) in on.iter().enumerate() {
        let want = matches!(i % 150, 0..=19 | 30..=49);
        assert_eq!(on, want, "frame {i} ({} ms)", i * 20);
    }
    let stamps: Vec<u64> = frames.iter().map(|f| f.0).collect();
    assert_eq!(stamps, (1..=300).map(|i| i * 160).collect::<Vec<u64>>());
    // It is the 425 Hz tone.
    let pcm: Vec<i16> = frames[..20]
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&b| G711::Pcmu.decode(b)))
        .collect();
    assert!(goertzel(&pcm, 425.0) > 100.0 * goertzel(&pcm, 1000.0));
}

#[test]
fn panama_rings_1_on_4_off_in_a_law() {
    let mut sim = Sim::new(G711::Pcma, "+5072000001");
    sim.input(Input::Ringback(true));
    let frames = to_browser(&sim.run_until(ms(9_990)));
    assert_eq!(frames.len(), 500);
    let on = cadence(&frames, G711::Pcma);
    for (i, &on) in on.iter().enumerate() {
        assert_eq!(on, i % 250 < 50, "frame {i}");
    }
}

#[test]
fn frames_are_due_every_20_ms_and_a_late_wake_skips_what_it_missed() {
    let mut sim = Sim::new(G711::Pcmu, "+6560000001");
    let t0 = sim.now;
    sim.input(Input::Ringback(true));
    assert_eq!(sim.wake, t0, "the first frame is due at once");
    assert_eq!(to_browser(&sim.run_until(ms(0))).len(), 1);
    assert_eq!(sim.wake, t0 + ms(20));
    // The loop was busy for 75 ms: one frame now, the next on the 20 ms grid.
    let late = sim.wake_late(ms(75));
    assert_eq!(to_browser(&late), [(320, to_browser(&late)[0].1.clone())]);
    assert_eq!(sim.wake, t0 + ms(80));
    // Waking early does nothing.
    sim.now = t0 + ms(79);
    assert!(sim.input(Input::Timeout).is_empty());
    assert_eq!(to_browser(&sim.run_until(ms(80)))[0].0, 480);
}

#[test]
fn ringback_stops_when_told_when_answered_and_restarts_its_cadence() {
    let mut sim = Sim::new(G711::Pcmu, "+5072000001");
    sim.input(Input::Ringback(true));
    assert_eq!(to_browser(&sim.run_until(ms(110))).len(), 6);
    sim.input(Input::Ringback(false));
    assert!(sim.run_until(ms(500)).is_empty());
    // No frame is due: the next wake-up is the once-a-second check that the browser still
    // sends (bridge_browser_gone.rs), not a 20 ms tick.
    assert!(sim.wake > sim.now + ms(20), "{:?}", sim.wake - sim.now);
    // On again: the cadence starts over, the clock carries on.
    sim.input(Input::Ringback(true));
    let again = to_browser(&sim.run_until(ms(500)));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, 7 * 160);
    assert!(
        cadence(&again, G711::Pcmu)[0],
        "a new cadence starts with tone"
    );
    sim.input(Input::TrunkMedia(trunk_media(G711::Pcmu, None)));
    sim.input(Input::Answered);
    let after: Vec<Output> = sim.run_until(ms(1_000));
    assert!(after.is_empty(), "the answer stops ringback: {after:?}");
}
