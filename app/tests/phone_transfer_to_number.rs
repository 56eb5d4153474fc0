//! Transfer to a number from the call screen: the server is asked with the call's id and the
//! number (it checks the number and shows the progress on every tab), consulting it first for
//! a warm transfer, then Connect completes it; with no call nothing is sent.

mod common;

use app::api::live::ClientMessage;
use app::phone::core::{Effect, Input};
use common::phone::{connected, dialled, Tab, ME};

#[test]
fn the_server_is_asked_to_send_the_call_on_to_the_number() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    assert_eq!(
        tab.input(Input::TransferToNumber {
            number: "+6560000010".into(),
            consult: false
        }),
        [
            Effect::Notice(None),
            Effect::Send(ClientMessage::TransferToNumber {
                call_id: "c1".into(),
                number: "+6560000010".into(),
                consult: false,
            })
        ]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"), "the audio stays up");
}

#[test]
fn with_no_call_a_transfer_sends_nothing() {
    let mut tab = Tab::connected(false);
    assert!(tab
        .input(Input::TransferToNumber {
            number: "+6560000010".into(),
            consult: false
        })
        .is_empty());
}

#[test]
fn a_warm_transfer_consults_first_and_connect_completes_it() {
    let mut tab = Tab::connected(false);
    tab.input(Input::Dialled {
        call_id: "c1".into(),
    });
    tab.call(dialled("c1", connected(), Some(ME)));
    assert_eq!(
        tab.input(Input::TransferToNumber {
            number: "+6560000010".into(),
            consult: true
        }),
        [
            Effect::Notice(None),
            Effect::Send(ClientMessage::TransferToNumber {
                call_id: "c1".into(),
                number: "+6560000010".into(),
                consult: true,
            })
        ]
    );
    assert_eq!(
        tab.input(Input::CompleteTransfer),
        [
            Effect::Notice(None),
            Effect::Send(ClientMessage::CompleteTransfer {
                call_id: "c1".into()
            })
        ]
    );
    assert_eq!(tab.core.audio_call(), Some("c1"), "the audio stays up");
}

#[test]
fn with_no_call_connect_sends_nothing() {
    let mut tab = Tab::connected(false);
    assert!(tab.input(Input::CompleteTransfer).is_empty());
}
