//! A call dialled in this tab, from the Call press to the end: what is sent, shown and kept on,
//! and what the call's controls send.

mod common;

use app::api::live::{ClientMessage, RecordAction, ServerMessage};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input};
use common::phone::{connected, dialled, offer, Tab, ME};

#[test]
fn dial_offer_answer_connect_and_controls() {
    let mut tab = Tab::connected(false);
    assert_eq!(tab.input(Input::DialPressed), [Effect::Notice(None)]);
    assert_eq!(
        tab.input(Input::Dialled {
            call_id: "c1".into()
        }),
        []
    );
    let made = Input::OfferMade {
        call_id: "c1".into(),
        sdp: "v=0 offer".into(),
    };
    assert_eq!(tab.input(made), [Effect::Send(offer("c1"))]);
    let ringing = dialled("c1", CallState::Ringing, Some(ME));
    assert_eq!(tab.call(ringing.clone()), [Effect::ShowCall(Some(ringing))]);
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
    let up = dialled("c1", connected(), Some(ME));
    assert_eq!(
        tab.call(up.clone()),
        [Effect::KeepScreenOn, Effect::ShowCall(Some(up))]
    );

    assert_eq!(
        tab.input(Input::Mute(true)),
        [
            Effect::Muted(true),
            Effect::Send(ClientMessage::Mute {
                call_id: "c1".into(),
                muted: true
            })
        ]
    );
    let muted = dialled(
        "c1",
        CallState::Connected {
            muted: true,
            on_hold: false,
            held_by_far_end: false,
        },
        Some(ME),
    );
    assert_eq!(
        tab.call(muted.clone()),
        [Effect::ShowCall(Some(muted))],
        "the screen lock is asked for once"
    );
    assert_eq!(
        tab.input(Input::Record(RecordAction::Start)),
        [
            Effect::Notice(None),
            Effect::Send(ClientMessage::Record {
                call_id: "c1".into(),
                action: RecordAction::Start
            })
        ]
    );
    assert_eq!(
        tab.input(Input::MicLost),
        [Effect::MicProblem(Some(app::phone::MicProblem::Lost))]
    );
}

#[test]
fn without_a_channel_the_controls_change_only_this_tab() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    tab.input(Input::ChannelClosed);
    assert!(!tab.core.channel_up(), "dialling is refused: no channel");
    assert_eq!(tab.input(Input::Mute(true)), [Effect::Muted(true)]);
    assert_eq!(
        tab.input(Input::Record(RecordAction::Start)),
        [Effect::Notice(None)]
    );
}

#[test]
fn another_tabs_connected_call_keeps_no_screen_on_here() {
    let mut tab = Tab::connected(false);
    let theirs = dialled("c1", connected(), Some(8));
    assert_eq!(tab.call(theirs.clone()), [Effect::ShowCall(Some(theirs))]);
    assert_eq!(
        tab.input(Input::Mute(true)),
        [
            Effect::Muted(true),
            Effect::Send(ClientMessage::Mute {
                call_id: "c1".into(),
                muted: true
            })
        ]
    );
}
