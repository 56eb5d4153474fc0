//! A browser that stops sending (its network dropped, its tab froze, or a script that never
//! had a browser behind it) ends the call: [`LegEvent::BrowserLost`] once, after
//! `BROWSER_SILENT_LIMIT` without a packet, on a simulated clock.

mod simclock;

use std::time::Duration;

use simclock::*;
use telephony::gateway::bridge::BROWSER_SILENT_LIMIT;
use telephony::gateway::LegEvent;

fn lost(out: &[telephony::gateway::bridge::Output]) -> usize {
    events(out)
        .iter()
        .filter(|e| matches!(e, LegEvent::BrowserLost))
        .count()
}

#[test]
fn a_browser_that_keeps_sending_is_never_lost() {
    let mut sim = Sim::answered();
    let frame = [0xffu8; 160];
    let mut out = Vec::new();
    // 60 s of audio, one frame every 20 ms.
    for n in 0..3000u64 {
        out.extend(sim.run_until(ms(n * 20)));
        out.extend(sim.browser_audio(n * 160, &frame));
    }
    assert_eq!(lost(&out), 0);
}

#[test]
fn a_browser_silent_for_the_limit_is_lost_once() {
    let mut sim = Sim::answered();
    let frame = [0xffu8; 160];
    let mut out = Vec::new();
    for n in 0..100u64 {
        out.extend(sim.run_until(ms(n * 20)));
        out.extend(sim.browser_audio(n * 160, &frame));
    }
    // The last packet came at 1.98 s: not lost a moment before the limit…
    let last = ms(1980);
    out.extend(sim.run_until(last + BROWSER_SILENT_LIMIT - ms(1)));
    assert_eq!(lost(&out), 0);
    // …and lost within the check's second after it, once, however long it stays silent.
    out.extend(sim.run_until(last + BROWSER_SILENT_LIMIT + Duration::from_secs(1)));
    assert_eq!(lost(&out), 1);
    out.extend(sim.run_until(last + BROWSER_SILENT_LIMIT + Duration::from_secs(60)));
    assert_eq!(lost(&out), 1);
}

#[test]
fn a_browser_that_never_sends_is_lost_after_the_limit() {
    let mut sim = Sim::answered();
    let out = sim.run_until(BROWSER_SILENT_LIMIT - ms(1));
    assert_eq!(lost(&out), 0);
    let out = sim.run_until(BROWSER_SILENT_LIMIT + Duration::from_secs(1));
    assert_eq!(lost(&out), 1);
}
