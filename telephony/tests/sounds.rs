//! The app's own sounds in `public/sounds/` are the ones `telephony::tones` makes (a changed
//! generator or a hand-edited file fails here). `SOFTPHONE_WRITE_SOUNDS=1` writes them anew.

use std::path::PathBuf;

use telephony::tones::{call_waiting_tone, hold_music, ringtone, tone_purity, HOLD_MUSIC_CHORDS};
use telephony::wav::{mono_8k, parse_mono_8k};

fn check(name: &str, samples: Vec<i16>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../public/sounds")
        .join(name);
    if std::env::var_os("SOFTPHONE_WRITE_SOUNDS").is_some() {
        std::fs::write(&path, mono_8k(&samples)).expect("sound written");
    }
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let committed = parse_mono_8k(&bytes).expect("a mono 8 kHz WAV");
    assert_eq!(committed.len(), samples.len(), "{name}: length");
    // Sample by sample, with a hair of room for another libm's last bit.
    let worst = committed
        .iter()
        .zip(&samples)
        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
        .max()
        .unwrap_or(0);
    assert!(worst <= 2, "{name}: differs by up to {worst}");
}

#[test]
fn the_ringtone_is_ours_and_loops_every_4_s() {
    let ring = ringtone();
    assert_eq!(ring.len(), 4 * 8000);
    // A5 first, then E5: each note's own frequency carries most of its power.
    let (first, second) = (&ring[40..2400], &ring[3000..6400]);
    let (a5, e5) = (tone_purity(first, 880.0), tone_purity(second, 659.25));
    assert!(a5 > 0.4 && e5 > 0.4, "A5 {a5:.2}, E5 {e5:.2}");
    assert!(tone_purity(first, 659.25) < 0.05 && tone_purity(second, 880.0) < 0.05);
    // Quiet for the second half of the cycle.
    assert!(ring[16_000..].iter().all(|s| *s == 0));
    check("ringtone.wav", ring);
}

#[test]
fn the_call_waiting_tone_is_soft_and_short() {
    let tone = call_waiting_tone();
    assert_eq!(tone.len(), 5 * 8000);
    let peak = tone.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(peak < 8000, "soft over a call: peak {peak}");
    assert!(tone_purity(&tone[0..2000], 440.0) > 0.9);
    assert!(tone[6400..].iter().all(|s| *s == 0));
    check("call-waiting.wav", tone);
}

#[test]
fn the_hold_music_is_ours_in_the_telephone_band_and_loops_every_8_s() {
    let music = hold_music();
    assert_eq!(music.len(), 8 * 8000);
    let peak = music.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(
        (4_000..16_000).contains(&peak),
        "audible, never loud: peak {peak}"
    );
    // Each 250 ms note is its chord's note: the note's own frequency carries more of the
    // note's power than any other note of the tune.
    let notes: Vec<f32> = HOLD_MUSIC_CHORDS
        .iter()
        .flat_map(|chord| chord.iter().chain(chord.iter()).copied())
        .collect();
    assert_eq!(notes.len(), 32);
    let mut all: Vec<f32> = notes.clone();
    all.sort_by(f32::total_cmp);
    all.dedup();
    for (i, freq) in notes.iter().enumerate() {
        assert!((300.0..3400.0).contains(freq), "{freq} Hz is in the band");
        let note = &music[i * 2000 + 40..i * 2000 + 1200];
        let own = tone_purity(note, *freq);
        let loudest_other = all
            .iter()
            .filter(|f| *f != freq)
            .map(|f| tone_purity(note, *f))
            .fold(0.0f32, f32::max);
        assert!(
            own > 0.3 && own > 3.0 * loudest_other,
            "note {i} ({freq} Hz): {own:.2} of its power, another note {loudest_other:.2}"
        );
    }
    // Nothing near the 1 kHz the tests' agents send: hold music never passes for the agent.
    assert!(tone_purity(&music, 1000.0) < 0.01);
}

#[test]
fn the_special_information_tone_rises_in_three_steps_twice() {
    use telephony::tones::special_information_tone;
    let sit = special_information_tone();
    // (276 + 276 + 380) ms twice, and a second between.
    assert_eq!(sit.len(), 2 * (2208 + 2208 + 3040) + 8000);
    for (start, freq) in [(0, 913.8), (2208, 1370.6), (4416, 1776.7)] {
        let part = &sit[start + 100..start + 2100];
        assert!(tone_purity(part, freq) > 0.9, "{freq} Hz");
        let again = &sit[start + 7456 + 8000 + 100..start + 7456 + 8000 + 2100];
        assert!(tone_purity(again, freq) > 0.9, "{freq} Hz, second time");
    }
    assert!(sit[7456..15456].iter().all(|s| *s == 0));
}
