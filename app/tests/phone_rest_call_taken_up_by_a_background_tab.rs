//! A call placed through the REST API reaching a tab in the background: it waits 1.5 s so a
//! visible tab of the same user gets the call, then takes it up unless another tab has.

mod common;

use app::domain::call::CallState;
use app::phone::core::{Effect, Timer, BACKGROUND_TAKE_UP_MS};
use common::phone::{ended, from_api, Tab, OTHER_TAB};

fn take_up_timer(tab: &Tab) -> Effect {
    Effect::StartTimer {
        timer: Timer::TakeUp {
            call_id: "c1".into(),
        },
        at: tab.now + BACKGROUND_TAKE_UP_MS,
    }
}

#[test]
fn a_background_tab_takes_the_call_up_after_its_wait() {
    let mut tab = Tab::connected(true);
    let call = from_api("c1", CallState::Dialing);
    let timer = take_up_timer(&tab);
    assert_eq!(
        tab.call(call.clone()),
        [Effect::ShowCall(Some(call)), timer]
    );
    assert_eq!(tab.advance(1_499), [], "nothing before the wait is over");
    assert_eq!(
        tab.advance(1),
        [Effect::TakeUp {
            call_id: "c1".into()
        }]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));
}

#[test]
fn news_of_the_call_during_the_wait_starts_no_second_timer() {
    let mut tab = Tab::connected(true);
    tab.call(from_api("c1", CallState::Dialing));
    tab.advance(500);
    let ringing = from_api("c1", CallState::Ringing);
    assert_eq!(tab.call(ringing.clone()), [Effect::ShowCall(Some(ringing))]);
    assert_eq!(
        tab.advance(1_000),
        [Effect::TakeUp {
            call_id: "c1".into()
        }]
    );
    assert_eq!(tab.advance(10_000), []);
}

#[test]
fn a_call_another_tab_took_up_during_the_wait_is_left_to_it() {
    let mut tab = Tab::connected(true);
    tab.call(from_api("c1", CallState::Dialing));
    tab.advance(1_000);
    let mut theirs = from_api("c1", CallState::Ringing);
    theirs.media_connection = Some(OTHER_TAB);
    assert_eq!(tab.call(theirs.clone()), [Effect::ShowCall(Some(theirs))]);
    assert_eq!(tab.advance(500), [], "the timer fires and does nothing");
    assert_eq!(tab.core.audio_call(), None);
}

#[test]
fn a_call_that_ended_during_the_wait_is_not_taken_up() {
    let mut tab = Tab::connected(true);
    let call = from_api("c1", CallState::Dialing);
    tab.call(call.clone());
    tab.advance(200);
    tab.call(ended(&call));
    assert!(!tab
        .advance(BACKGROUND_TAKE_UP_MS)
        .iter()
        .any(|e| matches!(e, Effect::TakeUp { .. })));
    assert_eq!(tab.core.audio_call(), None);
}

#[test]
fn a_tab_hidden_after_start_waits_and_one_shown_again_takes_up_at_once() {
    let mut tab = Tab::connected(false);
    tab.input(app::phone::core::Input::Visibility { hidden: true });
    let timer = take_up_timer(&tab);
    let call = from_api("c1", CallState::Dialing);
    assert_eq!(
        tab.call(call.clone()),
        [Effect::ShowCall(Some(call)), timer]
    );

    let mut shown = Tab::connected(true);
    shown.input(app::phone::core::Input::Visibility { hidden: false });
    let call = from_api("c2", CallState::Dialing);
    assert_eq!(
        shown.call(call.clone()),
        [
            Effect::ShowCall(Some(call)),
            Effect::TakeUp {
                call_id: "c2".into()
            }
        ]
    );
}
