//! A new connection's hello: the audio this tab held belonged to the old connection (whose
//! closing ended that call on the server), so it is torn down and the hello's call is shown.

mod common;

use app::api::live::ServerMessage;
use app::domain::call::CallState;
use app::phone::core::{Effect, Input, Timer};
use common::phone::{connected, dialled, hello, Tab, ME};

/// A tab holding the connected audio of call `c1`, screen kept on.
fn in_call() -> Tab {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.input(Input::OfferMade {
        call_id: "c1".into(),
        sdp: "v=0 offer".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    tab.log.clear();
    tab
}

#[test]
fn a_reconnect_tears_down_the_call_audio_and_releases_the_screen() {
    let mut tab = in_call();
    let closed = tab.input(Input::ChannelClosed);
    assert_eq!(
        closed,
        [
            Effect::ChannelUp(false),
            Effect::Connection(None),
            Effect::StartTimer {
                timer: Timer::Reconnect,
                at: tab.now + 1_000
            }
        ]
    );
    assert_eq!(tab.advance(1_000), [Effect::OpenChannel]);
    assert_eq!(tab.input(Input::ChannelOpened), [Effect::ChannelUp(true)]);
    assert_eq!(
        tab.server(hello(9, None)),
        [
            Effect::TearDownAudio,
            Effect::ReleaseScreen,
            Effect::Connection(Some(9)),
            Effect::ShowCall(None)
        ]
    );
    assert_eq!(tab.core.audio_call(), None);
    // An answer for the old call finds nothing to answer.
    let late = ServerMessage::Answer {
        call_id: "c1".into(),
        sdp: "v=0".into(),
    };
    assert_eq!(tab.server(late), []);
}

#[test]
fn the_hello_shows_the_call_another_tab_holds() {
    let mut tab = in_call();
    tab.input(Input::ChannelClosed);
    tab.advance(1_000);
    tab.input(Input::ChannelOpened);
    let theirs = dialled("c2", CallState::Ringing, Some(8));
    assert_eq!(
        tab.server(hello(9, Some(theirs.clone()))),
        [
            Effect::TearDownAudio,
            Effect::ReleaseScreen,
            Effect::Connection(Some(9)),
            Effect::ShowCall(Some(theirs))
        ]
    );
}

#[test]
fn an_offer_finished_after_the_hello_is_closed_and_not_sent() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.server(hello(9, None));
    let made = Input::OfferMade {
        call_id: "c1".into(),
        sdp: "v=0 offer".into(),
    };
    assert_eq!(tab.input(made), [Effect::TearDownAudio]);
    assert!(tab.sent().is_empty());
}

#[test]
fn a_late_failure_of_the_old_calls_set_up_leaves_a_new_call_alone() {
    let mut tab = Tab::connected(false);
    tab.call(common::phone::from_api("c1", CallState::Dialing));
    tab.server(hello(9, None));
    tab.call(common::phone::from_api("c2", CallState::Dialing));
    assert_eq!(tab.core.audio_call(), Some("c2"));
    let failed = Input::OfferFailed {
        call_id: "c1".into(),
        mic: None,
    };
    assert_eq!(tab.input(failed), []);
    let failed = Input::OfferFailed {
        call_id: "c2".into(),
        mic: None,
    };
    assert_eq!(
        tab.input(failed),
        [Effect::Send(app::api::live::ClientMessage::Hangup {
            call_id: "c2".into()
        })]
    );
}
