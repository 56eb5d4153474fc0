//! A call placed through the REST API on the Chime path: the tab that takes it up opens the
//! microphone and asks for the meeting (instead of offering SDP); a lost race closes its
//! microphone silently, as on the gateway path.

mod common;

use app::api::live::{AudioPath, ServerMessage};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input, BACKGROUND_TAKE_UP_MS};
use app::phone::MicProblem;
use common::phone::{connected, from_api, hangup, join, join_meeting, meeting_for, Tab, ME};

#[test]
fn a_visible_tab_opens_the_microphone_asks_for_the_meeting_and_joins() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    let call = from_api("c1", CallState::Dialing);
    assert_eq!(
        tab.call(call.clone()),
        [
            Effect::ShowCall(Some(call)),
            Effect::OpenMic {
                call_id: "c1".into()
            }
        ]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));
    let opened = Input::MicOpened {
        call_id: "c1".into(),
    };
    assert_eq!(tab.input(opened), [Effect::Send(join("c1"))]);
    assert_eq!(tab.server(meeting_for("c1")), [join_meeting("c1")]);

    let mut up = from_api("c1", connected());
    up.media_connection = Some(ME);
    assert_eq!(
        tab.call(up.clone()),
        [Effect::KeepScreenOn, Effect::ShowCall(Some(up))]
    );
    // An error for the call after its meeting came is a notice, not a lost race.
    let error = ServerMessage::Error {
        call_id: Some("c1".into()),
        message: "keys are 0-9, * and #".into(),
    };
    assert_eq!(
        tab.server(error),
        [Effect::Notice(Some("keys are 0-9, * and #".into()))]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));
}

#[test]
fn a_background_tab_takes_it_up_after_its_wait() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, true);
    tab.call(from_api("c1", CallState::Dialing));
    assert_eq!(
        tab.advance(BACKGROUND_TAKE_UP_MS),
        [Effect::OpenMic {
            call_id: "c1".into()
        }]
    );
}

#[test]
fn the_losing_tab_closes_its_microphone_silently() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.call(from_api("c1", CallState::Dialing));
    tab.input(Input::MicOpened {
        call_id: "c1".into(),
    });
    let refused = ServerMessage::Error {
        call_id: Some("c1".into()),
        message: "this call already has its audio".into(),
    };
    assert_eq!(tab.server(refused), [Effect::TearDownAudio]);
    assert_eq!(tab.core.audio_call(), None);
    // A late meeting for the lost call is not joined.
    assert_eq!(tab.server(meeting_for("c1")), []);
}

#[test]
fn a_refused_microphone_ends_the_call_it_was_taking_up() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.call(from_api("c1", CallState::Dialing));
    let failed = Input::MicFailed {
        call_id: "c1".into(),
        problem: MicProblem::Blocked,
    };
    assert_eq!(
        tab.input(failed),
        [Effect::MicProblem(Some(MicProblem::Blocked)), hangup("c1")]
    );
}

#[test]
fn a_microphone_opened_after_the_call_was_torn_down_is_closed() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.call(from_api("c1", CallState::Dialing));
    tab.server(common::phone::hello_on(AudioPath::ChimeMeeting, ME, None));
    tab.log.clear();
    let opened = Input::MicOpened {
        call_id: "c1".into(),
    };
    assert_eq!(tab.input(opened), [Effect::TearDownAudio]);
    assert!(tab.sent().is_empty());
}
