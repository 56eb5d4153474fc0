//! Keys on a Chime call through the server's hub: refused before the answer (before the meeting
//! is asked for, and while the call is being placed), refused when they are not keys, and once
//! connected sent as `UpdateSipMediaApplicationCall` → the handler's `SendDigits`. Hold and a
//! transfer to a number are refused on this path (docs/telephony.md, "Hold", "Transfer").

mod common;

use std::time::Duration;

use app::api::live::{ClientMessage, ServerMessage};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::chime::*;
use common::*;

fn digits(digits: &str) -> ClientMessage {
    ClientMessage::Digits {
        call_id: "c-keys".into(),
        digits: digits.into(),
    }
}

fn refused(reply: Option<ServerMessage>, why: &str) {
    match reply {
        Some(ServerMessage::Error { message, .. }) => {
            assert!(message.contains(why), "{message:?} does not say {why:?}")
        }
        other => panic!("expected an error saying {why:?}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_reach_the_handler_once_the_call_is_answered_and_hold_is_refused() {
    let rig = chime_rig().await;
    let mut tab = open_tab(&rig.calls);
    start(&rig.calls, &tab, "c-keys", "+6560000002").await;
    let before = "once the call is answered";
    refused(send(&rig.calls, &tab, digits("1")).await, before);

    let reply = send(
        &rig.calls,
        &tab,
        ClientMessage::Join {
            call_id: "c-keys".into(),
        },
    )
    .await;
    let Some(ServerMessage::Join {
        meeting, attendee, ..
    }) = reply
    else {
        panic!("expected the meeting to join, got {reply:?}");
    };
    // Nobody is in the meeting yet, so the handler cannot have bridged: not answered.
    refused(send(&rig.calls, &tab, digits("1")).await, before);
    let mut joined = testkit::chime::join_meeting(&meeting, &attendee)
        .await
        .expect("the browser joins");
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;

    let not_keys = "keys are 0-9, * and #";
    refused(send(&rig.calls, &tab, digits("12a")).await, not_keys);
    refused(send(&rig.calls, &tab, digits("")).await, not_keys);
    refused(
        send(&rig.calls, &tab, digits(&"1".repeat(51))).await,
        not_keys,
    );

    // A SIP media application has no hold that keeps the meeting: refused, the call goes on.
    let hold = ClientMessage::Hold {
        call_id: "c-keys".into(),
        on_hold: true,
    };
    refused(
        send(&rig.calls, &tab, hold).await,
        "calls on this server cannot be held",
    );
    // Nor a transfer to a number (it needs the gateway's hold and join): refused before the
    // number is checked or a call admitted.
    let to_number = ClientMessage::TransferToNumber {
        call_id: "c-keys".into(),
        number: "+6560000010".into(),
        consult: false,
    };
    refused(
        send(&rig.calls, &tab, to_number).await,
        "calls on this server cannot be transferred",
    );

    let reply = send(&rig.calls, &tab, digits("15#")).await;
    assert!(reply.is_none(), "{reply:?}");
    let (transaction, _) = rig.sma_call("c-keys").await;
    let events = rig
        .until_handler_saw(
            &transaction,
            "ACTION_SUCCESSFUL SendDigits",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "CALL_UPDATE_REQUESTED")
            .count(),
        1,
        "only the valid keys were sent: {events:?}"
    );
    let (_, call) = rig.sma_call("c-keys").await;
    let updates: Vec<Vec<(String, String)>> = call
        .updates
        .into_iter()
        .map(|mut update| {
            update.sort();
            update
        })
        .collect();
    assert_eq!(
        updates,
        [vec![
            ("Action".to_string(), "digits".to_string()),
            ("Digits".to_string(), "15#".to_string()),
        ]],
    );

    send(&rig.calls, &tab, hangup("c-keys")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    meeting_deleted(&rig, &mut joined).await;
}
