//! An ended call stays on screen with its reason for 6 s, unless a newer call replaces it.

mod common;

use app::domain::call::CallState;
use app::phone::core::{Effect, Input, Timer, ENDED_SHOWN_MS};
use common::phone::{connected, dialled, ended, Tab, ME};

#[test]
fn an_ended_call_is_shown_for_six_seconds() {
    let mut tab = Tab::connected(false);
    let call = dialled("c1", connected(), Some(8));
    tab.call(call.clone());
    let over = ended(&call);
    assert_eq!(
        tab.call(over.clone()),
        [
            Effect::ShowCall(None),
            Effect::ShowEnded(Some(over)),
            Effect::StartTimer {
                timer: Timer::ClearEnded {
                    call_id: "c1".into()
                },
                at: tab.now + ENDED_SHOWN_MS
            }
        ]
    );
    assert_eq!(tab.advance(5_999), []);
    assert_eq!(tab.advance(1), [Effect::ShowEnded(None)]);
}

#[test]
fn a_new_call_replaces_the_ended_one_and_its_timer_leaves_the_new_one_alone() {
    let mut tab = Tab::connected(false);
    let first = dialled("c1", connected(), Some(8));
    tab.call(ended(&first));
    tab.advance(3_000);
    let second = dialled("c2", CallState::Dialing, Some(8));
    assert_eq!(
        tab.call(second.clone()),
        [
            Effect::ShowEnded(None),
            Effect::ShowCall(Some(second.clone()))
        ]
    );
    tab.advance(2_000);
    let second_over = ended(&second);
    tab.call(second_over.clone());
    assert_eq!(
        tab.advance(1_000),
        [],
        "the first call's timer fires for nothing"
    );
    assert_eq!(tab.advance(4_999), []);
    assert_eq!(tab.advance(1), [Effect::ShowEnded(None)]);
}

#[test]
fn the_end_of_this_tabs_call_tears_down_its_audio_and_releases_the_screen() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    let call = dialled("c1", connected(), Some(ME));
    assert_eq!(
        tab.call(call.clone()),
        [Effect::KeepScreenOn, Effect::ShowCall(Some(call.clone()))]
    );
    let over = ended(&call);
    assert_eq!(
        tab.call(over.clone()),
        [
            Effect::TearDownAudio,
            Effect::ReleaseScreen,
            Effect::ShowCall(None),
            Effect::ShowEnded(Some(over)),
            Effect::StartTimer {
                timer: Timer::ClearEnded {
                    call_id: "c1".into()
                },
                at: tab.now + ENDED_SHOWN_MS
            }
        ]
    );
    assert_eq!(tab.core.audio_call(), None);
}
