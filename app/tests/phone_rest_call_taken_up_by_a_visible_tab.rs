//! A call placed through the REST API (click to dial): a visible tab takes it up at once,
//! as if it had been dialled there.

mod common;

use app::api::live::{ClientMessage, ServerMessage};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input};
use app::phone::MicProblem;
use common::phone::{connected, from_api, offer, Tab, ME};

#[test]
fn a_visible_tab_takes_the_call_up_at_once_and_connects() {
    let mut tab = Tab::connected(false);
    let call = from_api("c1", CallState::Dialing);
    assert_eq!(
        tab.call(call.clone()),
        [
            Effect::ShowCall(Some(call)),
            Effect::TakeUp {
                call_id: "c1".into()
            }
        ]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));

    let made = Input::OfferMade {
        call_id: "c1".into(),
        sdp: "v=0 offer".into(),
    };
    assert_eq!(tab.input(made), [Effect::Send(offer("c1"))]);
    let answer = ServerMessage::Answer {
        call_id: "c1".into(),
        sdp: "v=0 answer".into(),
    };
    assert_eq!(
        tab.server(answer),
        [Effect::SetRemoteAnswer {
            call_id: "c1".into(),
            sdp: "v=0 answer".into()
        }]
    );

    // The server gives the audio to this tab; once connected the screen is kept on.
    let mut ringing = from_api("c1", CallState::Ringing);
    ringing.media_connection = Some(ME);
    assert_eq!(
        tab.call(ringing.clone()),
        [Effect::ShowCall(Some(ringing.clone()))]
    );
    let mut up = from_api("c1", connected());
    up.media_connection = Some(ME);
    assert_eq!(
        tab.call(up.clone()),
        [Effect::KeepScreenOn, Effect::ShowCall(Some(up))]
    );
    assert_eq!(tab.timers, [], "no timer for a visible tab");
}

#[test]
fn news_of_the_call_while_its_offer_is_out_does_not_take_it_up_twice() {
    let mut tab = Tab::connected(false);
    tab.call(from_api("c1", CallState::Dialing));
    let ringing = from_api("c1", CallState::Ringing);
    assert_eq!(tab.call(ringing.clone()), [Effect::ShowCall(Some(ringing))]);
}

#[test]
fn a_refused_microphone_ends_the_call_it_was_taking_up() {
    let mut tab = Tab::connected(false);
    tab.call(from_api("c1", CallState::Dialing));
    let failed = Input::OfferFailed {
        call_id: "c1".into(),
        mic: Some(MicProblem::Blocked),
    };
    assert_eq!(
        tab.input(failed),
        [
            Effect::MicProblem(Some(MicProblem::Blocked)),
            Effect::Send(ClientMessage::Hangup {
                call_id: "c1".into()
            })
        ]
    );
}

#[test]
fn a_call_dialled_in_another_tab_is_shown_and_not_taken_up() {
    let mut tab = Tab::connected(false);
    let theirs = common::phone::dialled("c1", CallState::Dialing, None);
    assert_eq!(tab.call(theirs.clone()), [Effect::ShowCall(Some(theirs))]);
    assert_eq!(tab.core.audio_call(), None);
}
