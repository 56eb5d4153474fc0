//! A call dialled in this tab on the Chime path: the tab asks for the call's meeting instead of
//! offering SDP, joins it with the answer, and leaves it when the server reports the end. The
//! call's states still come from the server.

mod common;

use app::api::live::{AudioPath, ClientMessage};
use app::domain::call::CallState;
use app::phone::chime::{ChimeEnd, ChimeEvent};
use app::phone::core::{Effect, Input};
use common::phone::{connected, dialled, ended, join, join_meeting, meeting_for, Tab, ME};

#[test]
fn join_instead_of_offer_then_the_meeting_then_leave_at_the_end() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    assert_eq!(tab.core.audio_path(), AudioPath::ChimeMeeting);
    assert_eq!(tab.input(Input::DialPressed), [Effect::Notice(None)]);
    // The microphone is open before start_call: the meeting is asked for at once.
    assert_eq!(
        tab.input(Input::Dialled {
            call_id: "c1".into()
        }),
        [Effect::Send(join("c1"))]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));
    assert_eq!(tab.server(meeting_for("c1")), [join_meeting("c1")]);

    // The session's progress changes nothing: the states are the server's.
    for event in [
        ChimeEvent::Connecting {
            reconnecting: false,
        },
        ChimeEvent::Connected,
        ChimeEvent::PoorConnection,
        ChimeEvent::GoodConnection,
    ] {
        let call_id = "c1".into();
        assert_eq!(tab.input(Input::Meeting { call_id, event }), []);
    }
    let ringing = dialled("c1", CallState::Ringing, Some(ME));
    assert_eq!(tab.call(ringing.clone()), [Effect::ShowCall(Some(ringing))]);
    let up = dialled("c1", connected(), Some(ME));
    assert_eq!(
        tab.call(up.clone()),
        [Effect::KeepScreenOn, Effect::ShowCall(Some(up.clone()))]
    );

    // Mute: the meeting's (the engine mutes the session) and every tab's.
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

    // The server's end: the audio is torn down (the meeting left); our own leave's event and
    // the meeting's deletion that follows are not failures.
    let over = ended(&up);
    let effects = tab.call(over.clone());
    assert_eq!(
        effects[..3],
        [
            Effect::TearDownAudio,
            Effect::ReleaseScreen,
            Effect::ShowCall(None)
        ]
    );
    assert!(effects.contains(&Effect::ShowEnded(Some(over))));
    assert_eq!(tab.core.audio_call(), None);
    for reason in [ChimeEnd::Left, ChimeEnd::MeetingEnded] {
        let event = ChimeEvent::Ended {
            reason,
            status: 1,
            status_name: String::new(),
        };
        let call_id = "c1".into();
        assert_eq!(tab.input(Input::Meeting { call_id, event }), []);
    }
}

#[test]
fn a_meeting_for_another_call_is_not_joined() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.input(Input::Dialled {
        call_id: "c2".into(),
    });
    assert_eq!(tab.server(meeting_for("c1")), []);
}

#[test]
fn with_the_channel_down_at_the_dial_the_call_is_stopped_here() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.input(Input::ChannelClosed);
    assert_eq!(
        tab.input(Input::Dialled {
            call_id: "c1".into()
        }),
        [Effect::TearDownAudio, Effect::ShowCall(None)]
    );
    assert_eq!(tab.core.audio_call(), None);
}

#[test]
fn the_gateway_path_still_offers() {
    let mut tab = Tab::connected(false);
    assert_eq!(tab.core.audio_path(), AudioPath::Gateway);
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
    assert_eq!(tab.input(made), [Effect::Send(common::phone::offer("c1"))]);
}
