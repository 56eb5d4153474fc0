//! The live channel reconnects after 1 s, doubling after each failed attempt up to 15 s; a
//! successful open starts again from 1 s.

mod common;

use app::phone::core::{Effect, Input, Timer};
use common::phone::Tab;

/// Closes the channel and returns the reconnect delay it asked for.
fn close(tab: &mut Tab) -> u64 {
    let out = tab.input(Input::ChannelClosed);
    let at = match out.as_slice() {
        [Effect::ChannelUp(false), Effect::Connection(None), Effect::StartTimer {
            timer: Timer::Reconnect,
            at,
        }] => *at,
        other => panic!("unexpected effects {other:?}"),
    };
    at - tab.now
}

#[test]
fn the_phone_opens_its_channel_on_start() {
    let mut tab = Tab::new();
    assert_eq!(tab.input(Input::Start), [Effect::OpenChannel]);
    assert_eq!(tab.input(Input::ChannelOpened), [Effect::ChannelUp(true)]);
    assert!(tab.core.channel_up());
}

#[test]
fn failed_attempts_back_off_from_1_to_15_seconds() {
    let mut tab = Tab::connected(false);
    let mut delays = Vec::new();
    for _ in 0..7 {
        let delay = close(&mut tab);
        delays.push(delay);
        assert_eq!(tab.advance(delay - 1), [], "not before the delay");
        assert_eq!(tab.advance(1), [Effect::OpenChannel]);
    }
    assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
    assert!(!tab.core.channel_up());
}

#[test]
fn an_open_channel_starts_the_backoff_again() {
    let mut tab = Tab::connected(false);
    for _ in 0..3 {
        let delay = close(&mut tab);
        tab.advance(delay);
    }
    tab.input(Input::ChannelOpened);
    assert_eq!(close(&mut tab), 1_000);
}
