//! A warm transfer to another agent in the phone (docs/telephony.md, "Warm transfer to an
//! agent"): the giving agent's tab asks the server to consult a colleague; the colleague's tab
//! answers the consultation and offers its audio as for any call it answers, keeps that audio
//! when the call becomes theirs after Connect (no second offer), and drops it when the
//! consultation ends without a transfer.

mod common;

use app::api::live::{ClientMessage, IncomingCall, LiveCall, ServerMessage};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input};
use common::phone::{connected, dialled, ended, Tab, ME};
use common::T0;

#[test]
fn consulting_a_colleague_asks_the_server_with_consult() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    assert_eq!(
        tab.input(Input::Transfer {
            to: "bob-sub".into(),
            consult: true
        }),
        [
            Effect::Notice(None),
            Effect::Send(ClientMessage::Transfer {
                call_id: "c1".into(),
                to: "bob-sub".into(),
                consult: true,
            })
        ]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"), "the audio stays up");
}

fn consultation(id: &str) -> LiveCall {
    LiveCall {
        consult_with: Some("alice@example.com".into()),
        ..dialled(id, connected(), Some(ME))
    }
}

/// The colleague's tab, having answered the consultation (its offer under way).
fn consulted() -> Tab {
    let mut tab = Tab::connected(false);
    tab.server(ServerMessage::Incoming {
        incoming: IncomingCall {
            id: "c1".into(),
            from: Some("+6591234567".into()),
            contact_name: None,
            to: String::new(),
            started_at: T0,
            transferred: true,
            consult: true,
        },
    });
    let out = tab.input(Input::AnswerIncoming {
        call_id: "c1".into(),
    });
    assert!(
        out.contains(&Effect::TakeUp {
            call_id: "c1".into()
        }),
        "its audio is set up as for an answered call: {out:?}"
    );
    tab.call(consultation("c1"));
    tab
}

#[test]
fn the_colleague_keeps_their_audio_when_the_call_becomes_theirs() {
    let mut tab = consulted();
    // Connect: the same call, now theirs, its audio already on this tab.
    let theirs = LiveCall {
        consult_with: None,
        state: CallState::Idle,
        media_connection: None,
        ..consultation("c1")
    };
    let out = tab.call(theirs);
    assert!(
        !out.iter()
            .any(|e| matches!(e, Effect::TakeUp { .. } | Effect::TearDownAudio)),
        "no second offer, the audio stays: {out:?}"
    );
    let out = tab.call(dialled("c1", connected(), Some(ME)));
    assert!(
        !out.iter()
            .any(|e| matches!(e, Effect::TakeUp { .. } | Effect::TearDownAudio)),
        "{out:?}"
    );
    assert_eq!(tab.core.audio_call(), Some("c1"));
}

#[test]
fn the_consultation_ending_drops_the_colleagues_audio() {
    let mut tab = consulted();
    let out = tab.call(ended(&consultation("c1")));
    assert!(out.contains(&Effect::TearDownAudio), "{out:?}");
    assert_eq!(tab.core.audio_call(), None);
}
