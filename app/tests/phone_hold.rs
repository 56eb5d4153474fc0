//! Hold from the call screen: the server is asked (the state on every tab changes when it has
//! held the call, not when the button is pressed), an old notice is cleared; with no call
//! nothing is sent.

mod common;

use app::api::live::ClientMessage;
use app::domain::call::CallState;
use app::phone::core::{Effect, Input};
use common::phone::{connected, dialled, Tab, ME};

#[test]
fn hold_and_resume_ask_the_server_and_change_nothing_here_until_it_answers() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    assert_eq!(
        tab.input(Input::Hold(true)),
        [
            Effect::Notice(None),
            Effect::Send(ClientMessage::Hold {
                call_id: "c1".into(),
                on_hold: true
            })
        ]
    );
    // The server's news is what shows it held, on this tab as on the others.
    let held = CallState::Connected {
        muted: false,
        on_hold: true,
        held_by_far_end: false,
    };
    let shown = tab.call(dialled("c1", held.clone(), Some(ME)));
    assert!(shown
        .iter()
        .any(|e| matches!(e, Effect::ShowCall(Some(call)) if call.state == held)));
    assert_eq!(
        tab.input(Input::Hold(false)).last(),
        Some(&Effect::Send(ClientMessage::Hold {
            call_id: "c1".into(),
            on_hold: false
        }))
    );
    assert_eq!(tab.core.audio_call(), Some("c1"), "the audio stays up");
}

#[test]
fn with_no_call_hold_sends_nothing() {
    let mut tab = Tab::connected(false);
    assert!(tab.input(Input::Hold(true)).is_empty());
}
