//! Hanging up: with the channel up the server is asked and the audio closes when it reports
//! the end; without a channel this tab stops its side at once (the server ends the call when it
//! notices the closed socket).

mod common;

use app::api::live::ClientMessage;
use app::domain::call::CallState;
use app::phone::core::{Effect, Input, ANSWER_REFUSED};
use common::phone::{connected, dialled, Tab, ME};

fn hangup(call_id: &str) -> Effect {
    Effect::Send(ClientMessage::Hangup {
        call_id: call_id.into(),
    })
}

#[test]
fn with_the_channel_up_the_server_is_asked_and_the_audio_kept_until_it_answers() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", CallState::Ringing, Some(ME)));
    assert_eq!(tab.input(Input::Hangup), [hangup("c1")]);
    assert_eq!(tab.core.audio_call(), Some("c1"));
}

#[test]
fn before_the_servers_news_the_dialled_call_is_the_one_ended() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    assert_eq!(tab.input(Input::Hangup), [hangup("c1")]);
}

#[test]
fn without_a_channel_the_audio_closes_and_the_call_leaves_the_screen() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    tab.input(Input::ChannelClosed);
    assert_eq!(
        tab.input(Input::Hangup),
        [
            Effect::TearDownAudio,
            Effect::ReleaseScreen,
            Effect::ShowCall(None)
        ]
    );
    assert_eq!(tab.core.audio_call(), None);
}

#[test]
fn with_no_call_at_all_hanging_up_only_clears_this_tab() {
    let mut tab = Tab::connected(false);
    assert_eq!(
        tab.input(Input::Hangup),
        [Effect::TearDownAudio, Effect::ShowCall(None)]
    );
}

#[test]
fn an_offer_ready_after_the_channel_closed_ends_the_call_here() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.input(Input::ChannelClosed);
    let made = Input::OfferMade {
        call_id: "c1".into(),
        sdp: "v=0 offer".into(),
    };
    assert_eq!(
        tab.input(made),
        [Effect::TearDownAudio, Effect::ShowCall(None)]
    );
    assert!(tab.sent().is_empty());
}

#[test]
fn a_failed_offer_or_a_refused_answer_hangs_up() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    let failed = Input::OfferFailed {
        call_id: "c1".into(),
        mic: None,
    };
    assert_eq!(tab.input(failed), [hangup("c1")]);

    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c2".into(),
    });
    let refused = Input::AnswerRefused {
        call_id: "c2".into(),
    };
    assert_eq!(
        tab.input(refused),
        [Effect::Notice(Some(ANSWER_REFUSED.into())), hangup("c2")]
    );
}
