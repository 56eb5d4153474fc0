//! Keys the gateway sends on its own (a SIP media application's `SendDigits`), on a simulated
//! clock: RFC 4733 reports every 20 ms while the tone lasts, the end report three times, a gap
//! between keys, a half-second pause for a comma, one timestamp per key on the trunk stream's
//! timeline, and the agent's audio held back while a key sounds.

mod simclock;

use std::time::Duration;

use simclock::*;
use telephony::gateway::bridge::{Input, Output};
use telephony::gateway::digits::{COMMA_PAUSE, KEY_GAP, VOLUME};
use telephony::gateway::LegEvent;
use telephony::rtp::{EventReport, RtpHeader};

fn send(sim: &mut Sim, digits: &str, tone_ms: u64) -> Vec<Output> {
    sim.input(Input::SendDigits {
        digits,
        tone: Duration::from_millis(tone_ms),
    })
}

fn reports(sent: &[(RtpHeader, Vec<u8>)]) -> Vec<(bool, u32, EventReport)> {
    sent.iter()
        .filter(|(h, _)| h.payload_type == TELEPHONE_EVENT_PT)
        .map(|(h, p)| {
            let r = EventReport::parse(p).expect("a 4-byte report");
            (h.marker, h.timestamp.wrapping_sub(FIRST_TIMESTAMP), r)
        })
        .collect()
}

#[test]
fn one_key_is_reported_every_20_ms_then_ends_three_times() {
    let mut sim = Sim::answered();
    let mut out = send(&mut sim, "5", 100);
    out.extend(sim.run_until(ms(1_000)));
    let got = reports(&to_trunk(&out));
    let shape: Vec<(bool, u32, u8, bool, u16)> = got
        .iter()
        .map(|(m, ts, r)| (*m, *ts, r.event, r.end, r.duration))
        .collect();
    assert_eq!(
        shape,
        [
            (true, 0, 5, false, 160),
            (false, 0, 5, false, 320),
            (false, 0, 5, false, 480),
            (false, 0, 5, false, 640),
            (false, 0, 5, true, 800),
            (false, 0, 5, true, 800),
            (false, 0, 5, true, 800),
        ]
    );
    assert!(got.iter().all(|(_, _, r)| r.volume == VOLUME));
    let sequences: Vec<u16> = to_trunk(&out).iter().map(|(h, _)| h.sequence).collect();
    let expected: Vec<u16> = (0..7).map(|i| FIRST_SEQUENCE.wrapping_add(i)).collect();
    assert_eq!(sequences, expected);
    assert_eq!(events(&out), [LegEvent::DigitsSent]);
    // The end is sent 80 ms in (the fifth tick), when the tone's 100 ms are covered.
    assert!(sim.wake > sim.now, "nothing more is due");
}

#[test]
fn keys_follow_each_other_after_a_gap_and_a_comma_pauses_half_a_second() {
    let mut sim = Sim::answered();
    let mut out = Vec::new();
    let mut starts = Vec::new();
    out.extend(send(&mut sim, "1,2", 60));
    // The first key goes out at once.
    if to_trunk(&out).iter().any(|(h, _)| h.marker) {
        starts.push(0);
    }
    // Walk 20 ms at a time, noting when each key's first report goes out.
    for step in 1..100u64 {
        let o = sim.run_until(ms(step * 20));
        for (h, _) in to_trunk(&o) {
            if h.marker {
                starts.push(step * 20);
            }
        }
        out.extend(o);
    }
    // Key 1 at 0 ms, its end at 40 ms; the gap ends at 140 ms, where the comma starts its
    // half second: key 2 at 640 ms.
    let gap = KEY_GAP.as_millis() as u64;
    let pause = COMMA_PAUSE.as_millis() as u64;
    assert_eq!(starts, [0, 40 + gap + pause]);
    let got = reports(&to_trunk(&out));
    let keys: Vec<u8> = got
        .iter()
        .filter(|(m, _, _)| *m)
        .map(|(_, _, r)| r.event)
        .collect();
    assert_eq!(keys, [1, 2]);
    // The second key sits later on the stream's clock by the real time between them.
    let second = got
        .iter()
        .find(|(m, _, r)| *m && r.event == 2)
        .map(|(_, ts, _)| *ts);
    assert_eq!(second, Some(8 * (40 + gap + pause) as u32));
    assert_eq!(events(&out), [LegEvent::DigitsSent]);
}

#[test]
fn the_agent_is_held_back_while_a_key_sounds_and_keys_share_its_timeline() {
    let mut sim = Sim::answered();
    let mut out = Vec::new();
    // The agent speaks at media time 8 000, 8 160, … one frame per 20 ms.
    let mut time = 8_000u64;
    let mut speak = |sim: &mut Sim, out: &mut Vec<Output>| {
        out.extend(sim.browser_audio(time, &frame(5)));
        time += 160;
    };
    speak(&mut sim, &mut out);
    sim.run_until(ms(20));
    out.extend(send(&mut sim, "#", 50));
    for step in 2..12u64 {
        speak(&mut sim, &mut out);
        out.extend(sim.run_until(ms(step * 20)));
    }
    let sent: Vec<(u8, u32)> = to_trunk(&out)
        .iter()
        .map(|(h, _)| (h.payload_type, h.timestamp.wrapping_sub(FIRST_TIMESTAMP)))
        .collect();
    // Audio at 0; the key at 160 + 20 ms of real time since that frame ended (its start on the
    // agent's clock); no audio while it sounds (three ticks: 20, 40, 50 ms); audio after.
    assert_eq!(sent[0], (0, 0));
    let key: Vec<&(u8, u32)> = sent
        .iter()
        .filter(|(pt, _)| *pt == TELEPHONE_EVENT_PT)
        .collect();
    assert_eq!(key.len(), 5, "{sent:?}");
    assert!(key.iter().all(|(_, ts)| *ts == 160 + 160));
    let key_at = sent
        .iter()
        .position(|(pt, _)| *pt == TELEPHONE_EVENT_PT)
        .unwrap_or(0);
    let last_key = sent
        .iter()
        .rposition(|(pt, _)| *pt == TELEPHONE_EVENT_PT)
        .unwrap_or(0);
    assert!(sent[key_at..=last_key]
        .iter()
        .all(|(pt, _)| *pt == TELEPHONE_EVENT_PT));
    assert!(sent[last_key + 1..]
        .iter()
        .all(|(pt, ts)| *pt == 0 && *ts > 320));
}

#[test]
fn without_telephone_event_nothing_is_sent_but_the_keys_still_take_their_time() {
    let mut sim = Sim::new(telephony::g711::G711::Pcmu, "+6560000001");
    sim.input(Input::TrunkMedia(trunk_media(
        telephony::g711::G711::Pcmu,
        None,
    )));
    sim.input(Input::Answered);
    let mut out = send(&mut sim, "12", 100);
    out.extend(sim.run_until(ms(2_000)));
    assert!(to_trunk(&out).is_empty());
    assert_eq!(events(&out), [LegEvent::DigitsSent]);
}

#[test]
fn characters_that_are_not_keys_are_skipped() {
    let mut sim = Sim::answered();
    let mut out = send(&mut sim, "x9", 50);
    out.extend(sim.run_until(ms(1_000)));
    let keys: Vec<u8> = reports(&to_trunk(&out))
        .iter()
        .filter(|(m, _, _)| *m)
        .map(|(_, _, r)| r.event)
        .collect();
    assert_eq!(keys, [9]);
}
