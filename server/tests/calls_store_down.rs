//! The store going down (DynamoDB on moto, behind a front the test cuts). In the middle of a
//! call: the call goes on, the customer's hang-up ends it for the agent at once, and its end,
//! which the store could not take, is written once the store is back — nothing of the call is
//! lost, and nothing waits for an operator (`server/src/calls/session/saving.rs`). While a call
//! is placed: it is refused as unavailable before anything is dialled, and the next one, once
//! the store is back, goes through. A call transferred to a number keeps its end the same way.

#[path = "common/moto.rs"]
mod moto;

mod hub_rig;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::api::calls::ops;
use app::api::live::ClientMessage;
use app::api::ports::{CallOrigin, CallQuery, CallStore, Clock, Principal, Services, Telephony};
use app::api::ApiError;
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::{CallRecord, Direction, EndReason};
use server::store::dynamodb::TableSetup;
use server::store::DynamoStore;
use telephony::simulator::CallInEvent;
use testkit::outage::Outage;

use hub_rig::*;

/// moto's address, and the table a test makes on it: the store the server uses reaches it
/// through `front`, `direct` reads past it.
struct Table {
    front: Outage,
    store: DynamoStore,
    direct: DynamoStore,
    _moto: moto::Moto,
}

async fn table_behind_a_front() -> Table {
    let moto = moto::moto();
    let target: SocketAddr = moto
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("moto's endpoint is http://address:port");
    let name = format!("softphone-test-{}", uuid::Uuid::new_v4());
    let front = Outage::front(target).await;
    let store = DynamoStore::with_client(
        moto::dynamodb_client(&format!("http://{}", front.addr())),
        &name,
    );
    assert_eq!(store.create_table().await.unwrap(), TableSetup::Created);
    let direct = DynamoStore::with_client(moto::dynamodb_client(&moto.endpoint), &name);
    Table {
        front,
        store,
        direct,
        _moto: moto,
    }
}

/// `ALICE`'s record of call `id` as the table has it (read past the front), once `done` holds,
/// within `secs`.
async fn in_table(
    table: &DynamoStore,
    id: &str,
    secs: u64,
    done: impl Fn(&CallRecord) -> bool,
) -> CallRecord {
    eventually("the record in the table", secs, async || {
        table.get_call(ALICE, id).await.unwrap().filter(&done)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_ends_while_the_store_is_down_keeps_its_end() {
    let Table {
        front,
        store,
        direct,
        _moto,
    } = table_behind_a_front().await;
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

/// The simulator's tone number: answers and plays a steady tone.
const TONE: &str = "+6560000010";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transferred_call_that_ends_while_the_store_is_down_keeps_its_end() {
    let Table {
        front,
        store,
        direct,
        _moto,
    } = table_behind_a_front().await;
    let rig = rig_on(store).await;
    let mut alice = tab(&rig, ALICE);
    let (id, call, _peer) = alice_on_a_call(&rig, &mut alice).await;
    let transfer = ClientMessage::TransferToNumber {
        call_id: id.clone(),
        number: TONE.into(),
        consult: false,
    };
    assert_eq!(send(&rig, &alice, transfer).await, None);
    call_update(&mut alice, |c| matches!(c.state, CallState::Ended { .. })).await;
    // The second call (Alice's, outbound to the number), answered: the customer and the number
    // talk on without her.
    let second = eventually("the second call answered", 15, async || {
        let page = direct
            .list_calls(ALICE, &CallQuery::default(), None, 50)
            .await
            .unwrap();
        page.items.into_iter().find(|r| {
            r.direction == Direction::Outbound && r.e164 == TONE && r.answered_at.is_some()
        })
    })
    .await;

    // The store goes down; the customer hangs up: the joined call is over, its end not written.
    // Down for longer than the SDK's own retries of one request (3 attempts, backing off up
    // to 1 s then 2 s), which would otherwise carry the write across a short outage.
    front.cut();
    call.hang_up();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let meanwhile = direct.get_call(ALICE, &second.id).await.unwrap().unwrap();
    assert_eq!(meanwhile.ended_at, None, "the store was down");

    // Back: the end is written, as it happened.
    front.restore();
    let ended = in_table(&direct, &second.id, 30, |r| r.end_reason.is_some()).await;
    assert_eq!(ended.end_reason, Some(EndReason::Completed));
    assert_eq!(ended.hangup_by.as_deref(), Some("remote"));
    assert!(
        ended.ended_at.expect("an end time") < server::clock::SystemClock.now_ms() - 5_000,
        "the end is when the call ended, not when the store came back"
    );
}

/// Telephony that counts the calls it is given (and dials none).
#[derive(Default)]
struct Counting(AtomicUsize);

#[async_trait::async_trait]
impl Telephony for Counting {
    fn available(&self) -> bool {
        true
    }
    fn has_live_connection(&self, _owner: &str) -> bool {
        true
    }
    async fn begin(&self, _: &str, _: CallRecord, _: CallOrigin, _: u64) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_placed_while_the_store_is_down_is_refused_before_anything_is_dialled() {
    let table = table_behind_a_front().await;
    let store: Arc<dyn app::api::ports::Store> = Arc::new(table.store);
    // The accounts are elsewhere: only the calls' store goes down.
    let accounts: Arc<dyn app::api::ports::Store> =
        Arc::new(server::store::SqliteStore::in_memory().await.unwrap());
    let (key, _) = server::identity::SigningKey::generate().unwrap();
    let identity = server::identity::LocalIdentity::new(
        server::identity::LocalIdentityConfig::new("http://127.0.0.1:3000".into()),
        accounts,
        Arc::new(server::clock::SystemClock),
        Arc::new(key),
    )
    .await
    .unwrap();
    let recordings = std::env::temp_dir().join(format!("softphone-{}", uuid::Uuid::new_v4()));
    let telephony = Arc::new(Counting::default());
    let services = Services {
        store,
        identity: Arc::new(identity),
        numbers: Arc::new(server::numbers::Libphonenumber),
        clock: Arc::new(server::clock::SystemClock),
        telephony: telephony.clone(),
        recordings: Arc::new(server::recordings::DiskRecordings::open(&recordings).unwrap()),
        push: Arc::new(app::api::ports::PushOff),
        spend_policy: app::domain::spend::SpendPolicy::default(),
        sign_up_policy: app::domain::signup::SignUpPolicy::default(),
        secure_cookies: false,
    };
    let alice = Principal {
        sub: ALICE.into(),
        email: email(ALICE),
        groups: vec![],
    };
    let place = || {
        ops::start(
            &services,
            &alice,
            "+65 6000 0001",
            None,
            CallOrigin::App { connection: 1 },
        )
    };

    table.front.cut();
    assert_eq!(place().await, Err(ApiError::Unavailable));
    assert_eq!(telephony.0.load(Ordering::SeqCst), 0, "nothing dialled");

    table.front.restore();
    let ticket = place().await.expect("placed once the store is back");
    assert_eq!(telephony.0.load(Ordering::SeqCst), 1);
    let record = table.direct.get_call(ALICE, &ticket.call_id).await.unwrap();
    assert_eq!(record.map(|r| r.e164), Some("+6560000001".to_string()));
}
