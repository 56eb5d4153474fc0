//! A call in rings in every tab of the user: the tab shows it and rings (the call-waiting tone
//! when the user is on a call); Answer in one tab sends the answer and sets up that tab's audio
//! (its offer follows as for a dialled call), a waiting call's answer drops the current call's
//! audio first; Decline stops the ringing here and tells the server; a call answered elsewhere
//! or missed stops ringing; an answer that lost the race to a colleague tears the audio down
//! with a notice; a new connection's hello brings the calls still ringing.

mod common;

use app::api::live::{ClientMessage, IncomingCall, IncomingEnd, ServerMessage};
use app::domain::call::CallState;
use app::phone::core::{Effect, Input, Ringtone, ANSWERED_ELSEWHERE, NOT_CONNECTED};
use common::phone::{connected, dialled, hello, offer, Tab, ME};
use common::T0;

fn ringing(id: &str) -> IncomingCall {
    IncomingCall {
        id: id.into(),
        from: Some("+6591234567".into()),
        contact_name: Some("Wei".into()),
        to: "+6560000000".into(),
        started_at: T0,
        transferred: false,
        consult: false,
    }
}

fn rings(tab: &mut Tab, id: &str) -> Vec<Effect> {
    tab.server(ServerMessage::Incoming {
        incoming: ringing(id),
    })
}

fn ended(tab: &mut Tab, id: &str, end: IncomingEnd) -> Vec<Effect> {
    tab.server(ServerMessage::IncomingEnded {
        call_id: id.into(),
        end,
    })
}

#[test]
fn a_call_in_is_shown_and_rings_then_stops_when_answered_elsewhere() {
    let mut tab = Tab::connected(true);
    assert_eq!(
        rings(&mut tab, "i1"),
        [
            Effect::ShowRinging(vec![ringing("i1")]),
            Effect::Ringtone(Ringtone::Ring)
        ]
    );
    // The same call announced again (a second server message) changes nothing.
    assert_eq!(rings(&mut tab, "i1"), []);
    assert_eq!(
        ended(&mut tab, "i1", IncomingEnd::AnsweredElsewhere),
        [Effect::ShowRinging(vec![]), Effect::Ringtone(Ringtone::Off)]
    );
    assert!(tab.core.ringing().is_empty());
    // Nothing was set up in this tab: no notice, no audio.
    assert!(tab.sent().is_empty());
}

#[test]
fn answer_sends_the_answer_and_sets_up_this_tabs_audio() {
    let mut tab = Tab::connected(false);
    rings(&mut tab, "i1");
    let out = tab.input(Input::AnswerIncoming {
        call_id: "i1".into(),
    });
    assert_eq!(
        out,
        [
            Effect::ShowRinging(vec![]),
            Effect::Notice(None),
            Effect::Send(ClientMessage::AnswerIncoming {
                call_id: "i1".into()
            }),
            Effect::TakeUp {
                call_id: "i1".into()
            },
            Effect::Ringtone(Ringtone::Off),
        ]
    );
    assert_eq!(tab.core.audio_call(), Some("i1"));
    // The server makes it the user's call; the offer goes as for a dialled call.
    tab.call(dialled("i1", CallState::Dialing, None));
    let out = tab.input(Input::OfferMade {
        call_id: "i1".into(),
        sdp: "v=0 offer".into(),
    });
    assert_eq!(out, [Effect::Send(offer("i1"))]);
    ended(&mut tab, "i1", IncomingEnd::Answered);
    assert_eq!(tab.core.audio_call(), Some("i1"), "answered here: kept");
}

#[test]
fn a_colleague_who_answered_first_wins_and_this_tab_lets_go() {
    let mut tab = Tab::connected(false);
    rings(&mut tab, "i1");
    tab.input(Input::AnswerIncoming {
        call_id: "i1".into(),
    });
    let out = ended(&mut tab, "i1", IncomingEnd::AnsweredElsewhere);
    assert_eq!(
        out,
        [
            Effect::TearDownAudio,
            Effect::Notice(Some(ANSWERED_ELSEWHERE.into()))
        ]
    );
    assert_eq!(tab.core.audio_call(), None);
}

#[test]
fn a_waiting_call_rings_softly_and_its_answer_drops_the_current_audio() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    tab.log.clear();
    let out = rings(&mut tab, "i1");
    assert_eq!(out.last(), Some(&Effect::Ringtone(Ringtone::Waiting)));
    let out = tab.input(Input::AnswerIncoming {
        call_id: "i1".into(),
    });
    let tear_down = out.iter().position(|e| *e == Effect::TearDownAudio);
    let take_up = out.iter().position(|e| {
        *e == Effect::TakeUp {
            call_id: "i1".into(),
        }
    });
    assert!(
        matches!((tear_down, take_up), (Some(a), Some(b)) if a < b),
        "the current call's audio goes before the new one's is set up: {out:?}"
    );
    assert_eq!(tab.core.audio_call(), Some("i1"));
    // The answered call is the user's now; the old one's end, arriving after, leaves it shown.
    tab.call(dialled("i1", CallState::Dialing, Some(ME)));
    let out = tab.call(common::phone::ended(&dialled("c1", connected(), Some(ME))));
    assert!(
        !out.iter()
            .any(|e| matches!(e, Effect::ShowCall(None) | Effect::TearDownAudio)),
        "{out:?}"
    );
    assert_eq!(tab.core.audio_call(), Some("i1"));
}

#[test]
fn decline_stops_the_ringing_here_and_tells_the_server() {
    let mut tab = Tab::connected(false);
    rings(&mut tab, "i1");
    rings(&mut tab, "i2");
    let out = tab.input(Input::DeclineIncoming {
        call_id: "i1".into(),
    });
    assert_eq!(
        out,
        [
            Effect::ShowRinging(vec![ringing("i2")]),
            Effect::Send(ClientMessage::DeclineIncoming {
                call_id: "i1".into()
            }),
        ],
        "i2 still rings"
    );
    // Declining a call that is not ringing (any more) sends nothing.
    assert_eq!(
        tab.input(Input::DeclineIncoming {
            call_id: "i1".into()
        }),
        []
    );
    ended(&mut tab, "i2", IncomingEnd::Missed);
    assert!(tab.core.ringing().is_empty());
}

#[test]
fn an_answer_without_a_channel_keeps_it_ringing_and_says_why() {
    let mut tab = Tab::connected(false);
    rings(&mut tab, "i1");
    tab.input(Input::ChannelClosed);
    tab.log.clear();
    let out = tab.input(Input::AnswerIncoming {
        call_id: "i1".into(),
    });
    assert_eq!(out, [Effect::Notice(Some(NOT_CONNECTED.into()))]);
    assert_eq!(tab.core.ringing().len(), 1);
}

#[test]
fn a_new_connection_brings_the_calls_still_ringing() {
    let mut tab = Tab::connected(false);
    rings(&mut tab, "i1");
    let ServerMessage::Hello {
        connection, call, ..
    } = hello(ME + 1, None)
    else {
        unreachable!()
    };
    let out = tab.server(ServerMessage::Hello {
        connection,
        call,
        ice_servers: vec![],
        audio_path: Default::default(),
        ringing: vec![ringing("i2")],
    });
    assert!(
        out.contains(&Effect::ShowRinging(vec![ringing("i2")])),
        "{out:?}"
    );
    assert_eq!(tab.core.ringing(), &[ringing("i2")]);
    // Nothing rings any more: the ringing stops.
    let out = tab.server(hello(ME + 2, None));
    assert!(out.contains(&Effect::ShowRinging(vec![])), "{out:?}");
    assert_eq!(out.last(), Some(&Effect::Ringtone(Ringtone::Off)));
}
