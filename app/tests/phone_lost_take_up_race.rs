//! Two tabs offer for the same REST call; the server gives the audio to the first offer and
//! answers the other with an error for that call. The losing tab closes its audio and shows the
//! call, without a notice.

mod common;

use app::api::live::{ClientMessage, ServerMessage};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input};
use common::phone::{from_api, Tab, OTHER_TAB};

fn offer_out(tab: &mut Tab) {
    tab.call(from_api("c1", CallState::Dialing));
    tab.input(Input::OfferMade {
        call_id: "c1".into(),
        sdp: "v=0 offer".into(),
    });
}

#[test]
fn the_losing_tab_closes_its_audio_silently_and_shows_the_call() {
    let mut tab = Tab::connected(false);
    offer_out(&mut tab);
    let refused = ServerMessage::Error {
        call_id: Some("c1".into()),
        message: "another tab took the call".into(),
    };
    assert_eq!(tab.server(refused), [Effect::TearDownAudio]);
    assert_eq!(tab.core.audio_call(), None);

    let mut theirs = from_api("c1", CallState::Ringing);
    theirs.media_connection = Some(OTHER_TAB);
    assert_eq!(tab.call(theirs.clone()), [Effect::ShowCall(Some(theirs))]);
    // A late answer for the lost call is not this tab's.
    let late = ServerMessage::Answer {
        call_id: "c1".into(),
        sdp: "v=0".into(),
    };
    assert_eq!(tab.server(late), []);
    // It can still end the call, as any tab can.
    assert_eq!(
        tab.input(Input::Hangup),
        [Effect::Send(ClientMessage::Hangup {
            call_id: "c1".into()
        })]
    );
}

#[test]
fn an_error_about_another_request_is_a_notice() {
    let mut tab = Tab::connected(false);
    offer_out(&mut tab);
    let other = ServerMessage::Error {
        call_id: None,
        message: "recording is not available".into(),
    };
    assert_eq!(
        tab.server(other),
        [Effect::Notice(Some("recording is not available".into()))]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"), "the call is kept");
}

#[test]
fn an_error_for_the_call_after_its_answer_is_a_notice_not_a_lost_race() {
    let mut tab = Tab::connected(false);
    offer_out(&mut tab);
    tab.server(ServerMessage::Answer {
        call_id: "c1".into(),
        sdp: "v=0".into(),
    });
    let error = ServerMessage::Error {
        call_id: Some("c1".into()),
        message: "the call cannot be recorded".into(),
    };
    assert_eq!(
        tab.server(error),
        [Effect::Notice(Some("the call cannot be recorded".into()))]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));
}
