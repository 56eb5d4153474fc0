//! The bridge's recording tap on a simulated clock: both directions on one timeline (left =
//! called party, right = agent), a silent side written as silence, a burst beyond the backlog
//! losing its oldest audio, pauses, the consent notice, and the order of what the sink gets.

mod simclock;

use std::sync::Arc;

use simclock::*;
use telephony::gateway::bridge::{Input, Output, RecordControl};
use telephony::recording::{PauseMode, RecordedAudio};

fn start(sim: &mut Sim, mode: PauseMode, notice: &[i16]) -> Vec<Output> {
    sim.input(Input::Record(RecordControl::Start {
        notice: Arc::from(notice),
        mode,
    }))
}

/// A call where both sides send a frame every 20 ms from `from` to `to` (ms), the trunk's
/// after the browser's; returns everything the bridge put out.
fn talk(sim: &mut Sim, from: u64, to: u64, called: Option<i16>, agent: Option<i16>) -> Vec<Output> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        out.extend(sim.run_until(ms(t)));
        if let Some(a) = agent {
            out.extend(sim.browser_audio(t * 8, &frame(a)));
        }
        if let Some(c) = called {
            out.extend(sim.trunk_audio((t / 20) as u16, (t * 8) as u32, &frame(c)));
        }
        t += 20;
    }
    out
}

#[test]
fn both_directions_line_up_on_one_timeline() {
    let mut sim = Sim::answered();
    assert!(start(&mut sim, PauseMode::Silence, &[]).is_empty());
    let mut out = talk(&mut sim, 0, 1_000, Some(1_000), Some(-2_000));
    out.extend(sim.run_until(ms(1_000)));
    out.extend(sim.input(Input::Record(RecordControl::Stop)));
    let audio = recorded(&out);
    let (left, right) = channels(&audio);
    assert_eq!(
        left.len(),
        8_000,
        "one second of call, one second of recording"
    );
    assert!(left.iter().all(|&s| s == decoded(1_000)));
    assert!(right.iter().all(|&s| s == decoded(-2_000)));
    // The end is last: the sink may close after it.
    assert_eq!(out.last(), Some(&Output::RecordingEnded));
}

#[test]
fn audio_is_handed_out_every_20_ms_behind_a_40_ms_playout_delay() {
    let mut sim = Sim::answered();
    start(&mut sim, PauseMode::Silence, &[]);
    let mut lengths = Vec::new();
    for t in (0..=100).step_by(20) {
        let out = sim.run_until(ms(t));
        let (left, _) = channels(&recorded(&out));
        lengths.push(left.len());
        sim.trunk_audio((t / 20) as u16, (t * 8) as u32, &frame(7));
    }
    // Nothing until 40 ms have passed, then 160 samples per tick.
    assert_eq!(lengths, [0, 0, 0, 160, 160, 160]);
}

#[test]
fn a_silent_side_is_silence_and_time_still_passes() {
    let mut sim = Sim::answered();
    start(&mut sim, PauseMode::Silence, &[]);
    // Only the agent speaks, and only for the first 100 ms of a 500 ms recording.
    let mut out = talk(&mut sim, 0, 100, None, Some(3_000));
    out.extend(sim.run_until(ms(500)));
    out.extend(sim.input(Input::Record(RecordControl::Stop)));
    let (left, right) = channels(&recorded(&out));
    assert_eq!(left.len(), 4_000);
    assert!(
        left.iter().all(|&s| s == 0),
        "the called party said nothing"
    );
    assert!(right[..800].iter().all(|&s| s == decoded(3_000)));
    assert!(right[800..].iter().all(|&s| s == 0));
}

#[test]
fn a_burst_beyond_the_backlog_keeps_only_the_newest_audio() {
    let mut sim = Sim::answered();
    start(&mut sim, PauseMode::Silence, &[]);
    // 800 ms of the called party's audio arrive at once (frame i carries sample 100 * i).
    for i in 0..40u16 {
        sim.trunk_audio(i, u32::from(i) * 160, &frame(100 * i as i16));
    }
    let mut out = sim.run_until(ms(100));
    out.extend(sim.input(Input::Record(RecordControl::Stop)));
    let (left, _) = channels(&recorded(&out));
    assert_eq!(left.len(), 800);
    // The first write (at 60 ms, 20 ms of timeline) keeps 200 ms of backlog beyond it: the
    // oldest 29 frames are dropped, and the recording goes on from frame 29 in order.
    let first: Vec<i16> = left.chunks(160).map(|c| c[0]).collect();
    let want: Vec<i16> = (29..34).map(|i| decoded(100 * i)).collect();
    assert_eq!(first, want);
}

#[test]
fn a_late_frame_within_the_playout_delay_lands_in_its_place() {
    let mut sim = Sim::answered();
    start(&mut sim, PauseMode::Silence, &[]);
    sim.trunk_audio(0, 0, &frame(1_000));
    // The second frame is 15 ms late; the tap has not written its slot yet.
    let mut out = sim.run_until(ms(35));
    out.extend(sim.trunk_audio(1, 160, &frame(2_000)));
    out.extend(sim.run_until(ms(60)));
    out.extend(sim.input(Input::Record(RecordControl::Stop)));
    let (left, _) = channels(&recorded(&out));
    assert_eq!(left.len(), 480);
    assert!(left[..160].iter().all(|&s| s == decoded(1_000)));
    assert!(left[160..320].iter().all(|&s| s == decoded(2_000)));
    assert!(left[320..].iter().all(|&s| s == 0));
}

#[test]
fn pauses_are_marked_and_recorded_as_silence_or_skipped() {
    for mode in [PauseMode::Silence, PauseMode::Skip] {
        let mut sim = Sim::answered();
        start(&mut sim, mode, &[]);
        let mut out = talk(&mut sim, 0, 500, Some(500), Some(500));
        out.extend(sim.run_until(ms(500)));
        out.extend(sim.input(Input::Record(RecordControl::Pause)));
        out.extend(talk(&mut sim, 500, 1_500, Some(500), Some(500)));
        out.extend(sim.run_until(ms(1_500)));
        out.extend(sim.input(Input::Record(RecordControl::Resume)));
        out.extend(talk(&mut sim, 1_500, 2_000, Some(500), Some(500)));
        out.extend(sim.run_until(ms(2_000)));
        out.extend(sim.input(Input::Record(RecordControl::Stop)));
        let audio = recorded(&out);
        let markers: Vec<&RecordedAudio> = audio
            .iter()
            .filter(|a| !matches!(a, RecordedAudio::Frames { .. }))
            .collect();
        assert_eq!(markers, [&RecordedAudio::Paused, &RecordedAudio::Resumed]);
        let (left, right) = channels(&audio);
        match mode {
            PauseMode::Silence => {
                assert_eq!(left.len(), 16_000);
                assert!(left[..4_000].iter().all(|&s| s == decoded(500)));
                assert!(left[4_000..12_000].iter().all(|&s| s == 0));
                assert!(right[4_000..12_000].iter().all(|&s| s == 0));
            }
            PauseMode::Skip => assert_eq!(left.len(), 8_000),
        }
    }
}

#[test]
fn the_consent_notice_goes_to_the_called_party_and_the_agent_hears_it_too() {
    let mut sim = Sim::answered();
    let notice = [400i16; 320];
    start(&mut sim, PauseMode::Silence, &notice);
    // A second start while recording is ignored: the notice plays once.
    start(&mut sim, PauseMode::Silence, &notice);
    let mut to_callee = Vec::new();
    let mut to_agent = Vec::new();
    for i in 0..3u64 {
        to_callee.extend(to_trunk(&sim.browser_audio(i * 160, &frame(0))));
        to_agent.extend(to_browser(&sim.trunk_audio(
            i as u16,
            (i * 160) as u32,
            &frame(0),
        )));
    }
    let mixed = frame(400);
    let plain = frame(0);
    let callee: Vec<&Vec<u8>> = to_callee.iter().map(|(_, p)| p).collect();
    let agent: Vec<&Vec<u8>> = to_agent.iter().map(|(_, p)| p).collect();
    assert_eq!(callee, [&mixed, &mixed, &plain]);
    assert_eq!(agent, [&mixed, &mixed, &plain]);
    let mut out = sim.run_until(ms(60));
    out.extend(sim.input(Input::Record(RecordControl::Stop)));
    let (left, right) = channels(&recorded(&out));
    assert_eq!(right.len(), 480);
    // The agent's side carries the notice as mixed; the called party's is what they said.
    assert!(right[..320].iter().all(|&s| s == 400));
    assert!(right[320..].iter().all(|&s| s == 0));
    assert!(left.iter().all(|&s| s == 0));
}

#[test]
fn stopping_without_a_recording_or_twice_does_nothing() {
    let mut sim = Sim::answered();
    assert!(sim.input(Input::Record(RecordControl::Stop)).is_empty());
    start(&mut sim, PauseMode::Silence, &[]);
    sim.run_until(ms(20));
    let out = sim.input(Input::Record(RecordControl::Stop));
    assert_eq!(
        out.iter().filter(|o| **o == Output::RecordingEnded).count(),
        1
    );
    assert!(sim.input(Input::Record(RecordControl::Stop)).is_empty());
    assert!(sim.run_until(ms(200)).is_empty(), "no more polls");
}
