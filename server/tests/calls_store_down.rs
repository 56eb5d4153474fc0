//! The store going down in the middle of a call (DynamoDB on moto, behind a front the test
//! cuts): the call goes on, the customer's hang-up ends it for the agent at once, and its end,
//! which the store could not take, is written once the store is back — nothing of the call is
//! lost, and nothing waits for an operator (`server/src/calls/session/saving.rs`).

#[path = "common/moto.rs"]
mod moto;

mod hub_rig;

use std::net::SocketAddr;
use std::time::Duration;

use app::api::ports::{CallStore, Clock};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::{CallRecord, EndReason};
use server::store::dynamodb::TableSetup;
use server::store::DynamoStore;
use telephony::simulator::CallInEvent;
use testkit::outage::Outage;

use hub_rig::*;

/// `ALICE`'s record of call `id` as the table has it (read past the front), once `done` holds,
/// within `secs`.
async fn in_table(
    table: &DynamoStore,
    id: &str,
    secs: u64,
    done: impl Fn(&CallRecord) -> bool,
) -> CallRecord {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(r) = table.get_call(ALICE, id).await.unwrap().filter(&done) {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the record never got there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_ends_while_the_store_is_down_keeps_its_end() {
    let moto = moto::moto();
    let target: SocketAddr = moto
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("moto's endpoint is http://address:port");
    let table = format!("softphone-test-{}", uuid::Uuid::new_v4());
    // The server's store reaches moto through the front; the test reads past it.
    let front = Outage::front(target).await;
    let store = DynamoStore::with_client(
        moto::dynamodb_client(&format!("http://{}", front.addr())),
        &table,
    );
    assert_eq!(store.create_table().await.unwrap(), TableSetup::Created);
    let direct = DynamoStore::with_client(moto::dynamodb_client(&moto.endpoint), &table);
    let rig = rig_on(store).await;
    let mut alice = tab(&rig, ALICE);
    let now = server::clock::SystemClock.now_ms();
    rig.store
        .set_last_agent(CUSTOMER, ALICE, now)
        .await
        .unwrap();

    let mut call = rig.simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let ringing = rings(&mut alice).await;
    let _peer = answer(&rig, &mut alice, &ringing.id).await;
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Ringing);
    assert_eq!(caller_sees(&mut call).await, CallInEvent::Answered);
    let answered = in_table(&direct, &ringing.id, 10, |r| r.answered_at.is_some()).await;

    // The store goes down; the customer hangs up: the agent sees the end at once.
    front.cut();
    call.hang_up();
    state(&mut alice, |s| {
        matches!(
            s,
            CallState::Ended {
                by: HangupBy::Remote,
                ..
            }
        )
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let meanwhile = direct.get_call(ALICE, &ringing.id).await.unwrap().unwrap();
    assert_eq!(
        meanwhile.ended_at, None,
        "the store was down: nothing written"
    );

    // Back: the end is written without anyone asking, as it happened.
    front.restore();
    let ended = in_table(&direct, &ringing.id, 30, |r| r.end_reason.is_some()).await;
    assert_eq!(ended.end_reason, Some(EndReason::Completed));
    assert_eq!(ended.hangup_by.as_deref(), Some("remote"));
    assert_eq!(ended.answered_at, answered.answered_at);
    let ended_at = ended.ended_at.expect("an end time");
    assert!(
        ended_at < server::clock::SystemClock.now_ms() - 1_500,
        "the end is when the call ended, not when the store came back"
    );
}
