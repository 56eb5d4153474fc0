//! Keys typed on the call's keypad: tones in the audio (RFC 4733) on the gateway path; on the
//! Chime path, whose meeting carries no DTMF, `Digits` for the server, once this tab's call is
//! connected.

mod common;

use app::api::live::{AudioPath, ClientMessage};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input};
use common::phone::{connected, dialled, meeting_for, Tab, ME, OTHER_TAB};

fn digits(key: char) -> Effect {
    Effect::Send(ClientMessage::Digits {
        call_id: "c1".into(),
        digits: key.to_string(),
    })
}

#[test]
fn on_the_gateway_path_keys_are_tones_in_the_audio() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    for key in ['1', '*', '#'] {
        assert_eq!(tab.input(Input::Key(key)), [Effect::SendTone(key)]);
    }
    assert!(tab.sent().is_empty(), "nothing on the live channel");
}

#[test]
fn on_the_chime_path_keys_are_digits_once_connected() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.server(meeting_for("c1"));
    tab.call(dialled("c1", CallState::Ringing, Some(ME)));
    assert_eq!(tab.input(Input::Key('1')), [], "not before the answer");
    tab.call(dialled("c1", connected(), Some(ME)));
    for key in ['0', '9', '*', '#'] {
        assert_eq!(tab.input(Input::Key(key)), [digits(key)]);
    }
    assert_eq!(tab.input(Input::Key('A')), [], "not a key the server sends");

    tab.input(Input::ChannelClosed);
    assert_eq!(tab.input(Input::Key('5')), [], "no channel");
}

#[test]
fn on_the_chime_path_another_tabs_call_gets_no_keys_from_here() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.call(dialled("c1", connected(), Some(OTHER_TAB)));
    assert_eq!(tab.input(Input::Key('1')), []);
}
