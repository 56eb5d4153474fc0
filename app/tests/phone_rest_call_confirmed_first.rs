//! A call placed through the REST API for a user who confirms such calls (the default): every
//! tab asks the agent, none opens the microphone by itself; Call takes it up in that tab,
//! Cancel or the window running out ends it, and a tab stops asking once another has taken it
//! up.

mod common;

use app::api::live::{ClientMessage, LiveCall, CONFIRM_WINDOW_MS};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input, Timer};
use common::phone::{ended, from_api, Tab, OTHER_TAB};
use common::T0;

fn asking(id: &str) -> LiveCall {
    LiveCall {
        confirm: true,
        ..from_api(id, CallState::Dialing)
    }
}

fn decline(id: &str, timed_out: bool) -> Effect {
    Effect::Send(ClientMessage::Decline {
        call_id: id.into(),
        timed_out,
    })
}

#[test]
fn the_tab_asks_first_and_takes_the_call_up_on_call() {
    let mut tab = Tab::connected(false);
    let call = asking("c1");
    assert_eq!(
        tab.call(call.clone()),
        [
            Effect::ShowCall(Some(call.clone())),
            Effect::AskToConfirm(Some(call)),
            Effect::StartTimer {
                timer: Timer::ConfirmExpired {
                    call_id: "c1".into()
                },
                at: T0 + CONFIRM_WINDOW_MS,
            },
        ]
    );
    // Nothing opened while it asks, and news of the call does not ask twice.
    assert_eq!(tab.core.audio_call(), None);
    let ringing = LiveCall {
        state: CallState::Ringing,
        ..asking("c1")
    };
    assert_eq!(tab.call(ringing.clone()), [Effect::ShowCall(Some(ringing))]);

    assert_eq!(
        tab.input(Input::Confirmed {
            call_id: "c1".into()
        }),
        [
            Effect::AskToConfirm(None),
            Effect::TakeUp {
                call_id: "c1".into()
            }
        ]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));
    // The window running out later changes nothing.
    assert_eq!(tab.advance(CONFIRM_WINDOW_MS), []);
}

#[test]
fn cancel_ends_the_call_without_opening_anything() {
    let mut tab = Tab::connected(false);
    tab.call(asking("c1"));
    assert_eq!(
        tab.input(Input::Declined {
            call_id: "c1".into()
        }),
        [Effect::AskToConfirm(None), decline("c1", false)]
    );
    assert_eq!(tab.core.audio_call(), None);
    assert!(!tab.log.iter().any(|e| matches!(e, Effect::TakeUp { .. })));
    // A second press (a double click) sends nothing more.
    assert_eq!(
        tab.input(Input::Declined {
            call_id: "c1".into()
        }),
        []
    );
}

#[test]
fn no_answer_within_the_window_ends_the_call() {
    let mut tab = Tab::connected(true);
    tab.call(asking("c1"));
    // A background tab asks as well: it does not take the call up on its own.
    assert_eq!(tab.advance(CONFIRM_WINDOW_MS - 1), []);
    assert_eq!(
        tab.advance(1),
        [Effect::AskToConfirm(None), decline("c1", true)]
    );
    assert!(!tab.log.iter().any(|e| matches!(e, Effect::TakeUp { .. })));
}

#[test]
fn a_tab_stops_asking_once_another_took_the_call_up_or_it_ended() {
    let mut tab = Tab::connected(false);
    tab.call(asking("c1"));
    let taken = LiveCall {
        media_connection: Some(OTHER_TAB),
        state: CallState::Ringing,
        ..asking("c1")
    };
    assert_eq!(
        tab.call(taken.clone()),
        [Effect::AskToConfirm(None), Effect::ShowCall(Some(taken))]
    );
    // Call pressed too late takes nothing up.
    assert_eq!(
        tab.input(Input::Confirmed {
            call_id: "c1".into()
        }),
        []
    );
    assert_eq!(tab.advance(CONFIRM_WINDOW_MS), []);

    let mut tab = Tab::connected(false);
    tab.call(asking("c2"));
    let over = ended(&asking("c2"));
    let effects = tab.call(over);
    assert!(effects.contains(&Effect::AskToConfirm(None)), "{effects:?}");
    // Only the ended call's time on screen runs out.
    assert_eq!(tab.advance(CONFIRM_WINDOW_MS), [Effect::ShowEnded(None)]);
    assert!(!tab
        .sent()
        .iter()
        .any(|m| matches!(m, ClientMessage::Decline { .. })));
}

#[test]
fn a_call_placed_for_a_user_who_does_not_confirm_is_taken_up_at_once() {
    let mut tab = Tab::connected(false);
    let call = from_api("c1", CallState::Dialing);
    assert!(!call.confirm);
    let effects = tab.call(call);
    assert!(
        effects.contains(&Effect::TakeUp {
            call_id: "c1".into()
        }),
        "{effects:?}"
    );
    assert!(!effects.iter().any(|e| matches!(e, Effect::AskToConfirm(_))));
}
