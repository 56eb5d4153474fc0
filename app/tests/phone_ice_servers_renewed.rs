//! TURN credentials made per user expire, so the server sends an open connection new ICE
//! servers before they do: the next peer connection uses them, and a call in progress is left
//! alone (its relay is already allocated).

mod common;

use app::api::live::{IceServer, ServerMessage};
use app::phone::core::Input;
use common::phone::{connected, dialled, Tab, ME};

fn turn(username: &str) -> IceServer {
    IceServer {
        urls: vec!["turn:turn.example.com:3478?transport=udp".into()],
        username: Some(username.into()),
        credential: Some(format!("credential-of-{username}")),
    }
}

fn renewed(username: &str) -> ServerMessage {
    ServerMessage::IceServers {
        ice_servers: vec![turn(username)],
    }
}

#[test]
fn the_next_call_uses_the_renewed_servers() {
    let mut tab = Tab::connected(false);
    assert!(tab.core.ice_servers().is_empty());
    assert_eq!(tab.server(renewed("1700003600:sub-1")), []);
    assert_eq!(tab.core.ice_servers(), [turn("1700003600:sub-1")]);
    assert_eq!(tab.server(renewed("1700005400:sub-1")), []);
    assert_eq!(tab.core.ice_servers(), [turn("1700005400:sub-1")]);
}

#[test]
fn a_call_in_progress_is_left_alone() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.input(Input::OfferMade {
        call_id: "c1".into(),
        sdp: "v=0 offer".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    assert_eq!(tab.server(renewed("1700005400:sub-1")), []);
    assert_eq!(tab.core.audio_call(), Some("c1"));
    assert!(tab.core.screen_kept());
}
