//! Native end-to-end calls without a browser: a str0m peer plays the browser, the call hub
//! runs the domain state machine over the gateway, the PSTN simulator is the far end. Each
//! call ends with the right reason, and its record in the store says so.

mod common;

use std::time::Duration;

use app::api::live::{ClientMessage, ServerMessage};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use common::*;
use telephony::tones::tone_purity;
use testkit::peer::{BrowserPeer, PeerCommand, Source};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_call_connects_echoes_and_is_logged_with_its_duration() {
    let rig = rig((31000, 31019), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-echo", "+6560000001").await;
    let peer = offer(&rig, &tab, "c-echo").await;
    let states = wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    assert!(states.contains(&CallState::Dialing), "{states:?}");
    assert!(states.contains(&CallState::Ringing), "{states:?}");

    // A second tab sees the live call.
    let second = open_tab(&rig);
    assert_eq!(second.hello_call.map(|c| c.id), Some("c-echo".to_string()));

    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let audio = peer.take_audio();
    let tail = &audio[audio.len().saturating_sub(4000)..];
    assert!(tone_purity(tail, 1000.0) > 0.8, "the echo carries our tone");

    // Mute is reflected in the call state every tab sees.
    send(
        &rig,
        &tab,
        ClientMessage::Mute {
            call_id: "c-echo".into(),
            muted: true,
        },
    )
    .await;
    wait_state(&mut tab, |s| {
        matches!(s, CallState::Connected { muted: true, .. })
    })
    .await;

    send(&rig, &tab, hangup("c-echo")).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    let r = record_of(&rig, "c-echo").await;
    assert_eq!(r.end_reason, Some(EndReason::Completed));
    assert_eq!(r.hangup_by.as_deref(), Some("agent"));
    assert!(r.ringing_at.is_some() && r.answered_at.is_some());
    assert!(r.duration_ms().unwrap() >= 1000, "{r:?}");
    assert!(rig.hub.active_call(ALICE).is_none());
}

/// The spend limits admit a call for at most the minutes its user has left: the session ends
/// it (BYE) once it has been answered that long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_ended_at_the_duration_the_spend_limits_admitted() {
    let rig = rig((31600, 31619), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start_for(&rig, &tab, "c-limit", "+6560000001", 1500).await;
    let _peer = offer(&rig, &tab, "c-limit").await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::System)).await;
    let r = record_of(&rig, "c-limit").await;
    assert_eq!(r.hangup_by.as_deref(), Some("system"));
    assert_eq!(r.sip_cause.as_deref(), Some("maximum call duration"));
    let talk = r.duration_ms().unwrap();
    assert!((1500..5000).contains(&talk), "ended after {talk} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_end_outcomes_end_with_their_reasons() {
    let rig = rig((31100, 31139), Duration::from_secs(5)).await;
    let cases = [
        (
            "+6560000003",
            EndReason::Busy,
            HangupBy::Remote,
            Some("486"),
        ),
        (
            "+5072000004",
            EndReason::NoAnswer,
            HangupBy::Remote,
            Some("480"),
        ),
        (
            "+6560000005",
            EndReason::NotFound,
            HangupBy::Remote,
            Some("404"),
        ),
        (
            "+5072000006",
            EndReason::Completed,
            HangupBy::Remote,
            Some("BYE"),
        ),
        (
            "+14155550100",
            EndReason::Refused,
            HangupBy::Remote,
            Some("403"),
        ),
    ];
    for (i, (number, reason, by, cause)) in cases.into_iter().enumerate() {
        let id = format!("c-{i}");
        let mut tab = open_tab(&rig);
        start(&rig, &tab, &id, number).await;
        let _peer = offer(&rig, &tab, &id).await;
        wait_state(&mut tab, ended(reason, by)).await;
        let r = record_of(&rig, &id).await;
        assert_eq!(r.end_reason, Some(reason), "{number}: {r:?}");
        assert_eq!(r.hangup_by.as_deref(), Some(by.as_str()), "{number}");
        let text = r.sip_cause.clone().unwrap_or_default();
        assert!(text.contains(cause.unwrap()), "{number}: cause {text:?}");
        rig.hub.disconnect(ALICE, tab.connection);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_up_while_ringing_cancels() {
    let rig = rig((31200, 31219), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-cancel", "+6560000004").await;
    let _peer = offer(&rig, &tab, "c-cancel").await;
    wait_state(&mut tab, |s| *s == CallState::Ringing).await;
    send(&rig, &tab, hangup("c-cancel")).await;
    wait_state(&mut tab, ended(EndReason::Cancelled, HangupBy::Agent)).await;
    let r = record_of(&rig, "c-cancel").await;
    assert_eq!(r.answered_at, None);
    assert_eq!(r.end_reason, Some(EndReason::Cancelled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_tab_that_holds_the_audio_ends_the_call() {
    let rig = rig((31300, 31319), Duration::from_secs(5)).await;
    let mut watcher = open_tab(&rig);
    let media_tab = open_tab(&rig);
    start(&rig, &media_tab, "c-tab", "+6560000001").await;
    let _peer = offer(&rig, &media_tab, "c-tab").await;
    wait_state(&mut watcher, |s| matches!(s, CallState::Connected { .. })).await;
    // Another tab closing changes nothing; the media tab closing ends the call.
    let other = open_tab(&rig);
    rig.hub.disconnect(ALICE, other.connection);
    rig.hub.disconnect(ALICE, media_tab.connection);
    wait_state(&mut watcher, ended(EndReason::Completed, HangupBy::Agent)).await;
}

/// Another tab (or a stolen session's connection) of the same user cannot carry a call it did
/// not dial: its offer and its meeting request are refused, and the call goes on in the tab
/// that dialled it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_tab_that_dialled_may_send_the_calls_offer() {
    let rig = rig((31700, 31719), Duration::from_secs(5)).await;
    let mut dialler = open_tab(&rig);
    let other = open_tab(&rig);
    start(&rig, &dialler, "c-mine", "+6560000001").await;
    let intruder = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    for message in [
        ClientMessage::Offer {
            call_id: "c-mine".into(),
            sdp: intruder.offer.clone(),
        },
        ClientMessage::Join {
            call_id: "c-mine".into(),
        },
    ] {
        match send(&rig, &other, message).await {
            Some(ServerMessage::Error { call_id, message }) => {
                assert_eq!(call_id.as_deref(), Some("c-mine"));
                assert_eq!(message, server::calls::NOT_THIS_TABS_CALL);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    // The call is as it was: no tab holds its audio, and the dialler's offer is taken.
    let call = rig
        .hub
        .active_call(ALICE)
        .expect("the call is still active");
    assert_eq!(call.media_connection, None);
    assert_eq!(call.state, CallState::Idle);
    let _peer = offer(&rig, &dialler, "c-mine").await;
    wait_state(&mut dialler, |s| matches!(s, CallState::Connected { .. })).await;
    let call = rig.hub.active_call(ALICE).unwrap();
    assert_eq!(call.media_connection, Some(dialler.connection));
    // Once connected, the other tab's offer is still refused and changes nothing.
    let reply = send(
        &rig,
        &other,
        ClientMessage::Offer {
            call_id: "c-mine".into(),
            sdp: intruder.offer.clone(),
        },
    )
    .await;
    assert!(
        matches!(reply, Some(ServerMessage::Error { .. })),
        "{reply:?}"
    );
    assert_eq!(
        rig.hub.active_call(ALICE).unwrap().media_connection,
        Some(dialler.connection)
    );
    send(&rig, &dialler, hangup("c-mine")).await;
    wait_state(&mut dialler, ended(EndReason::Completed, HangupBy::Agent)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_browser_never_offers_fails_and_frees_the_line() {
    let rig = rig((31400, 31409), Duration::from_millis(300)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-silent", "+6560000001").await;
    wait_state(&mut tab, ended(EndReason::Failed, HangupBy::System)).await;
    assert_eq!(
        record_of(&rig, "c-silent").await.end_reason,
        Some(EndReason::Failed)
    );
    // Messages about a call that is over are refused with a reason.
    let reply = send(&rig, &tab, hangup("c-silent")).await;
    assert!(
        matches!(reply, Some(ServerMessage::Error { .. })),
        "{reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_browser_audio_never_connects_is_never_placed() {
    // A client that sends an offer but never brings up ICE and DTLS (a script without a
    // browser): the trunk never hears of the call.
    let rig = rig((31450, 31459), Duration::from_millis(500)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-no-audio", "+6560000001").await;
    let peer = testkit::peer::BrowserPeer::new(LOOPBACK, true)
        .await
        .unwrap();
    let reply = send(
        &rig,
        &tab,
        ClientMessage::Offer {
            call_id: "c-no-audio".into(),
            sdp: peer.offer.clone(),
        },
    )
    .await;
    assert!(
        matches!(reply, Some(ServerMessage::Answer { .. })),
        "{reply:?}"
    );
    // The answer is never given to the peer, so it never connects.
    let seen = wait_state(&mut tab, ended(EndReason::Failed, HangupBy::System)).await;
    assert!(
        !seen
            .iter()
            .any(|s| matches!(s, CallState::Ringing | CallState::Connected { .. })),
        "the call reached the trunk: {seen:?}"
    );
    let r = record_of(&rig, "c-no-audio").await;
    assert_eq!(r.answered_at, None);
    let cause = r.sip_cause.unwrap_or_default();
    assert!(cause.contains("did not connect"), "{cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_offer_is_an_error_and_the_call_fails() {
    let rig = rig((31500, 31509), Duration::from_secs(5)).await;
    let mut tab = open_tab(&rig);
    start(&rig, &tab, "c-bad", "+6560000001").await;
    let reply = send(
        &rig,
        &tab,
        ClientMessage::Offer {
            call_id: "c-bad".into(),
            sdp: "v=0\r\ngarbage".into(),
        },
    )
    .await;
    assert!(
        matches!(reply, Some(ServerMessage::Error { .. })),
        "{reply:?}"
    );
    wait_state(&mut tab, ended(EndReason::Failed, HangupBy::System)).await;
}

#[test]
fn every_simulator_test_number_passes_the_real_number_policy() {
    for (number, _) in telephony::simulator::TEST_NUMBERS {
        let n = app::domain::numbers::dialable(number, None, &server::numbers::Libphonenumber)
            .unwrap_or_else(|r| panic!("{number} refused: {r:?}"));
        assert_eq!(n.e164(), *number);
    }
}
