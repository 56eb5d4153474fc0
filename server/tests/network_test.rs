//! The pre-call check's network test through the call hub (`Telephony::network_test`, the
//! server function's work; docs/quality.md, "Pre-call check"): the session echoes the
//! browser's tone and places no call; a user's second test ends the first; an offer that is
//! not one is refused as such; at most `MOST_AT_ONCE` run on a server; a user on a call gets
//! none.

mod common;

use std::time::Duration;

use app::api::ports::{NetworkTestError, Telephony};
use common::*;
use server::calls::network_test::MOST_AT_ONCE;
use testkit::peer::BrowserPeer;

async fn peer() -> BrowserPeer {
    BrowserPeer::new(LOOPBACK, true).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_tests_echo_are_one_per_user_and_bounded() {
    let rig = rig((32200, 32239), Duration::from_secs(5)).await;
    let hub: &dyn Telephony = rig.hub.as_ref();

    let mut first = peer().await;
    let answer = hub.network_test("bob-sub", &first.offer).await.unwrap();
    first.accept_answer(answer);
    testkit::rig::tone_comes_back(&first).await;
    assert_eq!(rig.hub.network_tests_running(), 1);
    // No call was placed: nothing in the user's Recents.
    let calls = app::api::ports::CallStore::list_calls(
        rig.store.as_ref(),
        "bob-sub",
        &Default::default(),
        None,
        10,
    )
    .await
    .unwrap();
    assert!(calls.items.is_empty());

    // A second test of the same user ends the first: its echo stops.
    let mut second = peer().await;
    let answer = hub.network_test("bob-sub", &second.offer).await.unwrap();
    second.accept_answer(answer);
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.take_audio();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after = first.take_audio();
    assert!(after.len() < 800, "{} samples after the end", after.len());
    assert_eq!(rig.hub.network_tests_running(), 1);

    assert!(matches!(
        hub.network_test("bob-sub", "v=0\r\nnot an offer").await,
        Err(NetworkTestError::BadOffer(_))
    ));

    // As many as a server runs: the next user's is refused, for now.
    let mut peers = Vec::new();
    for i in 1..MOST_AT_ONCE {
        let p = peer().await;
        hub.network_test(&format!("user-{i}"), &p.offer)
            .await
            .unwrap();
        peers.push(p);
    }
    assert_eq!(rig.hub.network_tests_running(), MOST_AT_ONCE);
    let extra = peer().await;
    assert_eq!(
        hub.network_test("one-too-many", &extra.offer).await,
        Err(NetworkTestError::Busy)
    );

    // On a call, the call's audio comes first.
    let tab = open_tab(&rig);
    start(&rig, &tab, "c1", "+6560000001").await;
    assert_eq!(
        hub.network_test(ALICE, &extra.offer).await,
        Err(NetworkTestError::OnACall)
    );
}
