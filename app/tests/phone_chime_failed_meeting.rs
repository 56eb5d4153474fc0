//! The Chime path when the meeting's audio fails: a join the SDK refuses, or a session that
//! ends by itself while the call is live, hangs the call up with a notice in plain words (the
//! server then ends it as usual). The server's own refusal of a meeting is its notice.

mod common;

use app::api::live::{AudioPath, ServerMessage};
use app::domain::call::CallState;
use app::phone::chime::{ChimeEnd, ChimeError, ChimeEvent};
use app::phone::core::{meeting_end_notice, Effect, Input, MEETING_NOT_JOINED, MEETING_NOT_LOADED};
use common::phone::{connected, dialled, ended, hangup, meeting_for, Tab, ME};

/// A tab whose dialled call `c1` has its meeting (joining), in `state`.
fn joining(state: CallState) -> Tab {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.server(meeting_for("c1"));
    tab.call(dialled("c1", state, Some(ME)));
    tab.log.clear();
    tab
}

fn ended_by(reason: ChimeEnd) -> Input {
    Input::Meeting {
        call_id: "c1".into(),
        event: ChimeEvent::Ended {
            reason,
            status: 18,
            status_name: "TaskFailed".into(),
        },
    }
}

#[test]
fn a_join_the_sdk_refuses_hangs_up_with_a_notice() {
    for (error, notice) in [
        (
            ChimeError::Load("Failed to fetch".into()),
            MEETING_NOT_LOADED,
        ),
        (ChimeError::Join("bad meeting".into()), MEETING_NOT_JOINED),
    ] {
        let mut tab = joining(CallState::Dialing);
        let failed = Input::MeetingFailed {
            call_id: "c1".into(),
            error,
        };
        assert_eq!(
            tab.input(failed),
            [Effect::Notice(Some(notice.into())), hangup("c1")]
        );
        // The audio is closed when the server reports the end.
        assert_eq!(tab.core.audio_call(), Some("c1"));
    }
}

#[test]
fn a_session_that_ends_by_itself_while_the_call_is_live_hangs_up() {
    for reason in [
        ChimeEnd::FailedToConnect,
        ChimeEnd::ConnectionLost,
        ChimeEnd::MeetingEnded,
        ChimeEnd::Removed,
        ChimeEnd::JoinedElsewhere,
        ChimeEnd::Rejected,
        ChimeEnd::MeetingFull,
        ChimeEnd::Other,
    ] {
        let mut tab = joining(connected());
        let notice = meeting_end_notice(reason);
        assert!(notice.starts_with("the call's audio"), "{notice}");
        assert_eq!(
            tab.input(ended_by(reason)),
            [Effect::Notice(Some(notice.into())), hangup("c1")],
            "{reason:?}"
        );
    }
    let mut ringing = joining(CallState::Ringing);
    assert_eq!(
        ringing.input(ended_by(ChimeEnd::FailedToConnect)),
        [
            Effect::Notice(Some("the call's audio could not connect".into())),
            hangup("c1")
        ]
    );
}

#[test]
fn after_the_servers_end_the_sessions_end_is_not_a_failure() {
    let mut tab = joining(connected());
    tab.call(ended(&dialled("c1", connected(), Some(ME))));
    tab.log.clear();
    assert_eq!(tab.input(ended_by(ChimeEnd::ConnectionLost)), []);
    let failed = Input::MeetingFailed {
        call_id: "c1".into(),
        error: ChimeError::Join("late".into()),
    };
    assert_eq!(tab.input(failed), []);
    assert!(tab.sent().is_empty());
}

#[test]
fn a_failure_of_another_calls_session_is_ignored() {
    let mut tab = joining(connected());
    let other = Input::Meeting {
        call_id: "c0".into(),
        event: ChimeEvent::Ended {
            reason: ChimeEnd::ConnectionLost,
            status: 1,
            status_name: String::new(),
        },
    };
    assert_eq!(tab.input(other), []);
}

#[test]
fn the_servers_refusal_of_the_meeting_is_its_notice() {
    let mut tab = Tab::connected_to(AudioPath::ChimeMeeting, false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    let refused = ServerMessage::Error {
        call_id: Some("c1".into()),
        message: "the call's meeting could not be created".into(),
    };
    assert_eq!(
        tab.server(refused),
        [Effect::Notice(Some(
            "the call's meeting could not be created".into()
        ))]
    );
}

#[test]
fn without_a_channel_a_failed_session_stops_the_call_here() {
    let mut tab = joining(connected());
    tab.input(Input::ChannelClosed);
    tab.log.clear();
    assert_eq!(
        tab.input(ended_by(ChimeEnd::ConnectionLost)),
        [
            Effect::Notice(Some("the call's audio connection was lost".into())),
            Effect::TearDownAudio,
            Effect::ReleaseScreen,
            Effect::ShowCall(None)
        ]
    );
}
